"""HTML views of the service list: public pages, list versions, a child's services,
referrals, the department inbox and coverage gaps. No business logic here."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from access.decorators import public, require
from access.policy import children_visible, get_child_or_404, has_capability, scope_of
from audit.services import record
from common.excel import write_xlsx
from servicelist import selectors, services
from servicelist.api import CheckInputError, check_entitlements, parse_check_input
from servicelist.eligibility import ELIGIBLE_CHILDREN, count_matching
from servicelist.forms import (
    DraftForm,
    EntitlementStatusForm,
    InboxActionForm,
    NeedFlagForm,
    PublicCheckForm,
    PublishForm,
    ReferralForm,
    ServiceForm,
    apply_errors,
)
from servicelist.models import Entitlement, NeedFlag, Referral, Service, ServiceListVersion
from servicelist.rules import describe


def _today() -> dt.date:
    return timezone.localdate()


# ================================================================ public


@public
def public_list(request):
    version = selectors.list_in_force()
    return render(
        request,
        "servicelist/public_list.html",
        {"version": version, "groups": selectors.grouped_services(version) if version else []},
    )


def _rate_limited(request) -> bool:
    from django.conf import settings
    from django.core.cache import cache

    limit, window = settings.PUBLIC_RATE_LIMIT.get("self_check", (60, 60))
    key = f"servicelist:self_check:{request.META.get('REMOTE_ADDR', '')}"
    if cache.add(key, 1, window):
        return False
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        return False


@public
def public_check(request):
    """The anonymous self-check. Nothing entered is stored or logged."""
    form = PublicCheckForm(request.POST or None)
    result = None
    if request.method == "POST":
        if _rate_limited(request):
            form.add_error(None, "查询过于频繁，请稍后再试")
        elif form.is_valid():
            try:
                profile = parse_check_input(form.payload(_today()), today=_today())
                version, entitled, _facts = check_entitlements(profile)
            except CheckInputError as error:
                for key, message in error.errors.items():
                    form.add_error(key if key in form.fields else None, message)
            else:
                result = {"version": version, "services": entitled}
    response = render(request, "servicelist/public_check.html", {"form": form, "result": result})
    response["Cache-Control"] = "no-store"
    return response


# ================================================================ versions of the list


@require("services.view", "services.manage")
def versions(request):
    return render(
        request,
        "servicelist/versions.html",
        {
            "versions": selectors.versions(),
            "in_force": selectors.list_in_force(),
            "can_manage": has_capability(request.user, "services.manage"),
            "form": DraftForm(),
        },
    )


@require("services.view", "services.manage")
def version_detail(request, pk):
    version = get_object_or_404(ServiceListVersion, pk=pk)
    groups = selectors.grouped_services(version)
    for group in groups:
        for service in group["services"]:
            service.rule_text = describe(service.rule)
    return render(
        request,
        "servicelist/version_detail.html",
        {
            "version": version,
            "groups": groups,
            "can_manage": has_capability(request.user, "services.manage"),
            "publish_form": PublishForm(initial={"effective_from": _today()}),
        },
    )


@require("services.manage")
@require_POST
def version_new(request):
    form = DraftForm(request.POST)
    if form.is_valid():
        try:
            draft = services.version_create_draft(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, f"已新建草稿“{draft.title}”（复制自现行清单），请逐项修改后预览、发布。"
            )
            return redirect("servicelist:version_detail", pk=draft.pk)
    return render(
        request,
        "servicelist/versions.html",
        {
            "versions": selectors.versions(),
            "in_force": selectors.list_in_force(),
            "can_manage": True,
            "form": form,
        },
        status=400,
    )


@require("services.manage")
def service_edit(request, pk, no=None):
    version = get_object_or_404(ServiceListVersion, pk=pk)
    if not version.is_draft:
        messages.error(request, "已发布的版本不能修改；请新建一个版本。")
        return redirect("servicelist:version_detail", pk=version.pk)
    service = get_object_or_404(Service, version=version, no=no) if no is not None else None
    form = ServiceForm(request.POST or None, version=version, service=service)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.service_save(
                actor=request.user,
                version=version,
                service=service,
                no=data["no"],
                group=data["group"],
                name=data["name"],
                target=data["target"],
                content=data["content"],
                rule=data["rule"],
                departments=data["departments"],
                needs_contact=data["needs_contact"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"第 {data['no']} 项服务已保存。")
            return redirect("servicelist:version_detail", pk=version.pk)
    return render(
        request,
        "servicelist/service_edit.html",
        {"version": version, "service": service, "form": form},
        status=400 if form.errors else 200,
    )


@require("services.manage")
def version_preview(request, pk):
    """How many registered children (visible to the administrator) each service would reach."""
    version = get_object_or_404(ServiceListVersion, pk=pk)
    on = version.effective_from or _today()
    form = PublishForm(request.GET or None, initial={"effective_from": on})
    if form.is_valid():
        on = form.cleaned_data["effective_from"]
    children = children_visible(request.user).filter(ELIGIBLE_CHILDREN)
    draft_services = list(selectors.services_of(version))
    counts = count_matching({s.no: s.rule for s in draft_services}, children, on)
    current = selectors.list_in_force(on)
    current_counts = {}
    if current is not None and current.pk != version.pk:
        current_counts = count_matching({s.no: s.rule for s in current.services.all()}, children, on)
    rows = [
        {
            "service": s,
            "rule_text": describe(s.rule),
            "count": counts[s.no],
            "current": current_counts.get(s.no),
        }
        for s in draft_services
    ]
    return render(
        request,
        "servicelist/version_preview.html",
        {
            "version": version,
            "rows": rows,
            "on": on,
            "current": current,
            "total": children.count(),
            "form": form,
        },
    )


@require("services.manage")
@require_POST
def version_publish(request, pk):
    version = get_object_or_404(ServiceListVersion, pk=pk)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            services.version_publish(
                actor=request.user, version=version, effective_from=form.cleaned_data["effective_from"]
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                f"已发布 {version.code}，自 {form.cleaned_data['effective_from']:%Y-%m-%d} 起生效；"
                "生效后将自动重新计算全部儿童的服务享有情况。",
            )
    else:
        messages.error(request, "请填写正确的生效日期")
    return redirect("servicelist:version_detail", pk=version.pk)


# ================================================================ a child's services


def _child_context(request, child, **extra):
    version = selectors.list_in_force()
    entitlements = list(selectors.entitlements_of(user=request.user, child=child))
    referrals = list(selectors.referrals_of(user=request.user, child=child))
    today = _today()
    for referral in referrals:
        referral.overdue = referral.is_overdue(today)
    can_refer = has_capability(request.user, "services.refer")
    context = {
        "child": child,
        "version": version,
        "entitlements": entitlements,
        "referrals": referrals,
        "needs": NeedFlag.objects.filter(child=child, active=True),
        "can_refer": can_refer,
    }
    if can_refer and version is not None:
        context.setdefault("referral_form", ReferralForm(child=child, version=version))
        context["status_form"] = EntitlementStatusForm()
        context["need_form"] = NeedFlagForm()
    context.update(extra)
    return context


@require("services.view")
def child(request, pk):
    child = get_child_or_404(request.user, pk)
    record(actor=request.user, action="read", obj=child, summary=f"查看档案 {child.file_no} 的服务享有与转介")
    return render(request, "servicelist/child.html", _child_context(request, child))


@require("services.refer")
def referral_new(request, pk):
    child = get_child_or_404(request.user, pk)
    version = selectors.list_in_force()
    if version is None:
        raise Http404("没有生效的服务清单")
    form = ReferralForm(request.POST or None, child=child, version=version)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.referral_send(
                actor=request.user,
                child=child,
                service=data["service"],
                department=data["department"],
                reason=data["reason"],
                deadline=data["deadline"],
                share_contact=data["share_contact"],
                consent=data["consent"],
                consent_by=data["consent_by"],
                consent_on=data["consent_on"],
                consent_override_reason=data["consent_override_reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        except PermissionError as error:
            raise PermissionDenied(str(error)) from None
        else:
            messages.success(request, f"已转介至{data['department'].name}。")
            return redirect("servicelist:child", pk=child.pk)
    return render(
        request,
        "servicelist/referral_new.html",
        {"child": child, "form": form},
        status=400 if form.errors else 200,
    )


@require("services.refer")
@require_POST
def entitlement_status(request, pk, no):
    child = get_child_or_404(request.user, pk)
    entitlement = get_object_or_404(Entitlement, child=child, no=no)
    form = EntitlementStatusForm(request.POST)
    if form.is_valid():
        try:
            services.entitlement_set_status(actor=request.user, entitlement=entitlement, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"第 {no} 项服务状态已更新。")
    else:
        messages.error(request, "请选择状态")
    return redirect("servicelist:child", pk=child.pk)


@require("services.refer")
@require_POST
def need_flag(request, pk):
    child = get_child_or_404(request.user, pk)
    clear = request.POST.get("clear")
    if clear:
        flag = get_object_or_404(NeedFlag, child=child, pk=clear if str(clear).isdigit() else 0)
        services.need_flag_clear(actor=request.user, flag=flag)
        messages.success(request, "已解除该情形，服务享有已重新计算。")
        return redirect("servicelist:child", pk=child.pk)
    form = NeedFlagForm(request.POST)
    if form.is_valid():
        services.need_flag_set(actor=request.user, child=child, **form.cleaned_data)
        messages.success(request, "已登记该情形，服务享有已重新计算。")
    else:
        messages.error(request, "请选择情形")
    return redirect("servicelist:child", pk=child.pk)


@require("services.view")
def referrals(request):
    """The sending side: referrals of the children the user may see, overdue first."""
    today = _today()
    qs = selectors.referrals_visible(request.user)
    only = request.GET.get("status", "open")
    if only == "open":
        qs = qs.filter(status__in=Referral.OPEN_STATUSES)
    elif only == "overdue":
        qs = qs.filter(selectors.open_overdue_q(today))
    elif only in Referral.Status.values:
        qs = qs.filter(status=only)
    rows = list(qs.order_by("deadline", "pk")[:300])
    for referral in rows:
        referral.overdue = referral.is_overdue(today)
    overdue_count = selectors.referrals_visible(request.user).filter(selectors.open_overdue_q(today)).count()
    return render(
        request,
        "servicelist/referrals.html",
        {
            "referrals": rows,
            "only": only,
            "overdue_count": overdue_count,
            "statuses": Referral.Status.choices,
        },
    )


# ================================================================ department inbox


@require("services.inbox")
def inbox(request):
    today = _today()
    qs = selectors.inbox(request.user)
    only = request.GET.get("status", "open")
    if only == "open":
        qs = qs.filter(status__in=Referral.OPEN_STATUSES)
    elif only == "overdue":
        qs = qs.filter(selectors.open_overdue_q(today))
    elif only in Referral.Status.values:
        qs = qs.filter(status=only)
    rows = [selectors.inbox_row(r, today) for r in qs.order_by("deadline", "pk")[:300]]
    scope = scope_of(request.user)
    overdue_count = selectors.inbox(request.user).filter(selectors.open_overdue_q(today)).count()
    from network.models import Department

    return render(
        request,
        "servicelist/inbox.html",
        {
            "rows": rows,
            "only": only,
            "overdue_count": overdue_count,
            "departments": Department.objects.filter(pk__in=scope.department_ids),
            "statuses": Referral.Status.choices,
        },
    )


@require("services.inbox")
def inbox_detail(request, pk):
    referral = selectors.inbox_referral_or_404(request.user, pk)
    record(
        actor=request.user,
        action="read",
        obj=referral,
        summary=f"{referral.department.name}查看转介（档案 {referral.child.file_no}）",
    )
    return render(
        request,
        "servicelist/inbox_detail.html",
        {"row": selectors.inbox_row(referral), "referral": referral, "form": InboxActionForm()},
    )


@require("services.inbox")
@require_POST
def inbox_action(request, pk, action):
    referral = selectors.inbox_referral_or_404(request.user, pk)
    form = InboxActionForm(request.POST)
    text = form.cleaned_data["text"] if form.is_valid() else ""
    try:
        if action == "accept":
            services.referral_accept(actor=request.user, referral=referral)
            messages.success(request, "已接收该转介。")
        elif action == "reject":
            services.referral_reject(actor=request.user, referral=referral, reason=text)
            messages.success(request, "已退回该转介。")
        elif action == "complete":
            services.referral_complete(actor=request.user, referral=referral, feedback=text)
            messages.success(request, "已办结该转介。")
        else:
            raise Http404
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("servicelist:inbox_detail", pk=referral.pk)


# ================================================================ coverage gaps


def _may_list_children(user) -> bool:
    return has_capability(user, "services.view")


def _department_filter(request):
    from network.models import Department

    code = request.GET.get("department") or ""
    return Department.objects.filter(code=code).first() if code else None


@require("stats.view", "services.view")
def gaps(request):
    service_no = request.GET.get("service")
    service_no = int(service_no) if service_no and service_no.isdigit() else None
    department = _department_filter(request)
    version = selectors.list_in_force()
    # Counts within the user's statistics scope (selectors.gap_entitlements applies it).
    rows = selectors.gap_counts(
        request.user, service_no=service_no, department_id=department.pk if department else None
    )
    by_service: dict[int, dict] = {}
    for row in rows:
        entry = by_service.setdefault(
            row["no"], {"no": row["no"], "service": row["service"], "departments": {}}
        )
        entry["departments"].setdefault(row["department"], []).append(row)
    townships = sorted({(r["township_code"], r["township"]) for r in rows})
    table = []
    for no in sorted(by_service):
        entry = by_service[no]
        for department, dept_rows in entry["departments"].items():
            counts = {r["township_code"]: r["count"] for r in dept_rows}
            table.append(
                {
                    "no": no,
                    "service": entry["service"],
                    "department": department,
                    "counts": [counts.get(code, 0) for code, _ in townships],
                    "total": sum(counts.values()),
                }
            )
    children_rows = None
    if _may_list_children(request.user) and service_no:
        children_rows = list(selectors.gap_children(request.user, service_no=service_no)[:200])
        record(
            actor=request.user,
            action="read",
            object_type="servicelist.gaps",
            object_id=str(service_no),
            summary=f"查看第 {service_no} 项服务未开展的儿童名单（{len(children_rows)} 人）",
        )
    return render(
        request,
        "servicelist/gaps.html",
        {
            "version": version,
            "services": version.services.order_by("no") if version else [],
            "service_no": service_no,
            "department": department,
            "departments": _departments_of(version),
            "townships": [name for _code, name in townships],
            "table": table,
            "children_rows": children_rows,
            "may_list": _may_list_children(request.user),
            "may_export": has_capability(request.user, "stats.export"),
            "may_export_children": has_capability(request.user, "registry.export")
            and _may_list_children(request.user),
        },
    )


def _departments_of(version) -> list:
    if version is None:
        return []
    from network.models import Department

    return list(Department.objects.filter(pk__in=version.services.values("department_links__department")))


@require("stats.export")
def gaps_export(request):
    kind = request.GET.get("kind", "counts")
    service_no = request.GET.get("service")
    service_no = int(service_no) if service_no and service_no.isdigit() else None
    department = _department_filter(request)
    sheets = []
    rows = selectors.gap_counts(
        request.user, service_no=service_no, department_id=department.pk if department else None
    )
    sheets.append(
        (
            "服务覆盖缺口",
            ["服务序号", "服务项目", "责任部门", "乡镇（街道）", "应享未享人数"],
            ([r["no"], r["service"], r["department"], r["township"], r["count"]] for r in rows),
        )
    )
    count_children = 0
    if kind == "children":
        if not (has_capability(request.user, "registry.export") and _may_list_children(request.user)):
            raise PermissionDenied("您的角色无权导出儿童名单")
        if service_no is None:
            # One service at a time: a whole city's list of every service is not a useful sheet.
            messages.error(request, "导出儿童名单前请先选择一项服务")
            return redirect("servicelist:gaps")
        qs = selectors.gap_children(request.user, service_no=service_no)
        count_children = qs.count()
        sheets.append(
            (
                "应享未享儿童名单",
                ["档案编号", "姓名", "乡镇（街道）", "服务序号", "服务项目"],
                (
                    [e.child.file_no, e.child.name, e.child.township.name, e.no, e.service.name]
                    for e in qs.iterator(chunk_size=2000)
                ),
            )
        )
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets)
    record(
        actor=request.user,
        action="export",
        object_type="servicelist.gaps",
        object_id=str(service_no or ""),
        summary=f"导出服务覆盖缺口（{'含儿童名单 ' + str(count_children) + ' 人' if kind == 'children' else '仅人数'}）",
    )
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="service-gaps-{_today():%Y%m%d}.xlsx"'
    return response
