"""The per-child cadence summary (CareStatus): one child at a time inside the write services,
every child in bulk from the daily task.

Why a summary table: a work list over 1,000,000 children ("who is overdue in my villages")
would otherwise aggregate the visits and flags of every child on every page view. With
the last dates and next due dates kept per child, work lists and home-page counts are
indexed range queries (``next_visit_due < today``), and the daily task is the only place
that walks every child. Overdue itself is not stored: it depends on the day of reading.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Case, Max, Min, Q, When
from django.utils import timezone

from care import cadence
from care.models import CadenceRule, CareStatus, RiskFlag, Visit, counts_toward_cadence
from registry.choices import MigrantStatus
from registry.models import Child

CHUNK = 5000
FIELDS = (
    "needs_visit",
    "key_attention",
    "key_attention_since",
    "visit_basis_on",
    "last_home_visit_on",
    "last_contact_on",
    "next_visit_due",
    "next_contact_due",
)
# The child's own columns copied onto its row, so that work lists are scoped without a join.
SCOPE_FIELDS = ("township_id", "village_id", "school_id")


@dataclass(frozen=True)
class Policy:
    visit_periods: list[cadence.RulePeriod]
    contact_periods: list[cadence.RulePeriod]
    home_kinds: tuple[str, ...]
    contact_kinds: tuple[str, ...]
    first_visit_periods: list[cadence.RulePeriod] = field(default_factory=list)


def load_policy(on: dt.date) -> Policy:
    """The cadence rule periods; which visit kinds qualify is read from the rule in force on ``on``."""
    rules = list(CadenceRule.objects.all())

    def periods(applies_to):
        return cadence.periods_from_rules(r for r in rules if r.applies_to == applies_to)

    visit = periods(CadenceRule.AppliesTo.ALL_MIGRANT)
    contact = periods(CadenceRule.AppliesTo.KEY_ATTENTION)
    visit_now = cadence.rule_on(visit, on) or (visit[-1] if visit else None)
    contact_now = cadence.rule_on(contact, on) or (contact[-1] if contact else None)
    home_kinds = visit_now.contact_types if visit_now else ("上门走访",)
    contact_kinds = contact_now.contact_types if contact_now else ()
    # A home visit always counts as a contact.
    contact_kinds = tuple(dict.fromkeys(contact_kinds + home_kinds))
    return Policy(
        visit, contact, tuple(home_kinds), contact_kinds, periods(CadenceRule.AppliesTo.FIRST_VISIT)
    )


def compute(
    *,
    policy: Policy,
    migrant: bool,
    open_: bool,
    migrant_from: dt.date | None,
    created_on: dt.date | None,
    last_home_visit_on: dt.date | None,
    last_contact_on: dt.date | None,
    key_attention_since: dt.date | None,
) -> tuple:
    """The CareStatus values (in FIELDS order) of one child: a pure function. The single refresh
    and the set-based one both evaluate it through ``_Evaluator.values`` (one definition)."""
    return _Evaluator(policy).values(
        migrant, open_, migrant_from, created_on, last_home_visit_on, last_contact_on, key_attention_since
    )


def _visit_aggregates(policy: Policy, **child_filter) -> dict[int, tuple]:
    # Only visits that count toward the cadence (care.models.counts_toward_cadence) set the dates.
    counts = counts_toward_cadence()
    rows = _driver_rows(
        Visit.objects.filter(**child_filter)
        .values("child_id")
        .annotate(
            last_home=Max(Case(When(counts & Q(kind__in=policy.home_kinds), then="visited_on"))),
            last_contact=Max(Case(When(counts & Q(kind__in=policy.contact_kinds), then="visited_on"))),
        )
        .values_list("child_id", "last_home", "last_contact")
    )
    day = _Days()
    return {child_id: (day(home), day(contact)) for child_id, home, contact in rows}


def _flag_since(**child_filter) -> dict[int, dt.date]:
    rows = (
        RiskFlag.objects.filter(status=RiskFlag.Status.ACTIVE, **child_filter)
        .values("child_id")
        .annotate(since=Min("raised_on"))
        .values_list("child_id", "since")
    )
    return dict(rows)


def _created_on(value) -> dt.date | None:
    if value is None:
        return None
    if settings.USE_TZ and timezone.is_naive(value):
        # SQLite's driver returns the stored UTC time naive (see _driver_rows): made aware the
        # way Django's own converter does.
        value = timezone.make_aware(value, connection.timezone)
    return timezone.localdate(value) if timezone.is_aware(value) else value.date()


class _LocalDates:
    """``_created_on`` for many values of one run: the zones are looked up once (Django's
    look-up of the current zone costs more than the conversion itself)."""

    def __init__(self):
        self.zone = timezone.get_current_timezone() if settings.USE_TZ else None
        self.stored = connection.timezone if settings.USE_TZ else None

    def __call__(self, value) -> dt.date | None:
        if value is None:
            return None
        if self.zone is None:
            return value.date()
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.stored)
        return value.astimezone(self.zone).date()


def _day_after(value) -> dt.date:
    """The day after ``value``'s own date (UTC or naive), on or after its local date."""
    return value.date() + dt.timedelta(days=1)


class _Days(dict):
    """Dates from a driver's values: SQLite returns a computed date (an aggregate) as text,
    PostgreSQL a date. A city's dates fall on a few thousand days: each text is parsed once."""

    def __call__(self, value):
        if value is None or isinstance(value, dt.date):
            return value
        try:
            return self[value]
        except KeyError:
            day = self[value] = dt.date.fromisoformat(value)
            return day


def _driver_rows(queryset) -> list[tuple]:
    """The rows of a ``values_list`` of plain columns as the database driver returns them.

    Django's converters run in Python once per value, and on a full refresh they cost more than
    the queries: for plain columns the drivers already return dates, booleans and numbers
    (SQLite's through the declared column types; its datetimes come naive, see ``_created_on``).
    Tested equal to ``values_list`` on SQLite and PostgreSQL."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def refresh_child(child_id: int, *, on: dt.date | None = None, policy: Policy | None = None) -> CareStatus:
    """Recompute one child's row (called inside the write services' transactions)."""
    on = on or timezone.localdate()
    policy = policy or load_policy(on)
    child = Child.objects.values(
        "migrant_status", "closed_at", "migrant_from", "created_at", *SCOPE_FIELDS
    ).get(pk=child_id)
    home, contact = _visit_aggregates(policy, child_id=child_id).get(child_id, (None, None))
    since = _flag_since(child_id=child_id).get(child_id)
    values = compute(
        policy=policy,
        migrant=child["migrant_status"] == MigrantStatus.MIGRANT,
        open_=child["closed_at"] is None,
        migrant_from=child["migrant_from"],
        created_on=_created_on(child["created_at"]),
        last_home_visit_on=home,
        last_contact_on=contact,
        key_attention_since=since,
    )
    status, _created = CareStatus.objects.update_or_create(
        child_id=child_id,
        defaults={
            **dict(zip(FIELDS, values, strict=True)),
            **{name: child[name] for name in SCOPE_FIELDS},
            "refreshed_on": on,
        },
    )
    return status


class _Evaluator:
    """``compute`` for many children at once: the next due dates depend only on the anchor
    date and the rule periods, and a city's anchors fall on a few thousand distinct days, so
    each anchor is evaluated once per run instead of once per child."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self._due_dates: dict = {}

    def _due(self, anchor: dt.date | None, periods) -> dt.date | None:
        """``cadence.next_due``, evaluated once per anchor and rule (the policy's lists)."""
        key = (id(periods), anchor)
        try:
            return self._due_dates[key]
        except KeyError:
            due = self._due_dates[key] = cadence.next_due(anchor, periods)
            return due

    def next_visit(self, last_home: dt.date | None, basis: dt.date | None) -> dt.date | None:
        return cadence.next_visit_due(
            last_home_visit_on=last_home,
            basis_on=basis,
            visit_periods=self.policy.visit_periods,
            first_visit_periods=self.policy.first_visit_periods,
            due=self._due,
        )

    def next_contact(self, anchor: dt.date | None) -> dt.date | None:
        return self._due(anchor, self.policy.contact_periods)

    def values(self, migrant, open_, migrant_from, created_on, home, contact, since) -> tuple:
        """The CareStatus values (in FIELDS order) of one child."""
        needs_visit = migrant and open_
        key_attention = open_ and since is not None
        basis = (
            cadence.visit_basis(migrant_from=migrant_from, registered_on=created_on) if needs_visit else None
        )
        contact = cadence.latest(contact, home)
        next_visit = self.next_visit(home, basis) if needs_visit else None
        if key_attention:
            next_contact = self.next_contact(
                cadence.contact_anchor(last_contact_on=contact, key_attention_since=since)
            )
        else:
            next_contact = None
        return (
            needs_visit,
            key_attention,
            since if key_attention else None,
            basis,
            home,
            contact,
            next_visit,
            next_contact,
        )


def _refresh_rows(children: list[tuple], evaluator: _Evaluator, on: dt.date, **child_filter) -> int:
    """Recompute the rows of ``children`` (pk, migrant_status, closed_at, migrant_from,
    created_at, township_id, village_id, school_id), whose visits, flags and summary rows
    ``child_filter`` selects; upsert the rows that changed and return how many."""
    visits = _visit_aggregates(evaluator.policy, **child_filter)
    flags = _flag_since(**child_filter)
    existing = {
        row[0]: row[1:]
        for row in _driver_rows(
            CareStatus.objects.filter(**child_filter).values_list("child_id", *FIELDS, *SCOPE_FIELDS)
        )
    }
    migrant_value = MigrantStatus.MIGRANT
    local_date = _LocalDates()
    rows = []
    for pk, migrant_status, closed_at, migrant_from, created_at, *scope in children:
        home, contact = visits.get(pk, (None, None))
        migrant, open_ = migrant_status == migrant_value, closed_at is None
        values = evaluator.values(
            migrant,
            open_,
            migrant_from,
            # Read only where it can be the basis (the later of becoming a migrant child and
            # registration): a local date is at most a day after the stored time's own date.
            local_date(created_at)
            if migrant
            and open_
            and created_at is not None
            and (migrant_from is None or migrant_from <= _day_after(created_at))
            else None,
            home,
            contact,
            flags.get(pk),
        )
        if existing.get(pk) != (*values, *scope):
            rows.append(
                CareStatus(
                    child_id=pk,
                    refreshed_on=on,
                    **dict(zip(FIELDS, values, strict=True)),
                    **dict(zip(SCOPE_FIELDS, scope, strict=True)),
                )
            )
    if rows:
        CareStatus.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["child"],
            update_fields=[*FIELDS, *(name.removesuffix("_id") for name in SCOPE_FIELDS), "refreshed_on"],
        )
    return len(rows)


_CHILD_COLUMNS = ("pk", "migrant_status", "closed_at", "migrant_from", "created_at", *SCOPE_FIELDS)


def refresh_all(*, on: dt.date, chunk: int = CHUNK, progress=None) -> dict:
    """Recompute every child's row, streaming over child ids in chunks; write only rows that changed.

    Per chunk: one query for the children, one grouped query for visits, one for flags, one
    for the existing rows, and one upsert (INSERT … ON CONFLICT DO UPDATE) of the changes.
    """
    evaluator = _Evaluator(load_policy(on))
    last_id = 0
    seen = changed = 0
    while True:
        children = _driver_rows(
            Child.objects.filter(pk__gt=last_id).order_by("pk").values_list(*_CHILD_COLUMNS)[:chunk]
        )
        if not children:
            break
        lo, hi = children[0][0], children[-1][0]
        last_id = hi
        changed += _refresh_rows(children, evaluator, on, child_id__gte=lo, child_id__lte=hi)
        seen += len(children)
        if progress is not None:
            progress(seen)
    return {"children": seen, "changed": changed}


def refresh_children(child_ids: Iterable[int], *, on: dt.date | None = None, chunk: int = CHUNK) -> dict:
    """Recompute the rows of some children (a bulk import, a feed, the daily status changes):
    the same per-chunk queries as ``refresh_all``, over the given ids only."""
    on = on or timezone.localdate()
    ids = sorted(set(child_ids))
    evaluator = _Evaluator(load_policy(on))
    changed = 0
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        children = _driver_rows(Child.objects.filter(pk__in=part).order_by().values_list(*_CHILD_COLUMNS))
        changed += _refresh_rows(children, evaluator, on, child_id__in=part)
    return {"children": len(ids), "changed": changed}
