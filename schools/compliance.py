"""Obligations done / due / overdue per school, derived from the calendar and the records
(never stored). Aggregates only: no names leave this module.

The work is a handful of grouped queries per calendar in force (the city's and any school's
own), so a city of a million children costs the same number of queries as a small one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Q

from registry.choices import MigrantStatus
from schools import obligations as rules
from schools.models import Activity, Obligation, Participation, PsychAssessment, School
from schools.selectors import calendar_for, calendars

SEMESTER = "semester"
YEAR = "year"


@dataclass
class Line:
    """One obligation of one school for one period."""

    school: School
    obligation: Obligation
    period: rules.Period
    required: int
    done: int
    status: str

    @property
    def status_label(self) -> str:
        return rules.STATUS_LABELS[self.status]

    @property
    def missing(self) -> int:
        return max(self.required - self.done, 0)


@dataclass
class Tally:
    """Lines of one obligation added up (per township or for the whole selection)."""

    lines: int = 0
    done: int = 0
    due: int = 0
    overdue: int = 0
    upcoming: int = 0
    pupils_required: int = 0
    pupils_done: int = 0

    def add(self, line: Line) -> None:
        self.lines += 1
        setattr(self, line.status, getattr(self, line.status) + 1)
        if line.obligation.scope == Obligation.Scope.PER_PUPIL:
            self.pupils_required += line.required
            self.pupils_done += line.done

    @property
    def begun(self) -> int:
        """Lines whose period has begun (a period not yet open is nobody's shortfall)."""
        return self.lines - self.upcoming

    @property
    def percent(self) -> int | None:
        if self.pupils_required:
            return round(100 * self.pupils_done / self.pupils_required)
        if self.begun:
            return round(100 * self.done / self.begun)
        return None


@dataclass
class Picture:
    on: dt.date
    span: str
    obligations: list[Obligation]
    lines: list[Line]
    without_calendar: list[School] = field(default_factory=list)

    def by_township(self) -> list[dict]:
        rows: dict[int, dict] = {}
        for line in self.lines:
            township = line.school.township
            row = rows.setdefault(
                township.pk,
                {"township": township, "schools": set(), "tallies": defaultdict(Tally), "total": Tally()},
            )
            row["schools"].add(line.school.pk)
            row["tallies"][line.obligation.code].add(line)
            row["total"].add(line)
        out = []
        for row in sorted(rows.values(), key=lambda r: r["township"].code):
            out.append(
                {
                    "township": row["township"],
                    "schools": len(row["schools"]),
                    "cells": [row["tallies"].get(o.code) for o in self.obligations],
                    "total": row["total"],
                }
            )
        return out

    def by_school(self) -> list[dict]:
        rows: dict[int, dict] = {}
        for line in self.lines:
            row = rows.setdefault(line.school.pk, {"school": line.school, "cells": defaultdict(list)})
            row["cells"][line.obligation.code].append(line)
        return [
            {"school": r["school"], "cells": [r["cells"].get(o.code, []) for o in self.obligations]}
            for r in sorted(rows.values(), key=lambda r: (r["school"].township.code, r["school"].name))
        ]

    def count(self, *statuses: str) -> int:
        return sum(1 for line in self.lines if line.status in statuses)


def _pupil_filter(prefix: str = "") -> Q:
    return Q(**{f"{prefix}migrant_status": MigrantStatus.MIGRANT, f"{prefix}closed_at__isnull": True})


def _eligible(obligation: Obligation, kind: str, stage: str, grade_text: str) -> bool:
    if not rules.applies_to_school(school_kinds=obligation.school_kinds, kind=kind):
        return False
    return rules.applies_to_grade(
        min_grade=obligation.min_grade, grade=rules.parse_grade(grade_text, stage=stage)
    )


def picture(schools, *, on: dt.date, span: str = SEMESTER) -> Picture:
    """The compliance picture of the given schools (a queryset or list) on a day."""
    schools = list(schools.select_related("township") if hasattr(schools, "select_related") else schools)
    all_obligations = list(Obligation.objects.all())
    shown: dict[str, Obligation] = {}
    all_calendars = calendars()
    groups: dict[int, tuple] = {}
    without = []
    for school in schools:
        if not school.active:
            continue
        calendar = calendar_for(school, on, all_calendars=all_calendars)
        if calendar is None:
            without.append(school)
            continue
        groups.setdefault(calendar.pk, (calendar, []))[1].append(school)
    lines: list[Line] = []
    for calendar, members in groups.values():
        lines.extend(_lines_for(calendar, members, all_obligations, on=on, span=span, shown=shown))
    ordered = sorted(shown.values(), key=lambda o: (o.order, o.code))
    return Picture(on=on, span=span, obligations=ordered, lines=lines, without_calendar=without)


def _lines_for(calendar, schools: list[School], all_obligations, *, on, span, shown) -> list[Line]:
    term = rules.current_term(calendar, on)
    year = rules.school_year(calendar)
    ids = [s.pk for s in schools]
    kinds = {s.pk: s.kind for s in schools}

    # Migrant pupils of each school, by stage and free-text grade (few distinct values).
    pupils = defaultdict(list)  # school id -> [(stage, grade, n)]
    for school_id, stage, grade, n in (
        _pupils(ids).values_list("school_id", "school_stage", "grade").annotate(n=Count("id")).order_by()
    ):
        pupils[school_id].append((stage, grade, n))

    wanted: list[tuple[Obligation, rules.Period]] = []
    for obligation in all_obligations:
        for period in rules.periods(calendar, obligation.cadence):
            if span == SEMESTER and period.term not in (None, term):
                continue
            if not rules.in_force(
                effective_from=obligation.effective_from, effective_to=obligation.effective_to, period=period
            ):
                continue
            wanted.append((obligation, period))

    # School-wide duties: activities of the school per type and period, one grouped query.
    school_wide = [i for i, (o, _p) in enumerate(wanted) if o.scope == Obligation.Scope.PER_SCHOOL]
    counts: dict[tuple[int, int], int] = {}
    if school_wide:
        annotations = {
            f"n{i}": Count(
                "id",
                filter=Q(type=wanted[i][0].activity_type, date__range=(wanted[i][1].start, wanted[i][1].end)),
            )
            for i in school_wide
        }
        for row in (
            Activity.objects.filter(school_id__in=ids, organiser_kind=Activity.OrganiserKind.SCHOOL)
            .filter(date__range=(year.start, year.end))
            .values("school_id")
            .annotate(**annotations)
            .order_by()
        ):
            for i in school_wide:
                counts[(row["school_id"], i)] = row[f"n{i}"]

    # Per-pupil duties: distinct pupils with a record in the period, by stage and grade.
    covered: dict[tuple[str, str], dict[int, list]] = {}
    for obligation, period in wanted:
        if obligation.scope != Obligation.Scope.PER_PUPIL:
            continue
        key = (obligation.code, period.key)
        if key in covered:
            continue
        covered[key] = defaultdict(list)
        for school_id, stage, grade, n in _covered_pupils(obligation, period, ids):
            covered[key][school_id].append((stage, grade, n))

    lines = []
    for school in schools:
        if not pupils.get(school.pk):
            continue  # no migrant pupils: nothing of this plan to do here
        for index, (obligation, period) in enumerate(wanted):
            if not rules.applies_to_school(school_kinds=obligation.school_kinds, kind=kinds[school.pk]):
                continue
            if obligation.scope == Obligation.Scope.PER_SCHOOL:
                required = obligation.min_count
                done = counts.get((school.pk, index), 0)
            else:
                required = sum(
                    n for st, gr, n in pupils[school.pk] if _eligible(obligation, school.kind, st, gr)
                )
                if not required:
                    continue
                done = sum(
                    n
                    for st, gr, n in covered[(obligation.code, period.key)].get(school.pk, [])
                    if _eligible(obligation, school.kind, st, gr)
                )
            shown.setdefault(obligation.code, obligation)
            lines.append(
                Line(
                    school=school,
                    obligation=obligation,
                    period=period,
                    required=required,
                    done=min(done, required) if obligation.scope == Obligation.Scope.PER_PUPIL else done,
                    status=rules.status(done=done, required=required, period=period, on=on),
                )
            )
    return lines


def _pupils(school_ids):
    from registry.models import Child

    return Child.objects.filter(_pupil_filter(), school_id__in=school_ids)


def _covered_pupils(obligation: Obligation, period: rules.Period, school_ids):
    """(school id, stage, grade, distinct pupils) with a record of the obligation in the period.

    Counted from the pupils whose id is in the set of recorded children, built once: a
    COUNT(DISTINCT) over the records joined to the pupils probed every activity of the school
    for every pupil."""
    if obligation.evidence == Obligation.Evidence.PSYCH_ASSESSMENT:
        recorded = PsychAssessment.objects.filter(date__range=(period.start, period.end))
    else:
        # A home visit counts when the pupil's own school made it.
        recorded = Participation.objects.filter(
            activity__school_id__in=school_ids,
            activity__type=obligation.activity_type,
            activity__date__range=(period.start, period.end),
            activity__school_id=F("child__school_id"),
        )
    return (
        _pupils(school_ids)
        .filter(id__in=recorded.values("child_id"))
        .values_list("school_id", "school_stage", "grade")
        .annotate(n=Count("id"))
        .order_by()
    )
