"""The daily run: automatic flags from data, the summary table, reminders.

The summary rows (care.status) depend on a child's status, visits and flags and on the
cadence policy, never on the day itself: the write services keep them current, so the daily
run recomputes only the children whose inputs changed since the last run (the watermark is in
that run's audit row), and every child when the policy changed or there is no watermark.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time

from django.db.models import Q
from django.utils import timezone

from care import notify
from care.models import CareStatus, RiskFlag, Visit
from care.services import flags_sync_all, record_system
from care.status import load_policy, refresh_all, refresh_children
from registry.models import Child


def policy_fingerprint(on: dt.date) -> str:
    """What the summary rows depend on besides the children's own data: the cadence rules."""
    return hashlib.sha256(repr(load_policy(on)).encode()).hexdigest()[:16]


def _last_mark() -> dict | None:
    from audit.models import AuditEvent

    event = (
        AuditEvent.objects.filter(object_type="care", object_id="daily", action="system")
        .order_by("-seq")
        .only("changes")
        .first()
    )
    return event.changes if event is not None else None


def _since(mark: dict | None, on: dt.date, fingerprint: str) -> tuple[dt.date, dt.datetime] | None:
    try:
        day, started = dt.date.fromisoformat(mark["on"]), dt.datetime.fromisoformat(mark["started"])
    except (KeyError, TypeError, ValueError):
        return None
    if mark.get("policy") != fingerprint or day > on:
        return None
    return day, started


def children_changed_since(*, day: dt.date, since: dt.datetime) -> set[int]:
    """Children whose status, visits or flags changed since the last run (or who have no row)."""
    ids = set(
        Child.objects.filter(Q(updated_at__gte=since) | Q(closed_at__gte=day) | Q(status_computed_on__gt=day))
        .order_by()
        .values_list("pk", flat=True)
    )
    ids.update(Visit.objects.filter(updated_at__gte=since).order_by().values_list("child_id", flat=True))
    ids.update(
        RiskFlag.objects.filter(Q(created_at__gte=since) | Q(closed_on__gte=day))
        .order_by()
        .values_list("child_id", flat=True)
    )
    if CareStatus.objects.count() != Child.objects.count():
        ids.update(Child.objects.filter(care_status__isnull=True).values_list("pk", flat=True))
    return ids


def run_daily(*, on: dt.date, progress=None, full: bool = False) -> dict:
    started = time.perf_counter()
    started_at = timezone.now()
    fingerprint = policy_fingerprint(on)
    since = None if full else _since(_last_mark(), on, fingerprint)
    flagged_ids: list[int] = []
    flagged = flags_sync_all(on=on, flagged=flagged_ids)
    t_flags = time.perf_counter()
    if since is None:
        summary = refresh_all(on=on, progress=progress)
    else:
        ids = children_changed_since(day=since[0], since=since[1]) | set(flagged_ids)
        summary = refresh_children(ids, on=on)
    t_refresh = time.perf_counter()
    sent = notify.send_daily(on)
    t_notify = time.perf_counter()
    result = {
        "on": on.isoformat(),
        "flagged": flagged,
        "children": summary["children"],
        "changed": summary["changed"],
        "notifications": sent,
        "incremental": since is not None,
        "seconds": {
            "flags": round(t_flags - started, 2),
            "refresh": round(t_refresh - t_flags, 2),
            "notify": round(t_notify - t_refresh, 2),
            "total": round(t_notify - started, 2),
        },
    }
    record_system(
        summary=f"每日走访提醒：{summary['children']} 名儿童，更新 {summary['changed']}，"
        f"自动标记 {flagged}，提醒 {sent} 条",
        changes={**result, "started": started_at.isoformat(), "policy": fingerprint},
    )
    return result
