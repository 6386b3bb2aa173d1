"""The visit and contact cadence as pure functions over rule periods (easy to test).

A rule period is ``(effective_from, effective_to or None, interval_months)``. The due date
after an anchor (the last qualifying visit, or the day the duty began) is the first day on
which the rule in force says the interval has run out:

* for each period that ends after the anchor, in order, the candidate is the anchor plus the
  period's interval (month ends clamped: 31 Jan + 1 month = 28/29 Feb), but not before the
  period starts; the first candidate that falls inside its period is the due date.
* So a city that shortens the interval from a date makes visits due on that date at the
  latest; lengthening it moves due dates later from then on; a gap with no rule in force
  imposes nothing during the gap.

Overdue is derived (``due < today``), never stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from registry.status import add_months


@dataclass(frozen=True)
class RulePeriod:
    effective_from: dt.date
    effective_to: dt.date | None  # exclusive
    interval_months: int
    contact_types: tuple[str, ...] = ()


def periods_from_rules(rules: Iterable) -> list[RulePeriod]:
    """RulePeriods from CadenceRule rows (any objects with the same attributes), sorted."""
    return sorted(
        (
            RulePeriod(r.effective_from, r.effective_to, r.interval_months, tuple(r.contact_types or ()))
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
        candidate = max(add_months(anchor, p.interval_months), p.effective_from)
        if p.effective_to is None or candidate < p.effective_to:
            return candidate
    return None


def latest(*days: dt.date | None) -> dt.date | None:
    present = [d for d in days if d is not None]
    return max(present) if present else None


def visit_anchor(*, last_home_visit_on: dt.date | None, basis_on: dt.date | None) -> dt.date | None:
    """Home visits count from the later of the last home visit and the day the duty began
    (the day the child became a migrant child)."""
    return latest(last_home_visit_on, basis_on)


def contact_anchor(*, last_contact_on: dt.date | None, key_attention_since: dt.date | None) -> dt.date | None:
    """Contacts of a key-attention child count from the later of the last contact (a home
    visit is a contact) and the day the child was put on the register."""
    return latest(last_contact_on, key_attention_since)


def is_overdue(due: dt.date | None, on: dt.date) -> bool:
    return due is not None and due < on


def week_end(on: dt.date) -> dt.date:
    """The Sunday of ``on``'s week: "due this week" is due on or before this day."""
    return on + dt.timedelta(days=6 - on.weekday())
