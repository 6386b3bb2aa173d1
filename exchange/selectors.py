"""Reads of the data exchange, starting from what the user may see."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from access.policy import children_visible, has_capability, scope_of
from exchange.models import (
    ChildEffect,
    FeedBatch,
    FeedRow,
    FeedSource,
    HealthRecord,
    ReviewItem,
    VerificationTask,
)


def batches_visible(user) -> QuerySet:
    """City administrators see every batch; a department liaison the batches of its own sources."""
    qs = FeedBatch.objects.select_related("source", "source__department", "uploaded_by")
    scope = scope_of(user)
    if has_capability(user, "exchange.import") and scope.city:
        return qs
    if has_capability(user, "exchange.push") and scope.department_ids:
        return qs.filter(source__department_id__in=scope.department_ids, via=FeedBatch.Via.API)
    return qs.none()


def batches_with_replies(user) -> QuerySet:
    """``batches_visible`` with ``rows_rejected``: the rows its sender was told were rejected
    (the department API's counts, which say nothing of linked or new rows)."""
    from exchange.rows import REJECTED

    return batches_visible(user).annotate(
        rows_rejected=Count("rows", filter=Q(rows__reply__outcome=REJECTED))
    )


def get_batch_or_404(user, pk) -> FeedBatch:
    try:
        return batches_visible(user).get(pk=pk)
    except (FeedBatch.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该批次，或您无权查看") from None


def sources_for_push(user) -> QuerySet:
    scope = scope_of(user)
    return FeedSource.objects.filter(active=True, department_id__in=scope.department_ids)


def review_items_visible(user, *, status: str | None = ReviewItem.Status.OPEN) -> QuerySet:
    """Review items of the user's area: city-wide for a city administrator, the township's
    (by the best candidate's township) for a supervisor."""
    qs = ReviewItem.objects.select_related("row", "row__batch", "source", "township").order_by(
        "created_at", "id"
    )
    if status:
        qs = qs.filter(status=status)
    if not has_capability(user, "exchange.review"):
        return qs.none()
    scope = scope_of(user)
    if scope.city:
        return qs
    return qs.filter(township_id__in=scope.township_ids)


def get_review_item_or_404(user, pk) -> ReviewItem:
    try:
        return review_items_visible(user, status=None).get(pk=pk)
    except (ReviewItem.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该条目，或您无权查看") from None


def review_candidates(user, item: ReviewItem) -> list[dict]:
    """The item's candidates the user may see, with their files, best first."""
    ids = [c["child_id"] for c in item.candidates]
    children = {
        c.pk: c
        for c in children_visible(user).filter(pk__in=ids).select_related("township", "village", "school")
    }
    result = []
    for c in item.candidates:
        child = children.get(c["child_id"])
        if child is not None:
            guardian = child.household.guardians.first()
            result.append({**c, "child": child, "guardian": guardian})
    return result


def batch_rows(batch: FeedBatch, *, outcome: str = "") -> QuerySet:
    qs = FeedRow.objects.filter(batch=batch).select_related("child").order_by("number")
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs


def child_feed_file(user, child) -> dict:
    """What the department feeds said about a child (the caller has checked the child's scope)."""
    return {
        "effects": ChildEffect.objects.filter(child=child).select_related("batch", "batch__source")[:50],
        "health": HealthRecord.objects.filter(child=child)[:20],
        "tasks": VerificationTask.objects.filter(child=child)[:20],
    }
