"""A small city with twelve children whose figures are computed by hand in the tests.

Reference day ON = 2026-06-15. Open migrant files: #1-#8 in 岳口镇 (#1-#7 in the
directors' community, #8 in another village), #10-#11 in 多宝镇; #9 (岳口镇) is pending
(arrived 2026-03-01); #12 (多宝镇) was closed on 2026-05-01 (moved away).
"""

import datetime as dt

import pytest

from common.testing import make_child
from stats.services import refresh_aggregates

ON = dt.date(2026, 6, 15)
NAMES = [f"欧阳测{c}" for c in "甲乙丙丁戊己庚辛壬癸子丑"]


@pytest.fixture
def twelve(city):
    community, other, duobao = city.yuekou_community, city.yuekou_other_village, city.duobao_village
    plan = [
        # (village, birth date, male, stage, extra)
        (community, dt.date(2025, 1, 10), True, "未入学", {"arrival_date": dt.date(2025, 3, 1)}),
        (community, dt.date(2023, 6, 16), False, "托育", {}),  # 2 until tomorrow
        (community, dt.date(2023, 6, 15), True, "幼儿园", {}),  # 3 today
        (community, dt.date(2019, 2, 1), False, "小学", {}),
        (community, dt.date(2017, 1, 1), True, "小学", {}),
        (community, dt.date(2013, 1, 1), False, "初中", {}),
        (community, dt.date(2011, 1, 1), True, "普通高中", {}),  # 15
        (other, dt.date(2018, 3, 3), False, "小学", {"hukou_county": "410102"}),
        (other, dt.date(2020, 1, 1), True, "小学", {"arrival_date": dt.date(2026, 3, 1)}),  # pending
        (duobao, dt.date(2016, 1, 1), True, "小学", {}),
        (duobao, dt.date(2022, 1, 1), False, "幼儿园", {}),
        (
            duobao,
            dt.date(2014, 1, 1),
            True,
            "初中",
            {"closed_at": dt.date(2026, 5, 1), "close_reason": "moved_away"},
        ),
    ]
    children = []
    for name, (village, birth, male, stage, extra) in zip(NAMES, plan, strict=True):
        children.append(
            make_child(
                village=village,
                name=name,
                birth_date=birth,
                male=male,
                school_stage=stage,
                on=ON,
                **extra,
            )
        )
    refresh_aggregates(actor=None, on=ON)
    return children
