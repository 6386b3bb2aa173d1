"""Reminders: the daily work-list notice for every worker, sent through pluggable backends.

``settings.CARE_NOTIFICATION_BACKENDS`` lists dotted paths of classes with
``send(messages: list[Message]) -> int``; only the in-app backend (rows of
``care.Notification`` shown by the bell page) ships. An e-mail or SMS backend is a class
with the same method added to the list.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils.module_loading import import_string

from care import cadence
from care.models import CareStatus, Notification

DEFAULT_BACKENDS = ["care.notify.InAppBackend"]


@dataclass(frozen=True)
class Message:
    user_id: int
    text: str
    url: str
    key: str


class InAppBackend:
    """Writes Notification rows; one per user and key (a second run the same day adds nothing)."""

    def send(self, messages: list[Message]) -> int:
        rows = [Notification(user_id=m.user_id, text=m.text, url=m.url, key=m.key) for m in messages]
        before = Notification.objects.filter(key__in={m.key for m in messages}).count()
        Notification.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        return Notification.objects.filter(key__in={m.key for m in messages}).count() - before


def backends():
    return [
        import_string(path)() for path in getattr(settings, "CARE_NOTIFICATION_BACKENDS", DEFAULT_BACKENDS)
    ]


def counts_by_village(on: dt.date) -> dict[tuple[int | None, int], dict[str, int]]:
    """One grouped query over the summary table: the work-list counts of every village that
    has something due (a village with nothing due by the end of the week has no entry).

    Only rows due by the end of the week can count, so they are read through the due-date
    indexes; the rows carry their child's village and township (care.status), so no child is
    joined, and a closed file's row has neither duty. The flags are compared to a value
    (``needs_visit = true``) so that SQLite can use the (flag, due date) indexes.
    """
    end = cadence.week_end(on)
    status = connection.ops.quote_name(CareStatus._meta.db_table)
    sql = f"""
        SELECT s.village_id, s.township_id,
            SUM(CASE WHEN s.needs_visit = %s AND s.next_visit_due < %s THEN 1 ELSE 0 END),
            SUM(CASE WHEN s.needs_visit = %s AND s.next_visit_due >= %s AND s.next_visit_due <= %s
                THEN 1 ELSE 0 END),
            SUM(CASE WHEN s.key_attention = %s AND s.next_contact_due <= %s THEN 1 ELSE 0 END)
        FROM {status} s
        WHERE (s.needs_visit = %s AND s.next_visit_due <= %s)
            OR (s.key_attention = %s AND s.next_contact_due <= %s)
        GROUP BY s.village_id, s.township_id
    """  # noqa: S608 - fixed identifiers, values as parameters
    params = [True, on, True, on, end, True, end, True, end, True, end]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        (village_id, township_id): {"overdue": int(overdue), "week": int(week), "contacts": int(contacts)}
        for village_id, township_id, overdue, week, contacts in rows
    }


def daily_messages(on: dt.date) -> list[Message]:
    from accounts.models import Assignment
    from accounts.roles import Role

    per_village: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_township: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (village_id, township_id), counts in counts_by_village(on).items():
        for k, v in counts.items():
            if village_id is not None:
                per_village[village_id][k] += v
            per_township[township_id][k] += v
    url = reverse("care:worklist")
    key = f"worklist:{on.isoformat()}"
    messages = []
    for user_id, role, unit_id in Assignment.objects.filter(
        active=True, role__in=[Role.DIRECTOR, Role.SUPERVISOR]
    ).values_list("user_id", "role", "unit_id"):
        counts = (per_village if role == Role.DIRECTOR else per_township).get(unit_id)
        if not counts or not any(counts.values()):
            continue
        text = (
            f"{on:%m月%d日}工作提醒：逾期未走访 {counts['overdue']} 人，本周应走访 {counts['week']} 人，"
            f"重点关注儿童联系到期 {counts['contacts']} 人。"
        )
        messages.append(Message(user_id, text, url, key))
    # A worker with two villages gets one notice: the first (the query order is stable).
    unique: dict[int, Message] = {}
    for m in messages:
        unique.setdefault(m.user_id, m)
    return list(unique.values())


def send_daily(on: dt.date) -> int:
    messages = daily_messages(on)
    sent = 0
    for backend in backends():
        sent = max(sent, backend.send(messages))
    return sent
