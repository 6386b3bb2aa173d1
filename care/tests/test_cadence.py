"""Due dates from the cadence rules: month ends, leap years, rule changes by effective date."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from care.cadence import (
    RulePeriod,
    contact_anchor,
    is_overdue,
    next_due,
    next_visit_due,
    rule_on,
    visit_basis,
    week_end,
)
from care.status import Policy, compute

D = dt.date
QUARTERLY = [RulePeriod(D(2025, 7, 30), None, 3, ("上门走访",))]
MONTHLY = [RulePeriod(D(2025, 7, 30), None, 1, ("上门走访", "电话", "视频", "在校", "工作站"))]
POLICY = Policy(QUARTERLY, MONTHLY, ("上门走访",), ("上门走访", "电话", "视频", "在校", "工作站"))
FIRST_30_DAYS = [RulePeriod(D(2025, 7, 30), None, 0, ("上门走访",), interval_days=30)]
WITH_FIRST = Policy(
    QUARTERLY, MONTHLY, ("上门走访",), ("上门走访", "电话", "视频", "在校", "工作站"), FIRST_30_DAYS
)


def test_month_end_is_clamped_in_a_common_year():
    assert next_due(D(2027, 1, 31), MONTHLY) == D(2027, 2, 28)


def test_month_end_is_clamped_to_29_february_in_a_leap_year():
    assert next_due(D(2028, 1, 31), MONTHLY) == D(2028, 2, 29)


def test_quarter_from_30_november_ends_on_the_last_day_of_february():
    assert next_due(D(2027, 11, 30), QUARTERLY) == D(2028, 2, 29)
    assert next_due(D(2026, 11, 30), QUARTERLY) == D(2027, 2, 28)


def test_quarter_across_the_year_end():
    assert next_due(D(2026, 10, 15), QUARTERLY) == D(2027, 1, 15)


def test_no_anchor_means_no_due_date():
    assert next_due(None, QUARTERLY) is None


def test_shortened_interval_applies_from_its_effective_date():
    periods = [
        RulePeriod(D(2025, 7, 30), D(2027, 1, 1), 3),
        RulePeriod(D(2027, 1, 1), None, 1),
    ]
    # Under the old rule the visit of 1 November 2026 would be due 1 February 2027; the new
    # monthly rule makes it due on the day it takes effect.
    assert next_due(D(2026, 11, 1), periods) == D(2027, 1, 1)
    # A visit after the change follows the new rule only.
    assert next_due(D(2027, 1, 10), periods) == D(2027, 2, 10)
    # A visit whose old due date falls before the change keeps it.
    assert next_due(D(2026, 9, 15), periods) == D(2026, 12, 15)


def test_lengthened_interval_moves_due_dates_later_from_its_effective_date():
    periods = [
        RulePeriod(D(2025, 7, 30), D(2027, 1, 1), 1),
        RulePeriod(D(2027, 1, 1), None, 3),
    ]
    assert next_due(D(2026, 12, 20), periods) == D(2027, 3, 20)
    assert next_due(D(2026, 11, 20), periods) == D(2026, 12, 20)


def test_rule_in_force_on_a_day():
    periods = [RulePeriod(D(2025, 7, 30), D(2027, 1, 1), 3), RulePeriod(D(2027, 1, 1), None, 2)]
    assert rule_on(periods, D(2026, 12, 31)).interval_months == 3
    assert rule_on(periods, D(2027, 1, 1)).interval_months == 2
    assert rule_on(periods, D(2025, 1, 1)) is None


def test_anchors_take_the_later_date():
    assert visit_basis(migrant_from=D(2025, 3, 1), registered_on=D(2026, 3, 1)) == D(2026, 3, 1)
    assert visit_basis(migrant_from=D(2026, 5, 1), registered_on=D(2026, 3, 1)) == D(2026, 5, 1)
    assert visit_basis(migrant_from=None, registered_on=D(2026, 3, 1)) == D(2026, 3, 1)
    assert contact_anchor(last_contact_on=D(2026, 1, 1), key_attention_since=D(2026, 2, 1)) == D(2026, 2, 1)


def test_overdue_is_derived_from_the_day():
    assert is_overdue(D(2026, 11, 28), D(2026, 11, 29))
    assert not is_overdue(D(2026, 11, 29), D(2026, 11, 29))
    assert not is_overdue(None, D(2026, 11, 29))


def test_week_end_is_sunday():
    assert week_end(D(2026, 11, 25)) == D(2026, 11, 29)  # Wednesday -> Sunday
    assert week_end(D(2026, 11, 29)) == D(2026, 11, 29)


def test_home_visit_counts_as_a_contact():
    values = compute(
        policy=POLICY,
        migrant=True,
        open_=True,
        migrant_from=D(2025, 1, 1),
        created_on=D(2025, 1, 1),
        last_home_visit_on=D(2026, 11, 10),
        last_contact_on=None,
        key_attention_since=D(2026, 6, 1),
    )
    needs_visit, key, since, basis, last_home, last_contact, next_visit, next_contact = values
    assert last_contact == D(2026, 11, 10)
    assert next_contact == D(2026, 12, 10)
    assert next_visit == D(2027, 2, 10)


def test_never_visited_migrant_is_due_from_the_day_they_became_migrant():
    values = compute(
        policy=POLICY,
        migrant=True,
        open_=True,
        migrant_from=D(2026, 8, 31),
        created_on=D(2026, 1, 1),
        last_home_visit_on=None,
        last_contact_on=None,
        key_attention_since=None,
    )
    assert values[0] is True and values[1] is False
    assert values[6] == D(2026, 11, 30)
    assert values[7] is None


def test_closed_or_non_migrant_child_owes_no_visit():
    for migrant, open_ in ((False, True), (True, False)):
        values = compute(
            policy=POLICY,
            migrant=migrant,
            open_=open_,
            migrant_from=D(2026, 1, 1),
            created_on=D(2026, 1, 1),
            last_home_visit_on=None,
            last_contact_on=None,
            key_attention_since=None,
        )
        assert values[0] is False and values[6] is None


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31)), st.integers(min_value=1, max_value=12))
def test_due_date_is_within_the_interval_and_never_earlier_than_the_anchor(anchor, months):
    due = next_due(anchor, [RulePeriod(D(1990, 1, 1), None, months)])
    assert anchor < due
    assert (due.year - anchor.year) * 12 + due.month - anchor.month == months
    assert due.day <= anchor.day


def _first_visit(policy, *, migrant_from, created_on, last_home_visit_on=None):
    return compute(
        policy=policy,
        migrant=True,
        open_=True,
        migrant_from=migrant_from,
        created_on=created_on,
        last_home_visit_on=last_home_visit_on,
        last_contact_on=None,
        key_attention_since=None,
    )


def test_a_child_registered_today_who_arrived_last_year_is_due_in_30_days():
    values = _first_visit(WITH_FIRST, migrant_from=D(2025, 12, 1), created_on=D(2026, 12, 4))
    assert values[3] == D(2026, 12, 4)  # the duty began on registration, not on arrival
    assert values[6] == D(2027, 1, 3)


def test_a_child_becoming_migrant_after_registration_is_due_30_days_after_that_day():
    values = _first_visit(WITH_FIRST, migrant_from=D(2026, 9, 1), created_on=D(2026, 3, 1))
    assert values[6] == D(2026, 10, 1)
    # A home visit made before the duty began (while pending) is not the first visit of the duty.
    values = _first_visit(
        WITH_FIRST, migrant_from=D(2026, 9, 1), created_on=D(2026, 3, 1), last_home_visit_on=D(2026, 5, 1)
    )
    assert values[6] == D(2026, 10, 1)


def test_after_the_first_visit_the_regular_interval_applies():
    values = _first_visit(
        WITH_FIRST, migrant_from=D(2026, 9, 1), created_on=D(2026, 9, 1), last_home_visit_on=D(2026, 9, 20)
    )
    assert values[6] == D(2026, 12, 20)


def test_the_first_visit_period_is_data_with_an_effective_date():
    changed = [
        RulePeriod(D(2025, 7, 30), D(2027, 1, 1), 0, ("上门走访",), interval_days=30),
        RulePeriod(D(2027, 1, 1), None, 0, ("上门走访",), interval_days=15),
    ]
    policy = Policy(QUARTERLY, MONTHLY, ("上门走访",), ("上门走访",), changed)
    assert _first_visit(policy, migrant_from=None, created_on=D(2026, 6, 1))[6] == D(2026, 7, 1)
    assert _first_visit(policy, migrant_from=None, created_on=D(2027, 2, 1))[6] == D(2027, 2, 16)
    # Without any first-visit rule, the regular interval counts from the day the duty began.
    assert next_visit_due(
        last_home_visit_on=None, basis_on=D(2026, 6, 1), visit_periods=QUARTERLY, first_visit_periods=[]
    ) == D(2026, 9, 1)
