"""What every measure is made of: the scope, the period and the Measure itself."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

SMALL_CELL = 5  # counts from 1 to 4 could single a child out
SMALL_CELL_TEXT = "<5"

# ---------------------------------------------------------------- scope and period


@dataclass(frozen=True)
class StatsScope:
    """Whose figures: the whole city, some townships, or (liaisons) some departments only."""

    city_wide: bool = False
    township_ids: frozenset[int] = frozenset()
    department_ids: frozenset[int] = frozenset()
    township_id: int | None = None  # one township chosen in the filter
    # The viewer, for measures whose owner app defines them per user (care's compliance).
    user: object = field(default=None, compare=False, repr=False)

    @property
    def townships(self) -> list[int] | None:
        """The townships to count (None: the whole city, no restriction)."""
        if self.township_id is not None:
            return [self.township_id]
        if self.city_wide:
            return None
        return sorted(self.township_ids)

    @property
    def has_area(self) -> bool:
        """Whether the register's aggregates are visible at all."""
        return self.city_wide or bool(self.township_ids)

    @property
    def single_township(self) -> int | None:
        if self.township_id is not None:
            return self.township_id
        if not self.city_wide and len(self.township_ids) == 1:
            return next(iter(self.township_ids))
        return None

    @property
    def department_only(self) -> bool:
        return not self.has_area and bool(self.department_ids)

    @property
    def empty(self) -> bool:
        return not self.has_area and not self.department_ids


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"


def default_period(on: dt.date) -> Period:
    """The year to date: long enough for the yearly duties, the flows and the trend."""
    return Period(start=on.replace(month=1, day=1), end=on)


def quick_periods(on: dt.date) -> list[tuple[str, Period]]:
    """The periods offered as one-tap links (a quarter is the home-visit cadence, a month the contact one)."""
    quarter_start = dt.date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)
    last_month_end = on.replace(day=1) - dt.timedelta(days=1)
    return [
        ("本月", Period(start=on.replace(day=1), end=on)),
        ("上月", Period(start=last_month_end.replace(day=1), end=last_month_end)),
        ("本季度", Period(start=quarter_start, end=on)),
        ("本年度", default_period(on)),
    ]


# ---------------------------------------------------------------- the measure


@dataclass(frozen=True)
class Measure:
    name: str
    title: str
    columns: list[str]
    rows: list[list]
    chart_kind: str  # "bar", "hbar" (ranked), "pie", "line", "stacked" or "table"
    note: str = ""
    count_columns: tuple[int, ...] = (1,)  # columns holding numbers of children
    # A rate column and the count columns it would give away when one of them is small.
    rate_columns: dict[int, tuple[int, ...]] = field(default_factory=dict)
    chart_columns: tuple[int, ...] = (1,)  # what the chart draws
    total: list | None = None  # a total row, shown under the table


def pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def unit_names(ids) -> dict[int, str]:
    from places.models import Unit

    return dict(Unit.objects.filter(pk__in=[i for i in ids if i]).values_list("pk", "name"))


def small_cell(value):
    """A count from 1 to 4 becomes "<5" (the one rule, for tables, charts, workbook and API)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < SMALL_CELL:
        return SMALL_CELL_TEXT
    return value
