"""Each measure against figures computed by hand from the twelve children of conftest.py."""

import datetime as dt
import io

from stats import selectors
from stats.selectors import Period, StatsScope
from stats.services import age_group_expression, years_before
from stats.tests.conftest import ON

CITY = StatsScope(city_wide=True)
PERIOD = Period(start=dt.date(2026, 1, 1), end=ON)


def rows(measure):
    return {row[0]: row[1] for row in measure.rows}


def test_overview_counts_open_files_by_status(twelve):
    m = selectors.measure_overview(scope=CITY, on=ON, period=PERIOD)
    assert rows(m) == {
        "流动儿童（已认定）": 10,
        "待满6个月": 1,
        "非流动儿童（档案未关闭）": 0,
        "其中：部门数据发现、待核实": 0,
    }


def test_age_groups_use_birthday_thresholds(twelve):
    m = selectors.measure_age_groups(scope=CITY, on=ON, period=PERIOD)
    # #2 turns 3 tomorrow (0-2), #3 turned 3 today (3-5).
    assert rows(m) == {"0-2岁": 2, "3-5岁": 2, "6-11岁": 4, "12-14岁": 1, "15岁": 1}
    assert m.total == ["合计", 10, 100.0]
    assert m.rows[2] == ["6-11岁", 4, 40.0]


def test_age_group_expression_agrees_with_registry_age(city):
    from common.testing import make_child
    from registry.models import Child
    from registry.status import age_on

    assert years_before(dt.date(2024, 2, 29), 3) == dt.date(2021, 2, 28)
    # (common.testing.make_child cannot make a 29 February birth: its guardian would be born on one.)
    born = [dt.date(2020, 2, 28), dt.date(2020, 3, 1), dt.date(2017, 2, 28), dt.date(2011, 3, 1)]
    for birth in born:
        make_child(village=city.yuekou_community, birth_date=birth, on=dt.date(2026, 1, 1))
    expected = {
        "0-2岁": range(0, 3),
        "3-5岁": range(3, 6),
        "6-11岁": range(6, 12),
        "12-14岁": range(12, 15),
        "15岁": range(15, 16),
    }
    for day in (dt.date(2023, 2, 28), dt.date(2023, 3, 1), dt.date(2026, 2, 28), dt.date(2026, 3, 1)):
        for birth, group in Child.objects.annotate(g=age_group_expression(day)).values_list(
            "birth_date", "g"
        ):
            if birth > day:
                continue
            age = age_on(birth, day)
            assert age in expected[group], (birth, day, group)


def test_sex(twelve):
    m = selectors.measure_sex(scope=CITY, on=ON, period=PERIOD)
    assert rows(m) == {"男": 5, "女": 5}
    assert m.chart_kind == "pie"


def test_school_stage(twelve):
    m = selectors.measure_school_stage(scope=CITY, on=ON, period=PERIOD)
    assert rows(m) == {
        "未入学": 1,
        "托育": 1,
        "幼儿园": 2,
        "小学": 4,
        "初中": 1,
        "普通高中": 1,
        "中职": 0,
        "失学辍学": 0,
    }


def test_townships_are_ranked(twelve, city):
    m = selectors.measure_townships(scope=CITY, on=ON, period=PERIOD)
    assert m.rows[0][:2] == ["岳口镇", 8]
    assert m.rows[1][:2] == ["多宝镇", 2]
    assert all(row[1] == 0 for row in m.rows[2:])
    assert m.chart_kind == "hbar"


def test_villages_of_one_township(twelve, city):
    scope = StatsScope(township_ids=frozenset({city.yuekou.pk}))
    m = selectors.measure_villages(scope=scope, on=ON, period=PERIOD)
    counts = rows(m)
    assert counts[city.yuekou_community.name] == 7
    assert counts[city.yuekou_other_village.name] == 1
    assert sum(counts.values()) == 8
    assert set(counts) == set(city.yuekou.children.values_list("name", flat=True))


def test_origin_by_province_and_county(twelve):
    provinces = selectors.measure_origin_provinces(scope=CITY, on=ON, period=PERIOD)
    assert rows(provinces) == {"湖北省": 9, "河南省": 1}
    counties = selectors.measure_origin_counties(scope=CITY, on=ON, period=PERIOD)
    assert rows(counties) == {"湖北省荆门市钟祥市": 9, "河南省郑州市中原区": 1}


def test_origin_keeps_top_twenty_and_others():
    pairs = [(f"县{i:02d}", 100 - i) for i in range(25)]
    top = selectors._top(pairs)
    assert len(top) == 21
    assert top[0] == ("县00", 100)
    assert top[-1] == ("其他", sum(100 - i for i in range(20, 25)))


def test_pending_and_closed_files_with_reasons(twelve):
    m = selectors.measure_files(scope=CITY, on=ON, period=PERIOD)
    counts = rows(m)
    assert counts["待定：居住未满6个月（待满6个月）"] == 1
    assert counts["期内关闭：迁离天门"] == 1
    assert counts["期内关闭：年满16周岁"] == 0
    before = selectors.measure_files(
        scope=CITY, on=ON, period=Period(start=dt.date(2026, 1, 1), end=dt.date(2026, 4, 30))
    )
    assert rows(before)["期内关闭：迁离天门"] == 0


def test_trend_reconstructs_months_before_the_system(twelve):
    m = selectors.measure_trend(scope=CITY, on=ON, period=PERIOD)
    assert [row[0] for row in m.rows][:2] == ["2025年7月", "2025年8月"]
    counts = [row[1] for row in m.rows]
    # #1 migrant from 2025-09-01; #12 (closed 2026-05-01) counted until April.
    assert counts == [10, 10, 11, 11, 11, 11, 11, 11, 11, 11, 10, 10]
    assert m.rows[-1][2] == "快照"
    assert m.rows[0][2] == "推算"


def test_trend_prefers_real_snapshots(twelve, city):
    from stats.models import TownshipSnapshot

    TownshipSnapshot.objects.filter(day=dt.date(2026, 1, 31), township=city.yuekou).update(
        migrant_count=50, reconstructed=False
    )
    m = selectors.measure_trend(scope=StatsScope(township_ids=frozenset({city.yuekou.pk})), on=ON)
    january = next(row for row in m.rows if row[0] == "2026年1月")
    assert january[1:] == [50, "快照"]


def test_measures_of_a_township_cover_only_it(twelve, city):
    duobao = StatsScope(township_ids=frozenset({city.duobao.pk}))
    assert rows(selectors.measure_sex(scope=duobao, on=ON, period=PERIOD)) == {"男": 1, "女": 1}
    yuekou = StatsScope(city_wide=True, township_id=city.yuekou.pk)
    assert rows(selectors.measure_sex(scope=yuekou, on=ON, period=PERIOD)) == {"男": 4, "女": 4}
    assert rows(selectors.measure_files(scope=yuekou, on=ON, period=PERIOD))["期内关闭：迁离天门"] == 0


def test_refresh_of_one_township_leaves_the_others(twelve, city):
    from common.testing import make_child
    from stats.services import refresh_aggregates

    make_child(village=city.duobao_village, on=ON, birth_date=dt.date(2016, 5, 5))
    make_child(village=city.yuekou_community, on=ON, birth_date=dt.date(2016, 5, 5))
    refresh_aggregates(actor=None, township_ids=[city.yuekou.pk], on=ON)
    counts = rows(selectors.measure_townships(scope=CITY, on=ON, period=PERIOD))
    assert counts["岳口镇"] == 9
    assert counts["多宝镇"] == 2  # not refreshed yet


def test_tasks_and_command_rebuild_the_summary(twelve, city):
    from django.core.management import call_command

    from common.testing import make_child
    from stats.tasks import refresh_townships

    make_child(village=city.duobao_village, birth_date=dt.date(2016, 5, 5))
    refresh_townships.enqueue([city.duobao.pk])
    today = dt.date.today()
    assert rows(selectors.measure_townships(scope=CITY, on=today))["多宝镇"] == 3
    call_command("stats_refresh", stdout=io.StringIO())
    assert rows(selectors.measure_townships(scope=CITY, on=today))["岳口镇"] == 8
