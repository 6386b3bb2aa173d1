"""What a linked feed row does to the child's file, per source (FeedSource.effect).

Every effect goes through the registry's write services (``registry.bulk.children_update_many``,
the bulk form of ``child_update``) or writes a record of this app, and is logged as a
ChildEffect with the values before, so that the batch can be rolled back. Findings a person must verify (a possible drop-out, a family
in hardship, missed vaccinations) become verification tasks for the child's supervisor
and director; see ``raise_finding``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.utils import timezone

from common.dates import InvalidDate, parse_date_or_none
from common.inserts import insert_many
from exchange import rows as r
from exchange.models import ChildEffect, Effect, FeedBatch, FeedRow, HealthRecord, VerificationTask

DATE_FIELDS = {"arrival_date"}


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _from_json(field: str, value: Any) -> Any:
    if field in DATE_FIELDS and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


CARE_CATEGORIES = {
    VerificationTask.Kind.DROPOUT: "dropout",
    VerificationTask.Kind.HARDSHIP: "family_hardship",
}


def _care_services():
    """The key-attention register's services, when the care app provides them."""
    try:
        from care import services as care_services
    except ImportError:
        return None
    return care_services if hasattr(care_services, "flag_raise") else None


def raise_finding(
    *, actor, batch: FeedBatch, row: FeedRow | None, child, kind: str, reason: str
) -> ChildEffect:
    """A finding to verify. Drop-out and family hardship go to the key-attention register as a
    flag raised by the feed and awaiting the supervisor's confirmation (care.services.flag_raise);
    other findings (missed vaccinations) are verification tasks of this app. An open flag or
    task of the same kind is kept, not duplicated."""
    effect_kind = {
        VerificationTask.Kind.DROPOUT: ChildEffect.Kind.DROPOUT,
        VerificationTask.Kind.HARDSHIP: ChildEffect.Kind.HARDSHIP,
        VerificationTask.Kind.VACCINATION: ChildEffect.Kind.HEALTH,
    }[kind]
    label = VerificationTask.Kind(kind).label
    care = _care_services() if kind in CARE_CATEGORIES else None
    if care is not None:
        from care.models import RiskFlag

        before = set(
            RiskFlag.objects.filter(child=child, status=RiskFlag.Status.ACTIVE).values_list("pk", flat=True)
        )
        # Raised without an acting person, so the supervisor confirms it on the register.
        flag = care.flag_raise(
            actor=None, child=child, category=CARE_CATEGORIES[kind], source="feed",
            evidence=f"{reason}（部门数据 {batch}）",
        )  # fmt: skip
        created = flag.pk not in before
        after = {"flag": flag.pk, "created": created}
        summary = (
            f"列入重点关注待确认：{label}" if created else f"已在重点关注（{label}）"
        ) + f"（{reason[:200]}）"
    else:
        task = VerificationTask.objects.filter(
            child=child, kind=kind, status=VerificationTask.Status.OPEN
        ).first()
        created = task is None
        if created:
            task = VerificationTask.objects.create(child=child, batch=batch, kind=kind, reason=reason[:300])
        after = {"task": task.pk, "created": created}
        summary = (f"待核实：{label}" if created else f"已有待核实的{label}事项") + f"（{reason[:200]}）"
    return ChildEffect.objects.create(
        child=child, batch=batch, row=row, kind=effect_kind, summary=summary[:300], after=after
    )


def _school(facts: dict, schools: dict[str, int | None] | None = None) -> dict:
    """The school named by the row; ``schools`` (name -> id) caches the look-up for a batch."""
    from schools.models import School

    name = r.text(facts.get("school"))
    if not name:
        return {}
    if schools is not None and name in schools:
        return {"school_id": schools[name], "school_name": name}
    school = School.objects.filter(name=name).values_list("pk", flat=True).first()
    if schools is not None:
        schools[name] = school
    return {"school_id": school, "school_name": name}


def schooling_changes(facts: dict, schools: dict[str, int | None] | None = None) -> dict:
    changes = _school(facts, schools)
    stage = r.parse_stage(facts.get("stage"), facts.get("grade"))
    if stage:
        changes["school_stage"] = stage
    grade = r.text(facts.get("grade"))
    if grade:
        changes["grade"] = grade[:20]
    return changes


def residence_changes(facts: dict, child) -> dict:
    changes: dict[str, Any] = {"residence_permit": True}
    try:
        arrival = parse_date_or_none(facts.get("arrival_date"), field="到达本地日期")
    except InvalidDate:
        arrival = None
    if arrival and arrival <= timezone.localdate() and arrival >= child.birth_date:
        if child.arrival_date is None or arrival < child.arrival_date:
            changes["arrival_date"] = arrival
    return changes


def disability_changes(facts: dict, child) -> dict:
    changes: dict[str, Any] = {}
    category = r.parse_disability_category(facts.get("disability_category"))
    level = r.parse_disability_level(facts.get("disability_level"))
    from_certificate = r.certificate_disability(facts.get("certificate_no"))
    category = category or from_certificate[0]
    level = level or from_certificate[1]
    if category:
        changes["disability_category"] = category
    if level:
        changes["disability_level"] = level
    if changes and child.health in ("", "健康"):
        changes["health"] = "残疾"
    return changes


_LABELS = {
    "school_id": None,
    "school_name": "学校",
    "school_stage": "就学状态",
    "grade": "年级",
    "residence_permit": "居住证",
    "arrival_date": "到达本地日期",
    "disability_category": "残疾类别",
    "disability_level": "残疾等级",
    "health": "健康状况",
}


def _describe(changes: dict) -> str:
    parts = []
    for key, value in changes.items():
        label = _LABELS.get(key, key)
        if label is None:
            continue
        if key == "residence_permit":
            value = "有" if value else "无"
        elif key == "disability_level" and value:
            value = f"{'一二三四'[value - 1]}级"
        parts.append(f"{label}“{_json(value)}”")
    return "，".join(parts) or "信息一致，无需更新"


def _undo_flag(*, actor, flag_id: int) -> str:
    """Remove a flag the batch raised if nobody has confirmed it since; otherwise keep it."""
    from audit.services import record
    from care.models import RiskFlag

    flag = RiskFlag.objects.filter(pk=flag_id).select_related("child").first()
    if flag is None:
        return ""
    if flag.approved_by_id is not None or flag.status != RiskFlag.Status.ACTIVE:
        return f"档案 {flag.child.file_no} 的重点关注标记已有人确认或处理，保留"
    record(
        actor=actor,
        action="delete",
        obj=flag,
        summary=f"撤销部门数据产生的待确认重点关注标记：{flag.child.file_no}",
    )
    child_id = flag.child_id
    flag.delete()
    try:
        from care.status import refresh_child
    except ImportError:
        return ""
    refresh_child(child_id)  # the register's derived status follows the removed flag
    return ""


# ---------------------------------------------------------------- many rows at once
#
# A feed links tens of thousands of rows: the effects of a chunk of rows are applied with a
# fixed number of queries — the children read once, their updates through the registry's bulk
# path (registry.bulk.children_update_many, which keeps child_update's rules, audit and
# after-change hooks), the health records, tasks and effect rows written with insert_many.

CHILD_FIELD_EFFECTS = {
    Effect.EDUCATION: ChildEffect.Kind.SCHOOLING,
    Effect.POLICE: ChildEffect.Kind.RESIDENCE,
    Effect.DISABILITY: ChildEffect.Kind.DISABILITY,
}
_SUMMARY_PREFIX = {
    Effect.EDUCATION: "就学信息：",
    Effect.POLICE: "居住证信息：",
    Effect.DISABILITY: "残疾信息：",
}
# Effects that are a finding or a record on the file rather than a change of its fields (those
# are audited by the registry): audited here.
AUDITED_KINDS = (ChildEffect.Kind.HEALTH, ChildEffect.Kind.HARDSHIP, ChildEffect.Kind.DROPOUT)
IN_CHUNK = 500


def _chunks(items: list, size: int = IN_CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def rounds(items: list, key) -> list[list]:
    """``items`` in order, split so that each key appears at most once per round: a child linked
    by two rows of a chunk gets the second row's change after the first's, as row by row."""
    result: list[list] = []
    seen: dict = {}
    for item in items:
        k = key(item)
        n = seen.get(k, 0)
        if n == len(result):
            result.append([])
        result[n].append(item)
        seen[k] = n + 1
    return result


def children_for_update(ids) -> dict[int, Any]:
    """The children of ``ids`` as ``input_from_child`` needs them; the feeds' inputs carry no
    guardians, so an empty prefetch spares reading (and decrypting) the households' guardians."""
    from django.db.models import Prefetch

    from registry.models import Child, Guardian

    found: dict[int, Any] = {}
    for chunk in _chunks(sorted(set(ids))):
        qs = (
            Child.objects.filter(pk__in=chunk)
            .select_related("household")
            .prefetch_related(Prefetch("household__guardians", queryset=Guardian.objects.none()))
        )
        found.update((c.pk, c) for c in qs)
    return found


def _field_changes(effect: str, facts: dict, child, schools: dict) -> dict:
    if effect == Effect.EDUCATION:
        return schooling_changes(facts, schools)
    if effect == Effect.POLICE:
        return residence_changes(facts, child)
    return disability_changes(facts, child)


def _note_failure(row: FeedRow, exc: Exception) -> None:
    row.reason = (row.reason + f"；未能更新档案：{exc}")[:300]


def _update_children(*, actor, batch: FeedBatch, items: list, schools: dict) -> list[ChildEffect]:
    """Education, police, disability: the rows' changes to their children's fields, applied
    through the registry's bulk update; unsaved ChildEffects (with the values before) returned."""
    from registry.bulk import children_update_many
    from registry.services import input_from_child

    effect = batch.source.effect
    kind = CHILD_FIELD_EFFECTS[effect]
    prefix = batch.source.department.name + _SUMMARY_PREFIX[effect]
    made: list[ChildEffect] = []
    for group in rounds(items, key=lambda item: item[0].child_id):
        children = children_for_update(row.child_id for row, _facts in group)
        planned = []
        for row, facts in group:
            child = children.get(row.child_id)
            if child is None:
                continue
            changes = _field_changes(effect, facts, child, schools)
            before = {k: getattr(child, k) for k in changes}
            changes = {k: v for k, v in changes.items() if before[k] != v}
            if changes:
                planned.append((row, child, {k: before[k] for k in changes}, changes))
        if not planned:
            continue
        pairs = [
            (child, replace(input_from_child(child), guardians=[], **ch)) for _r, child, _b, ch in planned
        ]
        results = children_update_many(actor=actor, pairs=pairs, batch=batch.label)
        for (row, child, before, changes), result in zip(planned, results, strict=True):
            if isinstance(result, Exception):
                _note_failure(row, result)
                continue
            made.append(
                ChildEffect(
                    child_id=child.pk, batch=batch, row=row, kind=kind,
                    summary=(prefix + _describe(changes))[:300],
                    before={k: _json(v) for k, v in before.items()},
                    after={k: _json(v) for k, v in changes.items()},
                )
            )  # fmt: skip
    return made


def health_many(*, batch: FeedBatch, items: list) -> list[ChildEffect]:
    """Health: a record on each row's child, and a verification task for a missed vaccination
    (an open one of the child is kept, not duplicated). Unsaved ChildEffects returned, in row order."""
    records = []
    for row, facts in items:
        try:
            managed = parse_date_or_none(facts.get("managed_on"), field="健康管理日期")
        except InvalidDate:
            managed = None
        vaccination = r.text(facts.get("vaccination"))[:100]
        records.append(
            HealthRecord(
                child_id=row.child_id, batch=batch, row=row, vaccination=vaccination,
                vaccination_complete=r.vaccination_complete(vaccination),
                screening=r.text(facts.get("screening"))[:200], managed_on=managed,
                institution=r.text(facts.get("institution"))[:100],
            )
        )  # fmt: skip
    insert_many(records)
    missed = sorted({rec.child_id for rec in records if rec.vaccination_complete is False})
    tasks: dict[int, VerificationTask] = {}
    for chunk in _chunks(missed):
        for task in VerificationTask.objects.filter(
            child_id__in=chunk, kind=VerificationTask.Kind.VACCINATION, status=VerificationTask.Status.OPEN
        ).order_by("child_id", "-created_at", "-id"):
            tasks.setdefault(task.child_id, task)
    new_tasks: list[VerificationTask] = []
    reasons = {}
    for rec in records:
        if rec.vaccination_complete is False and rec.child_id not in tasks:
            reason = f"卫健委健康管理信息显示未按程序完成预防接种（{rec.vaccination}），请提醒监护人补种"
            tasks[rec.child_id] = VerificationTask(
                child_id=rec.child_id,
                batch=batch,
                kind=VerificationTask.Kind.VACCINATION,
                reason=reason[:300],
            )
            new_tasks.append(tasks[rec.child_id])
            reasons[id(tasks[rec.child_id])] = reason
    insert_many(new_tasks)
    fresh = {id(t) for t in new_tasks}
    label = VerificationTask.Kind.VACCINATION.label
    made: list[ChildEffect] = []
    for (row, _facts), rec in zip(items, records, strict=True):
        parts = [f"预防接种：{rec.vaccination or '未填'}"]
        if rec.screening:
            parts.append(f"筛查：{rec.screening}")
        made.append(
            ChildEffect(
                child_id=rec.child_id, batch=batch, row=row, kind=ChildEffect.Kind.HEALTH,
                summary=(f"{batch.source.department.name}健康管理信息：" + "，".join(parts))[:300],
                after={"health_record": rec.pk},
            )
        )  # fmt: skip
        if rec.vaccination_complete is False:
            task = tasks[rec.child_id]
            created = id(task) in fresh
            fresh.discard(id(task))  # a later row of the same child finds the task open
            reason = f"卫健委健康管理信息显示未按程序完成预防接种（{rec.vaccination}），请提醒监护人补种"
            summary = (f"待核实：{label}" if created else f"已有待核实的{label}事项") + f"（{reason[:200]}）"
            made.append(
                ChildEffect(
                    child_id=rec.child_id, batch=batch, row=row, kind=ChildEffect.Kind.HEALTH,
                    summary=summary[:300], after={"task": task.pk, "created": created},
                )
            )  # fmt: skip
    return made


def _hardship_reason(facts: dict) -> str:
    amount = r.parse_amount(facts.get("amount"))
    when = r.text(facts.get("warning_date"))
    reason = "医保局高额医疗费用预警" + (f"：医疗费用 {amount:,.2f} 元" if amount is not None else "")
    if when:
        reason += f"（{when[:10]}）"
    return reason + "，请核查家庭是否生活困难"


def _hardship(*, actor, batch: FeedBatch, items: list) -> list[ChildEffect]:
    """Insurance: a family-hardship flag through the care app's service, row by row (these feeds
    are short lists of high-expense warnings)."""
    from django.db import transaction

    from registry.models import Child
    from registry.services import RegistryError

    children = Child.objects.in_bulk(sorted({row.child_id for row, _f in items}))
    made: list[ChildEffect] = []
    for row, facts in items:
        child = children.get(row.child_id)
        if child is None:
            continue
        try:
            with transaction.atomic():
                made.append(
                    raise_finding(
                        actor=actor, batch=batch, row=row, child=child, kind=VerificationTask.Kind.HARDSHIP,
                        reason=_hardship_reason(facts),
                    )
                )  # fmt: skip
        except (RegistryError, ValueError) as exc:
            _note_failure(row, exc)
    return made


def apply_many(
    *, actor, batch: FeedBatch, items: list[tuple[FeedRow, dict]], entries: list, schools: dict | None = None
) -> None:
    """``apply`` for many linked rows (saved FeedRows with ``child_id``, and their facts).

    Sets each row's ``effect`` (and a note on its ``reason`` when the file could not be
    updated) in memory — the caller saves the rows — and appends the audit entries of the
    findings and records to ``entries``. ``schools`` (name -> id) caches school look-ups."""
    from audit.services import Entry
    from registry.models import Child

    effect = batch.source.effect
    if effect == Effect.NONE or not items:
        return
    if effect in CHILD_FIELD_EFFECTS:
        made = _update_children(
            actor=actor, batch=batch, items=items, schools={} if schools is None else schools
        )
        insert_many(made)
    elif effect == Effect.HEALTH:
        made = health_many(batch=batch, items=items)
        insert_many(made)
    else:
        made = _hardship(actor=actor, batch=batch, items=items)
    by_row: dict[int, list[ChildEffect]] = {}
    for e in made:
        by_row.setdefault(id(e.row), []).append(e)
    audited = sorted({e.child_id for e in made if e.kind in AUDITED_KINDS})
    file_nos: dict[int, str] = {}
    for chunk in _chunks(audited):
        file_nos.update(Child.objects.filter(pk__in=chunk).values_list("pk", "file_no"))
    for row, _facts in items:
        done = by_row.get(id(row))
        if not done:
            continue
        row.effect = {"effects": [e.pk for e in done], "summary": [e.summary for e in done]}
        for e in done:
            if e.kind in AUDITED_KINDS:
                entries.append(
                    Entry(
                        "create", "registry.child", str(e.child_id),
                        f"部门数据处理：档案 {file_nos.get(e.child_id, '')}，{e.get_kind_display()}",
                        {"effect": e.pk},
                    )
                )  # fmt: skip


def undo_many(*, actor, batch: FeedBatch, effects: list[ChildEffect]) -> tuple[int, list[str]]:
    """``undo`` for many effects of a batch, newest first (the registered children excepted: the
    rollback removes them itself). Returns (effects undone, notes on those left as they are)."""
    from registry.bulk import children_update_many
    from registry.services import input_from_child

    now = timezone.now()
    notes: list[str] = []
    undone = 0
    tasks: list[int] = []
    records: list[int] = []
    on_fields: list[ChildEffect] = []
    for effect in effects:
        if effect.kind == ChildEffect.Kind.REGISTERED:
            continue
        if "flag" in effect.after:
            if effect.after.get("created"):
                note = _undo_flag(actor=actor, flag_id=effect.after["flag"])
                if note:
                    notes.append(note)
                    continue
        elif "task" in effect.after:
            if effect.after.get("created"):
                tasks.append(effect.after["task"])
        elif "health_record" in effect.after:
            records.append(effect.after["health_record"])
        else:
            on_fields.append(effect)
            continue
        undone += 1
    for chunk in _chunks(tasks):
        VerificationTask.objects.filter(pk__in=chunk, status=VerificationTask.Status.OPEN).update(
            status=VerificationTask.Status.CANCELLED, closed_at=now, closed_by=actor
        )
    for chunk in _chunks(records):
        HealthRecord.objects.filter(pk__in=chunk).delete()
    for group in rounds(on_fields, key=lambda e: e.child_id):
        children = children_for_update(e.child_id for e in group)
        planned = []
        for effect in group:
            child = children.get(effect.child_id)
            if child is None:
                continue
            current = {k: _json(getattr(child, k)) for k in effect.after}
            if current != effect.after:
                notes.append(f"档案 {child.file_no} 的相关信息在本批之后已被修改，保留现值")
                continue
            before = {k: _from_json(k, v) for k, v in effect.before.items()}
            planned.append((child, replace(input_from_child(child), guardians=[], **before)))
        results = children_update_many(actor=actor, pairs=planned, batch=batch.label)
        for (child, _data), result in zip(planned, results, strict=True):
            if isinstance(result, Exception):
                notes.append(f"档案 {child.file_no} 未能还原（{result}），保留现值")
            else:
                undone += 1
    ids = [e.pk for e in effects if e.kind != ChildEffect.Kind.REGISTERED]
    for chunk in _chunks(ids):
        ChildEffect.objects.filter(pk__in=chunk).update(undone_at=now)
    return undone, notes
