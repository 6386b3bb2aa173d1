"""Pages of the schools app: schools, calendar, obligations and compliance, activities,
community activities and the psychological file."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from access.decorators import require
from access.policy import (
    children_visible,
    get_child_or_404,
    has_capability,
    may_use_psych,
    psych_visible,
    scope_of,
)
from places.models import Unit
from registry.choices import MigrantStatus
from registry.models import Child
from schools import compliance as compliance_engine
from schools import obligations as rules
from schools import services
from schools.forms import (
    ActivityForm,
    AttachmentsForm,
    CalendarForm,
    ParticipantsForm,
    PsychForm,
    TermForm,
)
from schools.models import (
    COMMUNITY_ACTIVITY_TYPES,
    SCHOOL_ACTIVITY_TYPES,
    Activity,
    ActivityAttachment,
    ActivityType,
    Obligation,
    PsychAssessment,
    SchoolYear,
)
from schools.selectors import (
    activities_visible,
    calendar_for,
    calendars,
    can_set_calendar,
    community_summary,
    participants_visible,
    psych_assessments_visible,
    schools_visible,
)

HOTLINES = [
    ("12355", "青少年服务台（共青团）"),
    ("12356", "心理援助热线（卫生健康）"),
]


def _today() -> dt.date:
    return timezone.localdate()


def _page(request, queryset, per_page: int = 50):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _query(request) -> str:
    """The list's filters, for the pager's links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _form_error(form, exc: services.SchoolsError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc))


# ---------------------------------------------------------------- schools


@require("schools.view")
def index(request):
    schools = schools_visible(request.user).filter(active=True).select_related("township")
    township = request.GET.get("township")
    if township and township.isdigit():
        schools = schools.filter(township_id=int(township))
    # Counts per school are aggregates (no personal data): the whole school, whatever the user's
    # registry scope; the names stay behind children_visible on the school's page.
    pupils = dict(
        Child.objects.filter(school__in=schools, migrant_status=MigrantStatus.MIGRANT, closed_at__isnull=True)
        .values_list("school_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows = [{"school": s, "pupils": pupils.get(s.pk, 0)} for s in schools]
    townships = Unit.objects.filter(pk__in=schools_visible(request.user).values("township_id")).order_by(
        "code"
    )
    return render(
        request,
        "schools/index.html",
        {
            "rows": rows,
            "townships": townships,
            "township": township,
            "can_calendar": can_set_calendar(request.user),
        },
    )


@require("schools.view")
def school_detail(request, pk: int):
    school = get_object_or_404(schools_visible(request.user).select_related("township"), pk=pk)
    on = _today()
    picture = compliance_engine.picture([school], on=on, span=compliance_engine.YEAR)
    pupils = (
        children_visible(request.user, include_closed=False)
        .filter(school=school, migrant_status=MigrantStatus.MIGRANT)
        .order_by("grade", "file_no")
    )
    activities = activities_visible(request.user).filter(school=school)[:20]
    return render(
        request,
        "schools/school_detail.html",
        {
            "school": school,
            "calendar": calendar_for(school, on),
            "picture": picture,
            "pupils": _page(request, pupils),
            "activities": activities,
            "can_record": services.schools_editable(request.user).filter(pk=school.pk).exists(),
        },
    )


# ---------------------------------------------------------------- calendar and obligations


@require("schools.view")
def calendar_list(request):
    return render(
        request,
        "schools/calendar_list.html",
        {"calendars": calendars(), "can_calendar": can_set_calendar(request.user), "today": _today()},
    )


@require("schools.calendar")
def calendar_edit(request, pk: int | None = None):
    if not can_set_calendar(request.user):
        raise PermissionDenied("只有教育局或市级管理员可以设置校历")
    instance = get_object_or_404(SchoolYear, pk=pk) if pk else None
    initial = {}
    if instance:
        initial = {f: getattr(instance, f) for f in ["name", "school", *services.CALENDAR_FIELDS]}
    form = CalendarForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            calendar = services.calendar_save(
                actor=request.user,
                name=form.cleaned_data["name"],
                school=form.cleaned_data["school"],
                dates=form.dates(),
                instance=instance,
            )
        except services.SchoolsError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"已保存{calendar}校历")
            return redirect("schools:calendar_list")
    return render(request, "schools/calendar_form.html", {"form": form, "instance": instance})


@require("schools.view")
def obligation_list(request):
    return render(request, "schools/obligations.html", {"obligations": Obligation.objects.all()})


# ---------------------------------------------------------------- compliance


def _picture(request):
    schools = schools_visible(request.user).filter(active=True)
    townships = Unit.objects.filter(pk__in=schools.values("township_id")).order_by("code")
    form = TermForm(request.GET or None, townships=townships)
    span, township, on = compliance_engine.SEMESTER, None, _today()
    if form.is_valid():
        span = form.cleaned_data["span"] or span
        township = form.cleaned_data["township"]
        on = form.cleaned_data["on"] or on
    if township is not None:
        schools = schools.filter(township=township)
    return form, compliance_engine.picture(schools, on=on, span=span), township


def _previous_year_end(on: dt.date) -> dt.date | None:
    """The last day of the school year before the one in force on ``on`` (for the look back)."""
    current = calendar_for(None, on)
    return current.semester1_start - dt.timedelta(days=1) if current else None


@require("schools.view")
def compliance(request):
    form, picture, township = _picture(request)
    return render(
        request,
        "schools/compliance.html",
        {
            "form": form,
            "picture": picture,
            "township": township,
            "townships": picture.by_township(),
            "schools": picture.by_school(),
            "counts": {s: picture.count(s) for s in rules.STATUS_LABELS},
            "previous_end": _previous_year_end(picture.on),
            "query": request.GET.urlencode(),
        },
    )


@require("schools.view")
def compliance_export(request):
    _form, picture, _township = _picture(request)
    content = services.compliance_export(actor=request.user, picture=picture)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"school-compliance-{picture.on.isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# ---------------------------------------------------------------- activities


@require("schools.view")
def activity_list(request):
    activities = activities_visible(request.user).select_related("school", "unit")
    kind = request.GET.get("kind")
    if kind == "school":
        activities = activities.filter(type__in=SCHOOL_ACTIVITY_TYPES)
    elif kind == "community":
        activities = activities.filter(type__in=COMMUNITY_ACTIVITY_TYPES)
    type_ = request.GET.get("type")
    if type_ in ActivityType.values:
        activities = activities.filter(type=type_)
    activities = activities.annotate(n=Count("participations")).order_by("-date", "-id")
    return render(
        request,
        "schools/activity_list.html",
        {
            "page": _page(request, activities),
            "types": ActivityType.choices,
            "kind": kind,
            "type": type_,
            "can_record": "schools.edit" in scope_of(request.user).capabilities,
            "query": _query(request),
        },
    )


@require("schools.edit")
def activity_new(request):
    initial = {"date": _today()}
    school_id = request.GET.get("school")
    editable = services.schools_editable(request.user)
    if school_id and school_id.isdigit():
        school = editable.filter(pk=int(school_id)).first()
        if school is not None:
            initial |= {"school": school, "organiser_kind": "school", "organiser_name": school.name}
    if request.GET.get("type") in ActivityType.values:
        initial["type"] = request.GET["type"]
    form = ActivityForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        children = list(data["file_numbers"])
        if data["whole_school"]:
            known = {c.pk for c in children}
            children += [c for c in services.pupils_of(request.user, data["school"]) if c.pk not in known]
        try:
            activity = services.activity_record(
                actor=request.user,
                type=data["type"],
                title=data["title"],
                date=data["date"],
                organiser_kind=data["organiser_kind"],
                organiser_name=data["organiser_name"],
                school=data["school"],
                unit=data["unit"],
                department=data["department"],
                place=data["place"],
                notes=data["notes"],
                other_participants=data["other_participants"] or 0,
                children=children,
                uploads=data["files"],
            )
        except services.SchoolsError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"已登记活动，{len(children)} 名儿童参加")
            return redirect("schools:activity_detail", pk=activity.pk)
    return render(request, "schools/activity_form.html", {"form": form})


def _activity_or_404(user, pk: int) -> Activity:
    return get_object_or_404(activities_visible(user).select_related("school", "unit", "department"), pk=pk)


@require("schools.view")
def activity_detail(request, pk: int):
    activity = _activity_or_404(request.user, pk)
    participants = participants_visible(request.user, activity)
    total = activity.participations.count()
    can_edit = "schools.edit" in scope_of(request.user).capabilities
    return render(
        request,
        "schools/activity_detail.html",
        {
            "activity": activity,
            "participants": participants,
            "hidden": total - participants.count(),
            "total": total,
            "can_edit": can_edit,
            "participants_form": ParticipantsForm(user=request.user) if can_edit else None,
            "attachments_form": AttachmentsForm() if can_edit else None,
        },
    )


@require("schools.edit")
@require_POST
def activity_add_children(request, pk: int):
    activity = _activity_or_404(request.user, pk)
    form = ParticipantsForm(request.POST, user=request.user)
    if form.is_valid():
        added = services.activity_add_children(
            actor=request.user, activity=activity, children=form.cleaned_data["file_numbers"]
        )
        messages.success(request, f"已增加 {added} 名参加儿童")
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("schools:activity_detail", pk=activity.pk)


@require("schools.edit")
@require_POST
def activity_add_attachments(request, pk: int):
    activity = _activity_or_404(request.user, pk)
    form = AttachmentsForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            saved = services.attachments_add(
                actor=request.user, activity=activity, uploads=form.cleaned_data["files"]
            )
        except services.SchoolsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已上传 {len(saved)} 个附件")
    else:
        messages.error(request, "请选择要上传的文件")
    return redirect("schools:activity_detail", pk=activity.pk)


@require("schools.view")
def attachment_download(request, pk: int, attachment_id: int):
    activity = _activity_or_404(request.user, pk)
    attachment = get_object_or_404(ActivityAttachment, pk=attachment_id, activity=activity)
    services.attachment_read(actor=request.user, attachment=attachment)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


@require("schools.view")
def community(request):
    today = _today()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    year = min(max(year, 2000), today.year)
    summary = community_summary(request.user, start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))
    return render(
        request,
        "schools/community.html",
        {"summary": summary, "year": year, "years": range(today.year, today.year - 5, -1)},
    )


# ---------------------------------------------------------------- psychological file


def _psych_gate(user) -> None:
    if not may_use_psych(user):
        raise PermissionDenied("心理健康档案仅限学校指定人员、乡镇儿童督导员和市级管理员查看")


def referral_url(user, child) -> str:
    """The service list's referral form for the child (service 19, mental health), for users
    who may refer; school staff ask the township supervisor instead."""
    if not has_capability(user, "services.refer"):
        return ""
    try:
        return reverse("servicelist:referral_new", args=[child.pk])
    except NoReverseMatch:  # the service list is not installed
        return ""


@require("schools.psych", "schools.edit")
def psych_list(request):
    _psych_gate(request.user)
    rows = psych_assessments_visible(request.user).select_related("child", "school")
    result = request.GET.get("result")
    if result in PsychAssessment.Result.values:
        rows = rows.filter(result=result)
    page = _page(request, rows)
    services.psych_list_read(
        actor=request.user, count=len(page.object_list), filters=f"结果={result}" if result else ""
    )
    return render(
        request,
        "schools/psych_list.html",
        {"page": page, "results": PsychAssessment.Result.choices, "result": result, "query": _query(request)},
    )


@require("schools.psych", "schools.edit")
def psych_child(request, child_pk: int):
    _psych_gate(request.user)
    child = get_child_or_404(request.user, child_pk, queryset=psych_visible(request.user))
    assessments = services.psych_file_read(actor=request.user, child=child)
    abnormal = any(a.result == PsychAssessment.Result.ABNORMAL for a in assessments)
    return render(
        request,
        "schools/psych_child.html",
        {
            "child": child,
            "assessments": assessments,
            "abnormal": abnormal,
            "hotlines": HOTLINES,
            "referral_url": referral_url(request.user, child),
            "form": PsychForm(initial={"date": _today()}),
        },
    )


@require("schools.psych", "schools.edit")
def psych_new(request, child_pk: int):
    _psych_gate(request.user)
    child = get_child_or_404(request.user, child_pk, queryset=psych_visible(request.user))
    form = PsychForm(request.POST or None, initial={"date": _today()})
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.psych_record(actor=request.user, child=child, **form.cleaned_data)
        except services.SchoolsError as exc:
            _form_error(form, exc)
        else:
            if outcome.assessment.result == PsychAssessment.Result.ABNORMAL:
                note = (
                    "已列入重点关注（心理和行为异常）。"
                    if outcome.flag is not None
                    else "重点关注台账模块未启用，请另行报告儿童督导员。"
                )
                messages.warning(
                    request, f"测评结果异常：{note}请及时转介心理健康服务或告知 12355 / 12356 热线。"
                )
            else:
                messages.success(request, "已保存心理健康测评")
            return redirect("schools:psych_child", child_pk=child.pk)
    return render(request, "schools/psych_form.html", {"form": form, "child": child})
