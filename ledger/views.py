"""Pages of the ledger: upload → preview with row errors → confirm; rejected rows; export."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from access.decorators import require
from access.policy import has_capability
from common.excel import write_xlsx
from ledger import selectors, services
from ledger.forms import ExportForm, UploadForm
from ledger.tasks import commit_ledger_import

INLINE_ROWS = 2000  # larger imports are committed by a background task
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_response(headers, rows, *, sheet: str, filename: str) -> FileResponse:
    # Spooled to disk past 16 MB: a large export never sits in memory whole.
    target = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - closed by FileResponse
    write_xlsx(target, [(sheet, headers, rows)])
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX)


@require("registry.import")
def upload(request):
    form = UploadForm(*((request.POST, request.FILES) if request.method == "POST" else ()))
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            ledger_import = services.ledger_upload(
                actor=request.user,
                file=upload_file,
                filename=upload_file.name,
                columns=form.cleaned_data["columns"],
            )
        except services.ImportRefused as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("ledger:preview", pk=ledger_import.pk)
    recent = selectors.imports_visible(request.user).select_related("uploaded_by")[:20]
    return render(request, "ledger/upload.html", {"form": form, "recent": recent})


@require("registry.import")
def preview(request, pk):
    ledger_import = get_object_or_404(selectors.imports_visible(request.user), pk=pk)
    return render(
        request,
        "ledger/preview.html",
        {
            "imp": ledger_import,
            "rejected": selectors.rejected_preview(ledger_import),
            "warnings": selectors.warning_summary(ledger_import),
            "planned": selectors.planned_counts(ledger_import),
            "done": selectors.committed_count(ledger_import) if ledger_import.status == "committing" else 0,
        },
    )


@require("registry.import")
@require_POST
def confirm(request, pk):
    ledger_import = get_object_or_404(selectors.imports_visible(request.user), pk=pk)
    try:
        if ledger_import.valid_rows > INLINE_ROWS:
            # A large ledger takes minutes: commit it in the background, the page shows progress.
            services.ledger_commit_claim(actor=request.user, ledger_import=ledger_import)
            commit_ledger_import.enqueue(ledger_import.pk, request.user.pk)
            messages.info(request, "正在后台导入，本页会自动刷新显示进度")
            return redirect("ledger:preview", pk=ledger_import.pk)
        services.ledger_commit(actor=request.user, ledger_import=ledger_import)
    except services.ImportRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"导入完成：新建 {ledger_import.registered} 份档案，更新 {ledger_import.updated} 份，"
            f"退回 {ledger_import.rejected_rows} 行",
        )
    return redirect("ledger:preview", pk=ledger_import.pk)


@require("registry.import")
def rejected_download(request, pk):
    ledger_import = get_object_or_404(selectors.imports_visible(request.user), pk=pk)
    headers, rows = services.rejected_rows(ledger_import)
    services.record_rejected_download(actor=request.user, ledger_import=ledger_import)
    stem = ledger_import.file_name.rsplit(".", 1)[0]
    return _xlsx_response(headers, rows, sheet="退回行", filename=f"{stem}-退回行.xlsx")


@require("registry.export")
def export(request):
    form = ExportForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        township = form.cleaned_data["township"]
        full_ids = bool(form.cleaned_data.get("full_ids")) and has_capability(request.user, "registry.reveal")
        queryset = selectors.children_for_export(
            request.user,
            township_id=township.pk if township else None,
            include_closed=form.cleaned_data["include_closed"],
        )
        count = queryset.count()
        services.record_export(
            actor=request.user,
            count=count,
            full_ids=full_ids,
            scope_text=township.name if township else "全部辖区",
        )
        headers, rows = selectors.ledger_rows(queryset, full_ids=full_ids)
        name = f"流动儿童台账-{township.name if township else '全部'}-{timezone.localdate():%Y%m%d}.xlsx"
        return _xlsx_response(headers, rows, sheet="流动儿童台账", filename=name)
    return render(request, "ledger/export.html", {"form": form, "import_url": reverse("ledger:upload")})
