"""The Basic Service List fixture and its eligibility rules, without a database.

Run alone with: .venv/bin/pytest servicelist/tests/test_rules.py -p no:django
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from network.departments import DEPARTMENTS
from servicelist import rules

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "basic_list_tianmen_2025.json"
LIST = json.loads(FIXTURE.read_text(encoding="utf-8"))
SERVICES = LIST["services"]
DEPARTMENT_CODES = frozenset(code for code, _, _ in DEPARTMENTS)
UNIVERSAL = {6, 7, 17, 19, 20, 21, 22}  # the target group is every migrant child
ON = dt.date(2025, 9, 1)


def facts(
    *,
    birth: dt.date = dt.date(2015, 3, 4),
    on: dt.date = ON,
    stage: str | None = "小学",
    health: str | None = "健康",
    security: object = (),
    **flags,
) -> dict:
    return rules.facts_from_profile(
        birth_date=birth, on_date=on, school_stage=stage, health=health, security=security, **flags
    )


def entitled(**kwargs) -> set[int]:
    return {s["no"] for s in rules.entitled_services(SERVICES, facts(**kwargs))}


def service(no: int) -> dict:
    return SERVICES[no - 1]


def holds(no: int, **kwargs) -> bool:
    return rules.evaluate(service(no)["rule"], facts(**kwargs))


def years_ago(years: int, on: dt.date = ON, days: int = 0) -> dt.date:
    """The birth date of a child who turns ``years`` on ``on`` (shifted by ``days``)."""
    return on.replace(year=on.year - years) + dt.timedelta(days=days)


# --- the fixture ------------------------------------------------------------


def test_fixture_is_a_valid_list():
    assert rules.validate_service_list(LIST) == []


def test_fixture_header():
    assert LIST["code"] == "tianmen-2025"
    assert LIST["title"] == "天门市流动儿童在居住地享有关爱服务基础清单"
    assert LIST["effective_from"] == "2025-07-30"
    assert [g["name"] for g in LIST["groups"]] == [
        "幼有所育",
        "学有所教",
        "病有所医",
        "住有所居",
        "弱有所扶",
        "发展保障",
    ]
    assert [g["no"] for g in LIST["groups"]] == [1, 2, 3, 4, 5, 6]


def test_fixture_has_the_22_services_of_the_annex_in_their_groups():
    assert [s["no"] for s in SERVICES] == list(range(1, 23))
    groups = {s["no"]: s["group"] for s in SERVICES}
    assert {n for n, g in groups.items() if g == "幼有所育"} == {1, 2}
    assert {n for n, g in groups.items() if g == "学有所教"} == {3, 4, 5}
    assert {n for n, g in groups.items() if g == "病有所医"} == {6, 7, 8}
    assert {n for n, g in groups.items() if g == "住有所居"} == {9}
    assert {n for n, g in groups.items() if g == "弱有所扶"} == set(range(10, 17))
    assert {n for n, g in groups.items() if g == "发展保障"} == set(range(17, 23))


def test_fixture_names_targets_and_departments_follow_the_annex():
    assert service(1)["name"] == "健康和托育(3岁以下)服务"
    assert service(1)["target"] == "0-6岁流动儿童"
    assert service(11)["name"] == "残疾儿童康复救助及残疾人两项补贴"
    assert service(12)["target"] == "流动儿童中的残疾儿童"  # a merged cell in the annex
    assert service(4)["departments"] == ["education"]  # merged with service 3's 市教育局
    assert service(9)["departments"] == ["housing_security"]
    assert service(16)["departments"] == ["court", "procuratorate", "public_security", "justice"]
    assert service(20)["departments"][0] == "cyberspace"
    assert service(21)["departments"] == [
        "court",
        "procuratorate",
        "education",
        "public_security",
        "civil_affairs",
        "justice",
        "youth_league",
        "womens_federation",
    ]


def test_fixture_content_is_the_full_annex_text():
    assert service(1)["content"].startswith("按照国家基本公共卫生服务规范提供健康管理服务;")
    assert service(1)["content"].endswith("提供就近就便普惠托育服务。")
    assert service(5)["content"].endswith(
        "按规定落实国家助学金、免学费等政策"
    )  # no full stop in the original
    assert "12356心理援助热线" in service(19)["content"]
    assert all(len(s["content"]) >= 20 for s in SERVICES)


def test_departments_table():
    assert len(DEPARTMENTS) == 23
    assert len(DEPARTMENT_CODES) == 23
    full = {code: name for code, _, name in DEPARTMENTS}
    assert full["civil_affairs"] == "天门市民政局"
    assert full["publicity"] == "中共天门市委宣传部"
    assert full["court"] == "天门市人民法院"
    assert full["youth_league"] == "中国共产主义青年团天门市委员会"
    used = {d for s in SERVICES for d in s["departments"]}
    assert used <= DEPARTMENT_CODES


# --- ages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "on", "years", "months"),
    [
        (dt.date(2019, 9, 1), dt.date(2025, 8, 31), 5, 71),
        (dt.date(2019, 9, 1), dt.date(2025, 9, 1), 6, 72),  # reached on the birthday
        (dt.date(2024, 1, 31), dt.date(2024, 2, 29), 0, 1),  # no 31 February: month end
        (dt.date(2024, 1, 31), dt.date(2024, 2, 28), 0, 0),
        (dt.date(2020, 2, 29), dt.date(2023, 2, 27), 2, 35),
        (dt.date(2020, 2, 29), dt.date(2023, 2, 28), 3, 36),  # 民法典 §202: last day of February
        (dt.date(2020, 2, 29), dt.date(2024, 2, 28), 3, 47),  # a leap year has its 29th
        (dt.date(2020, 2, 29), dt.date(2024, 2, 29), 4, 48),
        (dt.date(2025, 9, 1), dt.date(2025, 9, 1), 0, 0),
    ],
)
def test_completed_years_and_months(birth, on, years, months):
    f = facts(birth=birth, on=on)
    assert (f["age_years"], f["age_months"]) == (years, months)


# --- each service ---------------------------------------------------------------


@pytest.mark.parametrize("no", sorted(UNIVERSAL))
def test_universal_services_reach_every_child(no):
    assert holds(no, birth=dt.date(2025, 8, 31), stage="未入学")
    assert holds(no, birth=dt.date(2010, 1, 1), stage="中职", health="严重精神障碍", security="特困")
    assert holds(no, stage=None, health=None)


def test_1_health_and_childcare_until_the_day_before_the_7th_birthday():
    # "0-6岁" counts completed years, as the national 0～6岁儿童健康管理 does (the 6-year check-up).
    assert holds(1, birth=ON, stage="未入学")
    assert holds(1, birth=years_ago(6), stage="幼儿园")
    assert holds(1, birth=years_ago(7, days=1), stage="小学")  # 7 tomorrow
    assert not holds(1, birth=years_ago(7), stage="小学")  # 7 today
    assert not holds(1, birth=years_ago(12))


def test_1_leap_day_child_turns_7_on_28_february():
    born = dt.date(2016, 2, 29)
    assert holds(1, birth=born, on=dt.date(2023, 2, 27), stage="幼儿园")
    assert not holds(1, birth=born, on=dt.date(2023, 2, 28), stage="幼儿园")


def test_2_preschool_from_the_3rd_birthday_to_the_day_before_the_7th():
    assert not holds(2, birth=years_ago(3, days=1), stage="托育")  # 3 tomorrow
    assert holds(2, birth=years_ago(3), stage="托育")  # 3 today
    assert holds(2, birth=years_ago(3), stage="未入学")
    assert holds(2, birth=years_ago(7, days=1), stage="小学")  # the annex's target is an age only
    assert not holds(2, birth=years_ago(7), stage="小学")


def test_2_any_child_in_kindergarten():
    assert holds(2, birth=years_ago(2), stage="幼儿园")
    assert holds(2, birth=years_ago(7, days=-10), stage="幼儿园")


def test_2_leap_day_child_turns_3_on_28_february():
    born = dt.date(2020, 2, 29)
    assert not holds(2, birth=born, on=dt.date(2023, 2, 27), stage="托育")
    assert holds(2, birth=born, on=dt.date(2023, 2, 28), stage="托育")
    assert holds(2, birth=born, on=dt.date(2023, 3, 1), stage="托育")


@pytest.mark.parametrize("stage", ["小学", "初中"])
def test_3_compulsory_education_for_pupils(stage):
    assert holds(3, birth=years_ago(5), stage=stage)  # an early starter still counts
    assert holds(3, birth=years_ago(16), stage=stage)  # a late one too


@pytest.mark.parametrize("stage", ["未入学", "失学辍学"])
def test_3_children_of_compulsory_age_out_of_school(stage):
    assert not holds(3, birth=years_ago(6, days=1), stage=stage)  # 6 tomorrow
    assert holds(3, birth=years_ago(6), stage=stage)  # 6 today
    assert holds(3, birth=years_ago(16, days=1), stage=stage)  # 15 until tomorrow
    assert not holds(3, birth=years_ago(16), stage=stage)


@pytest.mark.parametrize("stage", ["托育", "幼儿园", "普通高中", "中职"])
def test_3_not_for_other_stages(stage):
    assert not holds(3, birth=years_ago(10), stage=stage)


def test_3_unknown_stage_is_not_assumed_out_of_school():
    assert not holds(3, birth=years_ago(10), stage=None)


@pytest.mark.parametrize(("no", "stage"), [(4, "普通高中"), (5, "中职")])
def test_4_and_5_by_stage(no, stage):
    assert holds(no, birth=years_ago(15), stage=stage)
    others = [s for s in rules.SCHOOL_STAGES if s != stage]
    assert not any(holds(no, birth=years_ago(15), stage=s) for s in others)


def test_8_severe_mental_disorder_living_at_home():
    assert holds(8, health="严重精神障碍")
    assert not holds(8, health="严重精神障碍", living_at_home=False)
    assert not holds(8, health="慢性病")
    assert not holds(8, health="残疾", disability_category="精神")


def test_9_housing_difficulty():
    assert holds(9, housing_difficulty=True)
    assert not holds(9)


@pytest.mark.parametrize("category", ["孤儿", "艾滋病病毒感染", "事实无人抚养"])
def test_10_basic_living(category):
    assert holds(10, security=[category])
    assert holds(10, security=f"低保、{category}")


@pytest.mark.parametrize("category", ["低保", "低保边缘", "特困"])
def test_10_not_for_other_categories(category):
    assert not holds(10, security=[category])


@pytest.mark.parametrize("no", [11, 12])
def test_11_and_12_disabled_by_health_or_category(no):
    assert holds(no, health="残疾")
    assert holds(no, health="慢性病", disability_category="肢体")
    assert holds(no, health="严重精神障碍", disability_category="精神")
    assert not holds(no, health="健康")
    assert not holds(no, health="严重精神障碍")


def test_13_minimum_living_allowance_for_dibao_only():
    assert holds(13, security=["低保"])
    assert holds(13, security="低保、孤儿")
    assert not holds(13, security=["低保边缘"])  # above the 低保 line by definition
    assert not holds(13, security=["特困"])
    assert not holds(13, security="无")


def test_14_extreme_poverty_support_unless_an_orphan():
    assert holds(14, security=["特困"])
    assert holds(14, security=["特困", "事实无人抚养"])
    assert not holds(14, security=["特困", "孤儿"])  # handled as an orphan (service 10)
    assert holds(10, security=["特困", "孤儿"])
    assert not holds(14, security=["低保"])


def test_15_and_16_by_circumstance():
    assert holds(15, emergency_hardship=True)
    assert not holds(15)
    assert holds(16, legal_aid_need=True)
    assert not holds(16)


def test_18_guardianship_care_for_key_attention_orphans_and_unsupported():
    assert holds(18, key_attention=True)
    assert holds(18, security=["孤儿"])
    assert holds(18, security=["事实无人抚养"])
    assert not holds(18, security=["艾滋病病毒感染"])
    assert not holds(18, security=["低保"])
    assert not holds(18)


# --- whole profiles -----------------------------------------------------------------


def test_a_healthy_pupil_gets_the_universal_services_and_compulsory_education():
    assert entitled(birth=years_ago(10), stage="小学") == UNIVERSAL | {3}


def test_a_newborn():
    assert entitled(birth=ON, stage="未入学") == UNIVERSAL | {1}


def test_a_six_year_old_first_grader():
    assert entitled(birth=years_ago(6), stage="小学") == UNIVERSAL | {1, 2, 3}


def test_a_fifteen_year_old_vocational_student_in_hardship():
    got = entitled(
        birth=years_ago(15),
        stage="中职",
        security="低保边缘",
        housing_difficulty=True,
        emergency_hardship=True,
        legal_aid_need=True,
    )
    assert got == UNIVERSAL | {5, 9, 15, 16}


def test_an_orphan_with_a_disability_in_extreme_poverty():
    got = entitled(birth=years_ago(9), stage="失学辍学", health="残疾", security="孤儿、特困")
    assert got == UNIVERSAL | {3, 10, 11, 12, 18}


def test_entitled_services_keep_list_order_and_return_the_service_dicts():
    got = rules.entitled_services(SERVICES, facts(security=["低保"]))
    assert [s["no"] for s in got] == sorted(s["no"] for s in got)
    assert got[0] is SERVICES[got[0]["no"] - 1]


def test_entitled_services_reject_a_bad_rule_naming_the_service():
    with pytest.raises(rules.RuleError, match="服务 2"):
        rules.entitled_services([{"no": 2, "rule": {"fact": "age", "op": "eq", "value": 1}}], facts())


# --- explain and describe ----------------------------------------------------------------


def test_explain_lists_the_conditions_that_held():
    f = facts(birth=years_ago(4), stage="幼儿园")
    lines = rules.explain(service(2)["rule"], f)
    assert lines == ["年龄（周岁）在 3 至 6 之间（含）（本人：4）", "就学状态为幼儿园（本人：幼儿园）"]
    assert rules.explain(True, f) == ["面向全体流动儿童"]
    assert rules.explain(service(4)["rule"], f) == []
    assert rules.explain(service(14)["rule"], facts(security="特困")) == [
        "保障类别包含特困（本人：特困）",
        "不满足：保障类别包含孤儿",
    ]


def test_describe_every_service_in_chinese():
    assert rules.describe(service(1)["rule"]) == "年龄（周岁）不超过 6"
    assert rules.describe(service(8)["rule"]) == "同时满足：健康状况为严重精神障碍；在家居住：是"
    assert all(rules.describe(s["rule"]) for s in SERVICES)


# --- the profile ----------------------------------------------------------------------


def test_facts_from_profile_derives_and_defaults():
    f = facts(stage="初中", security="无")
    assert f["compulsory_stage"] is True
    assert f["security"] == []
    assert f["living_at_home"] is True
    assert f["key_attention"] is False
    assert set(f) == set(rules.FACTS)
    assert facts(security="孤儿，低保 低保")["security"] == ["低保", "孤儿"]


def test_facts_from_profile_reports_every_bad_field():
    with pytest.raises(rules.ProfileError) as caught:
        rules.facts_from_profile(
            birth_date="2015-03-04",
            on_date=ON,
            school_stage="大学",
            health="良好",
            security=["低保", "富裕"],
            housing_difficulty="否",
            disability_category="其他",
        )
    errors = caught.value.errors
    assert set(errors) == {
        "birth_date",
        "school_stage",
        "health",
        "security",
        "housing_difficulty",
        "disability_category",
    }
    assert "就学状态应为以下之一" in errors["school_stage"]


def test_birth_after_the_date_is_refused():
    with pytest.raises(rules.ProfileError) as caught:
        facts(birth=dt.date(2025, 9, 2), on=dt.date(2025, 9, 1))
    assert caught.value.errors == {"birth_date": "出生日期不能晚于查询日期"}


# --- the validator ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("true", "$：条件应为 true、false 或对象，实际为 “true”"),
        (None, "$：条件应为 true、false 或对象，实际为 None"),
        ({}, "$：条件对象应含 all、any、not 之一，或同时含 fact 和 op"),
        ({"all": []}, "$.all：条件列表不能为空"),
        ({"any": {"fact": "disabled"}}, "$.any：应为条件列表"),
        ({"all": [True], "any": [True]}, "$：“all”条件不能再带其他键"),
        ({"not": {"fact": "agee", "op": "eq", "value": 1}}, "$.not.fact：未知的事实 “agee”"),
        ({"fact": "age_years", "op": "<", "value": 1}, "$.op：未知的运算 “<”"),
        (
            {"fact": "security", "op": "eq", "value": "低保"},
            "$.op：“保障类别”不能用运算 eq；可用：contains、contains_any",
        ),
        ({"fact": "age_years", "op": "lt", "value": "7"}, "$.value：“年龄（周岁）”的值应为整数"),
        ({"fact": "age_years", "op": "lt", "value": True}, "$.value：“年龄（周岁）”的值应为整数"),
        ({"fact": "age_years", "op": "lt", "value": 7.0}, "$.value：“年龄（周岁）”的值应为整数"),
        ({"fact": "age_years", "op": "gte", "value": -1}, "$.value：“年龄（周岁）”的值应在 0 至 30 之间"),
        ({"fact": "age_years", "op": "between", "value": [6]}, "$.value：between 的值应为 [下限, 上限]"),
        ({"fact": "age_years", "op": "between", "value": [7, 3]}, "$.value：下限 7 大于上限 3"),
        ({"fact": "school_stage", "op": "eq", "value": "大学"}, "$.value：“就学状态”没有取值 “大学”"),
        ({"fact": "school_stage", "op": "in", "value": []}, "$.value：运算 in 的值应为非空列表"),
        (
            {"fact": "security", "op": "contains_any", "value": ["孤儿", "残疾"]},
            "$.value[1]：“保障类别”没有取值 “残疾”",
        ),
        ({"fact": "disabled", "op": "is_true", "value": True}, "$.value：运算 is_true 不需要 value"),
        ({"fact": "disabled", "op": "eq"}, "$：运算 eq 需要 value"),
        ({"fact": "disabled", "op": "eq", "value": "是"}, "$.value：“残疾儿童”的值应为 true 或 false"),
        ({"fact": "disabled", "op": "is_true", "note": "x"}, "$：不认识的键 “note”"),
        ({"any": [True, {"all": [{"fact": "health", "op": "eq", "value": 1}]}]}, "$.any[1].all[0].value"),
    ],
)
def test_validator_messages(rule, message):
    errors = rules.validate_rule(rule)
    assert any(e.startswith(message) for e in errors), errors


def test_validator_accepts_every_op_on_its_types():
    good = [
        True,
        False,
        {"fact": "age_months", "op": "lt", "value": 36},
        {"fact": "age_years", "op": "in", "value": [3, 4]},
        {"fact": "age_years", "op": "ne", "value": 3},
        {"fact": "age_years", "op": "gt", "value": 3},
        {"fact": "health", "op": "not_in", "value": ["健康"]},
        {"fact": "health", "op": "ne", "value": "健康"},
        {"fact": "key_attention", "op": "is_false"},
        {"fact": "living_at_home", "op": "eq", "value": False},
        {"not": {"fact": "security", "op": "contains", "value": "低保边缘"}},
    ]
    assert [rules.validate_rule(r) for r in good] == [[] for _ in good]


def test_validator_caps_nesting():
    rule: object = True
    for _ in range(100):
        rule = {"not": rule}
    assert any("嵌套超过" in e for e in rules.validate_rule(rule))


def test_evaluate_refuses_an_invalid_rule():
    with pytest.raises(rules.RuleError) as caught:
        rules.evaluate({"fact": "age", "op": "eq", "value": 1}, facts())
    assert caught.value.errors[0].startswith("$.fact：未知的事实")


def test_unknown_facts_match_no_comparison():
    f = facts(stage=None, health=None)
    assert not rules.evaluate({"fact": "school_stage", "op": "ne", "value": "小学"}, f)
    assert not rules.evaluate({"fact": "health", "op": "not_in", "value": ["健康"]}, f)
    assert rules.evaluate({"not": {"fact": "health", "op": "eq", "value": "健康"}}, f)
    assert not rules.evaluate({"fact": "age_years", "op": "lt", "value": 5}, {})
    assert not rules.evaluate({"fact": "age_years", "op": "eq", "value": 1}, {"age_years": True})


def test_ops_on_facts():
    f = facts(birth=years_ago(5), stage="幼儿园", security="低保")
    cases = [
        ("age_years", "eq", 5, True),
        ("age_years", "lt", 5, False),
        ("age_years", "lte", 5, True),
        ("age_years", "gt", 4, True),
        ("age_years", "gte", 6, False),
        ("age_years", "not_in", [5], False),
        ("age_months", "between", [60, 60], True),
        ("school_stage", "in", ["托育", "幼儿园"], True),
        ("security", "contains", "低保", True),
        ("security", "contains_any", ["特困"], False),
        ("housing_difficulty", "ne", True, True),
    ]
    for name, op, value, expected in cases:
        assert rules.evaluate({"fact": name, "op": op, "value": value}, f) is expected, (name, op)
    assert rules.evaluate({"fact": "housing_difficulty", "op": "is_false"}, f)


# --- properties ----------------------------------------------------------------------------

profiles = st.builds(
    rules.facts_from_profile,
    birth_date=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2026, 12, 31)),
    on_date=st.just(dt.date(2027, 1, 1))
    | st.dates(min_value=dt.date(2027, 1, 1), max_value=dt.date(2040, 12, 31)),
    school_stage=st.none() | st.sampled_from(rules.SCHOOL_STAGES),
    health=st.none() | st.sampled_from(rules.HEALTH_STATES),
    security=st.lists(st.sampled_from((*rules.SECURITY_CATEGORIES, "无")), max_size=4),
    housing_difficulty=st.booleans(),
    emergency_hardship=st.booleans(),
    legal_aid_need=st.booleans(),
    disability_category=st.none() | st.sampled_from(rules.DISABILITY_CATEGORIES),
    living_at_home=st.booleans(),
    key_attention=st.booleans(),
)


def _leaves() -> st.SearchStrategy:
    def leaf_for(name: str) -> st.SearchStrategy:
        fact = rules.FACTS[name]
        if fact.type == "int":
            number = st.integers(min_value=fact.minimum, max_value=fact.maximum)
            return st.one_of(
                st.tuples(st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"]), number),
                st.tuples(st.sampled_from(["in", "not_in"]), st.lists(number, min_size=1, max_size=3)),
                st.tuples(st.just("between"), st.tuples(number, number).map(sorted)),
            ).map(lambda t: {"fact": name, "op": t[0], "value": list(t[1]) if t[0] == "between" else t[1]})
        if fact.type == "bool":
            return st.one_of(
                st.sampled_from([{"fact": name, "op": "is_true"}, {"fact": name, "op": "is_false"}]),
                st.builds(
                    lambda op, v: {"fact": name, "op": op, "value": v},
                    st.sampled_from(["eq", "ne"]),
                    st.booleans(),
                ),
            )
        value = st.sampled_from(fact.values)
        if fact.type == "enum":
            return st.one_of(
                st.builds(
                    lambda op, v: {"fact": name, "op": op, "value": v}, st.sampled_from(["eq", "ne"]), value
                ),
                st.builds(
                    lambda op, v: {"fact": name, "op": op, "value": v},
                    st.sampled_from(["in", "not_in"]),
                    st.lists(value, min_size=1, max_size=3),
                ),
            )
        return st.one_of(
            st.builds(lambda v: {"fact": name, "op": "contains", "value": v}, value),
            st.builds(
                lambda v: {"fact": name, "op": "contains_any", "value": v}, st.lists(value, min_size=1)
            ),
        )

    return st.sampled_from(sorted(rules.FACTS)).flatmap(leaf_for)


valid_rules = st.recursive(
    st.booleans() | _leaves(),
    lambda children: st.one_of(
        st.builds(lambda c: {"all": c}, st.lists(children, min_size=1, max_size=4)),
        st.builds(lambda c: {"any": c}, st.lists(children, min_size=1, max_size=4)),
        st.builds(lambda c: {"not": c}, children),
    ),
    max_leaves=12,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["all", "any", "not", "fact", "op", "value"]) | st.text(max_size=5),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)

# Arbitrary JSON, biased towards near-miss rules: the right keys with wrong contents.
near_misses = st.builds(
    lambda name, op, value: {"fact": name, "op": op, "value": value},
    st.sampled_from(sorted(rules.FACTS)) | json_values,
    st.sampled_from(sorted(rules.OPS)) | json_values,
    json_values,
)


@settings(max_examples=300, deadline=None)
@given(profiles, valid_rules)
def test_evaluate_never_raises_on_profiles(f, rule):
    assert rules.validate_rule(rule) == []
    result = rules.evaluate(rule, f)
    assert isinstance(result, bool)
    # explain answers exactly when the rule holds
    assert bool(rules.explain(rule, f)) is result
    assert isinstance(rules.describe(rule), str)


@settings(max_examples=200, deadline=None)
@given(profiles)
def test_every_child_gets_the_universal_services_and_ages_agree(f):
    got = {s["no"] for s in rules.entitled_services(SERVICES, f)}
    assert got >= UNIVERSAL
    assert f["age_years"] == f["age_months"] // 12
    assert (1 in got) == (f["age_years"] <= 6)


@settings(max_examples=300, deadline=None)
@given(json_values | near_misses)
def test_validate_rule_never_raises_on_arbitrary_json(value):
    errors = rules.validate_rule(value)
    assert isinstance(errors, list)
    assert all(isinstance(e, str) and e.startswith("$") for e in errors)
    if not errors:  # whatever the validator lets through, evaluate can run
        rules.evaluate(value, {})
