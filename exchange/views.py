"""HTML views of the data exchange: upload (background import with progress), column
mapping, the reconciliation report and its Excel, rollback, the review queue, the national
export and the feed panel of a child's file."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from access.decorators import require
from access.policy import get_child_or_404
from audit.services import record
from common.excel import write_xlsx
from exchange import national, selectors
from exchange.forms import DecisionForm, MappingForm, UploadForm
from exchange.models import FeedBatch, Outcome, ReviewItem
from exchange.services import (
    ExchangeError,
    batch_create,
    feed_rollback,
    file_sha256,
    review_decide,
    source_save_mapping,
)
from exchange.tasks import import_uploaded_feed

REPORT_HEADERS = ["行号", "结果", "关联档案编号", "得分", "说明"]


def _upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "private-feeds"
    path.mkdir(parents=True, exist_ok=True)
    return path


@require("exchange.import")
def batches(request):
    page = Paginator(selectors.batches_visible(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "exchange/batches.html", {"page": page})


@require("exchange.import")
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        suffix = Path(file.name).suffix.lower()[:6]
        stored = _upload_dir() / f"{uuid.uuid4().hex}{suffix}"
        with stored.open("wb") as out:
            for chunk in file.chunks():
                out.write(chunk)
        try:
            batch = batch_create(
                actor=request.user, source=form.cleaned_data["source"], via=FeedBatch.Via.UI,
                file_name=file.name, sha256=file_sha256(stored), stored_file=str(stored),
                is_complete_list=form.cleaned_data["is_complete_list"],
            )  # fmt: skip
        except ExchangeError as exc:
            stored.unlink(missing_ok=True)
            form.add_error("source", str(exc))
        else:
            import_uploaded_feed.enqueue(batch.pk)
            return redirect("exchange:batch", pk=batch.pk)
    return render(request, "exchange/upload.html", {"form": form})


def _batch_context(request, batch):
    outcome = request.GET.get("outcome", "")
    if outcome not in Outcome.values:
        outcome = ""
    rows = Paginator(selectors.batch_rows(batch, outcome=outcome), 50).get_page(request.GET.get("page"))
    return {"batch": batch, "rows": rows, "outcome": outcome, "outcomes": Outcome.choices}


@require("exchange.import")
def batch(request, pk):
    batch = selectors.get_batch_or_404(request.user, pk)
    if batch.status == FeedBatch.Status.MAPPING:
        return redirect("exchange:mapping", pk=batch.pk)
    return render(request, "exchange/batch.html", _batch_context(request, batch))


@require("exchange.import")
def batch_progress(request, pk):
    batch = selectors.get_batch_or_404(request.user, pk)
    response = render(request, "exchange/_progress.html", {"batch": batch})
    if batch.finished and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # show the full report once done
    return response


@require("exchange.import")
def batch_report(request, pk):
    batch = selectors.get_batch_or_404(request.user, pk)
    labels = dict(Outcome.choices)
    rows = (
        [number, labels.get(outcome, outcome), file_no or "", score, reason]
        for number, outcome, file_no, score, reason in selectors.batch_rows(batch)
        .values_list("number", "outcome", "child__file_no", "score", "reason")
        .iterator(chunk_size=2000)
    )  # values only: the linked children's files are not read (nor their ID numbers decrypted)
    summary = [
        ["数据来源", batch.source.name], ["文件", batch.file_name], ["导入时间", timezone.localtime(batch.created_at)],
        ["数据行数", batch.total_rows], ["已关联", batch.linked], ["待人工确认", batch.review],
        ["新发现", batch.new], ["未采用", batch.rejected], ["状态", batch.get_status_display()],
    ]  # fmt: skip
    buffer = io.BytesIO()
    write_xlsx(buffer, [("汇总", ["项目", "内容"], summary), ("逐行结果", REPORT_HEADERS, rows)])
    record(
        actor=request.user, action="export", obj=batch, batch=batch.label,
        summary=f"下载{batch.source.name}第{batch.pk}批比对结果",
    )  # fmt: skip
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="feed-{batch.pk}-report.xlsx"'
    return response


@require("exchange.import")
def mapping(request, pk):
    batch = selectors.get_batch_or_404(request.user, pk)
    if batch.status != FeedBatch.Status.MAPPING or not batch.stored_file:
        return redirect("exchange:batch", pk=batch.pk)
    form = MappingForm(request.POST or None, source=batch.source, headers=list(batch.warnings))
    if request.method == "POST" and form.is_valid():
        columns = form.mapping()
        source_save_mapping(actor=request.user, source=batch.source, mapping=columns)
        FeedBatch.objects.filter(pk=batch.pk).update(status=FeedBatch.Status.PENDING, error="")
        import_uploaded_feed.enqueue(batch.pk, columns)
        return redirect("exchange:batch", pk=batch.pk)
    return render(request, "exchange/mapping.html", {"batch": batch, "form": form})


@require("exchange.import")
@require_POST
def rollback(request, pk):
    batch = selectors.get_batch_or_404(request.user, pk)
    try:
        result = feed_rollback(actor=request.user, batch=batch)
    except ExchangeError as exc:
        messages.error(request, str(exc))
    else:
        text = f"已撤销：还原 {result['undone']} 项处理，删除 {result['removed']} 份待核实档案"
        if result["notes"]:
            text += "；" + "；".join(result["notes"][:5])
        messages.success(request, text)
    return redirect("exchange:batch", pk=batch.pk)


@require("exchange.review")
def review_queue(request):
    page = Paginator(selectors.review_items_visible(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "exchange/review_queue.html", {"page": page})


@require("exchange.review")
def review_item(request, pk):
    item = selectors.get_review_item_or_404(request.user, pk)
    candidates = selectors.review_candidates(request.user, item)
    form = DecisionForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and item.status == ReviewItem.Status.OPEN and form.is_valid():
        choice = form.cleaned_data["decision"]
        try:
            review_decide(
                actor=request.user, item=item, child_id=None if choice == "new" else int(choice),
                note=form.cleaned_data["note"],
            )  # fmt: skip
        except ExchangeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已确认")
            following = selectors.review_items_visible(request.user).first()
            return (
                redirect("exchange:review_item", pk=following.pk)
                if following
                else redirect("exchange:review")
            )
    fields = [f for f in item.source.fields if f["name"] in item.row.values]
    record(
        actor=request.user, action="read", obj=item,
        summary=f"查看待确认的部门数据（{item.row.batch.label}第{item.row.number}行）及候选档案",
    )  # fmt: skip
    return render(
        request, "exchange/review_item.html",
        {"item": item, "candidates": candidates, "form": form, "fields": fields},
    )  # fmt: skip


@require("exchange.national_export")
def national_export(request):
    if request.method == "POST":
        buffer = io.BytesIO()
        national.national_export(actor=request.user, target=buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        stamp = timezone.localdate().strftime("%Y%m%d")
        response["Content-Disposition"] = (
            f'attachment; filename="national-v{national.LAYOUT_VERSION}-{stamp}.xlsx"'
        )
        return response
    count = national.active_migrants(request.user).count()
    return render(
        request, "exchange/national_export.html",
        {"count": count, "columns": national.COLUMNS, "version": national.LAYOUT_VERSION},
    )  # fmt: skip


@require("registry.view")
def child_feeds(request, child_pk):
    child = get_child_or_404(request.user, child_pk)
    record(actor=request.user, action="read", obj=child, summary=f"查看档案 {child.file_no} 的部门数据记录")
    return render(
        request,
        "exchange/child_feeds.html",
        {"child": child, **selectors.child_feed_file(request.user, child)},
    )
