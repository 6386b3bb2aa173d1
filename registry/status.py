"""Migrant status, computed from facts (never typed): under 16, hukou county outside the
home county, resident here 6 months or more (DOMAIN.md "Who is served")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from registry.choices import CloseReason, MigrantStatus

MIGRANT_AGE_LIMIT = 16
RESIDENCE_MONTHS = 6


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day of month ``months`` later, clamped to the month's end (Aug 31 + 6 → Feb 28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def birthday(birth_date: dt.date, years: int) -> dt.date:
    """The birthday at ``years``; a 29 February birthday falls on 1 March in common years."""
    try:
        return birth_date.replace(year=birth_date.year + years)
    except ValueError:
        return dt.date(birth_date.year + years, 3, 1)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    age = day.year - birth_date.year
    if day < birthday(birth_date, age):
        age -= 1
    return age


@dataclass(frozen=True)
class StatusResult:
    status: str
    reason: str
    migrant_from: dt.date | None  # the day residence reaches 6 months
    migrant_until: dt.date | None  # the 16th birthday (exclusive)
    close_reason: str = ""  # when the facts end a file that was migrant or pending


def compute_status(
    *,
    birth_date: dt.date,
    hukou_county_code: str | None,
    arrival_date: dt.date | None,
    home_county_codes: tuple[str, ...] | list[str],
    on: dt.date,
) -> StatusResult:
    until = birthday(birth_date, MIGRANT_AGE_LIMIT)
    migrant_from = add_months(arrival_date, RESIDENCE_MONTHS) if arrival_date else None
    if birth_date > on:
        return StatusResult(MigrantStatus.NOT_MIGRANT, "出生日期晚于今天", migrant_from, until)
    if hukou_county_code and hukou_county_code in home_county_codes:
        return StatusResult(
            MigrantStatus.NOT_MIGRANT,
            "本地户籍（户籍在天门市）",
            migrant_from,
            until,
            CloseReason.LOCAL_HUKOU,
        )
    if on >= until:
        return StatusResult(
            MigrantStatus.NOT_MIGRANT,
            f"已满16周岁（{until.isoformat()}）",
            migrant_from,
            until,
            CloseReason.TURNED_16,
        )
    if not hukou_county_code:
        return StatusResult(MigrantStatus.NOT_MIGRANT, "户籍地未知，无法认定", migrant_from, until)
    if arrival_date is None:
        return StatusResult(MigrantStatus.NOT_MIGRANT, "到达本地日期未知，无法认定", None, until)
    if arrival_date > on:
        return StatusResult(MigrantStatus.NOT_MIGRANT, "到达本地日期晚于今天", migrant_from, until)
    if on < migrant_from:
        if migrant_from >= until:
            return StatusResult(
                MigrantStatus.NOT_MIGRANT,
                f"居住满6个月（{migrant_from.isoformat()}）时已满16周岁",
                migrant_from,
                until,
            )
        return StatusResult(
            MigrantStatus.PENDING,
            f"居住未满6个月，将于 {migrant_from.isoformat()} 起认定为流动儿童",
            migrant_from,
            until,
        )
    return StatusResult(MigrantStatus.MIGRANT, "", migrant_from, until)
