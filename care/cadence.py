"""The visit and contact cadence as pure functions over rule periods (easy to test).

A rule period is ``(effective_from, effective_to or None, interval_months, …, interval_days)``.
The due date after an anchor (the last qualifying visit, or the day the duty began) is the
first day on which the rule in force says the interval has run out:

* for each period that ends after the anchor, in order, the candidate is the anchor plus the
  period's interval (months first, month ends clamped: 31 Jan + 1 month = 28/29 Feb, then the
  days), but not before the period starts; the first candidate that falls inside its period
  is the due date.
* So a city that shortens the interval from a date makes visits due on that date at the
  latest; lengthening it moves due dates later from then on; a gap with no rule in force
  imposes nothing during the gap.

Overdue is derived (``due < today``), never stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from registry.status import add_months


@dataclass(frozen=True)
class RulePeriod:
    effective_from: dt.date
    effective_to: dt.date | None  # exclusive
    interval_months: int
    contact_types: tuple[str, ...] = ()
    interval_days: int = 0


def periods_from_rules(rules: Iterable) -> list[RulePeriod]:
    """RulePeriods from CadenceRule rows (any objects with the same attributes), sorted."""
    return sorted(
        (
            RulePeriod(
                r.effective_from,
                r.effective_to,
                r.interval_months,
                tuple(r.contact_types or ()),
                getattr(r, "interval_days", 0) or 0,
            )
            for r in rules
        ),
        key=lambda p: p.effective_from,
    )


def rule_on(periods: Sequence[RulePeriod], on: dt.date) -> RulePeriod | None:
    for p in periods:
        if p.effective_from <= on and (p.effective_to is None or on < p.effective_to):
            return p
    return None


def next_due(anchor: dt.date | None, periods: Sequence[RulePeriod]) -> dt.date | None:
    """The next due date after ``anchor`` under the rule periods (None: no duty, or no anchor)."""
    if anchor is None:
        return None
    for p in periods:
        if p.effective_to is not None and p.effective_to <= anchor:
            continue
        candidate = add_months(anchor, p.interval_months) + dt.timedelta(days=p.interval_days)
        candidate = max(candidate, p.effective_from)
        if p.effective_to is None or candidate < p.effective_to:
            return candidate
    return None


def latest(*days: dt.date | None) -> dt.date | None:
    """The latest of the days given (None: unknown, ignored)."""
    found = None
    for day in days:
        if day is not None and (found is None or day > found):
            found = day
    return found


def visit_basis(*, migrant_from: dt.date | None, registered_on: dt.date | None) -> dt.date | None:
    """The day the home-visit duty began: the later of the day the child became a migrant child
    and the day the file was registered (a child registered today whose arrival, and so whose
    migrant date, lies a year back is not born a year overdue)."""
    return latest(migrant_from, registered_on)


def next_visit_due(
    *,
    last_home_visit_on: dt.date | None,
    basis_on: dt.date | None,
    visit_periods: Sequence[RulePeriod],
    first_visit_periods: Sequence[RulePeriod],
    due: Callable[[dt.date | None, Sequence[RulePeriod]], dt.date | None] | None = None,
) -> dt.date | None:
    """The next home visit. After a home visit made since the duty began: the regular interval.
    Otherwise the first visit is due the first-visit period after the day the duty began (the
    regular interval where no first-visit rule is in force) — or later, when a home visit made
    before (the one that found the child, say) is not yet a regular interval old. ``due`` is
    ``next_due`` or a caching stand-in for it (care.status evaluates many children)."""
    due = due or next_due
    if basis_on is None:
        return None
    if last_home_visit_on is not None and last_home_visit_on >= basis_on:
        return due(last_home_visit_on, visit_periods)
    first = due(basis_on, first_visit_periods) or due(basis_on, visit_periods)
    return latest(first, due(last_home_visit_on, visit_periods))


def contact_anchor(*, last_contact_on: dt.date | None, key_attention_since: dt.date | None) -> dt.date | None:
    """Contacts of a key-attention child count from the later of the last contact (a home
    visit is a contact) and the day the child was put on the register."""
    return latest(last_contact_on, key_attention_since)


def is_overdue(due: dt.date | None, on: dt.date) -> bool:
    return due is not None and due < on


def week_end(on: dt.date) -> dt.date:
    """The Sunday of ``on``'s week: "due this week" is due on or before this day."""
    return on + dt.timedelta(days=6 - on.weekday())
