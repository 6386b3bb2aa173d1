"""HTML views of the registry. They parse input, call services and selectors, and render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from access.decorators import require
from access.policy import (
    can,
    can_reveal,
    has_capability,
    scope_of,
    scoped_by_child,
    townships_visible,
    villages_visible,
)
from audit.services import record
from places.models import Unit
from registry import selectors, services
from registry.forms import (
    CensusOpenForm,
    CensusVerifyForm,
    ChildForm,
    CloseForm,
    DocumentForm,
    GuardianFormSet,
    ReopenForm,
    SearchForm,
    TransferDecisionForm,
    TransferRequestForm,
    apply_service_errors,
    guardian_initial,
    guardians_from,
)
from registry.models import CensusRound, CensusTask, ChildDocument, Transfer
from registry.paging import CappedPaginator
from registry.sections import rendered_sections

PAGE_SIZE = 30


# ---------------------------------------------------------------- list


@require("registry.view")
def child_list(request):
    form = SearchForm(request.GET or None)
    params = form.cleaned_data if form.is_valid() else {}
    qs = selectors.child_list(
        request.user,
        q=params.get("q", ""),
        township_id=params.get("township"),
        village_id=params.get("village"),
        status=params.get("status", ""),
        state=params.get("state") or "open",
        stale=bool(params.get("stale")),
    )
    paginator = CappedPaginator(qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    scope = scope_of(request.user)
    return render(
        request,
        "registry/list.html",
        {
            "form": form,
            "page": page,
            "capped": paginator.capped,
            "query": query.urlencode(),
            "params": params,
            "townships": townships_visible(request.user)
            if (scope.city or len(scope.township_ids) > 1)
            else [],
            "villages": villages_visible(request.user).filter(
                parent_id=params.get("township") or next(iter(scope.township_ids), None)
            )
            if (params.get("township") or scope.township_ids)
            else villages_visible(request.user).filter(pk__in=scope.village_ids),
            "can_create": has_capability(request.user, "registry.edit"),
        },
    )


# ---------------------------------------------------------------- register


def _forms(request, *, initial=None, guardians=None):
    if request.method == "POST":
        return ChildForm(request.POST, user=request.user), GuardianFormSet(request.POST, prefix="g")
    return (
        ChildForm(initial=initial or {}, user=request.user),
        GuardianFormSet(initial=guardians or [{"is_primary": True}], prefix="g"),
    )


@require("registry.edit")
def child_create(request):
    form, formset = _forms(request)
    duplicates, id_match = [], None
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.to_input(guardians_from(formset))
        id_match = selectors.id_match(request.user, data.id_number)
        duplicates = [] if id_match else selectors.likely_duplicates(request.user, data)
        if id_match is None and (not duplicates or form.cleaned_data.get("not_duplicate")):
            try:
                child = services.child_register(actor=request.user, data=data)
            except services.DuplicateChild:
                id_match = selectors.id_match(request.user, data.id_number)
            except services.InvalidChildData as exc:
                apply_service_errors(exc.errors, form, formset)
            else:
                messages.success(request, f"已登记，档案编号 {child.file_no}")
                return redirect("registry:detail", pk=child.pk)
    return render(
        request,
        "registry/form.html",
        {"form": form, "formset": formset, "duplicates": duplicates, "id_match": id_match, "creating": True},
    )


@require("registry.edit")
@require_POST
def duplicate_check(request):
    """The htmx step of the register form: exact ID match and likely duplicates, as the user types."""
    form = ChildForm(request.POST, user=request.user)
    form.is_valid()
    c = form.cleaned_data
    id_match = selectors.id_match(request.user, c.get("id_number", "")) if c.get("id_number") else None
    duplicates = []
    if id_match is None and c.get("name") and c.get("birth_date"):
        from registry.inputs import ChildInput, GuardianInput

        phones = [
            GuardianInput(name="", relationship="", phone=request.POST.get(f"g-{i}-phone", ""))
            for i in range(4)
        ]
        probe = ChildInput(
            name=c["name"], sex=c.get("sex", ""), birth_date=c["birth_date"], township_id=0, guardians=phones
        )
        duplicates = selectors.likely_duplicates(request.user, probe)
    return render(request, "registry/_duplicates.html", {"duplicates": duplicates, "id_match": id_match})


# ---------------------------------------------------------------- the file


@require("registry.view")
def child_detail(request, pk):
    # Most files have no documents and no transfers: the child's query says, and neither is read.
    child = selectors.child_file(request.user, pk, **selectors.file_lists_present())
    record(actor=request.user, action="read", obj=child, summary=f"查看儿童档案 {child.file_no}")
    user = request.user
    census = (
        CensusTask.objects.filter(child=child).select_related("round", "verified_by").order_by("-round_id")
    )
    can_edit = can(user, "registry.edit", child)
    can_close = can(user, "registry.close", child)
    can_transfer = can(user, "registry.transfer", child) and child.closed_at is None
    return render(
        request,
        "registry/detail.html",
        {
            "child": child,
            "guardians": child.household.guardians.all(),
            # Linked by name and file number only.
            "siblings": selectors.children_visible_siblings(user, child).only("name", "file_no"),
            "documents": child.documents.select_related("uploaded_by") if child.has_documents else [],
            # The list shows the places, not who asked or decided.
            "transfers": child.transfers.select_related("from_township", "to_township", "to_village")
            if child.has_transfers
            else [],
            "census_tasks": census,
            "history": selectors.change_history(user, child),
            "sections": rendered_sections(request, child),
            "can_edit": can_edit,
            "can_reveal": can_reveal(user, child),
            "can_close": can_close,
            "can_transfer": can_transfer,
            # Each form only where the page shows it.
            "document_form": DocumentForm() if can_edit else None,
            "close_form": CloseForm() if can_close and child.closed_at is None else None,
            "reopen_form": ReopenForm() if can_close and child.closed_at else None,
            "transfer_form": TransferRequestForm(child=child) if can_transfer else None,
            "stale": child.closed_at is None
            and (child.last_verified_on is None or child.last_verified_on < selectors.stale_before()),
        },
    )


@require("registry.reveal")
@require_POST
def child_reveal(request, pk):
    child = selectors.child_file(request.user, pk)
    revealed = services.reveal_identifiers(actor=request.user, child=child)
    return render(request, "registry/_revealed.html", {"child": child, "revealed": revealed})


def _conflict(request, child, exc):
    """After a conflicting edit: keep everything typed, show what changed meanwhile, and carry
    the new version so that the user can submit again after checking."""
    child.refresh_from_db()
    conflict = {"message": str(exc), "history": selectors.change_history(request.user, child, limit=3)}
    post = request.POST.copy()
    post["version"] = child.version
    form, formset = ChildForm(post, user=request.user), GuardianFormSet(post, prefix="g")
    form.is_valid()
    formset.is_valid()
    return conflict, form, formset


@require("registry.edit")
def child_edit(request, pk):
    child = selectors.child_file(request.user, pk)
    if not can(request.user, "registry.edit", child):
        raise PermissionDenied("您的角色无权修改档案")
    current = services.input_from_child(child)
    form, formset = _forms(
        request,
        initial=ChildForm.initial_from(current, child.version),
        guardians=guardian_initial(current),
    )
    conflict = None
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.to_input(guardians_from(formset))
        try:
            services.child_update(
                actor=request.user,
                child=child,
                data=data,
                expected_version=form.cleaned_data.get("version") or child.version,
            )
        except services.ConcurrentEdit as exc:
            conflict, form, formset = _conflict(request, child, exc)
        except services.RegistryError as exc:
            errors = getattr(exc, "errors", None) or {"__all__": str(exc)}
            apply_service_errors(errors, form, formset)
        else:
            messages.success(request, "已保存")
            return redirect("registry:detail", pk=child.pk)
    return render(
        request,
        "registry/form.html",
        {"form": form, "formset": formset, "child": child, "conflict": conflict, "creating": False},
    )


@require("registry.close")
@require_POST
def child_close(request, pk):
    child = selectors.child_file(request.user, pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.child_close(
                actor=request.user,
                child=child,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                destination=form.cleaned_data["destination"],
            )
        except services.RegistryError as exc:
            messages.error(request, "；".join(getattr(exc, "errors", {}).values()) or str(exc))
        else:
            messages.success(request, "档案已关闭")
    else:
        messages.error(request, "请选择关闭原因")
    return redirect("registry:detail", pk=child.pk)


@require("registry.close")
@require_POST
def child_reopen(request, pk):
    child = selectors.child_file(request.user, pk)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写重新打开的原因")
    else:
        try:
            services.child_reopen(actor=request.user, child=child, note=form.cleaned_data["note"])
        except services.RegistryError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "档案已重新打开")
    return redirect("registry:detail", pk=child.pk)


@require("registry.close", "registry.transfer")
def transfer_file(request, pk):
    """A printable file for the receiving city when a child leaves Tianmen."""
    child = selectors.child_file(request.user, pk)
    record(actor=request.user, action="export", obj=child, summary=f"打印儿童档案 {child.file_no} 的转出档案")
    return render(
        request,
        "registry/transfer_file.html",
        {
            "child": child,
            "guardians": child.household.guardians.all(),
            "history": selectors.change_history(request.user, child, limit=50),
            "census_tasks": CensusTask.objects.filter(child=child).select_related("round"),
            "printed_at": timezone.now(),
        },
    )


# ---------------------------------------------------------------- documents


@require("registry.edit")
@require_POST
def document_upload(request, pk):
    child = selectors.child_file(request.user, pk)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请填写材料名称并选择文件")
        return redirect("registry:detail", pk=child.pk)
    try:
        services.document_upload(
            actor=request.user, child=child, file=form.cleaned_data["file"], title=form.cleaned_data["title"]
        )
    except services.RegistryError as exc:
        messages.error(request, "；".join(getattr(exc, "errors", {}).values()) or str(exc))
    except PermissionDenied:
        raise
    else:
        messages.success(request, "材料已上传")
    return redirect(reverse("registry:detail", args=[child.pk]) + "#documents")


@require("registry.view")
def document_download(request, pk):
    document = get_object_or_404(
        scoped_by_child(request.user, ChildDocument.objects.select_related("child")), pk=pk
    )
    record(
        actor=request.user,
        action="export",
        obj=document,
        summary=f"下载儿童档案 {document.child.file_no} 的材料",
    )
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("文件已丢失，请联系管理员") from None
    return FileResponse(
        handle,
        as_attachment=document.content_type not in ("application/pdf", "image/jpeg", "image/png"),
        filename=f"{document.child.file_no}-{document.title}.{document.stored_name.rsplit('.', 1)[-1]}",
        content_type=document.content_type,
    )


# ---------------------------------------------------------------- transfers


@require("registry.transfer")
@require_POST
def transfer_request(request, pk):
    child = selectors.child_file(request.user, pk)
    form = TransferRequestForm(request.POST, child=child)
    if form.is_valid():
        try:
            services.transfer_request(
                actor=request.user,
                child=child,
                to_township=form.cleaned_data["to_township"],
                reason=form.cleaned_data["reason"],
            )
        except services.RegistryError as exc:
            messages.error(request, "；".join(getattr(exc, "errors", {}).values()) or str(exc))
        else:
            messages.success(request, "转移申请已提交，等待转入乡镇的督导员接收")
    else:
        messages.error(request, "请选择转入乡镇并填写转移原因")
    return redirect("registry:detail", pk=child.pk)


@require("registry.transfer")
def transfer_inbox(request):
    return render(
        request,
        "registry/transfers.html",
        {
            "incoming": selectors.transfers_incoming(request.user),
            "outgoing": selectors.transfers_outgoing(request.user).filter(status=Transfer.Status.PENDING),
        },
    )


@require("registry.transfer")
def transfer_decide(request, pk):
    transfer = selectors.transfer_for_decision(request.user, pk)
    form = TransferDecisionForm(request.POST or None, transfer=transfer)
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["decision"] == "accept":
                services.transfer_accept(
                    actor=request.user,
                    transfer=transfer,
                    to_village=form.cleaned_data.get("to_village"),
                    note=form.cleaned_data.get("note", ""),
                )
                messages.success(request, f"已接收儿童档案 {transfer.child.file_no}")
                return redirect("registry:detail", pk=transfer.child_id)
            services.transfer_reject(
                actor=request.user, transfer=transfer, note=form.cleaned_data.get("note", "")
            )
            messages.success(request, "已退回转移申请")
            return redirect("registry:transfers")
        except services.RegistryError as exc:
            apply_service_errors(getattr(exc, "errors", None) or {"__all__": str(exc)}, form)
    # The receiving supervisor sees what is needed to decide, not the whole file yet.
    return render(request, "registry/transfer_decide.html", {"transfer": transfer, "form": form})


# ---------------------------------------------------------------- census


@require("census.manage", "census.verify")
def census_index(request):
    current = selectors.current_round()
    if current is not None and not has_capability(request.user, "census.manage"):
        if scope_of(request.user).village_ids and not scope_of(request.user).township_ids:
            return redirect("registry:census_worklist", pk=current.pk)
        return redirect("registry:census_progress", pk=current.pk)
    return render(
        request,
        "registry/census_index.html",
        {
            "rounds": CensusRound.objects.all()[:20],
            "current": current,
            "can_manage": has_capability(request.user, "census.manage"),
        },
    )


@require("census.manage")
def census_open(request):
    form = CensusOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            census = services.census_open(actor=request.user, **form.cleaned_data)
        except services.RegistryError as exc:
            apply_service_errors(getattr(exc, "errors", None) or {"__all__": str(exc)}, form)
        else:
            messages.success(request, f"已发起“{census.name}”")
            return redirect("registry:census_progress", pk=census.pk)
    return render(request, "registry/census_open.html", {"form": form})


@require("census.manage")
@require_POST
def census_close(request, pk):
    census = get_object_or_404(CensusRound, pk=pk)
    services.census_close(actor=request.user, census=census)
    messages.success(request, f"“{census.name}”已结束")
    return redirect("registry:census")


@require("census.manage", "census.verify")
def census_progress(request, pk):
    census = get_object_or_404(CensusRound, pk=pk)
    township = None
    if request.GET.get("township", "").isdigit():
        township = get_object_or_404(townships_visible(request.user), pk=request.GET["township"])
    else:
        scope = scope_of(request.user)
        if not scope.city and len(scope.township_ids) == 1:
            township = Unit.objects.get(pk=next(iter(scope.township_ids)))
    overdue = selectors.census_overdue(request.user, census).select_related("child", "village")
    return render(
        request,
        "registry/census_progress.html",
        {
            "census": census,
            "township": township,
            "summary": selectors.census_summary(request.user, census),
            "rows": selectors.census_progress(request.user, census, township=township),
            "overdue": overdue[:200],
            "past_deadline": timezone.localdate() > census.deadline,
            "can_manage": has_capability(request.user, "census.manage"),
        },
    )


@require("census.verify")
def census_worklist(request, pk):
    census = get_object_or_404(CensusRound, pk=pk)
    status = request.GET.get("status", "pending")
    if status not in CensusTask.Status.values and status != "":
        status = "pending"
    tasks = selectors.census_worklist(request.user, census, status=status)
    page = Paginator(tasks, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "registry/census_worklist.html",
        {
            "census": census,
            "page": page,
            "status": status,
            "statuses": CensusTask.Status.choices,
            "summary": selectors.census_summary(request.user, census),
        },
    )


@require("census.verify")
def census_task(request, pk):
    task = get_object_or_404(
        scoped_by_child(request.user, CensusTask.objects.select_related("child", "round")), pk=pk
    )
    form = CensusVerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.census_verify(
                actor=request.user,
                task=task,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except services.RegistryError as exc:
            apply_service_errors(getattr(exc, "errors", None) or {"__all__": str(exc)}, form)
        else:
            messages.success(request, f"已核实 {task.child.file_no}")
            return redirect("registry:census_worklist", pk=task.round_id)
    return render(request, "registry/census_task.html", {"task": task, "child": task.child, "form": form})


@require("census.verify")
def census_task_update(request, pk):
    """Verify with changes: the file's edit form, saved through census_verify(outcome="updated")."""
    task = get_object_or_404(
        scoped_by_child(request.user, CensusTask.objects.select_related("child", "round")), pk=pk
    )
    child = selectors.child_file(request.user, task.child_id)
    current = services.input_from_child(child)
    form, formset = _forms(
        request, initial=ChildForm.initial_from(current, child.version), guardians=guardian_initial(current)
    )
    conflict = None
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.to_input(guardians_from(formset))
        try:
            services.census_verify(
                actor=request.user,
                task=task,
                outcome=CensusTask.Status.UPDATED,
                data=data,
                expected_version=form.cleaned_data.get("version") or child.version,
            )
        except services.ConcurrentEdit as exc:
            conflict, form, formset = _conflict(request, child, exc)
        except services.RegistryError as exc:
            apply_service_errors(getattr(exc, "errors", None) or {"__all__": str(exc)}, form, formset)
        else:
            messages.success(request, f"已核实并更新 {child.file_no}")
            return redirect("registry:census_worklist", pk=task.round_id)
    return render(
        request,
        "registry/form.html",
        {
            "form": form,
            "formset": formset,
            "child": child,
            "conflict": conflict,
            "creating": False,
            "task": task,
        },
    )
