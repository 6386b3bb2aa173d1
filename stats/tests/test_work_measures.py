"""The measures of the work (care, census, referrals, services, schools, training), by hand."""

import datetime as dt

import pytest
from django.utils import timezone

from stats import selectors, work_measures
from stats.measure import Period, StatsScope
from stats.tests.conftest import ON

CITY = StatsScope(city_wide=True)


def rows(measure):
    return {row[0]: row[1:] for row in measure.rows}


@pytest.fixture
def flags(twelve, city):
    from care.models import RiskCategory, RiskFlag

    cat = {c.code: c for c in RiskCategory.objects.all()}
    c = twelve
    RiskFlag.objects.create(
        child=c[0], category=cat["family_hardship"], source="manual", raised_on=ON, approved_by=city.admin
    )
    RiskFlag.objects.create(child=c[1], category=cat["family_hardship"], source="manual", raised_on=ON)
    RiskFlag.objects.create(child=c[1], category=cat["disability"], source="manual", raised_on=ON)
    RiskFlag.objects.create(
        child=c[9], category=cat["dropout"], source="manual", raised_on=ON, approved_by=city.admin
    )
    RiskFlag.objects.create(
        child=c[11], category=cat["dropout"], source="manual", raised_on=ON
    )  # closed file
    RiskFlag.objects.create(
        child=c[3], category=cat["vagrancy"], source="manual", raised_on=ON, status="closed", closed_on=ON
    )


def test_key_attention_by_category(flags, city):
    m = work_measures.measure_key_attention(scope=CITY, on=ON)
    counts = rows(m)
    assert counts["家庭生活困难"] == [2, 1]
    assert counts["自身残疾"] == [1, 1]
    assert counts["失辍学"] == [1, 0]
    assert counts["流浪"] == [0, 0]
    assert m.total == ["重点关注儿童（不重复）", 3, 1]
    yuekou = work_measures.measure_key_attention(
        scope=StatsScope(township_ids=frozenset({city.yuekou.pk})), on=ON
    )
    assert rows(yuekou)["失辍学"] == [0, 0]
    assert yuekou.total[1] == 2


def test_visit_and_contact_compliance(twelve, city):
    from care.models import CareStatus, Visit

    start = dt.date(2026, 4, 1)
    for child in twelve[:8] + twelve[9:11]:
        CareStatus.objects.create(child=child, needs_visit=True, visit_basis_on=dt.date(2026, 1, 1))
    CareStatus.objects.filter(child=twelve[0]).update(
        key_attention=True, key_attention_since=dt.date(2026, 1, 1)
    )
    for child in (twelve[0], twelve[1], twelve[9]):
        Visit.objects.create(child=child, kind="上门走访", visited_on=dt.date(2026, 5, 5))
    Visit.objects.create(
        child=twelve[2], kind="上门走访", visited_on=dt.date(2026, 3, 1)
    )  # before the period
    period = Period(start=start, end=ON)
    m = work_measures.measure_compliance(scope=selectors.scope_for(city.leader), on=ON, period=period)
    counts = rows(m)
    assert counts["岳口镇"] == [8, 2, 25.0, 1, 1, 100.0]
    assert counts["多宝镇"] == [2, 1, 50.0, 0, 0, None]
    assert m.total == ["合计", 10, 3, 30.0, 1, 1, 100.0]
    shown = selectors.suppress(m)
    assert rows(shown)["多宝镇"] == ["<5", "<5", "—", 0, 0, None]
    supervisor = work_measures.measure_compliance(
        scope=selectors.scope_for(city.yuekou_supervisor), on=ON, period=period
    )
    by_village = rows(supervisor)
    assert supervisor.columns[0] == "村（社区）"
    assert sum(r[0] for r in by_village.values()) == 8
    assert by_village[f"岳口镇{city.yuekou_community.name}"][:2] == [7, 2]


def test_census_progress(twelve, city):
    from registry.models import CensusRound, CensusTask

    census = CensusRound.objects.create(
        name="2026年春季摸排",
        period_start=dt.date(2026, 5, 1),
        period_end=dt.date(2026, 6, 30),
        deadline=dt.date(2026, 6, 30),
        opened_by=city.admin,
    )
    statuses = {0: "confirmed", 1: "confirmed", 2: "updated", 9: "confirmed"}
    for i, child in enumerate(twelve[:8] + twelve[9:11]):
        index = i if i < 8 else i + 1
        CensusTask.objects.create(
            round=census, child=child, village=child.village, status=statuses.get(index, "pending")
        )
    m = work_measures.measure_census(scope=CITY, on=ON)
    assert m.title == "摸排进度：2026年春季摸排"
    assert m.rows == [["岳口镇", 8, 3, 5, 37.5], ["多宝镇", 2, 1, 1, 50.0]]
    assert m.total == ["合计", 10, 4, 6, 40.0]
    yuekou = work_measures.measure_census(scope=StatsScope(township_ids=frozenset({city.yuekou.pk})), on=ON)
    assert rows(yuekou)[city.yuekou_community.name] == [7, 3, 4, 42.9]


@pytest.fixture
def referrals(twelve, city):
    from network.models import Department
    from servicelist.models import Referral

    education = Department.objects.get(code="education")
    civil = Department.objects.get(code="civil_affairs")
    today = timezone.localdate()
    for child, department, status, deadline in (
        (twelve[0], education, "sent", today - dt.timedelta(days=3)),
        (twelve[1], education, "completed", today - dt.timedelta(days=3)),
        (twelve[9], education, "accepted", today + dt.timedelta(days=10)),
        (twelve[2], civil, "rejected", today + dt.timedelta(days=10)),
    ):
        Referral.objects.create(
            child=child,
            department=department,
            reason="测试",
            deadline=deadline,
            created_by=city.admin,
            status=status,
        )
    return education, civil


def test_referrals_by_department_and_status(referrals, city):
    education, civil = referrals
    today = timezone.localdate()
    period = Period(start=today.replace(month=1, day=1), end=today)
    m = work_measures.measure_referrals(scope=CITY, on=today, period=period)
    assert m.columns[1:5] == ["已发送", "已接收", "已退回", "已办结"]
    assert rows(m)[education.name] == [1, 1, 0, 1, 3, 1]
    assert rows(m)[civil.name] == [0, 0, 1, 0, 1, 0]
    assert m.total == ["合计", 1, 1, 1, 1, 4, 1]
    duobao = work_measures.measure_referrals(
        scope=StatsScope(township_ids=frozenset({city.duobao.pk})), on=today, period=period
    )
    assert duobao.rows == [[education.name, 0, 1, 0, 0, 1, 0]]


def test_liaison_reads_only_the_referrals_of_the_department(referrals, city, login):
    education, civil = referrals
    scope = selectors.scope_for(city.edu_liaison)
    assert [spec.name for spec in selectors.measures_for(scope)] == ["referrals"]
    data = login(city.edu_liaison).get("/api/v1/stats/measures/referrals").json()
    assert [row[0] for row in data["rows"]] == [education.name]
    assert data["rows"][0][1:] == ["<5", "<5", 0, "<5", "<5", "<5"]


def test_entitlement_coverage_gaps(twelve, city):
    from servicelist.models import Entitlement
    from servicelist.selectors import list_in_force
    from stats.services import refresh_aggregates

    version = list_in_force(ON)
    services = {s.no: s for s in version.services.all()}
    for child, no, status in (
        (twelve[0], 1, "receiving"),
        (twelve[1], 1, "not_started"),
        (twelve[2], 1, "not_applicable"),
        (twelve[8], 1, "referred"),  # pending files count too
        (twelve[11], 1, "not_started"),  # closed file
        (twelve[9], 2, "declined"),
    ):
        Entitlement.objects.create(child=child, no=no, service=services[no], version=version, status=status)
    refresh_aggregates(actor=None, on=ON)
    m = work_measures.measure_entitlements(scope=CITY, on=ON)
    assert m.rows == [
        [f"1. {services[1].name}", 3, 1, 1, 0, 1, 33.3],
        [f"2. {services[2].name}", 1, 0, 0, 1, 0, 0.0],
    ]
    assert m.total == ["合计（人次）", 4, 1, 1, 1, 1, 25.0]
    duobao = work_measures.measure_entitlements(
        scope=StatsScope(township_ids=frozenset({city.duobao.pk})), on=ON
    )
    assert duobao.rows == [[f"2. {services[2].name}", 1, 0, 0, 1, 0, 0.0]]


def test_school_obligations(twelve, city):
    from schools.models import Activity, School, SchoolYear

    SchoolYear.objects.create(
        name="2025-2026",
        semester1_start=dt.date(2025, 9, 1),
        semester1_end=dt.date(2026, 1, 20),
        winter_start=dt.date(2026, 1, 21),
        winter_end=dt.date(2026, 2, 20),
        semester2_start=dt.date(2026, 2, 21),
        semester2_end=dt.date(2026, 7, 5),
        summer_start=dt.date(2026, 7, 6),
        summer_end=dt.date(2026, 8, 31),
    )
    yuekou_school = School.objects.filter(township=city.yuekou, kind="primary").order_by("pk").first()
    duobao_school = School.objects.filter(township=city.duobao, kind="primary").order_by("pk").first()
    for child in (twelve[3], twelve[4]):
        child.school = yuekou_school
        child.save(update_fields=["school"])
    twelve[9].school = duobao_school
    twelve[9].save(update_fields=["school"])
    Activity.objects.create(
        type="family_guidance",
        title="家长课堂",
        date=dt.date(2026, 3, 10),
        organiser_kind="school",
        organiser_name=yuekou_school.name,
        school=yuekou_school,
        created_by=city.admin,
    )
    city_m = work_measures.measure_school_obligations(scope=CITY, on=ON)
    counts = rows(city_m)
    # [lines, done, due, overdue, upcoming, percent of lines, percent of pupils]
    assert counts["家长学校家庭教育指导活动"] == [2, 1, 1, 0, 0, 50.0, None]
    assert counts["家访（每名流动学生）"][:2] == [2, 0]
    # Each row's rate reads off its own counts: 0 schools done is 0 %, whatever the pupils.
    for lines, done, _due, _overdue, upcoming, rate, _pupils in counts.values():
        assert rate == (round(100 * done / (lines - upcoming), 1) if lines - upcoming else None)
    yuekou = rows(
        work_measures.measure_school_obligations(
            scope=StatsScope(township_ids=frozenset({city.yuekou.pk})), on=ON
        )
    )
    assert yuekou["家长学校家庭教育指导活动"] == [1, 1, 0, 0, 0, 100.0, None]


def test_training_coverage(city):
    from network.models import TrainingRecord

    TrainingRecord.objects.create(
        user=city.yuekou_supervisor,
        course="关爱保护培训",
        date=dt.date(2026, 3, 1),
        hours=4,
        recorded_by=city.admin,
    )
    TrainingRecord.objects.create(
        user=city.yuekou_director,
        course="往年培训",
        date=dt.date(2025, 3, 1),
        hours=4,
        recorded_by=city.admin,
    )
    period = Period(start=dt.date(2026, 1, 1), end=ON)
    m = work_measures.measure_training(scope=CITY, on=ON, period=period)
    assert m.rows == [["儿童督导员", 2, 1, 1, 50.0], ["儿童主任", 1, 0, 1, 0.0]]
    yuekou = work_measures.measure_training(
        scope=StatsScope(township_ids=frozenset({city.duobao.pk})), on=ON, period=period
    )
    assert yuekou.rows == [["儿童督导员", 1, 0, 1, 0.0], ["儿童主任", 0, 0, 0, None]]


def test_home_cards_of_the_leader_include_key_attention(flags, city):
    from stats.home import home_cards

    titles = {c.title: c.value for c in home_cards(city.leader)}
    assert titles["流动儿童"] == 10
    assert titles["重点关注儿童"] == "<5"
    assert titles["走访完成率"] == "—"  # fewer than five children due


def test_slow_measures_are_kept_until_the_summary_is_rebuilt(flags, twelve, city):
    from care.models import RiskCategory, RiskFlag
    from stats.services import refresh_aggregates

    scope = selectors.scope_for(city.leader)
    period = Period(start=dt.date(2026, 1, 1), end=ON)
    assert selectors.compute("key_attention", scope=scope, on=ON, period=period).total[1] == 3
    RiskFlag.objects.create(
        child=twelve[4], category=RiskCategory.objects.get(code="vagrancy"), source="manual", raised_on=ON
    )
    # Kept for the day, whatever the period (the measure does not depend on it) ...
    other = Period(start=dt.date(2026, 6, 1), end=ON)
    assert selectors.compute("key_attention", scope=scope, on=ON, period=other).total[1] == 3
    # ... until the summary is rebuilt ("立即更新" or the nightly task).
    refresh_aggregates(actor=None, on=ON)
    assert selectors.compute("key_attention", scope=scope, on=ON, period=period).total[1] == 4


def test_nightly_warm_computes_the_city_figures(twelve, city):
    from stats.models import MeasureCache

    assert selectors.warm_cache(on=ON) == 24  # six slow measures for four periods
    assert set(MeasureCache.objects.values_list("name", flat=True)) == {
        "census",
        "compliance",
        "files",
        "key_attention",
        "referrals",
        "school_obligations",
    }
    assert MeasureCache.objects.filter(name="key_attention").count() == 1  # not per period
    assert set(MeasureCache.objects.values_list("scope_key", flat=True)) == {"city"}


def test_nightly_warm_computes_compliance_of_all_periods_as_one_by_one(twelve, city):
    from stats.measure import quick_periods
    from stats.models import MeasureCache

    scope = selectors.scope_for(city.leader)
    periods = [period for _label, period in quick_periods(ON)]
    one_by_one = [work_measures.measure_compliance(scope=scope, on=ON, period=p) for p in periods]
    assert work_measures.measure_compliance_periods(scope=scope, on=ON, periods=periods) == one_by_one
    selectors.warm_cache(on=ON)
    spec = selectors.MEASURES["compliance"]
    for period, expected in zip(periods, one_by_one, strict=True):
        assert selectors.run(spec, scope=scope, on=ON, period=period) == expected
    assert MeasureCache.objects.filter(name="compliance").count() == len({(p.start, p.end) for p in periods})
    # A second warm-up finds them all kept: nothing computed again.
    kept = dict(MeasureCache.objects.filter(name="compliance").values_list("pk", "computed_at"))
    selectors.warm_cache(on=ON)
    assert dict(MeasureCache.objects.filter(name="compliance").values_list("pk", "computed_at")) == kept


def test_referrals_of_a_period_are_counted_by_local_day(referrals, city):
    """The first and last instants of the period's local days count, the next local day does not
    (the same days as ``sent_at__date``, which compares the local date)."""
    from servicelist.models import Referral

    sent = list(Referral.objects.order_by("pk"))
    start, end = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
    zone = timezone.get_current_timezone()
    for referral, moment in zip(
        sent,
        [
            dt.datetime(2026, 3, 1, 0, 0, tzinfo=zone),  # 2026-02-28 16:00 UTC: still March locally
            dt.datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=zone),
            dt.datetime(2026, 4, 1, 0, 0, tzinfo=zone),
            dt.datetime(2026, 2, 28, 23, 59, 59, tzinfo=zone),
        ],
        strict=True,
    ):
        Referral.objects.filter(pk=referral.pk).update(sent_at=moment)
    period = Period(start=start, end=end)
    m = work_measures.measure_referrals(scope=CITY, on=end, period=period)
    expected = Referral.objects.filter(sent_at__date__gte=start, sent_at__date__lte=end).count()
    assert expected == 2
    assert m.total[5] == expected
