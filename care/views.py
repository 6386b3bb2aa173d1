"""HTML views of key attention and visits. Logic lives in services (writes) and selectors
(reads); a view parses the request, calls them and renders. Public help-request pages are in
``care/public_views.py``."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from access.decorators import require
from access.policy import get_child_or_404, has_capability
from audit.services import record
from care import selectors, services
from care.forms import (
    AssessmentEntryForm,
    ComplianceForm,
    EscalationForm,
    ExitDecisionForm,
    FlagCloseForm,
    FlagForm,
    HelpCloseForm,
    VisitEditForm,
    VisitForm,
)
from care.models import (
    AssessmentForm,
    EscalationStep,
    EscalationStepType,
    ExitRequest,
    FollowUp,
    RiskFlag,
)
from care.services import CareError, VisitConflict
from common.uploads import content_type_of
from registry.status import add_months

NOT_COUNTED = "这条记录不计入走访联系频次：计入频次需要“已见到（已联系上）”，并填写检查情况或情况记录"


def _today() -> dt.date:
    return timezone.localdate()


def _next(request, value: str | None, default: str) -> str:
    """Only a path on this site (never an open redirect)."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=False
    ):
        return value
    return default


# ---------------------------------------------------------------- work lists


class KnownCountPaginator(Paginator):
    """A paginator told its row count (already computed by the caller)."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @property
    def count(self) -> int:
        return self._known_count


@require("care.view")
def worklist(request):
    on = _today()
    which = request.GET.get("list", "overdue")
    if which not in selectors.WORKLISTS:
        which = "overdue"
    counts = selectors.worklist_counts(request.user, on=on)
    # The tab counts were just taken over the same rows: no second COUNT for the pager.
    page = KnownCountPaginator(
        selectors.worklist(request.user, which=which, on=on), 30, count=counts[which]
    ).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    flags = selectors.active_flags_by_child([r.child_id for r in rows])
    for row in rows:
        due = row.next_contact_due if which == "contacts" else row.next_visit_due
        row.due = due
        row.days = (on - due).days if due else None
        row.flags = flags.get(row.child_id, [])
    return render(
        request,
        "care/worklist.html",
        {
            "lists": [(key, label, counts[key]) for key, label in selectors.WORKLISTS.items()],
            "which": which,
            "label": selectors.WORKLISTS[which],
            "page": page,
            "rows": rows,
            "on": on,
        },
    )


# ---------------------------------------------------------------- one child's care record


@require("care.view")
def child(request, pk):
    child = get_child_or_404(request.user, pk)
    on = _today()
    care = selectors.care_record(request.user, child, on=on)
    record(actor=request.user, action="read", obj=child, summary=f"查看关爱记录：{child.file_no}")
    return render(
        request,
        "care/child.html",
        {
            "child": child,
            "care": care,
            "current_step": care.steps[-1] if care.steps else None,
            "forms": AssessmentForm.objects.in_force(on).order_by("kind"),
            "can_edit": has_capability(request.user, "care.edit"),
            "can_approve": has_capability(request.user, "care.approve"),
            "on": on,
        },
    )


@require("care.edit")
def visit_create(request, pk):
    child = get_child_or_404(request.user, pk)
    on = _today()
    checklist = services.checklist_in_force(on)
    categories = selectors.categories(on)
    form = VisitForm(
        request.POST or None, categories=categories, checklist=checklist, initial={"visited_on": on}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.visit_create(
                actor=request.user,
                child=child,
                kind=data["kind"],
                visited_on=data["visited_on"],
                outcome=data["outcome"],
                participants=data["participants"],
                checklist=form.checklist_answers(),
                notes=data["notes"],
                flags=[(c, data["flag_evidence"]) for c in data["flags"]],
                follow_ups=form.follow_ups(),
            )
        except CareError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "走访联系记录已保存")
            if not services.visit_counts(visit):
                messages.warning(request, NOT_COUNTED)
            return redirect(_next(request, request.GET.get("next"), reverse("care:worklist")))
    return render(request, "care/visit_form.html", {"child": child, "form": form})


@require("care.view")
def visit_detail(request, pk):
    """Show a visit record; with care.edit, edit it (optimistic locking: a conflicting save
    shows both versions and keeps what the user typed)."""
    visit = selectors.visit_visible(request.user, pk)
    can_edit = has_capability(request.user, "care.edit")
    conflict = None
    definition = visit.checklist_version
    initial = {
        "version": visit.version,
        "kind": visit.kind,
        "visited_on": visit.visited_on,
        "outcome": visit.outcome,
        "participants": visit.participants,
        "notes": visit.notes,
    }
    form = VisitEditForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        checklist=definition,
        checklist_initial=visit.checklist,
    )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("您的角色无权修改走访记录")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.visit_update(
                    actor=request.user,
                    visit=visit,
                    expected_version=data["version"],
                    kind=data["kind"],
                    visited_on=data["visited_on"],
                    outcome=data["outcome"],
                    participants=data["participants"],
                    checklist=form.checklist_answers(),
                    notes=data["notes"],
                )
            except VisitConflict as exc:
                conflict = exc.current
                form.add_error(None, str(exc))
                # The next save compares against the version now shown beside the form.
                form.data = form.data.copy()
                form.data["version"] = conflict.version
            except CareError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "走访记录已更新")
                if not services.visit_counts(visit):
                    messages.warning(request, NOT_COUNTED)
                return redirect("care:visit_edit", pk=visit.pk)
    if request.method == "GET":
        record(actor=request.user, action="read", obj=visit, summary=f"查看走访记录：{visit.child.file_no}")
    history = selectors.visit_history(visit)
    labels = {}
    if definition:
        labels = {item["code"]: item["label"] for item in definition.items}
    return render(
        request,
        "care/visit_detail.html",
        {
            "visit": visit,
            "child": visit.child,
            "form": form,
            "can_edit": can_edit,
            "conflict": conflict,
            "conflict_checklist": [
                (labels.get(k, k), v) for k, v in (conflict.checklist.items() if conflict else [])
            ],
            "checklist_rows": [(labels.get(k, k), v) for k, v in visit.checklist.items()],
            "history": history,
            "follow_ups": visit.follow_ups.all(),
            "counts": services.visit_counts(visit),
            "not_counted": NOT_COUNTED,
        },
    )


@require("care.edit")
@require_POST
def follow_up_done(request, pk):
    follow_up = selectors.object_visible(request.user, FollowUp, pk)
    services.follow_up_done(actor=request.user, follow_up=follow_up)
    messages.success(request, "跟进事项已标记完成")
    return redirect("care:child", pk=follow_up.child_id)


# ---------------------------------------------------------------- flags and exits


@require("care.edit")
def flag_create(request, pk):
    child = get_child_or_404(request.user, pk)
    form = FlagForm(
        request.POST or None, categories=selectors.categories(_today()), initial={"raised_on": _today()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.flag_raise(
                actor=request.user,
                child=child,
                category=form.cleaned_data["category"],
                source="manual",
                raised_on=form.cleaned_data["raised_on"],
                evidence=form.cleaned_data["evidence"],
            )
        except CareError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已列入重点关注")
            return redirect("care:child", pk=child.pk)
    return render(request, "care/flag_form.html", {"child": child, "form": form})


@require("care.edit")
def flag_close(request, pk):
    flag = selectors.object_visible(request.user, RiskFlag, pk)
    form = FlagCloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.flag_close(actor=request.user, flag=flag, reason=form.cleaned_data["reason"])
        except CareError as exc:
            form.add_error(None, str(exc))
        else:
            if result.exit_request is not None:
                messages.info(request, "这是该儿童最后一项风险标记，退出重点关注申请已提交督导员审批")
            else:
                messages.success(request, "风险标记已解除")
            return redirect("care:child", pk=flag.child_id)
    last = selectors.is_last_active_flag(flag)
    return render(
        request, "care/flag_close.html", {"flag": flag, "child": flag.child, "form": form, "last": last}
    )


@require("care.approve")
@require_POST
def flag_approve(request, pk):
    flag = selectors.object_visible(request.user, RiskFlag, pk)
    services.flag_approve(actor=request.user, flag=flag)
    messages.success(request, f"已确认：{flag.child.file_no} {flag.category.name}")
    return redirect(_next(request, request.POST.get("next"), reverse("care:register")))


@require("care.approve")
def exit_decide(request, pk):
    exit_request = selectors.object_visible(request.user, ExitRequest, pk)
    form = ExitDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.exit_decide(
                actor=request.user,
                exit_request=exit_request,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
            )
        except CareError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "审批已完成")
            return redirect("care:register")
    return render(
        request, "care/exit_decide.html", {"exit": exit_request, "child": exit_request.child, "form": form}
    )


# ---------------------------------------------------------------- the register


@require("care.view")
def register(request):
    on = _today()
    category = request.GET.get("category", "")
    pending = request.GET.get("pending") == "1"
    categories = list(selectors.categories(on))
    if category and category not in {c.code for c in categories}:
        category = ""
    page = Paginator(selectors.register(request.user, category=category, pending_only=pending), 30).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    ids = [c.pk for c in rows]
    flags = selectors.active_flags_by_child(ids)
    steps = selectors.current_steps(ids)
    for c in rows:
        c.flags = flags.get(c.pk, [])
        c.step = steps.get(c.pk)
        status = getattr(c, "care_status", None)
        c.contact_due = status.next_contact_due if status else None
        c.contact_overdue = bool(c.contact_due and c.contact_due < on)
    can_approve = has_capability(request.user, "care.approve")
    return render(
        request,
        "care/register.html",
        {
            "page": page,
            "rows": rows,
            "categories": categories,
            "category": category,
            "pending": pending,
            "can_approve": can_approve,
            "pending_flags": list(selectors.pending_flags(request.user)[:50]) if can_approve else [],
            "pending_exits": list(selectors.pending_exits(request.user)[:50]) if can_approve else [],
        },
    )


# ---------------------------------------------------------------- assessments and escalation


@require("care.edit")
def assessment_create(request, pk, code):
    child = get_child_or_404(request.user, pk)
    on = _today()
    definition = AssessmentForm.objects.in_force(on).filter(code=code).order_by("-version").first()
    if definition is None:
        raise Http404("没有这个评估表")
    form = AssessmentEntryForm(request.POST or None, form_definition=definition, initial={"assessed_on": on})
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_record(
                actor=request.user,
                child=child,
                form=definition,
                answers=form.answers(),
                assessed_on=form.cleaned_data["assessed_on"],
                notes=form.cleaned_data["notes"],
            )
        except CareError as exc:
            form.add_error(None, str(exc))
        else:
            raised = "，已列入重点关注" if assessment.flags.exists() else ""
            messages.success(request, f"{definition.name}：{assessment.score}分，{assessment.level}{raised}")
            return redirect("care:child", pk=child.pk)
    return render(
        request, "care/assessment_form.html", {"child": child, "form": form, "definition": definition}
    )


@require("care.edit")
def escalation_create(request, pk):
    child = get_child_or_404(request.user, pk)
    on = _today()
    form = EscalationForm(
        request.POST or None,
        request.FILES or None,
        step_types=EscalationStepType.objects.in_force(on),
        initial={"taken_on": on},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.escalation_record(
                actor=request.user,
                child=child,
                step_type=data["step_type"],
                taken_on=data["taken_on"],
                acting_body=data["acting_body"],
                notes=data["notes"],
                document=data.get("document"),
            )
        except CareError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "监护干预措施已记录")
            return redirect("care:child", pk=child.pk)
    return render(request, "care/escalation_form.html", {"child": child, "form": form})


@require("care.view")
def escalation_document(request, pk):
    step = selectors.object_visible(request.user, EscalationStep, pk)
    if not step.stored_name:
        raise Http404("没有上传文书")
    record(
        actor=request.user,
        action="read",
        obj=step,
        summary=f"查看监护干预文书：{step.child.file_no}，{step.step_type.name}",
    )
    suffix = "." + step.stored_name.rsplit(".", 1)[-1]
    return FileResponse(
        step.document.open("rb"),
        as_attachment=True,
        filename=step.document_name or f"文书{suffix}",
        content_type=content_type_of(step.stored_name),
    )


# ---------------------------------------------------------------- compliance


@require("care.view")
def compliance(request):
    on = _today()
    form = ComplianceForm(
        request.GET or None, initial={"start": add_months(on, -3), "end": on, "by": "township"}
    )
    rows, total = [], None
    start, end, by = add_months(on, -3), on, "township"
    if form.is_bound and form.is_valid():
        start, end, by = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["by"]
    elif form.is_bound:
        start = None
    if start is not None:
        rows = selectors.compliance(request.user, start, end, by=by)
        total = selectors.compliance_total(rows) if by != "worker" else None
    return render(
        request,
        "care/compliance.html",
        {"form": form, "rows": rows, "total": total, "start": start, "end": end, "by": by},
    )


# ---------------------------------------------------------------- notifications


@require("home")
def notifications(request):
    if request.method == "POST":
        services.notifications_mark_read(actor=request.user)
        return redirect("care:notifications")
    page = Paginator(selectors.notifications(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "care/notifications.html", {"page": page})


# ---------------------------------------------------------------- intake of help requests


@require("care.intake")
def intake(request):
    status = request.GET.get("status", "new")
    qs = selectors.help_requests_visible(request.user)
    if status in ("new", "linked", "closed"):
        qs = qs.filter(status=status)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "care/intake.html", {"page": page, "status": status})


@require("care.intake")
@require_POST
def intake_reveal(request, pk):
    """The full phone and description of a help request, audited (htmx fragment)."""
    help_request = selectors.help_request_or_404(request.user, pk)
    revealed = services.help_request_reveal(actor=request.user, help_request=help_request)
    return render(request, "care/_help_revealed.html", {"help": help_request, "revealed": revealed})


@require("care.intake")
def intake_detail(request, pk):
    help_request = selectors.help_request_or_404(request.user, pk)
    close_form = HelpCloseForm(request.POST if request.POST.get("action") == "close" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "link":
                child = get_child_or_404(request.user, request.POST.get("child"))
                services.help_request_link(actor=request.user, help_request=help_request, child=child)
                messages.success(request, f"已关联儿童档案 {child.file_no}，并列入重点关注（主动求助）")
                return redirect("care:child", pk=child.pk)
            if action == "close" and close_form.is_valid():
                services.help_request_close(
                    actor=request.user, help_request=help_request, note=close_form.cleaned_data["note"]
                )
                messages.success(request, "求助已办结")
                return redirect("care:intake")
        except CareError as exc:
            messages.error(request, str(exc))
    record(
        actor=request.user,
        action="read",
        obj=help_request,
        summary=f"查看求助：{help_request.reference}",
    )
    query = request.GET.get("q", "")
    try:
        register_url = reverse("registry:create")
    except NoReverseMatch:
        register_url = ""
    if register_url:
        from urllib.parse import urlencode

        register_url += "?" + urlencode(
            {"township": help_request.township_id, "help_request": help_request.reference}
        )
    return render(
        request,
        "care/intake_detail.html",
        {
            "help": help_request,
            "query": query,
            "matches": selectors.children_matching(request.user, query) if query else [],
            "close_form": close_form,
            "register_url": register_url,
        },
    )
