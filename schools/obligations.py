"""Pure functions of the obligation calendar: grades, periods and statuses.

Nothing here touches the database, so the rules of the plan can be read and tested
in isolation:

* ``parse_grade`` turns the registry's free-text grade into a number on one scale
  (primary 1-6, junior 7-9, senior / secondary vocational 10-12);
* ``periods`` cuts a school year into the periods of a cadence (semesters, the school
  year, the teaching weeks before each vacation);
* ``status`` says whether a period's duty is done, still due, overdue or not yet open.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Protocol

PER_SEMESTER = "per_semester"
PER_SCHOOL_YEAR = "per_school_year"
BEFORE_EACH_VACATION = "before_each_vacation"

DONE = "done"
DUE = "due"
OVERDUE = "overdue"
UPCOMING = "upcoming"
STATUS_LABELS = {DONE: "已完成", DUE: "待完成", OVERDUE: "逾期未完成", UPCOMING: "未开始"}

_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NUMBER = r"(10|11|12|[1-9]|十[一二]?|[一二三四五六七八九])"
# Prefixes that place a bare "N年级" on the unified scale.
_JUNIOR_WORDS = ("初中", "初级中学", "中学")
_SENIOR_WORDS = ("高中", "中职", "职高", "中专", "技校", "职业")
_SENIOR_STAGES = ("普通高中", "中职")


def _number(token: str) -> int:
    if token.isdigit():
        return int(token)
    if token.startswith("十"):
        return 10 + (_DIGITS[token[1]] if len(token) > 1 else 0)
    return _DIGITS[token]


def parse_grade(text: str | None, *, stage: str = "") -> int | None:
    """The grade on the 1-12 scale, or None when the text does not say (or is a kindergarten class).

    ``四年级``/``4年级``/``小学四年级`` → 4; ``七年级``/``初一`` → 7; ``初三`` → 9; ``高一`` → 10.
    A bare ``一年级`` is read with the school stage: in 初中 it is 7, in 普通高中/中职 10.
    """
    if not text:
        return None
    value = re.sub(r"\s+", "", str(text)).replace("（", "(").replace("）", ")")
    value = re.sub(r"\(?\d+\)?班$|[0-9一二三四五六七八九十]+班$", "", value)  # "四年级(2)班"
    match = re.fullmatch(r"(初|高)" + _NUMBER + r"(年级)?", value)
    if match:
        n = _number(match.group(2))
        offset = 6 if match.group(1) == "初" else 9
        return offset + n if 1 <= n <= 3 else None
    match = re.fullmatch(r"(.*?)" + _NUMBER + r"年级", value)
    if not match:
        return None
    prefix, n = match.group(1), _number(match.group(2))
    if prefix.startswith("小学") or prefix == "":
        if prefix == "" and stage in _SENIOR_STAGES and n <= 3:
            return 9 + n
        if prefix == "" and stage == "初中" and n <= 3:
            return 6 + n
        return n if 1 <= n <= 12 else None
    if any(prefix.startswith(word) for word in _SENIOR_WORDS):
        return 9 + n if 1 <= n <= 3 else None
    if any(prefix.startswith(word) for word in _JUNIOR_WORDS):
        return 6 + n if 1 <= n <= 3 else None
    return None


def grade_label(grade: int | None) -> str:
    if grade is None:
        return "年级不详"
    if grade <= 6:
        return f"{'一二三四五六'[grade - 1]}年级"
    if grade <= 9:
        return f"初{'一二三'[grade - 7]}"
    return f"高{'一二三'[grade - 10]}"


class CalendarLike(Protocol):
    name: str
    semester1_start: dt.date
    semester1_end: dt.date
    winter_start: dt.date
    winter_end: dt.date
    semester2_start: dt.date
    semester2_end: dt.date
    summer_start: dt.date
    summer_end: dt.date


@dataclass(frozen=True)
class Period:
    """A stretch of the calendar in which a duty must be done, by ``deadline`` at the latest."""

    key: str  # "2025-2026/1", "2025-2026/2", "2025-2026"
    label: str
    start: dt.date
    end: dt.date
    term: int | None  # 1 or 2 for semester periods, None for the school year

    @property
    def deadline(self) -> dt.date:
        return self.end

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def calendar_errors(c: CalendarLike) -> list[str]:
    """The order the dates of a school year must follow, as Chinese messages (empty: valid)."""
    order = [
        ("semester1_start", "第一学期开学"),
        ("semester1_end", "第一学期结束"),
        ("winter_start", "寒假开始"),
        ("winter_end", "寒假结束"),
        ("semester2_start", "第二学期开学"),
        ("semester2_end", "第二学期结束"),
        ("summer_start", "暑假开始"),
        ("summer_end", "暑假结束"),
    ]
    errors = []
    for (a, a_label), (b, b_label) in zip(order, order[1:], strict=False):
        first, second = getattr(c, a), getattr(c, b)
        if first is None or second is None:
            continue
        if first >= second:
            errors.append(f"{b_label}（{second}）应晚于{a_label}（{first}）")
    match = re.fullmatch(r"(\d{4})-(\d{4})", c.name or "")
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        errors.append("学年名称应为“2025-2026”这样的两个相邻年份")
    elif c.semester1_start and c.semester1_start.year != int(match.group(1)):
        errors.append(f"第一学期开学应在 {match.group(1)} 年")
    return errors


def semester(c: CalendarLike, term: int) -> Period:
    """The teaching weeks of a semester. Vacations belong to no semester."""
    if term == 1:
        return Period(f"{c.name}/1", f"{c.name}学年第一学期", c.semester1_start, c.semester1_end, 1)
    return Period(f"{c.name}/2", f"{c.name}学年第二学期", c.semester2_start, c.semester2_end, 2)


def school_year(c: CalendarLike) -> Period:
    """The whole school year, vacations included (home visits are often made in the summer)."""
    return Period(c.name, f"{c.name}学年", c.semester1_start, c.summer_end, None)


def before_vacation(c: CalendarLike, term: int) -> Period:
    """The teaching weeks before the winter (term 1) or summer (term 2) vacation: a lecture must
    take place before the vacation starts, so the period ends the day before it."""
    if term == 1:
        return Period(
            f"{c.name}/1", f"{c.name}学年寒假前", c.semester1_start, c.winter_start - dt.timedelta(days=1), 1
        )
    return Period(
        f"{c.name}/2", f"{c.name}学年暑假前", c.semester2_start, c.summer_start - dt.timedelta(days=1), 2
    )


def periods(c: CalendarLike, cadence: str) -> list[Period]:
    if cadence == PER_SEMESTER:
        return [semester(c, 1), semester(c, 2)]
    if cadence == PER_SCHOOL_YEAR:
        return [school_year(c)]
    if cadence == BEFORE_EACH_VACATION:
        return [before_vacation(c, 1), before_vacation(c, 2)]
    raise ValueError(f"unknown cadence {cadence!r}")


def current_term(c: CalendarLike, on: dt.date) -> int:
    """The semester that matters on a day: the first until the second begins (the winter
    vacation still looks back on the first), then the second (the summer looks back on it)."""
    return 1 if on < c.semester2_start else 2


def calendar_for_day(calendars: list[CalendarLike], on: dt.date) -> CalendarLike | None:
    """The school year a day falls in; between years (or after the last), the latest one begun."""
    begun = [c for c in calendars if c.semester1_start <= on]
    if not begun:
        return None
    return max(begun, key=lambda c: c.semester1_start)


def status(*, done: int, required: int, period: Period, on: dt.date) -> str:
    if done >= required:
        return DONE
    if on < period.start:
        return UPCOMING
    if on > period.deadline:
        return OVERDUE
    return DUE


def applies_to_school(*, school_kinds: list[str], kind: str) -> bool:
    return kind in school_kinds


def applies_to_grade(*, min_grade: int | None, grade: int | None) -> bool:
    """Without a threshold every pupil counts; with one, a pupil whose grade is unknown does not."""
    if min_grade is None:
        return True
    return grade is not None and grade >= min_grade


def in_force(*, effective_from: dt.date, effective_to: dt.date | None, period: Period) -> bool:
    """An obligation applies to a period if it was in force on any day of it."""
    return effective_from <= period.end and (effective_to is None or effective_to >= period.start)
