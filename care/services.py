"""Writes of key attention and visits. Every function: keyword-only, one transaction, the
acting user required (None only for the public help request and the system's daily task),
the audit row written in the same transaction. Audit summaries name file numbers, never
names, ID or phone numbers."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from access.policy import can
from audit.services import Entry, diff, record, record_many
from care import scoring
from care.models import (
    Assessment,
    AssessmentForm,
    CadenceRule,
    EscalationStep,
    EscalationStepType,
    ExitRequest,
    FlagSource,
    FollowUp,
    HelpRequest,
    Notification,
    RiskCategory,
    RiskFlag,
    Visit,
    VisitChecklist,
    VisitKind,
    VisitOutcome,
    counts_toward_cadence,
)
from care.status import refresh_child
from common.uploads import UploadRejected, check_upload
from registry.choices import Health
from registry.models import Child

DISABILITY = "disability"
HELP_REQUEST = "help_request"


class CareError(ValueError):
    """A rule of the care work was not met; the message is Chinese and says what to do."""


class VisitConflict(CareError):
    """Someone else saved the visit record first; ``current`` is their version."""

    def __init__(self, current: Visit):
        super().__init__(
            "保存失败：在您编辑期间，该记录已被他人修改（当前为第"
            f"{current.version}版）。您填写的内容仍保留在下方，请对照最新内容后再次保存。"
        )
        self.current = current


def _today() -> dt.date:
    return timezone.localdate()


# ---------------------------------------------------------------- flags


def _category(code_or_obj) -> RiskCategory:
    if isinstance(code_or_obj, RiskCategory):
        return code_or_obj
    return RiskCategory.objects.get(code=code_or_obj)


@transaction.atomic
def flag_raise(
    *,
    actor,
    child: Child,
    category: RiskCategory | str,
    source: str,
    raised_on: dt.date | None = None,
    evidence: str = "",
    assessment: Assessment | None = None,
    visit: Visit | None = None,
    help_request: HelpRequest | None = None,
) -> RiskFlag:
    """Put the child on the key-attention register for a category (an active flag of the
    same category is kept, not duplicated). A supervisor's own entries count as approved."""
    category = _category(category)
    raised_on = raised_on or _today()
    if raised_on > _today():
        raise CareError("发现日期不能晚于今天")
    if child.closed_at is not None:
        raise CareError("该儿童档案已关闭，不能列入重点关注")
    existing = RiskFlag.objects.filter(child=child, category=category, status=RiskFlag.Status.ACTIVE).first()
    if existing is not None:
        return existing
    approved = actor is not None and can(actor, "care.approve", child)
    flag = RiskFlag.objects.create(
        child=child,
        category=category,
        source=source,
        raised_on=raised_on,
        evidence=evidence,
        raised_by=actor,
        approved_by=actor if approved else None,
        approved_on=_today() if approved else None,
        assessment=assessment,
        visit=visit,
        help_request=help_request,
    )
    record(
        actor=actor,
        action="create",
        obj=flag,
        summary=f"列入重点关注：{child.file_no}，类别 {category.name}，来源 {flag.get_source_display()}",
        changes={"category": category.code, "source": source, "raised_on": raised_on.isoformat()},
    )
    refresh_child(child.pk)
    return flag


@transaction.atomic
def flag_approve(*, actor, flag: RiskFlag) -> RiskFlag:
    if not can(actor, "care.approve", flag.child):
        raise PermissionDenied("只有本乡镇（街道）儿童督导员或市级管理员可以确认")
    if flag.approved_by_id:
        return flag
    flag.approved_by = actor
    flag.approved_on = _today()
    flag.save(update_fields=["approved_by", "approved_on"])
    record(
        actor=actor,
        action="approve",
        obj=flag,
        summary=f"确认列入重点关注：{flag.child.file_no}，类别 {flag.category.name}",
    )
    return flag


def flags_sync_from_child(*, child: Child, actor) -> RiskFlag | None:
    """Raise 自身残疾 when the child's data says disabled (health 残疾 or a disability category).

    Not raised again if a flag of the category already exists that was created after the
    child's data last changed (a flag closed with approval stays closed until the data changes).
    """
    if child.closed_at is not None or not (child.health == Health.DISABLED or child.disability_category):
        return None
    category = _category(DISABILITY)
    seen = RiskFlag.objects.filter(child=child, category=category).filter(
        Q(status=RiskFlag.Status.ACTIVE) | Q(created_at__gte=child.updated_at)
    )
    if seen.exists():
        return None
    evidence = "档案健康状况：残疾" + (
        f"（{child.disability_category}）" if child.disability_category else ""
    )
    return flag_raise(
        actor=actor,
        child=child,
        category=category,
        source=FlagSource.DATA,
        evidence=evidence,
        raised_on=_today(),
    )


@transaction.atomic
def flags_sync_all(
    *, on: dt.date, chunk: int = 5000, child_ids: list[int] | None = None, actor=None, flagged=None
) -> int:
    """The bulk form of ``flags_sync_from_child`` for the daily task (or for ``child_ids``
    only: a bulk import): one query finds the children to flag, inserts go in batches, one
    audit row per batch. The ids of the flagged children are appended to ``flagged``."""
    category = _category(DISABILITY)
    already = RiskFlag.objects.filter(child=OuterRef("pk"), category=category).filter(
        Q(status=RiskFlag.Status.ACTIVE) | Q(created_at__gte=OuterRef("updated_at"))
    )
    children = Child.objects.filter(closed_at__isnull=True)
    if child_ids is not None:
        children = children.filter(pk__in=child_ids)
    candidates = (
        children.filter(Q(health=Health.DISABLED) | ~Q(disability_category=""))
        .filter(~Exists(already))
        .values_list("pk", "file_no", "disability_category")
    )
    total = 0
    batch: list[RiskFlag] = []
    file_nos: list[str] = []
    batch_id = f"care-sync-{on.isoformat()}-{uuid.uuid4().hex[:8]}"

    def flush():
        nonlocal total
        RiskFlag.objects.bulk_create(batch, batch_size=1000)
        if flagged is not None:
            flagged.extend(flag.child_id for flag in batch)
        record(
            actor=actor,
            action="create",
            object_type="care.riskflag",
            summary=f"按档案数据自动列入重点关注（自身残疾）：{len(batch)} 名儿童",
            changes={"file_nos": file_nos[:1000]},
            batch=batch_id,
        )
        total += len(batch)
        batch.clear()
        file_nos.clear()

    for pk, file_no, disability_category in candidates.iterator(chunk_size=chunk):
        batch.append(
            RiskFlag(
                child_id=pk,
                category=category,
                source=FlagSource.DATA,
                raised_on=on,
                evidence="档案健康状况：残疾" + (f"（{disability_category}）" if disability_category else ""),
            )
        )
        file_nos.append(file_no)
        if len(batch) >= chunk:
            flush()
    if batch:
        flush()
    return total


@dataclass
class CloseResult:
    flag: RiskFlag
    exit_request: ExitRequest | None  # set when the last flag needs the supervisor's approval


@transaction.atomic
def flag_close(*, actor, flag: RiskFlag, reason: str, on: dt.date | None = None) -> CloseResult:
    """Close a flag. The child's last active flag is not closed here: an exit request goes
    to the township supervisor, who approves or rejects it (``exit_decide``)."""
    reason = (reason or "").strip()
    if not reason:
        raise CareError("请填写解除原因")
    if flag.status != RiskFlag.Status.ACTIVE:
        raise CareError("该风险标记已解除")
    others = (
        RiskFlag.objects.select_for_update()
        .filter(child_id=flag.child_id, status=RiskFlag.Status.ACTIVE)
        .exclude(pk=flag.pk)
        .exists()
    )
    if not others:
        if ExitRequest.objects.filter(flag=flag, status=ExitRequest.Status.PENDING).exists():
            raise CareError("已提交退出重点关注申请，请等待督导员审批")
        request = ExitRequest.objects.create(
            flag=flag, child_id=flag.child_id, reason=reason, requested_by=actor
        )
        record(
            actor=actor,
            action="create",
            obj=request,
            summary=f"申请退出重点关注：{flag.child.file_no}（最后一项：{flag.category.name}）",
            changes={"reason": reason},
        )
        return CloseResult(flag, request)
    _close(flag, actor=actor, reason=reason, on=on or _today())
    record(
        actor=actor,
        action="update",
        obj=flag,
        summary=f"解除风险标记：{flag.child.file_no}，类别 {flag.category.name}",
        changes={"status": ["active", "closed"], "close_reason": reason},
    )
    refresh_child(flag.child_id)
    return CloseResult(flag, None)


def _close(flag: RiskFlag, *, actor, reason: str, on: dt.date) -> None:
    flag.status = RiskFlag.Status.CLOSED
    flag.closed_on = on
    flag.close_reason = reason
    flag.closed_by = actor
    flag.save(update_fields=["status", "closed_on", "close_reason", "closed_by"])


@transaction.atomic
def exit_decide(*, actor, exit_request: ExitRequest, approve: bool, note: str = "") -> ExitRequest:
    """The supervisor (or the city) decides an exit request; approval closes the last flag."""
    if not can(actor, "care.approve", exit_request.child):
        raise PermissionDenied("只有本乡镇（街道）儿童督导员或市级管理员可以审批")
    request = ExitRequest.objects.select_for_update().get(pk=exit_request.pk)
    if request.status != ExitRequest.Status.PENDING:
        raise CareError("该申请已审批")
    note = (note or "").strip()
    if not approve and not note:
        raise CareError("驳回时请填写审批意见")
    request.status = ExitRequest.Status.APPROVED if approve else ExitRequest.Status.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    flag = request.flag
    if approve and flag.status == RiskFlag.Status.ACTIVE:
        _close(flag, actor=actor, reason=request.reason, on=_today())
    record(
        actor=actor,
        action="approve",
        obj=request,
        summary=f"{'同意' if approve else '驳回'}退出重点关注：{request.child.file_no}",
        changes={"status": request.status, "note": note},
    )
    refresh_child(request.child_id)
    return request


# ---------------------------------------------------------------- visits


def checklist_in_force(on: dt.date) -> VisitChecklist | None:
    return VisitChecklist.objects.in_force(on).order_by("-version").first()


def _clean_checklist(definition: VisitChecklist | None, answers: dict) -> dict:
    if definition is None:
        return {}
    clean = {}
    for item in definition.items:
        value = (answers or {}).get(item["code"], "")
        value = str(value).strip()[:300]
        if item.get("type") == "choice" and value and value not in item["options"]:
            raise CareError(f"“{item['label']}”的选项无效")
        if value:
            clean[item["code"]] = value
    return clean


def _check_outcome(outcome: str) -> None:
    if outcome not in VisitOutcome.values:
        raise CareError("请选择结果：已见到（已联系上），或未见到（未联系上）")


def visit_counts(visit: Visit) -> bool:
    """Whether the stored record counts toward the cadence (asked of the one definition)."""
    return Visit.objects.filter(counts_toward_cadence(), pk=visit.pk).exists()


def _check_visit_date(child: Child, visited_on: dt.date) -> None:
    if visited_on > _today():
        raise CareError("走访日期不能晚于今天")
    if visited_on < child.birth_date:
        raise CareError("走访日期早于儿童出生日期，请核对")


@transaction.atomic
def visit_create(
    *,
    actor,
    child: Child,
    kind: str,
    visited_on: dt.date,
    outcome: str,
    participants: str = "",
    checklist: dict | None = None,
    notes: str = "",
    flags: list[tuple[RiskCategory | str, str]] | None = None,
    follow_ups: list[tuple[str, dt.date]] | None = None,
) -> Visit:
    """Record a visit or contact; new risk flags (source visit) and follow-up actions with it.
    Whether it counts toward the cadence is ``care.models.counts_toward_cadence``'s to say."""
    if kind not in VisitKind.values:
        raise CareError("请选择走访联系方式")
    _check_outcome(outcome)
    _check_visit_date(child, visited_on)
    definition = checklist_in_force(visited_on)
    visit = Visit.objects.create(
        child=child,
        kind=kind,
        visited_on=visited_on,
        outcome=outcome,
        participants=participants.strip(),
        checklist_version=definition,
        checklist=_clean_checklist(definition, checklist or {}),
        notes=notes.strip(),
        recorded_by=actor,
    )
    for action, due_on in follow_ups or []:
        if due_on < visited_on:
            raise CareError("跟进事项的完成期限不能早于走访日期")
        FollowUp.objects.create(visit=visit, child=child, action=action.strip()[:200], due_on=due_on)
    record(
        actor=actor,
        action="create",
        obj=visit,
        summary=f"记录{kind}：{child.file_no}，{visited_on.isoformat()}",
        changes={
            "kind": kind,
            "visited_on": visited_on.isoformat(),
            "outcome": outcome,
            "follow_ups": len(follow_ups or []),
        },
    )
    for category, evidence in flags or []:
        flag_raise(
            actor=actor,
            child=child,
            category=category,
            source=FlagSource.VISIT,
            raised_on=visited_on,
            evidence=evidence,
            visit=visit,
        )
    refresh_child(child.pk)
    return visit


def _visit_state(visit: Visit) -> dict:
    return {
        "kind": visit.kind,
        "visited_on": visit.visited_on.isoformat(),
        "outcome": visit.outcome,
        "participants": visit.participants,
        "checklist": visit.checklist,
        "notes": visit.notes,
    }


@transaction.atomic
def visit_update(
    *,
    actor,
    visit: Visit,
    expected_version: int,
    kind: str,
    visited_on: dt.date,
    outcome: str,
    participants: str = "",
    checklist: dict | None = None,
    notes: str = "",
) -> Visit:
    """Edit a visit record. Optimistic locking: the UPDATE only applies when the stored
    version is still the one the editor loaded; otherwise VisitConflict carries the
    stored version so that the page can show both."""
    if kind not in VisitKind.values:
        raise CareError("请选择走访联系方式")
    _check_outcome(outcome)
    _check_visit_date(visit.child, visited_on)
    current = Visit.objects.get(pk=visit.pk)
    before = _visit_state(current)
    clean = _clean_checklist(current.checklist_version, checklist or {})
    updated = Visit.objects.filter(pk=visit.pk, version=expected_version).update(
        kind=kind,
        visited_on=visited_on,
        outcome=outcome,
        participants=participants.strip(),
        checklist=clean,
        notes=notes.strip(),
        version=expected_version + 1,
        updated_at=timezone.now(),
    )
    if not updated:
        raise VisitConflict(current)
    fresh = Visit.objects.get(pk=visit.pk)
    changes = diff(before, _visit_state(fresh))
    record(
        actor=actor,
        action="update",
        obj=fresh,
        summary=f"修改走访记录：{fresh.child.file_no}，第{fresh.version}版",
        changes=changes,
    )
    refresh_child(fresh.child_id)
    return fresh


@transaction.atomic
def follow_up_done(*, actor, follow_up: FollowUp, on: dt.date | None = None) -> FollowUp:
    if follow_up.done_on:
        return follow_up
    follow_up.done_on = on or _today()
    follow_up.done_by = actor
    follow_up.save(update_fields=["done_on", "done_by"])
    record(
        actor=actor,
        action="update",
        obj=follow_up,
        summary=f"跟进事项已完成：{follow_up.child.file_no}",
    )
    return follow_up


# ---------------------------------------------------------------- assessments


@transaction.atomic
def assessment_record(
    *,
    actor,
    child: Child,
    form: AssessmentForm,
    answers: dict[str, int],
    assessed_on: dt.date,
    notes: str = "",
) -> Assessment:
    """Score an assessment with its form; a band that raises categories flags the child."""
    if assessed_on > _today():
        raise CareError("评估日期不能晚于今天")
    try:
        result = scoring.score(form.items, form.bands, answers)
    except scoring.ScoringError as exc:
        raise CareError(str(exc)) from None
    assessment = Assessment.objects.create(
        child=child,
        form=form,
        assessed_on=assessed_on,
        answers={k: int(v) for k, v in answers.items()},
        score=result.score,
        level=result.level,
        notes=notes.strip(),
        assessed_by=actor,
    )
    record(
        actor=actor,
        action="create",
        obj=assessment,
        summary=f"{form.name}：{child.file_no}，得分 {result.score}，{result.level}",
        changes={"form": f"{form.code}@{form.version}", "score": result.score, "level": result.level},
    )
    for code in result.raises:
        flag_raise(
            actor=actor,
            child=child,
            category=code,
            source=FlagSource.ASSESSMENT,
            raised_on=assessed_on,
            evidence=f"{form.name}结果：{result.level}（{result.score}分）",
            assessment=assessment,
        )
    return assessment


# ---------------------------------------------------------------- escalation

# An intervention's document: a scanned or written notice (common/uploads.py checks the content).
ESCALATION_DOCUMENTS = ("pdf", "jpg", "jpeg", "png", "docx", "doc")


@transaction.atomic
def escalation_record(
    *,
    actor,
    child: Child,
    step_type: EscalationStepType,
    taken_on: dt.date,
    acting_body: str = "",
    notes: str = "",
    document=None,
) -> EscalationStep:
    if taken_on > _today():
        raise CareError("日期不能晚于今天")
    step = EscalationStep(
        child=child,
        step_type=step_type,
        acting_body=(acting_body or step_type.acting_body).strip()[:100],
        taken_on=taken_on,
        notes=notes.strip(),
        recorded_by=actor,
    )
    if document is not None:
        try:
            kind = check_upload(document, allowed=ESCALATION_DOCUMENTS)
        except UploadRejected as exc:
            raise CareError(f"文书：{exc.message}") from exc
        step.document_name = (document.name or "文书")[:200]
        step.stored_name = f"{uuid.uuid4().hex}.{kind.ext}"
        step.document.save(step.stored_name, document, save=False)
    step.save()
    record(
        actor=actor,
        action="create",
        obj=step,
        summary=f"监护干预：{child.file_no}，{step_type.name}（{taken_on.isoformat()}）",
        changes={"step": step_type.code, "acting_body": step.acting_body, "document": bool(step.stored_name)},
    )
    return step


# ---------------------------------------------------------------- help requests

REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _reference(on: dt.date) -> str:
    return f"QZ{on:%Y%m%d}{''.join(secrets.choice(REFERENCE_ALPHABET) for _ in range(5))}"


def help_request_submit(
    *,
    who: str,
    township,
    description: str,
    contact_phone: str = "",
    contact_name: str = "",
    channel: str = HelpRequest.Channel.WEB,
) -> HelpRequest:
    """A public help request (no account: the actor is nobody). Returns the request with its
    reference number; the audit row names only the reference and the township."""
    if who not in HelpRequest.Who.values:
        raise CareError("请选择求助人")
    if township is None or township.level != "township":
        raise CareError("请选择所在乡镇（街道）")
    description = (description or "").strip()
    if len(description) < 5:
        raise CareError("请简要说明遇到的困难（至少5个字）")
    for _attempt in range(5):
        try:
            with transaction.atomic():
                request = HelpRequest.objects.create(
                    reference=_reference(_today()),
                    who=who,
                    township=township,
                    description=description[:2000],
                    contact_phone=contact_phone.strip(),
                    contact_name=contact_name.strip()[:50],
                    channel=channel,
                )
                record(
                    actor=None,
                    action="create",
                    obj=request,
                    summary=f"收到主动求助：{request.reference}（{township.name}，{request.get_channel_display()}）",
                )
                return request
        except IntegrityError:
            continue
    raise CareError("系统繁忙，请稍后再试")


@transaction.atomic
def help_request_link(*, actor, help_request: HelpRequest, child: Child) -> RiskFlag:
    """The supervisor links a help request to a child: the child is flagged 主动求助."""
    if not can(actor, "care.intake", child):
        raise PermissionDenied("您无权处理该儿童")
    request = HelpRequest.objects.select_for_update().get(pk=help_request.pk)
    if request.status != HelpRequest.Status.NEW:
        raise CareError("该求助已处理")
    request.status = HelpRequest.Status.LINKED
    request.child = child
    request.handled_by = actor
    request.handled_at = timezone.now()
    request.save(update_fields=["status", "child", "handled_by", "handled_at"])
    record(
        actor=actor,
        action="update",
        obj=request,
        summary=f"求助 {request.reference} 关联儿童档案 {child.file_no}",
    )
    return flag_raise(
        actor=actor,
        child=child,
        category=HELP_REQUEST,
        source=FlagSource.HELP_REQUEST,
        raised_on=timezone.localdate(request.created_at),
        evidence=f"主动求助（受理编号 {request.reference}）",
        help_request=request,
    )


@transaction.atomic
def help_request_reveal(*, actor, help_request: HelpRequest) -> dict:
    """The full contact phone and description of a help request (shown masked elsewhere), for
    the staff who handle it; audited like every reveal."""
    if not can_handle_help_request(actor, help_request):
        raise PermissionDenied("您无权查看该求助的完整信息")
    record(
        actor=actor,
        action="reveal",
        obj=help_request,
        summary=f"查看求助 {help_request.reference} 的完整联系电话和内容",
    )
    return {"contact_phone": help_request.contact_phone, "description": help_request.description}


def can_handle_help_request(actor, help_request: HelpRequest) -> bool:
    from care.selectors import help_requests_visible

    return help_requests_visible(actor).filter(pk=help_request.pk).exists()


@transaction.atomic
def help_request_close(*, actor, help_request: HelpRequest, note: str) -> HelpRequest:
    note = (note or "").strip()
    if not note:
        raise CareError("请填写办结说明")
    if help_request.status == HelpRequest.Status.CLOSED:
        raise CareError("该求助已办结")
    help_request.status = HelpRequest.Status.CLOSED
    help_request.handled_by = actor
    help_request.handled_at = timezone.now()
    help_request.handling_note = note[:300]
    help_request.save(update_fields=["status", "handled_by", "handled_at", "handling_note"])
    record(actor=actor, action="update", obj=help_request, summary=f"求助 {help_request.reference} 办结")
    return help_request


# ---------------------------------------------------------------- notifications


@transaction.atomic
def notifications_mark_read(*, actor, ids: list[int] | None = None) -> int:
    """Mark the actor's notifications read (all unread ones when ``ids`` is None)."""
    qs = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def record_system(*, summary: str, changes: dict | None = None) -> None:
    record_many(actor=None, entries=[Entry("system", "care", "daily", summary, changes or {})])


# ---------------------------------------------------------------- policy changes


@transaction.atomic
def cadence_change(
    *,
    actor,
    code: str,
    interval_months: int,
    effective_from: dt.date,
    contact_types: list[str] | None = None,
    name: str = "",
) -> CadenceRule:
    """The city changes a cadence from a date: the rule in force ends the day before
    ``effective_from`` (its ``effective_to`` is that day) and a new row starts. History is
    kept, so due dates before the change stay as they were (care.cadence.next_due)."""
    if interval_months < 1 or interval_months > 24:
        raise CareError("间隔应为1至24个月")
    current = CadenceRule.objects.filter(code=code).order_by("-effective_from").first()
    if current is None:
        raise CareError("没有这条频次规则")
    if effective_from <= current.effective_from:
        raise CareError(f"生效日期应晚于现行规则的生效日期（{current.effective_from}）")
    types = contact_types if contact_types is not None else current.contact_types
    if not types or any(t not in VisitKind.values for t in types):
        raise CareError("请选择计入的走访联系方式")
    before = {"interval_months": current.interval_months, "contact_types": current.contact_types}
    CadenceRule.objects.filter(pk=current.pk).update(effective_to=effective_from)
    rule = CadenceRule.objects.create(
        code=code,
        name=name or current.name,
        applies_to=current.applies_to,
        interval_months=interval_months,
        contact_types=types,
        effective_from=effective_from,
    )
    record(
        actor=actor,
        action="update",
        obj=rule,
        summary=f"调整频次规则 {code}：每{interval_months}个月，{effective_from.isoformat()} 起执行",
        changes=diff(before, {"interval_months": interval_months, "contact_types": types}),
    )
    return rule
