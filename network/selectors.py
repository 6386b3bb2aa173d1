"""Reads of the network: the roster of child supervisors and directors and their training."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max, Q, QuerySet, Sum

from access.policy import scope_of
from accounts.models import Assignment
from accounts.roles import Role
from network.models import TrainingRecord
from places.models import Unit

ROSTER_ROLES = (Role.SUPERVISOR, Role.DIRECTOR)


def roster(user) -> QuerySet:
    """Active supervisor and director assignments the user may list: the city all, a supervisor
    the township's own and its villages'."""
    scope = scope_of(user)
    if "network.view" not in scope.capabilities:
        return Assignment.objects.none()
    qs = Assignment.objects.filter(active=True, role__in=ROSTER_ROLES, user__is_active=True)
    if scope.city:
        return qs
    return qs.filter(Q(unit_id__in=scope.township_ids) | Q(unit__parent_id__in=scope.township_ids))


def _township_of(level: str, unit_id: int, parent_id: int | None) -> int:
    return unit_id if level == Unit.Level.TOWNSHIP else parent_id


def trained_ids(user_ids, *, since: dt.date | None = None) -> set[int]:
    records = TrainingRecord.objects.filter(user_id__in=user_ids)
    if since is not None:
        records = records.filter(date__gte=since)
    return set(records.values_list("user_id", flat=True).distinct())


def coverage(user, *, since: dt.date | None = None) -> dict:
    """Per township: how many supervisors and directors there are and how many have been trained."""
    rows = list(roster(user).values_list("user_id", "role", "unit_id", "unit__level", "unit__parent_id"))
    trained = trained_ids({r[0] for r in rows}, since=since)
    per: dict[int, dict] = {}
    for user_id, role, unit_id, level, parent_id in rows:
        township = _township_of(level, unit_id, parent_id)
        row = per.setdefault(township, {"staff": set(), "trained": set(), "supervisors": 0, "directors": 0})
        row["staff"].add(user_id)
        row["supervisors" if role == Role.SUPERVISOR else "directors"] += 1
        if user_id in trained:
            row["trained"].add(user_id)
    names = {u.pk: u for u in Unit.objects.filter(pk__in=per.keys())}
    out = []
    for township_id, row in per.items():
        staff, done = len(row["staff"]), len(row["trained"])
        out.append(
            {
                "township": names.get(township_id),
                "staff": staff,
                "trained": done,
                "untrained": staff - done,
                "supervisors": row["supervisors"],
                "directors": row["directors"],
                "percent": round(100 * done / staff, 1) if staff else None,
            }
        )
    out.sort(
        key=lambda r: (
            r["percent"] if r["percent"] is not None else 101,
            r["township"].code if r["township"] else "",
        )
    )
    staff_all = {r[0] for r in rows}
    trained_all = staff_all & trained
    return {
        "rows": out,
        "staff": len(staff_all),
        "trained": len(trained_all),
        "percent": round(100 * len(trained_all) / len(staff_all), 1) if staff_all else None,
        "full": bool(staff_all) and trained_all == staff_all,
    }


def training_summary(user_ids) -> dict[int, dict]:
    """Per user: number of courses, hours and the latest date."""
    return {
        row["user_id"]: row
        for row in TrainingRecord.objects.filter(user_id__in=user_ids)
        .values("user_id")
        .annotate(courses=Count("id"), hours=Sum("hours"), last=Max("date"))
        .order_by()
    }
