"""What a linked feed row does to the child's file, per source (FeedSource.effect).

Every effect goes through the registry's write services (``child_update``) or writes a
record of this app, and is logged as a ChildEffect with the values before, so that the
batch can be rolled back. Findings a person must verify (a possible drop-out, a family
in hardship, missed vaccinations) become verification tasks for the child's supervisor
and director; see ``raise_finding``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.utils import timezone

from common.dates import InvalidDate, parse_date_or_none
from exchange import rows as r
from exchange.models import ChildEffect, Effect, FeedBatch, FeedRow, HealthRecord, VerificationTask

DATE_FIELDS = {"arrival_date"}


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _from_json(field: str, value: Any) -> Any:
    if field in DATE_FIELDS and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def update_child(
    *, actor, batch: FeedBatch, row: FeedRow | None, child, changes: dict, kind: str, summary: str
):
    """Apply ``changes`` (ChildInput field -> value) through the registry; log the effect.

    Returns the ChildEffect, or None when the file already says so.
    """
    from registry.models import Child
    from registry.services import child_update, input_from_child

    current = Child.objects.select_related("household").get(pk=child.pk)
    before = {k: getattr(current, k) for k in changes}
    changes = {k: v for k, v in changes.items() if before[k] != v}
    if not changes:
        return None
    data = replace(input_from_child(current), guardians=[], **changes)
    child_update(actor=actor, child=current, data=data, batch=batch.label)
    return ChildEffect.objects.create(
        child=current,
        batch=batch,
        row=row,
        kind=kind,
        summary=summary,
        before={k: _json(before[k]) for k in changes},
        after={k: _json(v) for k, v in changes.items()},
    )


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
            evidence=f"{reason}（部门数据 {batch.label}）",
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


def _school(facts: dict) -> dict:
    from schools.models import School

    name = r.text(facts.get("school"))
    if not name:
        return {}
    school = School.objects.filter(name=name).values_list("pk", flat=True).first()
    return {"school_id": school, "school_name": name}


def schooling_changes(facts: dict) -> dict:
    changes = _school(facts)
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


def apply(*, actor, batch: FeedBatch, row: FeedRow, child, facts: dict) -> list[ChildEffect]:
    """The source's effect for a row linked to ``child``."""
    effect = batch.source.effect
    done: list[ChildEffect | None] = []
    source_name = batch.source.department.name
    if effect == Effect.EDUCATION:
        changes = schooling_changes(facts)
        if changes:
            done.append(
                update_child(
                    actor=actor, batch=batch, row=row, child=child, changes=changes,
                    kind=ChildEffect.Kind.SCHOOLING, summary=f"{source_name}就学信息：" + _describe(changes),
                )
            )  # fmt: skip
    elif effect == Effect.POLICE:
        changes = residence_changes(facts, child)
        done.append(
            update_child(
                actor=actor, batch=batch, row=row, child=child, changes=changes,
                kind=ChildEffect.Kind.RESIDENCE, summary=f"{source_name}居住证信息：" + _describe(changes),
            )
        )  # fmt: skip
    elif effect == Effect.HEALTH:
        done.extend(_health(actor=actor, batch=batch, row=row, child=child, facts=facts))
    elif effect == Effect.INSURANCE:
        amount = r.parse_amount(facts.get("amount"))
        when = r.text(facts.get("warning_date"))
        reason = "医保局高额医疗费用预警" + (f"：医疗费用 {amount:,.2f} 元" if amount is not None else "")
        if when:
            reason += f"（{when[:10]}）"
        reason += "，请核查家庭是否生活困难"
        done.append(
            raise_finding(
                actor=actor, batch=batch, row=row, child=child, kind=VerificationTask.Kind.HARDSHIP, reason=reason
            )
        )  # fmt: skip
    elif effect == Effect.DISABILITY:
        changes = disability_changes(facts, child)
        if changes:
            done.append(
                update_child(
                    actor=actor, batch=batch, row=row, child=child, changes=changes,
                    kind=ChildEffect.Kind.DISABILITY, summary=f"{source_name}残疾信息：" + _describe(changes),
                )
            )  # fmt: skip
    return [e for e in done if e is not None]


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


def _health(*, actor, batch, row, child, facts) -> list[ChildEffect]:
    try:
        managed = parse_date_or_none(facts.get("managed_on"), field="健康管理日期")
    except InvalidDate:
        managed = None
    vaccination = r.text(facts.get("vaccination"))[:100]
    complete = r.vaccination_complete(vaccination)
    record = HealthRecord.objects.create(
        child=child,
        batch=batch,
        row=row,
        vaccination=vaccination,
        vaccination_complete=complete,
        screening=r.text(facts.get("screening"))[:200],
        managed_on=managed,
        institution=r.text(facts.get("institution"))[:100],
    )
    parts = [f"预防接种：{vaccination or '未填'}"]
    if record.screening:
        parts.append(f"筛查：{record.screening}")
    effects = [
        ChildEffect.objects.create(
            child=child,
            batch=batch,
            row=row,
            kind=ChildEffect.Kind.HEALTH,
            summary=f"{batch.source.department.name}健康管理信息：" + "，".join(parts),
            after={"health_record": record.pk},
        )
    ]
    if complete is False:
        effects.append(
            raise_finding(
                actor=actor, batch=batch, row=row, child=child, kind=VerificationTask.Kind.VACCINATION,
                reason=f"卫健委健康管理信息显示未按程序完成预防接种（{vaccination}），请提醒监护人补种",
            )
        )  # fmt: skip
    return effects


def undo(*, actor, effect: ChildEffect) -> str:
    """Reverse one effect; returns "" when done, or why it was left as it is."""
    from registry.models import Child

    now = timezone.now()
    if "flag" in effect.after:
        if effect.after.get("created"):
            note = _undo_flag(actor=actor, flag_id=effect.after["flag"])
            if note:
                ChildEffect.objects.filter(pk=effect.pk).update(undone_at=now)
                return note
    elif "task" in effect.after:
        if effect.after.get("created"):
            VerificationTask.objects.filter(
                pk=effect.after["task"], status=VerificationTask.Status.OPEN
            ).update(status=VerificationTask.Status.CANCELLED, closed_at=now, closed_by=actor)
    elif "health_record" in effect.after:
        HealthRecord.objects.filter(pk=effect.after["health_record"]).delete()
    elif effect.kind == ChildEffect.Kind.REGISTERED:
        return ""  # handled by the rollback itself (the child is removed when untouched)
    else:
        child = Child.objects.get(pk=effect.child_id)
        current = {k: _json(getattr(child, k)) for k in effect.after}
        if current != effect.after:
            ChildEffect.objects.filter(pk=effect.pk).update(undone_at=now)
            return f"档案 {child.file_no} 的相关信息在本批之后已被修改，保留现值"
        before = {k: _from_json(k, v) for k, v in effect.before.items()}
        from registry.services import child_update, input_from_child

        data = replace(input_from_child(child), guardians=[], **before)
        child_update(actor=actor, child=child, data=data, batch=effect.batch.label)
    ChildEffect.objects.filter(pk=effect.pk).update(undone_at=now)
    return ""


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
