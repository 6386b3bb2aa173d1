"""The obligation calendar as pure functions: grades, periods, statuses."""

import datetime as dt
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schools import obligations as rules

D = dt.date


def year_2025():
    return SimpleNamespace(
        name="2025-2026",
        semester1_start=D(2025, 9, 1),
        semester1_end=D(2026, 1, 23),
        winter_start=D(2026, 1, 24),
        winter_end=D(2026, 2, 28),
        semester2_start=D(2026, 3, 1),
        semester2_end=D(2026, 7, 3),
        summer_start=D(2026, 7, 4),
        summer_end=D(2026, 8, 31),
    )


@pytest.mark.parametrize(
    "text,stage,grade",
    [
        ("四年级", "", 4),
        ("4年级", "", 4),
        ("五年级", "小学", 5),
        ("小学三年级", "", 3),
        ("四年级（2）班", "", 4),
        ("四年级2班", "", 4),
        (" 六年级 ", "", 6),
        ("初一", "", 7),
        ("初三", "初中", 9),
        ("初二年级", "", 8),
        ("七年级", "", 7),
        ("九年级", "初中", 9),
        ("一年级", "初中", 7),
        ("高一", "", 10),
        ("高三", "普通高中", 12),
        ("一年级", "中职", 10),
        ("中职二年级", "", 11),
        ("高中一年级", "", 10),
        ("初中二年级", "", 8),
        ("十年级", "", 10),
        ("", "", None),
        (None, "", None),
        ("大班", "幼儿园", None),
        ("初四", "", None),
        ("高五", "", None),
        ("毕业班", "", None),
    ],
)
def test_parse_grade(text, stage, grade):
    assert rules.parse_grade(text, stage=stage) == grade


@given(st.text(max_size=12), st.sampled_from(["", "小学", "初中", "普通高中", "中职", "幼儿园"]))
def test_parse_grade_never_fails_and_stays_on_scale(text, stage):
    grade = rules.parse_grade(text, stage=stage)
    assert grade is None or 1 <= grade <= 12


@given(st.integers(min_value=1, max_value=12))
def test_grade_label_reads_back(grade):
    assert rules.parse_grade(rules.grade_label(grade)) == grade


def test_grade_threshold_grade_3_is_out_grade_4_is_in():
    assert not rules.applies_to_grade(min_grade=4, grade=rules.parse_grade("三年级"))
    assert rules.applies_to_grade(min_grade=4, grade=rules.parse_grade("四年级"))
    assert rules.applies_to_grade(min_grade=4, grade=rules.parse_grade("初一"))
    assert rules.applies_to_grade(min_grade=4, grade=rules.parse_grade("高三"))
    assert not rules.applies_to_grade(min_grade=4, grade=None)  # unknown grade: not counted as due
    assert rules.applies_to_grade(min_grade=None, grade=None)


def test_semester_periods_cover_teaching_weeks_only():
    c = year_2025()
    first, second = rules.periods(c, rules.PER_SEMESTER)
    assert (first.start, first.end) == (D(2025, 9, 1), D(2026, 1, 23))
    assert (second.start, second.end) == (D(2026, 3, 1), D(2026, 7, 3))
    assert not first.contains(D(2026, 2, 1))  # winter vacation belongs to no semester
    assert not second.contains(D(2026, 2, 1))
    assert first.contains(D(2025, 9, 1)) and first.contains(D(2026, 1, 23))


def test_school_year_includes_both_vacations():
    (year,) = rules.periods(year_2025(), rules.PER_SCHOOL_YEAR)
    assert year.contains(D(2026, 2, 10)) and year.contains(D(2026, 8, 31))
    assert not year.contains(D(2026, 9, 1))
    assert year.term is None


def test_before_each_vacation_ends_the_day_before_the_vacation():
    winter, summer = rules.periods(year_2025(), rules.BEFORE_EACH_VACATION)
    assert winter.deadline == D(2026, 1, 23)
    assert summer.deadline == D(2026, 7, 3)
    assert winter.label.endswith("寒假前") and summer.label.endswith("暑假前")


def test_unknown_cadence_is_refused():
    with pytest.raises(ValueError):
        rules.periods(year_2025(), "weekly")


@pytest.mark.parametrize(
    "on,term",
    [(D(2025, 9, 1), 1), (D(2026, 1, 23), 1), (D(2026, 2, 15), 1), (D(2026, 3, 1), 2), (D(2026, 8, 1), 2)],
)
def test_current_term_looks_back_during_vacations(on, term):
    assert rules.current_term(year_2025(), on) == term


def test_status_due_done_overdue_upcoming():
    first = rules.semester(year_2025(), 1)
    assert rules.status(done=0, required=1, period=first, on=D(2025, 8, 31)) == rules.UPCOMING
    assert rules.status(done=0, required=1, period=first, on=D(2025, 9, 1)) == rules.DUE
    assert rules.status(done=0, required=1, period=first, on=D(2026, 1, 23)) == rules.DUE  # last day
    assert rules.status(done=0, required=1, period=first, on=D(2026, 1, 24)) == rules.OVERDUE
    assert rules.status(done=1, required=1, period=first, on=D(2026, 1, 24)) == rules.DONE
    assert rules.status(done=30, required=31, period=first, on=D(2026, 1, 24)) == rules.OVERDUE


def test_calendar_errors_catch_disorder_and_bad_names():
    c = year_2025()
    assert rules.calendar_errors(c) == []
    c.winter_start = D(2026, 1, 20)  # before the end of the semester
    assert any("寒假开始" in e for e in rules.calendar_errors(c))
    c = year_2025()
    c.name = "2025-2027"
    assert any("学年名称" in e for e in rules.calendar_errors(c))
    c = year_2025()
    c.name = "2024-2025"
    assert any("2024" in e for e in rules.calendar_errors(c))


def test_calendar_for_day_between_years_takes_the_latest_begun():
    old = year_2025()
    new = SimpleNamespace(**{**vars(old), "name": "2026-2027", "semester1_start": D(2026, 9, 1)})
    assert rules.calendar_for_day([old, new], D(2026, 8, 31)) is old
    assert rules.calendar_for_day([old, new], D(2026, 9, 1)) is new
    assert rules.calendar_for_day([old, new], D(2025, 1, 1)) is None


def test_in_force_by_effective_dates():
    first = rules.semester(year_2025(), 1)
    assert rules.in_force(effective_from=D(2025, 7, 30), effective_to=None, period=first)
    assert not rules.in_force(effective_from=D(2026, 2, 1), effective_to=None, period=first)
    assert not rules.in_force(effective_from=D(2020, 1, 1), effective_to=D(2025, 8, 31), period=first)
