"""Writes of the schools app: calendars, activities and their attachments, psychological
assessments, and the audited reads and exports. Keyword-only, one transaction each, the
audit row in the same transaction. Summaries carry file numbers, never names."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from access.policy import can_view_psych, children_visible, scope_of, unit_in_scope
from audit.services import diff, record
from common.uploads import DOCUMENTS, OFFICE_LEGACY, UploadRejected, check_upload
from registry.choices import MigrantStatus
from schools import obligations as rules
from schools.models import (
    Activity,
    ActivityAttachment,
    Participation,
    PsychAssessment,
    School,
    SchoolYear,
)
from schools.selectors import can_set_calendar

CALENDAR_FIELDS = [
    "semester1_start",
    "semester1_end",
    "winter_start",
    "winter_end",
    "semester2_start",
    "semester2_end",
    "summer_start",
    "summer_end",
]
PSYCH_FLAG_CATEGORY = "psych_behaviour"  # 心理和行为异常 in the care register

# Attachments: a photo of a sign-in sheet, a report (common/uploads.py checks the first bytes).
ATTACHMENT_TYPES = (*DOCUMENTS, *OFFICE_LEGACY)
MAX_ATTACHMENTS = 5


class SchoolsError(ValueError):
    """A write refused for a reason the user can fix; ``field`` names the form field."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def _today() -> dt.date:
    return timezone.localdate()


# ---------------------------------------------------------------- calendar


@transaction.atomic
def calendar_save(
    *,
    actor,
    name: str,
    dates: dict[str, dt.date],
    school: School | None = None,
    instance: SchoolYear | None = None,
) -> SchoolYear:
    """Create or change a school year's calendar (the city's, or one school's own)."""
    if not can_set_calendar(actor):
        raise PermissionDenied("只有教育局或市级管理员可以设置校历")
    calendar = instance or SchoolYear()
    before = {f: str(getattr(calendar, f)) for f in ["name", *CALENDAR_FIELDS]} if instance else {}
    calendar.name = name.strip()
    calendar.school = school
    for field in CALENDAR_FIELDS:
        setattr(calendar, field, dates[field])
    errors = rules.calendar_errors(calendar)
    if errors:
        raise SchoolsError("；".join(errors))
    clash = SchoolYear.objects.filter(name=calendar.name, school=school).exclude(pk=calendar.pk)
    if clash.exists():
        raise SchoolsError(
            f"{calendar.name}学年的{'该校' if school else '全市'}校历已存在，请修改原校历", field="name"
        )
    calendar.set_by = actor
    calendar.save()
    after = {f: str(getattr(calendar, f)) for f in ["name", *CALENDAR_FIELDS]}
    record(
        actor=actor,
        action="update" if instance else "create",
        obj=calendar,
        summary=f"{'修改' if instance else '设置'}校历：{calendar}",
        changes=diff(before, after) if instance else after,
    )
    return calendar


# ---------------------------------------------------------------- activities


def schools_editable(user):
    """Schools whose activities the user may record: staff their own, a supervisor the township's."""
    scope = scope_of(user)
    if "schools.edit" not in scope.capabilities:
        return School.objects.none()
    if scope.city:
        return School.objects.all()
    from django.db.models import Q

    return School.objects.filter(Q(pk__in=scope.school_ids) | Q(township_id__in=scope.township_ids))


def pupils_of(user, school: School):
    """The open files of a school's migrant pupils the user may see (registry scope)."""
    return children_visible(user, include_closed=False).filter(
        school=school, migrant_status=MigrantStatus.MIGRANT
    )


def _check_organiser(actor, *, organiser_kind: str, school: School | None, unit) -> None:
    if organiser_kind == Activity.OrganiserKind.SCHOOL:
        if school is None:
            raise SchoolsError("学校组织的活动请选择学校", field="school")
        if not schools_editable(actor).filter(pk=school.pk).exists():
            raise SchoolsError("您不能为该学校登记活动", field="school")
        return
    if unit is None:
        raise SchoolsError("请选择活动所在的乡镇或村（社区）", field="unit")
    if not unit_in_scope(actor, unit):
        raise SchoolsError("该乡镇或村（社区）不在您的辖区内", field="unit")


@transaction.atomic
def activity_record(
    *,
    actor,
    type: str,  # noqa: A002 - the field's name
    title: str,
    date: dt.date,
    organiser_kind: str,
    organiser_name: str,
    school: School | None = None,
    unit=None,
    department=None,
    place: str = "",
    notes: str = "",
    other_participants: int = 0,
    children=(),
    uploads=(),
) -> Activity:
    """Record an activity, the registered children who took part (chosen from the actor's scope)
    and its attachments — all saved, or none."""
    if date > _today():
        raise SchoolsError("活动日期不能晚于今天", field="date")
    _check_organiser(actor, organiser_kind=organiser_kind, school=school, unit=unit)
    children = list(children)
    visible = set(
        children_visible(actor).filter(pk__in=[c.pk for c in children]).values_list("pk", flat=True)
    )
    if any(c.pk not in visible for c in children):
        raise SchoolsError("参加儿童中有不在您查看范围内的档案", field="children")
    if type == "home_visit" and not children:
        raise SchoolsError("家访请填写被走访儿童的档案编号", field="children")
    if organiser_kind == Activity.OrganiserKind.SCHOOL:
        unit = school.township  # a school's activity belongs to the school's township
    activity = Activity.objects.create(
        type=type,
        title=title.strip(),
        date=date,
        organiser_kind=organiser_kind,
        organiser_name=organiser_name.strip(),
        school=school if organiser_kind == Activity.OrganiserKind.SCHOOL else None,
        unit=unit,
        department=department,
        place=place.strip(),
        notes=notes.strip(),
        other_participants=other_participants,
        created_by=actor,
    )
    Participation.objects.bulk_create([Participation(activity=activity, child=c) for c in children])
    record(
        actor=actor,
        action="create",
        obj=activity,
        summary=f"登记活动：{activity.get_type_display()}，{date}，{len(children)} 名儿童参加",
        changes={"type": type, "date": date.isoformat(), "children": sorted(c.file_no for c in children)},
    )
    if uploads:
        attachments_add(actor=actor, activity=activity, uploads=uploads)
    return activity


@transaction.atomic
def activity_add_children(*, actor, activity: Activity, children) -> int:
    """Add participants to an existing activity (those already listed are skipped)."""
    children = list(children)
    visible = set(
        children_visible(actor).filter(pk__in=[c.pk for c in children]).values_list("pk", flat=True)
    )
    if any(c.pk not in visible for c in children):
        raise SchoolsError("参加儿童中有不在您查看范围内的档案", field="children")
    existing = set(activity.participations.values_list("child_id", flat=True))
    new = [c for c in children if c.pk not in existing]
    Participation.objects.bulk_create([Participation(activity=activity, child=c) for c in new])
    if new:
        record(
            actor=actor,
            action="update",
            obj=activity,
            summary=f"活动增加参加儿童 {len(new)} 名",
            changes={"children_added": sorted(c.file_no for c in new)},
        )
    return len(new)


def _check_upload(upload) -> str:
    try:
        return check_upload(upload, allowed=ATTACHMENT_TYPES).content_type
    except UploadRejected as exc:
        raise SchoolsError(exc.message, field="files") from exc


@transaction.atomic
def attachments_add(*, actor, activity: Activity, uploads) -> list[ActivityAttachment]:
    uploads = list(uploads)
    if activity.attachments.count() + len(uploads) > MAX_ATTACHMENTS:
        raise SchoolsError(f"每项活动最多上传 {MAX_ATTACHMENTS} 个附件", field="files")
    checked = [(upload, _check_upload(upload)) for upload in uploads]  # refuse before writing any file
    saved = []
    for upload, content_type in checked:
        attachment = ActivityAttachment(
            activity=activity,
            original_name=Path(upload.name).name[:200],
            stored_name=f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}",
            content_type=content_type,
            size=upload.size,
            uploaded_by=actor,
        )
        attachment.file.save(attachment.stored_name, upload, save=False)
        attachment.save()
        saved.append(attachment)
        record(
            actor=actor,
            action="create",
            obj=attachment,
            summary=f"上传活动附件（活动 {activity.pk}，{upload.size} 字节）",
        )
    return saved


def attachment_read(*, actor, attachment: ActivityAttachment) -> None:
    record(
        actor=actor, action="read", obj=attachment, summary=f"下载活动附件（活动 {attachment.activity_id}）"
    )


# ---------------------------------------------------------------- psychological file


@dataclass
class PsychOutcome:
    assessment: PsychAssessment
    flag: object | None  # care.RiskFlag when an abnormal result raised one
    flag_unavailable: bool = False  # abnormal, but the care register is not installed


@transaction.atomic
def psych_record(
    *,
    actor,
    child,
    date: dt.date,
    instrument: str,
    result: str,
    score=None,
    notes: str = "",
    school: School | None = None,
) -> PsychOutcome:
    """Add an assessment to the psychological file. An abnormal result puts the child on the
    key-attention register (心理和行为异常) in the same transaction."""
    if not can_view_psych(actor, child):
        raise PermissionDenied("您无权填写该儿童的心理健康档案")
    if child.closed_at is not None:
        raise SchoolsError("该儿童档案已关闭，不能再填写心理健康测评")
    if date > _today():
        raise SchoolsError("测评日期不能晚于今天", field="date")
    if result not in PsychAssessment.Result.values:
        raise SchoolsError("请选择测评结果", field="result")
    assessment = PsychAssessment.objects.create(
        child=child,
        school=school or child.school,
        date=date,
        instrument=instrument.strip(),
        score=score,
        result=result,
        notes=notes.strip(),
        assessed_by=actor,
    )
    record(
        actor=actor,
        action="create",
        obj=assessment,
        summary=f"填写心理健康测评：{child.file_no}，{date}",
    )
    flag, unavailable = None, False
    if result == PsychAssessment.Result.ABNORMAL:
        flag, unavailable = _raise_psych_flag(actor=actor, child=child, assessment=assessment)
    return PsychOutcome(assessment=assessment, flag=flag, flag_unavailable=unavailable)


def _raise_psych_flag(*, actor, child, assessment: PsychAssessment):
    try:
        from care.services import flag_raise
    except ImportError:
        return None, True
    flag = flag_raise(
        actor=actor,
        child=child,
        category=PSYCH_FLAG_CATEGORY,
        source="assessment",
        raised_on=assessment.date,
        # The register is read more widely than the psychological file: no result details here.
        evidence=f"学校心理健康测评提示异常（{assessment.date}），详见心理健康档案",
    )
    return flag, False


def psych_file_read(*, actor, child) -> list[PsychAssessment]:
    """The assessments of one child, the read written to the audit log."""
    if not can_view_psych(actor, child):
        raise PermissionDenied("您无权查看该儿童的心理健康档案")
    rows = list(PsychAssessment.objects.filter(child=child).select_related("school", "assessed_by"))
    record(
        actor=actor,
        action="read",
        object_type="schools.psychfile",
        object_id=str(child.pk),
        summary=f"查看心理健康档案：{child.file_no}（{len(rows)} 条测评）",
    )
    return rows


def psych_list_read(*, actor, count: int, filters: str) -> None:
    record(
        actor=actor,
        action="read",
        object_type="schools.psychfile",
        object_id="list",
        summary=f"查看心理健康测评列表（{count} 条；{filters or '全部'}）",
    )


# ---------------------------------------------------------------- compliance export


def compliance_export(*, actor, picture) -> bytes:
    """The compliance picture as an Excel workbook (by township, by school); the export audited."""
    from common.excel import write_xlsx

    headers_t = ["乡镇（街道）", "学校数"]
    for o in picture.obligations:
        headers_t += [f"{o.name}·已完成", f"{o.name}·应完成", f"{o.name}·逾期"]
    township_rows = []
    for row in picture.by_township():
        values = [row["township"].name, row["schools"]]
        for tally in row["cells"]:
            if tally is None:
                values += [None, None, None]
            elif tally.pupils_required:
                values += [tally.pupils_done, tally.pupils_required, tally.overdue]
            else:
                values += [tally.done, tally.begun, tally.overdue]
        township_rows.append(values)
    line_rows = [
        [
            line.school.township.name,
            line.school.name,
            line.school.get_kind_display(),
            line.obligation.name,
            line.period.label,
            line.period.start,
            line.period.deadline,
            line.required,
            line.done,
            line.status_label,
        ]
        for line in sorted(
            picture.lines,
            key=lambda x: (x.school.township.code, x.school.name, x.obligation.order, x.period.start),
        )
    ]
    buffer = io.BytesIO()
    write_xlsx(
        buffer,
        [
            ("按乡镇", headers_t, township_rows),
            (
                "按学校",
                [
                    "乡镇（街道）",
                    "学校",
                    "类型",
                    "工作要求",
                    "周期",
                    "开始",
                    "截止",
                    "应完成",
                    "已完成",
                    "状态",
                ],
                line_rows,
            ),
        ],
    )
    record(
        actor=actor,
        action="export",
        object_type="schools.compliance",
        object_id=picture.on.isoformat(),
        summary=f"导出学校工作要求落实情况（{'本学期' if picture.span == 'semester' else '本学年'}，{len(line_rows)} 行）",
    )
    return buffer.getvalue()
