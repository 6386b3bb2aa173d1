"""Reads of the schools app. Each starts from the user's scope (access.policy)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet

from access.policy import children_visible, has_capability, psych_visible, scope_of
from accounts.roles import Role
from schools import obligations as rules
from schools.models import Activity, PsychAssessment, School, SchoolYear


def _education_department_id() -> int | None:
    from network.models import Department

    return Department.objects.filter(code="education").values_list("pk", flat=True).first()


def is_education_bureau(user) -> bool:
    """The city administrator or a liaison of the education bureau (教育局)."""
    scope = scope_of(user)
    if scope.city:
        return True
    department = _education_department_id()
    return department is not None and department in scope.department_ids


def can_set_calendar(user) -> bool:
    return has_capability(user, "schools.calendar") and is_education_bureau(user)


def schools_visible(user) -> QuerySet:
    """Schools whose pages and compliance (aggregates, no personal data) the user may read."""
    scope = scope_of(user)
    if "schools.view" not in scope.capabilities:
        return School.objects.none()
    if is_education_bureau(user):
        return School.objects.all()
    townships = set(scope.township_ids)
    if Role.DIRECTOR in scope.roles:
        townships |= set(scope.stats_township_ids)
    return School.objects.filter(Q(township_id__in=townships) | Q(pk__in=scope.school_ids))


def activities_visible(user) -> QuerySet:
    """Activity records: a school's own, a township's and its villages', a village's own.
    Liaisons read aggregates only (no activity list: notes may name people)."""
    scope = scope_of(user)
    if "schools.view" not in scope.capabilities:
        return Activity.objects.none()
    if scope.city:
        return Activity.objects.all()
    q = Q(pk__in=[])
    if scope.school_ids:
        q |= Q(school_id__in=scope.school_ids)
    if scope.township_ids:
        q |= (
            Q(school__township_id__in=scope.township_ids)
            | Q(unit_id__in=scope.township_ids)
            | Q(unit__parent_id__in=scope.township_ids)
        )
    if scope.village_ids:
        q |= Q(unit_id__in=scope.village_ids)
    return Activity.objects.filter(q)


def participants_visible(user, activity: Activity) -> QuerySet:
    """The participating children the user may see (the others are only counted)."""
    return children_visible(user).filter(participations__activity=activity).order_by("file_no")


def psych_assessments_visible(user) -> QuerySet:
    return PsychAssessment.objects.filter(child__in=psych_visible(user))


def calendars() -> list[SchoolYear]:
    return list(SchoolYear.objects.select_related("school").order_by("-semester1_start"))


def calendar_for(school: School | None, on: dt.date, *, all_calendars: list[SchoolYear] | None = None):
    """The school year in force for a school on a day: the school's own calendar for that year if the
    education bureau set one, otherwise the city's."""
    all_calendars = calendars() if all_calendars is None else all_calendars
    city = [c for c in all_calendars if c.school_id is None]
    if school is None:
        return rules.calendar_for_day(city, on)
    own = [c for c in all_calendars if c.school_id == school.pk]
    own_names = {c.name for c in own}
    return rules.calendar_for_day(own + [c for c in city if c.name not in own_names], on)


def child_activity_counts(child) -> list[tuple[str, int]]:
    """(activity type label, count) of the activities a child took part in — counts only."""
    rows = (
        Activity.objects.filter(participations__child=child)
        .values_list("type")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    from schools.models import ActivityType

    return [(ActivityType(t).label, n) for t, n in rows]


def community_summary(user, *, start: dt.date, end: dt.date) -> dict:
    """Community activities per township and per type, and the children they reached
    (counted by the children's township of residence) — aggregates, no personal data."""
    from places.models import Unit
    from schools.models import COMMUNITY_ACTIVITY_TYPES, ActivityType, Participation

    activities = Activity.objects.filter(type__in=COMMUNITY_ACTIVITY_TYPES, date__range=(start, end))
    if not is_education_bureau(user):
        activities = activities.filter(pk__in=activities_visible(user).values("pk"))
    participations = Participation.objects.filter(activity__in=activities)
    townships: dict[int | None, dict] = {}

    def row(township_id):
        return townships.setdefault(township_id, {"activities": 0, "participations": 0, "children": 0})

    for unit_id, level, parent_id, n in activities.values_list(
        "unit_id", "unit__level", "unit__parent_id"
    ).annotate(n=Count("id")):
        row(unit_id if level == "township" else parent_id)["activities"] += n
    for township_id, n, kids in participations.values_list("child__township_id").annotate(
        n=Count("id"), kids=Count("child_id", distinct=True)
    ):
        row(township_id)["participations"] += n
        row(township_id)["children"] += kids
    types = [
        {"label": ActivityType(t).label, "activities": n, "participations": p}
        for t, n, p in activities.values_list("type")
        .annotate(n=Count("id", distinct=True), p=Count("participations"))
        .order_by("-n")
    ]
    names = dict(Unit.objects.filter(pk__in=[k for k in townships if k]).values_list("pk", "name"))
    return {
        "townships": sorted(
            ({"name": names.get(k, "（未指定乡镇）"), **v} for k, v in townships.items()),
            key=lambda r: (-r["activities"], r["name"]),
        ),
        "types": types,
        "activities": activities.count(),
        "participations": participations.count(),
        "children": participations.values("child_id").distinct().count(),
    }
