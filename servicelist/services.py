"""Writes of the service list app. Keyword-only, one transaction each, audited.

Other apps call ``entitlements_recompute(child=..., on=...)`` when a child's
facts change (registry edits, risk flags); publishing a list and the daily
task recompute the whole registry.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from access.policy import can, has_capability
from audit.services import Entry, record, record_many
from servicelist import rules
from servicelist.eligibility import ELIGIBLE_CHILDREN, iter_fact_chunks
from servicelist.models import (
    Entitlement,
    NeedFlag,
    Referral,
    Service,
    ServiceDepartment,
    ServiceGroup,
    ServiceListVersion,
)
from servicelist.selectors import list_in_force

CHUNK = 2000


def _today() -> dt.date:
    return timezone.localdate()


def _require(actor, capability: str, obj=None) -> None:
    if not can(actor, capability, obj):
        raise PermissionError(f"缺少权限：{capability}")


# ============================================================== versions of the list


def parse_rule_text(text: str) -> Any:
    """A rule typed into a textarea: JSON, validated. Raises ValidationError({"rule": [...]})."""
    try:
        rule = json.loads(text)
    except (TypeError, ValueError) as error:
        raise ValidationError({"rule": [f"规则不是有效的 JSON：{error}"]}) from None
    errors = rules.validate_rule(rule)
    if errors:
        raise ValidationError({"rule": errors})
    return rule


@transaction.atomic
def version_create_draft(
    *, actor, code: str, title: str, notes: str = "", based_on: ServiceListVersion | None = None
) -> ServiceListVersion:
    """A new draft, copying every group and service of ``based_on`` (the list in force by default)."""
    _require(actor, "services.manage")
    based_on = based_on or list_in_force()
    errors: dict[str, list[str]] = {}
    if not code or ServiceListVersion.objects.filter(code=code).exists():
        errors["code"] = ["版本代码为空或已被使用，请换一个，例如 tianmen-2026"]
    if not title:
        errors["title"] = ["请填写标题"]
    if errors:
        raise ValidationError(errors)
    draft = ServiceListVersion.objects.create(
        code=code,
        title=title,
        notes=notes,
        source=based_on.source if based_on else "",
        based_on=based_on,
        created_by=actor,
    )
    if based_on is not None:
        groups = {}
        for group in based_on.groups.order_by("no"):
            groups[group.pk] = ServiceGroup.objects.create(version=draft, no=group.no, name=group.name)
        for service in based_on.services.order_by("no"):
            links = list(service.department_links.order_by("position"))
            copy = Service.objects.create(
                version=draft,
                no=service.no,
                group=groups[service.group_id],
                name=service.name,
                target=service.target,
                content=service.content,
                rule=service.rule,
                needs_contact=service.needs_contact,
            )
            ServiceDepartment.objects.bulk_create(
                ServiceDepartment(service=copy, department_id=link.department_id, position=link.position)
                for link in links
            )
    record(
        actor=actor,
        action="create",
        obj=draft,
        summary=f"新建服务清单草稿 {code}" + (f"（复制自 {based_on.code}）" if based_on else ""),
    )
    return draft


def _draft_only(version: ServiceListVersion) -> None:
    if not version.is_draft:
        raise ValidationError({"__all__": ["已发布的版本不能修改；请新建一个版本"]})


@transaction.atomic
def service_save(
    *,
    actor,
    version: ServiceListVersion,
    service: Service | None = None,
    no: int,
    group: ServiceGroup,
    name: str,
    target: str,
    content: str,
    rule: Any,
    departments: list,
    needs_contact: bool = False,
) -> Service:
    """Create or change a service of a draft. The rule is validated here (Chinese messages per field)."""
    _require(actor, "services.manage")
    _draft_only(version)
    errors: dict[str, list[str]] = {}
    rule_errors = rules.validate_rule(rule)
    if rule_errors:
        errors["rule"] = rule_errors
    if group.version_id != version.pk:
        errors["group"] = ["类别不属于此版本"]
    if not departments:
        errors["departments"] = ["请至少选择一个责任部门"]
    for key, value in (("name", name), ("target", target), ("content", content)):
        if not (value or "").strip():
            errors[key] = ["此项不能为空"]
    clash = Service.objects.filter(version=version, no=no)
    if service is not None:
        clash = clash.exclude(pk=service.pk)
    if clash.exists():
        errors["no"] = [f"序号 {no} 已被本版本的另一项服务使用"]
    if errors:
        raise ValidationError(errors)
    before = {}
    if service is None:
        service = Service(version=version)
    else:
        before = {
            "no": service.no,
            "name": service.name,
            "target": service.target,
            "rule": service.rule,
            "departments": [d.code for d in service.department_list()],
        }
    service.no, service.group, service.name = no, group, name.strip()
    service.target, service.content, service.rule = target.strip(), content.strip(), rule
    service.needs_contact = needs_contact
    service.save()
    ServiceDepartment.objects.filter(service=service).delete()
    ServiceDepartment.objects.bulk_create(
        ServiceDepartment(service=service, department=d, position=i) for i, d in enumerate(departments)
    )
    after = {"no": no, "name": service.name, "target": service.target, "rule": rule}
    after["departments"] = [d.code for d in departments]
    from audit.services import diff

    record(
        actor=actor,
        action="update" if before else "create",
        obj=service,
        summary=f"{version.code} 第 {no} 项服务{'修改' if before else '新增'}",
        changes=diff(before, after),
    )
    return service


@transaction.atomic
def service_delete(*, actor, service: Service) -> None:
    _require(actor, "services.manage")
    _draft_only(service.version)
    record(
        actor=actor,
        action="delete",
        obj=service,
        summary=f"{service.version.code} 删除第 {service.no} 项服务",
    )
    service.delete()


@transaction.atomic
def version_publish(*, actor, version: ServiceListVersion, effective_from: dt.date) -> ServiceListVersion:
    """Publish a draft from a date; the version in force until then ends the day before."""
    _require(actor, "services.manage")
    version = ServiceListVersion.objects.select_for_update().get(pk=version.pk)
    _draft_only(version)
    errors: list[str] = []
    services = list(version.services.order_by("no").prefetch_related("department_links"))
    if not services:
        errors.append("清单中没有服务项目")
    for service in services:
        errors.extend(f"第 {service.no} 项服务的规则 {m}" for m in rules.validate_rule(service.rule))
        if not service.department_links.all():
            errors.append(f"第 {service.no} 项服务没有责任部门")
    latest = (
        ServiceListVersion.objects.filter(status=ServiceListVersion.Status.PUBLISHED)
        .exclude(pk=version.pk)
        .aggregate(latest=Max("effective_from"))["latest"]
    )
    if latest is not None and effective_from <= latest:
        errors.append(f"生效日期应晚于已发布的最新版本的生效日期（{latest:%Y-%m-%d}）")
    if errors:
        raise ValidationError({"effective_from": errors})
    previous = (
        ServiceListVersion.objects.filter(
            status=ServiceListVersion.Status.PUBLISHED, effective_to__isnull=True
        )
        .exclude(pk=version.pk)
        .order_by("-effective_from")
        .first()
    )
    if previous is not None:
        previous.effective_to = effective_from - dt.timedelta(days=1)
        previous.save(update_fields=["effective_to"])
    version.status = ServiceListVersion.Status.PUBLISHED
    version.effective_from = effective_from
    version.published_by = actor
    version.published_at = timezone.now()
    version.save()
    record(
        actor=actor,
        action="approve",
        obj=version,
        summary=f"发布服务清单 {version.code}，自 {effective_from:%Y-%m-%d} 起生效"
        + (f"；{previous.code} 至 {previous.effective_to:%Y-%m-%d} 止" if previous else ""),
    )
    if effective_from <= _today():
        from servicelist.tasks import recompute_entitlements_task

        transaction.on_commit(lambda: recompute_entitlements_task.enqueue())
    return version


# ============================================================== entitlements


@dataclass
class RecomputeResult:
    version: str = ""
    children: int = 0
    created: int = 0
    reopened: int = 0
    closed: int = 0
    moved: int = 0  # carried over to the services of a newer version
    skipped: list[int] = field(default_factory=list)  # children whose data gave no facts

    @property
    def changed(self) -> int:
        return self.created + self.reopened + self.closed + self.moved


NOT_IN_TARGET = "不再符合服务对象条件"
NOT_IN_LIST = "现行清单已无此项服务"
NOT_ELIGIBLE = "档案已关闭或不属于流动儿童"


@dataclass
class _Row:
    """An existing entitlement, read as plain values: building model instances for every row of a
    million-child registry would dominate the run."""

    pk: int
    status: str
    service_id: int
    reason: str


_INSERT_COLUMNS = (
    "child_id",
    "no",
    "service_id",
    "version_id",
    "status",
    "reason",
    "updated_by_id",
    "updated_at",
)


def _insert_entitlements(rows: list[tuple]) -> None:
    """Plain INSERTs for new rows: the hot path of building a million children's entitlements,
    where bulk_create's per-object preparation costs several times the database's own work."""
    if not rows:
        return
    table = connection.ops.quote_name(Entitlement._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _INSERT_COLUMNS)
    placeholders = ", ".join(["%s"] * len(_INSERT_COLUMNS))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: executemany costs ~140 µs a row on PostgreSQL (9 million rows for a city).
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        for start in range(0, len(rows), 5000):
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608 - fixed identifiers
                rows[start : start + 5000],
            )


def _entitled_numbers(services: list[Service], facts: dict, memo: dict) -> frozenset[int]:
    # Many children share the same facts (age, stage, health, ...): evaluate each combination once.
    key = tuple((name, tuple(v) if isinstance(v, list) else v) for name, v in sorted(facts.items()))
    found = memo.get(key)
    if found is None:
        found = memo[key] = frozenset(s.no for s in services if rules.holds(s.rule, facts))
    return found


def _recompute_chunk(
    batch: list[tuple[int, Any]],
    services: list[Service],
    version: ServiceListVersion,
    actor,
    now,
    result: RecomputeResult,
    memo: dict,
) -> None:
    ids = [child_id for child_id, _facts in batch]
    existing: dict[int, dict[int, _Row]] = {}
    rows_found = Entitlement.objects.filter(child_id__in=ids).values_list(
        "pk", "child_id", "no", "status", "service_id", "reason"
    )
    for pk, child_id, no, status, service_id, reason in rows_found:
        existing.setdefault(child_id, {})[no] = _Row(pk, status, service_id, reason)
    by_no = {s.no: s for s in services}
    new: list[tuple] = []
    stamp = connection.ops.adapt_datetimefield_value(now)
    changed: list[Entitlement] = []
    actor_id = getattr(actor, "pk", None)
    not_applicable = Entitlement.Status.NOT_APPLICABLE

    def change(row: _Row, *, status: str, reason: str, service_id: int) -> None:
        changed.append(
            Entitlement(
                pk=row.pk,
                status=status,
                reason=reason,
                service_id=service_id,
                version_id=version.pk,
                updated_by_id=actor_id,
                updated_at=now,
            )
        )

    for child_id, facts in batch:
        result.children += 1
        if isinstance(facts, rules.ProfileError):
            result.skipped.append(child_id)
            continue
        entitled = _entitled_numbers(services, facts, memo)
        rows = existing.get(child_id, {})
        for no in entitled:
            service = by_no[no]
            row = rows.get(no)
            if row is None:
                new.append((child_id, no, service.pk, version.pk, "not_started", "", actor_id, stamp))
                result.created += 1
            elif row.status == not_applicable:
                change(row, status=Entitlement.Status.NOT_STARTED, reason="", service_id=service.pk)
                result.reopened += 1
            elif row.service_id != service.pk:
                # Carried over to the newer version with the status people recorded.
                change(row, status=row.status, reason=row.reason, service_id=service.pk)
                result.moved += 1
        for no, row in rows.items():
            if no in entitled or row.status == not_applicable:
                continue
            change(
                row,
                status=not_applicable,
                reason=NOT_IN_TARGET if no in by_no else NOT_IN_LIST,
                service_id=by_no[no].pk if no in by_no else row.service_id,
            )
            result.closed += 1
    _insert_entitlements(new)
    Entitlement.objects.bulk_update(
        changed, ["status", "reason", "service", "version", "updated_by", "updated_at"], batch_size=1000
    )


def entitlements_recompute(
    *, child=None, on: dt.date | None = None, actor=None, chunk: int = CHUNK
) -> RecomputeResult:
    """Bring entitlements in line with the list in force on ``on`` for one child or every child.

    Creates missing rows (未开展), reopens rows that apply again, and marks rows that no
    longer apply as 不适用 with a reason. Statuses set by people (已转介, 正在享受, 家庭放弃)
    are kept while the service still applies. Streams the registry in chunks (each in its
    own transaction) so that a whole city of a million children fits in memory.
    """
    from registry.models import Child

    on = on or _today()
    version = list_in_force(on)
    result = RecomputeResult(version=version.code if version else "")
    now = timezone.now()
    batch_id = uuid.uuid4().hex[:12]
    if version is None:
        return result
    services = list(Service.objects.filter(version=version).order_by("no").only("id", "no", "rule"))
    for service in services:
        rules.check_rule(service.rule)
    children = Child.objects.filter(ELIGIBLE_CHILDREN)
    ineligible = Entitlement.objects.exclude(status=Entitlement.Status.NOT_APPLICABLE).exclude(
        child__in=Child.objects.filter(ELIGIBLE_CHILDREN)
    )
    if child is not None:
        children = children.filter(pk=child.pk)
        ineligible = ineligible.filter(child_id=child.pk)
    with transaction.atomic():
        result.closed += ineligible.update(
            status=Entitlement.Status.NOT_APPLICABLE,
            reason=NOT_ELIGIBLE,
            updated_by=actor,
            updated_at=now,
        )
    memo: dict = {}
    for batch in iter_fact_chunks(children, on, chunk=chunk):
        with transaction.atomic():
            _recompute_chunk(batch, services, version, actor, now, result, memo)
    summary = (
        f"按清单 {version.code} 重新计算服务享有（{on:%Y-%m-%d}）：儿童 {result.children}，"
        f"新增 {result.created}，恢复 {result.reopened}，不再适用 {result.closed}，转入新版本 {result.moved}"
    )
    if child is None:
        _record_mark(actor=actor, on=on, version=version, started=now, result=result, summary=summary)
    elif result.changed:
        record(
            actor=actor,
            action="system" if actor is None else "update",
            object_type="servicelist.entitlement",
            object_id=str(child.pk),
            summary=f"档案 {child.file_no}：" + summary,
            batch=batch_id,
        )
    return result


# ---- the daily run: only the children whose facts changed since the last whole-registry run

#: ``object_id`` of the audit rows of whole-registry runs; their ``changes`` hold the watermark.
MARK = "all"


def _record_mark(*, actor, on: dt.date, version, started, result: RecomputeResult, summary: str) -> None:
    record(
        actor=actor,
        action="system" if actor is None else "update",
        object_type="servicelist.entitlement",
        object_id=MARK,
        summary=summary,
        changes={
            "on": on.isoformat(),
            "version": version.pk,
            "started": started.isoformat(),
            "children": result.children,
            "changed": result.changed,
        },
        batch=uuid.uuid4().hex[:12],
    )


def _last_mark(version) -> tuple[dt.date, dt.datetime] | None:
    """(day, start time) of the last whole-registry run for ``version``, when it recorded one."""
    from audit.models import AuditEvent

    event = (
        AuditEvent.objects.filter(object_type="servicelist.entitlement", object_id=MARK)
        .order_by("-seq")
        .only("changes")
        .first()
    )
    changes = event.changes if event is not None else {}
    if changes.get("version") != version.pk or "on" not in changes or "started" not in changes:
        return None
    try:
        return dt.date.fromisoformat(changes["on"]), dt.datetime.fromisoformat(changes["started"])
    except (TypeError, ValueError):
        return None


def _age_months_that_matter(rule: Any, found: set[int]) -> bool:
    """Collect into ``found`` the completed-month ages at which ``rule`` can change its answer;
    False when the rule compares ages in a way not understood here (then every day counts)."""
    if isinstance(rule, bool):
        return True
    for key in ("all", "any"):
        if key in rule:
            return all(_age_months_that_matter(item, found) for item in rule[key])
    if "not" in rule:
        return _age_months_that_matter(rule["not"], found)
    unit = {"age_years": 12, "age_months": 1}.get(rule.get("fact"))
    if unit is None:
        return True
    value = rule.get("value")
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return False
    for v in values:
        found.update((v * unit, (v + 1) * unit))
    return True


def _children_to_revisit(*, services: list[Service], since_day: dt.date, since: dt.datetime, on: dt.date):
    """Ids of the children whose facts may have changed between the last run and ``on``:

    * age: completed one of the month ages the rules compare with (born in a window per age);
    * registry facts: file edited, closed or its status recomputed since;
    * key attention: a risk flag raised or closed since; need flags set or cleared since.
    Returns None when the rules compare ages in a way that needs every child."""
    from django.db.models import Q

    from registry.models import Child
    from servicelist.eligibility import latest_birth_for, risk_flag_model

    months: set[int] = {0}  # 0: born after the last run, so facts exist now
    if not all(_age_months_that_matter(s.rule, months) for s in services):
        return None
    # status_recompute stamps the day on the files it changes (and their updated_at).
    condition = Q(updated_at__gte=since) | Q(closed_at__gte=since_day) | Q(status_computed_on__gt=since_day)
    for m in sorted(m for m in months if 0 <= m <= 12 * 200):
        low, high = latest_birth_for(m, since_day), latest_birth_for(m, on)
        if high > low:
            condition |= Q(birth_date__gt=low, birth_date__lte=high)
    ids = set(Child.objects.filter(condition).order_by().values_list("pk", flat=True))
    flag = risk_flag_model()
    if flag is not None:
        flags = flag.objects.filter(created_at__gte=since)
        if "closed_on" in {f.name for f in flag._meta.get_fields()}:
            flags = flag.objects.filter(Q(created_at__gte=since) | Q(closed_on__gte=since_day))
        ids.update(flags.order_by().values_list("child_id", flat=True))
    ids.update(
        NeedFlag.objects.filter(Q(set_at__gte=since) | Q(cleared_at__gte=since))
        .order_by()
        .values_list("child_id", flat=True)
    )
    return ids


def entitlements_daily(*, on: dt.date | None = None, actor=None, chunk: int = CHUNK) -> RecomputeResult:
    """The daily run: the same result as ``entitlements_recompute`` over the whole registry,
    computed for the children whose facts may have changed since the last whole-registry run
    of the same list version (the watermark in its audit row). Without a usable watermark
    (first run, a new version in force, a day earlier than the last run) it is the full pass."""
    on = on or _today()
    version = list_in_force(on)
    if version is None:
        return RecomputeResult()
    mark = _last_mark(version)
    services = list(Service.objects.filter(version=version).order_by("no").only("id", "no", "rule"))
    ids = None
    if mark is not None and mark[0] <= on:
        ids = _children_to_revisit(services=services, since_day=mark[0], since=mark[1], on=on)
    if ids is None:
        return entitlements_recompute(on=on, actor=actor, chunk=chunk)
    started = timezone.now()
    result = entitlements_recompute_children(
        child_ids=sorted(ids), on=on, actor=actor, chunk=chunk, audit=False
    )
    _record_mark(
        actor=actor,
        on=on,
        version=version,
        started=started,
        result=result,
        summary=(
            f"按清单 {version.code} 每日更新服务享有（{on:%Y-%m-%d}）：自上次计算以来情况可能变化的儿童 "
            f"{len(ids)}，新增 {result.created}，恢复 {result.reopened}，不再适用 {result.closed}，"
            f"转入新版本 {result.moved}"
        ),
    )
    return result


def entitlements_recompute_children(
    *, child_ids: list[int], on: dt.date | None = None, actor=None, chunk: int = CHUNK, audit: bool = True
) -> RecomputeResult:
    """``entitlements_recompute`` for a set of children (a bulk import, a feed, the children
    the daily run found changed): the same per-chunk work, over the given ids only, and one
    audit row for the whole set when anything changed."""
    from registry.models import Child

    on = on or _today()
    version = list_in_force(on)
    result = RecomputeResult(version=version.code if version else "")
    ids = sorted(set(child_ids))
    if version is None or not ids:
        return result
    now = timezone.now()
    services = list(Service.objects.filter(version=version).order_by("no").only("id", "no", "rule"))
    for service in services:
        rules.check_rule(service.rule)
    memo: dict = {}
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        with transaction.atomic():
            eligible = Child.objects.filter(ELIGIBLE_CHILDREN, pk__in=part)
            result.closed += (
                Entitlement.objects.filter(child_id__in=part)
                .exclude(status=Entitlement.Status.NOT_APPLICABLE)
                .exclude(child__in=eligible)
                .update(
                    status=Entitlement.Status.NOT_APPLICABLE,
                    reason=NOT_ELIGIBLE,
                    updated_by=actor,
                    updated_at=now,
                )
            )
            for batch in iter_fact_chunks(eligible, on, chunk=chunk):
                _recompute_chunk(batch, services, version, actor, now, result, memo)
    if result.changed and audit:
        record(
            actor=actor,
            action="system" if actor is None else "update",
            object_type="servicelist.entitlement",
            summary=(
                f"按清单 {version.code} 重新计算 {len(ids)} 名儿童的服务享有（{on:%Y-%m-%d}）："
                f"新增 {result.created}，恢复 {result.reopened}，不再适用 {result.closed}，"
                f"转入新版本 {result.moved}"
            ),
            batch=uuid.uuid4().hex[:12],
        )
    return result


SETTABLE_STATUSES = (
    Entitlement.Status.NOT_STARTED,
    Entitlement.Status.RECEIVING,
    Entitlement.Status.DECLINED,
)


@transaction.atomic
def entitlement_set_status(*, actor, entitlement: Entitlement, status: str, reason: str = "") -> Entitlement:
    """A worker records what happened (正在享受 / 家庭放弃 / 未开展) outside a referral."""
    _require(actor, "services.refer", entitlement.child)
    if status not in SETTABLE_STATUSES:
        raise ValidationError({"status": ["只能设为：未开展、正在享受或家庭放弃"]})
    if entitlement.status == Entitlement.Status.NOT_APPLICABLE:
        raise ValidationError({"status": ["此项服务对该儿童不适用，不能修改状态"]})
    if status == Entitlement.Status.DECLINED and not reason.strip():
        raise ValidationError({"reason": ["家庭放弃时请填写说明"]})
    before = entitlement.status
    entitlement.status, entitlement.reason, entitlement.updated_by = status, reason.strip()[:200], actor
    entitlement.save()
    record(
        actor=actor,
        action="update",
        obj=entitlement,
        summary=f"档案 {entitlement.child.file_no} 第 {entitlement.no} 项服务：{before} → {status}",
        changes={"status": [before, status]},
    )
    return entitlement


# ============================================================== need flags


@transaction.atomic
def need_flag_set(*, actor, child, kind: str, note: str = "") -> NeedFlag:
    """A supervisor records a circumstance (临时救助 / 法律援助) that makes services 15 / 16 apply."""
    _require(actor, "services.refer", child)
    if kind not in NeedFlag.Kind.values:
        raise ValidationError({"kind": ["未知的情形"]})
    flag = NeedFlag.objects.filter(child=child, kind=kind, active=True).first()
    if flag is None:
        flag = NeedFlag.objects.create(child=child, kind=kind, note=note.strip()[:200], set_by=actor)
        record(actor=actor, action="create", obj=flag, summary=f"档案 {child.file_no} 登记情形：{kind}")
    entitlements_recompute(child=child, actor=actor)
    return flag


@transaction.atomic
def need_flag_clear(*, actor, flag: NeedFlag) -> NeedFlag:
    _require(actor, "services.refer", flag.child)
    if flag.active:
        flag.active, flag.cleared_by, flag.cleared_at = False, actor, timezone.now()
        flag.save()
        record(
            actor=actor, action="update", obj=flag, summary=f"档案 {flag.child.file_no} 解除情形：{flag.kind}"
        )
        entitlements_recompute(child=flag.child, actor=actor)
    return flag


# ============================================================== referrals


def _entitlement_for(referral: Referral) -> Entitlement | None:
    if referral.service_id is None:
        return None
    return Entitlement.objects.filter(child_id=referral.child_id, no=referral.service.no).first()


def _set_entitlement(
    referral: Referral, status: str, actor, entries: list[Entry], *, only_from: tuple
) -> None:
    entitlement = _entitlement_for(referral)
    if entitlement is None or entitlement.status not in only_from:
        return
    before = entitlement.status
    entitlement.status, entitlement.updated_by = status, actor
    entitlement.reason = f"转介#{referral.pk}"
    entitlement.save()
    entries.append(
        Entry(
            "update",
            "servicelist.entitlement",
            str(entitlement.pk),
            f"档案 {referral.child.file_no} 第 {entitlement.no} 项服务：{before} → {status}（转介#{referral.pk}）",
            {"status": [before, status]},
        )
    )


@transaction.atomic
def referral_send(
    *,
    actor,
    child,
    department,
    reason: str,
    deadline: dt.date,
    service: Service | None = None,
    risk_flag_id: int | None = None,
    consent: bool = False,
    consent_by: str = "",
    consent_on: dt.date | None = None,
    consent_override_reason: str = "",
    share_contact: bool | None = None,
) -> Referral:
    """Refer a child to a department, from an entitlement (service) or a risk flag."""
    _require(actor, "services.refer", child)
    errors: dict[str, list[str]] = {}
    today = _today()
    if not (reason or "").strip():
        errors["reason"] = ["请填写转介事由"]
    if deadline is None or deadline < today:
        errors["deadline"] = ["办理期限不能早于今天"]
    if service is None and risk_flag_id is None:
        errors["service"] = ["请选择服务项目，或从风险标记发起转介"]
    if service is not None:
        if not service.version.in_force_on(today):
            errors["service"] = ["该服务不属于现行清单"]
        elif not ServiceDepartment.objects.filter(service=service, department=department).exists():
            errors["department"] = [f"{department.name}不是第 {service.no} 项服务的责任部门"]
        elif Referral.objects.filter(
            child=child, service__no=service.no, department=department, status__in=Referral.OPEN_STATUSES
        ).exists():
            errors["service"] = ["已有发往该部门的同一服务的转介在办理中"]
    if consent:
        if not consent_by.strip():
            errors["consent_by"] = ["请填写表示同意的监护人"]
        if consent_on is None or consent_on > today:
            errors["consent_on"] = ["请填写同意日期（不能晚于今天）"]
    else:
        if not consent_override_reason.strip():
            errors["consent_override_reason"] = ["未取得监护人同意时，须由督导员填写转介理由"]
        elif not has_capability(actor, "care.approve"):
            errors["consent_override_reason"] = ["只有儿童督导员或管理员可以在未经同意时转介"]
    if errors:
        raise ValidationError(errors)
    if share_contact is None:
        share_contact = bool(service and service.needs_contact)
    referral = Referral.objects.create(
        child=child,
        service=service,
        risk_flag_id=risk_flag_id,
        department=department,
        reason=reason.strip(),
        deadline=deadline,
        share_contact=share_contact,
        consent=consent,
        consent_by=consent_by.strip() if consent else "",
        consent_on=consent_on if consent else None,
        consent_override_reason="" if consent else consent_override_reason.strip(),
        consent_override_by=None if consent else actor,
        created_by=actor,
    )
    what = f"第 {service.no} 项服务" if service else f"风险标记#{risk_flag_id}"
    entries = [
        Entry(
            "create",
            "servicelist.referral",
            str(referral.pk),
            f"档案 {child.file_no} 转介至{department.name}（{what}），期限 {deadline:%Y-%m-%d}",
            {"department": department.code, "deadline": deadline.isoformat(), "consent": consent},
        )
    ]
    if not consent:
        entries.append(
            Entry(
                "approve",
                "servicelist.referral",
                str(referral.pk),
                f"档案 {child.file_no} 未经监护人同意转介至{department.name}（督导员决定）",
                {"consent_override_reason": referral.consent_override_reason},
            )
        )
    _set_entitlement(
        referral,
        Entitlement.Status.REFERRED,
        actor,
        entries,
        only_from=(Entitlement.Status.NOT_STARTED, Entitlement.Status.DECLINED),
    )
    record_many(actor=actor, entries=entries)
    return referral


def _inbox_referral(actor, referral: Referral) -> Referral:
    from servicelist.selectors import inbox

    if not has_capability(actor, "services.inbox"):
        raise PermissionError("缺少权限：services.inbox")
    # Lock the row: two colleagues of the department may act at once.
    locked = inbox(actor).select_for_update(of=("self",)).filter(pk=referral.pk).first()
    if locked is None:
        raise PermissionError("该转介不是发给您所在部门的")
    return locked


@transaction.atomic
def referral_accept(*, actor, referral: Referral) -> Referral:
    referral = _inbox_referral(actor, referral)
    if referral.status != Referral.Status.SENT:
        raise ValidationError({"status": [f"转介当前为“{referral.get_status_display()}”，不能接收"]})
    referral.status, referral.accepted_at, referral.accepted_by = (
        Referral.Status.ACCEPTED,
        timezone.now(),
        actor,
    )
    referral.save()
    entries = [
        Entry(
            "update",
            "servicelist.referral",
            str(referral.pk),
            f"{referral.department.name}接收转介（档案 {referral.child.file_no}）",
            {"status": ["sent", "accepted"]},
        )
    ]
    _set_entitlement(
        referral,
        Entitlement.Status.RECEIVING,
        actor,
        entries,
        only_from=(Entitlement.Status.NOT_STARTED, Entitlement.Status.REFERRED, Entitlement.Status.DECLINED),
    )
    record_many(actor=actor, entries=entries)
    return referral


@transaction.atomic
def referral_reject(*, actor, referral: Referral, reason: str) -> Referral:
    referral = _inbox_referral(actor, referral)
    if not referral.is_open:
        raise ValidationError({"status": [f"转介当前为“{referral.get_status_display()}”，不能退回"]})
    if not (reason or "").strip():
        raise ValidationError({"rejection_reason": ["请填写退回理由"]})
    before = referral.status
    referral.status, referral.rejected_at, referral.handled_by = (
        Referral.Status.REJECTED,
        timezone.now(),
        actor,
    )
    referral.rejection_reason = reason.strip()
    referral.save()
    entries = [
        Entry(
            "update",
            "servicelist.referral",
            str(referral.pk),
            f"{referral.department.name}退回转介（档案 {referral.child.file_no}）",
            {"status": [before, "rejected"]},
        )
    ]
    still_open = (
        referral.service_id is not None
        and Referral.objects.filter(
            child_id=referral.child_id, service__no=referral.service.no, status__in=Referral.OPEN_STATUSES
        ).exists()
    )
    if not still_open:
        _set_entitlement(
            referral,
            Entitlement.Status.NOT_STARTED,
            actor,
            entries,
            only_from=(Entitlement.Status.REFERRED,),
        )
    record_many(actor=actor, entries=entries)
    return referral


@transaction.atomic
def referral_complete(*, actor, referral: Referral, feedback: str) -> Referral:
    referral = _inbox_referral(actor, referral)
    if not referral.is_open:
        raise ValidationError({"status": [f"转介当前为“{referral.get_status_display()}”，不能办结"]})
    if not (feedback or "").strip():
        raise ValidationError({"feedback": ["请填写办理反馈"]})
    before = referral.status
    referral.status, referral.completed_at, referral.handled_by = (
        Referral.Status.COMPLETED,
        timezone.now(),
        actor,
    )
    if referral.accepted_at is None:
        referral.accepted_at, referral.accepted_by = referral.completed_at, actor
    referral.feedback = feedback.strip()
    referral.save()
    entries = [
        Entry(
            "update",
            "servicelist.referral",
            str(referral.pk),
            f"{referral.department.name}办结转介（档案 {referral.child.file_no}）",
            {"status": [before, "completed"]},
        )
    ]
    _set_entitlement(
        referral,
        Entitlement.Status.RECEIVING,
        actor,
        entries,
        only_from=(Entitlement.Status.NOT_STARTED, Entitlement.Status.REFERRED, Entitlement.Status.DECLINED),
    )
    record_many(actor=actor, entries=entries)
    return referral
