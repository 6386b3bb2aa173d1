"""Due / done / overdue derived from the calendar and the records."""

import datetime as dt

from common.testing import make_child
from schools import compliance
from schools.models import Activity, Participation, PsychAssessment, School
from schools.tests.conftest import make_year

D = dt.date


def activity(*, school, type, date, user, children=()):
    a = Activity.objects.create(
        type=type,
        title="测试活动",
        date=date,
        organiser_kind="school",
        organiser_name=school.name,
        school=school,
        unit=school.township,
        created_by=user,
    )
    for c in children:
        Participation.objects.create(activity=a, child=c)
    return a


def lines(school, on, span=compliance.SEMESTER, code=None):
    result = compliance.picture(School.objects.filter(pk=school.pk), on=on, span=span)
    return [ln for ln in result.lines if code is None or ln.obligation.code == code]


def pupil(city, school, grade, **fields):
    return make_child(
        village=city.yuekou_community, school=school, grade=grade, school_stage="小学", **fields
    )


def test_school_without_migrant_pupils_has_no_lines(city, year, school):
    assert lines(school, D(2025, 10, 1)) == []


def test_family_guidance_due_then_overdue_then_done(city, year, school):
    pupil(city, school, "五年级")
    (line,) = lines(school, D(2025, 10, 1), code="family_guidance")
    assert (line.status, line.period.term) == ("due", 1)
    (line,) = lines(school, D(2026, 2, 1), code="family_guidance")  # winter vacation: looks back on term 1
    assert line.status == "overdue"
    activity(school=school, type="family_guidance", date=D(2025, 11, 5), user=city.teacher)
    (line,) = lines(school, D(2026, 2, 1), code="family_guidance")
    assert (line.status, line.done) == ("done", 1)
    (line,) = lines(school, D(2026, 3, 2), code="family_guidance")  # the second semester starts afresh
    assert (line.status, line.period.term, line.done) == ("due", 2, 0)


def test_activity_in_the_vacation_counts_for_no_semester(city, year, school):
    pupil(city, school, "五年级")
    activity(school=school, type="legal_education", date=D(2026, 2, 10), user=city.teacher)
    terms = {
        ln.period.term: ln.status for ln in lines(school, D(2026, 7, 10), compliance.YEAR, "legal_education")
    }
    assert terms == {1: "overdue", 2: "overdue"}


def test_safety_lecture_must_come_before_the_vacation(city, year, school):
    pupil(city, school, "五年级")
    activity(
        school=school, type="safety_lecture", date=D(2026, 1, 24), user=city.teacher
    )  # first vacation day
    (line,) = lines(school, D(2026, 1, 24), code="safety_lecture")
    assert line.status == "overdue" and line.period.deadline == D(2026, 1, 23)
    activity(school=school, type="safety_lecture", date=D(2026, 1, 23), user=city.teacher)
    (line,) = lines(school, D(2026, 1, 24), code="safety_lecture")
    assert line.status == "done"


def test_psych_assessment_counts_grade_4_and_up_only(city, year, school):
    third = pupil(city, school, "三年级")
    fourth = pupil(city, school, "4年级")
    pupil(city, school, "六年级")
    pupil(city, school, "")  # unknown grade: not due
    (line,) = lines(school, D(2025, 10, 1), code="psych_assessment")
    assert (line.required, line.done, line.status) == (2, 0, "due")
    for child in (third, fourth):
        PsychAssessment.objects.create(
            child=child,
            school=school,
            date=D(2025, 10, 9),
            instrument="MHT",
            result="normal",
            assessed_by=city.teacher,
        )
    (line,) = lines(school, D(2025, 10, 10), code="psych_assessment")
    assert (line.required, line.done) == (2, 1)  # the 3rd-grader's assessment does not count
    (line,) = lines(school, D(2026, 9, 1), code="psych_assessment")  # after the year: next one, none begun
    assert line.status == "overdue"


def test_psych_obligation_does_not_apply_to_kindergartens(city, year):
    kindergarten = School.objects.filter(township=city.yuekou, kind="kindergarten").first()
    make_child(village=city.yuekou_community, school=kindergarten, school_stage="幼儿园", grade="大班")
    codes = {ln.obligation.code for ln in lines(kindergarten, D(2025, 10, 1), compliance.YEAR)}
    assert "psych_assessment" not in codes and "legal_education" not in codes
    assert {"family_guidance", "home_visit", "safety_lecture"} <= codes


def test_home_visit_counts_only_the_pupils_own_school(city, year, school):
    visited = pupil(city, school, "二年级")
    other = pupil(city, school, "二年级")
    elsewhere = School.objects.exclude(pk=school.pk).filter(kind="primary").first()
    activity(school=school, type="home_visit", date=D(2026, 7, 20), user=city.teacher, children=[visited])
    activity(school=elsewhere, type="home_visit", date=D(2025, 12, 1), user=city.admin, children=[other])
    (line,) = lines(school, D(2026, 8, 1), code="home_visit")  # a summer-vacation visit counts for the year
    assert (line.required, line.done, line.status) == (2, 1, "due")
    (line,) = lines(school, D(2026, 8, 31), code="home_visit")
    assert line.status == "due"


def test_closed_and_non_migrant_pupils_are_not_due(city, year, school):
    pupil(city, school, "五年级", closed_at=D(2025, 9, 10))
    pupil(city, school, "五年级", migrant_status="not_migrant")
    assert lines(school, D(2025, 10, 1)) == []


def test_a_schools_own_calendar_overrides_the_city(city, year, school):
    pupil(city, school, "五年级")
    make_year(school=school, semester1_end=D(2026, 1, 16), winter_start=D(2026, 1, 17))
    (line,) = lines(school, D(2026, 1, 20), code="family_guidance")
    assert line.status == "overdue"  # the school's semester ended on the 16th
    other = School.objects.filter(township=city.yuekou, kind="junior").first()
    make_child(village=city.yuekou_community, school=other, grade="初一", school_stage="初中")
    (line,) = lines(other, D(2026, 1, 20), code="family_guidance")
    assert line.status == "due"


def test_schools_without_a_calendar_are_listed_apart(city, school):
    pupil(city, school, "五年级")
    result = compliance.picture(School.objects.filter(pk=school.pk), on=D(2025, 10, 1))
    assert result.lines == [] and result.without_calendar == [school]


def test_township_tallies(city, year, school):
    pupil(city, school, "五年级")
    activity(school=school, type="family_guidance", date=D(2025, 9, 20), user=city.teacher)
    result = compliance.picture(School.objects.filter(township=city.yuekou), on=D(2026, 2, 1))
    (row,) = result.by_township()
    assert row["township"] == city.yuekou and row["schools"] == 1
    tally = row["cells"][[o.code for o in result.obligations].index("family_guidance")]
    assert (tally.done, tally.lines, tally.overdue) == (1, 1, 0)
    assert row["total"].overdue == result.count("overdue") > 0


def test_periods_not_yet_open_do_not_lower_the_rate(city, year, school):
    pupil(city, school, "五年级")
    activity(school=school, type="family_guidance", date=D(2025, 9, 20), user=city.teacher)
    result = compliance.picture(School.objects.filter(pk=school.pk), on=D(2025, 10, 1), span=compliance.YEAR)
    tally = compliance.Tally()
    for line in result.lines:
        if line.obligation.code == "family_guidance":
            tally.add(line)
    assert (tally.lines, tally.upcoming, tally.begun, tally.percent) == (2, 1, 1, 100)


def test_a_pupil_with_several_records_counts_once(city, year, school):
    twice = pupil(city, school, "五年级")
    pupil(city, school, "五年级")
    for date in (D(2025, 10, 9), D(2025, 11, 9)):
        activity(school=school, type="home_visit", date=date, user=city.teacher, children=[twice])
        PsychAssessment.objects.create(
            child=twice, school=school, date=date, instrument="MHT", result="normal", assessed_by=city.teacher
        )
    on = D(2025, 12, 1)
    for code in ("home_visit", "psych_assessment"):
        (line,) = lines(school, on, span=compliance.YEAR, code=code)
        assert (line.required, line.done) == (2, 1)
