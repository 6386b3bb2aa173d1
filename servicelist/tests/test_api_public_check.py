"""The public entitlement-check API contract: every service on hand-made profiles, boundaries,
list changes by effective date and the 400s. POST /api/v1/public/entitlements/check"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

URL = "/api/v1/public/entitlements/check"
ON = dt.date(2025, 9, 1)
UNIVERSAL = {6, 7, 17, 19, 20, 21, 22}

pytestmark = pytest.mark.django_db


def post(payload, client: Client | None = None, raw: bool = False):
    client = client or Client(enforce_csrf_checks=True)
    body = payload if raw else json.dumps(payload, ensure_ascii=False)
    return client.post(URL, data=body, content_type="application/json")


def born(years: int, days: int = 0, on: dt.date = ON) -> str:
    """The birth date of a child who turns ``years`` on ``on`` (shifted by ``days``)."""
    return (on.replace(year=on.year - years) + dt.timedelta(days=days)).isoformat()


def check(**profile) -> set[int]:
    payload = {"birth_date": born(10), "school_stage": "小学", "health": "健康", "on_date": ON.isoformat()}
    payload.update(profile)
    response = post(payload)
    assert response.status_code == 200, response.content.decode()
    return {s["no"] for s in response.json()["services"]}


def test_the_url_is_the_contract_and_reverses():
    assert reverse("servicelist_api_public_check") == URL


def test_response_shape_and_departments_as_short_names():
    response = post(
        {"birth_date": "2020-05-01", "school_stage": "幼儿园", "health": "健康", "on_date": "2025-09-01"}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"list_version", "services"}
    assert body["list_version"] == "tianmen-2025"
    services = {s["no"]: s for s in body["services"]}
    assert [s["no"] for s in body["services"]] == sorted(services)
    assert all(set(s) == {"no", "name", "departments"} for s in body["services"])
    assert services[1] == {"no": 1, "name": "健康和托育(3岁以下)服务", "departments": ["卫健委"]}
    assert services[2]["departments"] == ["教育局"]
    assert services[7]["departments"] == ["医保局"]
    assert services[17]["departments"] == ["法院", "检察院", "教育局", "公安局", "妇联"]
    assert set(services) == UNIVERSAL | {1, 2}


def test_booleans_default_to_false_and_on_date_to_today():
    today = dt.date.today()
    response = post({"birth_date": (today - dt.timedelta(days=400)).isoformat(), "school_stage": "未入学"})
    assert response.status_code == 200
    assert {s["no"] for s in response.json()["services"]} == UNIVERSAL | {1}


def test_anonymous_without_csrf_token_and_no_session_is_created():
    client = Client(enforce_csrf_checks=True)
    response = post({"birth_date": born(8), "school_stage": "小学"}, client)
    assert response.status_code == 200
    assert "sessionid" not in response.cookies


def test_nothing_is_stored():
    from audit.models import AuditEvent
    from registry.models import Child

    before = (AuditEvent.objects.count(), Child.objects.count())
    post({"birth_date": born(8), "school_stage": "小学", "legal_aid_need": True})
    assert (AuditEvent.objects.count(), Child.objects.count()) == before


# --- every service, with its boundaries -------------------------------------------------


def test_universal_services_for_everyone():
    assert check() >= UNIVERSAL
    assert check(school_stage="中职", birth_date=born(15)) >= UNIVERSAL


@pytest.mark.parametrize(
    ("birth", "stage", "expected"),
    [
        (born(0), "未入学", True),  # born today
        (born(6), "幼儿园", True),
        (born(7, days=1), "小学", True),  # turns 7 tomorrow: still 6
        (born(7), "小学", False),  # 7 today
    ],
)
def test_1_health_and_childcare_up_to_six(birth, stage, expected):
    assert (1 in check(birth_date=birth, school_stage=stage)) is expected


@pytest.mark.parametrize(
    ("birth", "stage", "expected"),
    [
        (born(3), "托育", True),  # 3 today
        (born(3, days=1), "托育", False),  # 3 tomorrow
        (born(2), "幼儿园", True),  # in kindergarten before 3
        (born(6), "小学", True),
        (born(7, days=1), "小学", True),
        (born(7), "小学", False),
        (born(7), "幼儿园", True),  # still in kindergarten at 7
    ],
)
def test_2_preschool_three_to_six_or_in_kindergarten(birth, stage, expected):
    assert (2 in check(birth_date=birth, school_stage=stage)) is expected


@pytest.mark.parametrize(
    ("birth", "stage", "expected"),
    [
        (born(10), "小学", True),
        (born(13), "初中", True),
        (born(16), "初中", True),  # the stage decides, not the age
        (born(6), "未入学", True),  # of compulsory-school age but not enrolled
        (born(6, days=1), "未入学", False),
        (born(15), "失学辍学", True),
        (born(16), "失学辍学", False),
        (born(16, days=1), "失学辍学", True),
        (born(16), "普通高中", False),
        (born(5), "幼儿园", False),
    ],
)
def test_3_compulsory_education(birth, stage, expected):
    assert (3 in check(birth_date=birth, school_stage=stage)) is expected


@pytest.mark.parametrize(
    "stage", ["未入学", "托育", "幼儿园", "小学", "初中", "普通高中", "中职", "失学辍学"]
)
def test_4_and_5_by_stage(stage):
    got = check(birth_date=born(15), school_stage=stage)
    assert (4 in got) is (stage == "普通高中")
    assert (5 in got) is (stage == "中职")


def test_5_names_both_departments():
    body = post({"birth_date": born(15), "school_stage": "中职", "on_date": ON.isoformat()}).json()
    five = next(s for s in body["services"] if s["no"] == 5)
    assert five["departments"] == ["教育局", "人社局"]


@pytest.mark.parametrize(
    ("health", "expected"), [("严重精神障碍", True), ("健康", False), ("慢性病", False), ("残疾", False)]
)
def test_8_health_management_for_severe_mental_disorder(health, expected):
    assert (8 in check(health=health)) is expected


def test_9_housing_difficulty():
    assert 9 in check(housing_difficulty=True)
    assert 9 not in check(housing_difficulty=False)
    assert 9 not in check()


@pytest.mark.parametrize(
    ("security", "expected"),
    [
        (["孤儿"], True),
        (["事实无人抚养"], True),
        (["艾滋病病毒感染"], True),
        (["低保", "艾滋病病毒感染"], True),
        (["低保"], False),
        (["特困"], False),
        (["无"], False),
        ([], False),
    ],
)
def test_10_basic_living(security, expected):
    assert (10 in check(security=security)) is expected


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ({"health": "残疾"}, True),
        ({"health": "健康"}, False),
        ({"health": "慢性病", "disability_category": "肢体"}, True),
        ({"health": "严重精神障碍"}, False),
    ],
)
def test_11_and_12_disabled_children(profile, expected):
    got = check(**profile)
    assert (11 in got) is expected
    assert (12 in got) is expected


@pytest.mark.parametrize(
    ("security", "expected"),
    [(["低保"], True), (["低保", "孤儿"], True), (["低保边缘"], False), (["特困"], False)],
)
def test_13_minimum_living_allowance(security, expected):
    assert (13 in check(security=security)) is expected


@pytest.mark.parametrize(
    ("security", "expected"),
    [(["特困"], True), (["特困", "事实无人抚养"], True), (["特困", "孤儿"], False), (["低保"], False)],
)
def test_14_extreme_poverty_support_unless_an_orphan(security, expected):
    assert (14 in check(security=security)) is expected


def test_15_and_16_by_circumstance():
    assert 15 in check(emergency_hardship=True)
    assert 15 not in check()
    assert 16 in check(legal_aid_need=True)
    assert 16 not in check()


@pytest.mark.parametrize(
    ("security", "expected"),
    [(["孤儿"], True), (["事实无人抚养"], True), (["艾滋病病毒感染"], False), (["低保"], False), ([], False)],
)
def test_18_guardianship_care(security, expected):
    assert (18 in check(security=security)) is expected


def test_whole_profiles():
    assert check(birth_date=born(10), school_stage="小学") == UNIVERSAL | {3}
    assert check(birth_date=born(4), school_stage="幼儿园") == UNIVERSAL | {1, 2}
    assert check(
        birth_date=born(15),
        school_stage="中职",
        security=["低保边缘"],
        housing_difficulty=True,
        emergency_hardship=True,
        legal_aid_need=True,
    ) == UNIVERSAL | {5, 9, 15, 16}
    assert check(birth_date=born(9), school_stage="失学辍学", health="残疾", security=["孤儿", "特困"]) == (
        UNIVERSAL | {3, 10, 11, 12, 18}
    )


def test_leap_day_birthday_reaches_the_age_on_28_february():
    # Born 2020-02-29: 7 周岁 on 2027-02-28 (民法典 §201-202), so service 1 ends that day.
    assert 1 in check(birth_date="2020-02-29", school_stage="小学", on_date="2027-02-27")
    assert 1 not in check(birth_date="2020-02-29", school_stage="小学", on_date="2027-02-28")


def test_missing_stage_and_health_match_no_condition_on_them():
    got = check(school_stage=None, health=None, birth_date=born(10))
    assert got == UNIVERSAL


# --- the list changes by effective date ------------------------------------------------


def test_a_later_version_changes_the_answer_from_its_effective_date_only(city):
    from servicelist import services
    from servicelist.selectors import list_in_force

    draft = services.version_create_draft(
        actor=city.admin, code="tianmen-2026", title="天门市清单（2026年修订）"
    )
    one = draft.services.get(no=1)
    services.service_save(
        actor=city.admin,
        version=draft,
        service=one,
        no=1,
        group=one.group,
        name=one.name,
        target="0-5岁流动儿童",
        content=one.content,
        rule={"fact": "age_years", "op": "lte", "value": 5},
        departments=one.department_list(),
    )
    services.version_publish(actor=city.admin, version=draft, effective_from=dt.date(2026, 1, 1))
    six = "2019-10-01"  # 6 on both dates
    before = post({"birth_date": six, "school_stage": "幼儿园", "on_date": "2025-12-31"}).json()
    after = post({"birth_date": six, "school_stage": "幼儿园", "on_date": "2026-01-01"}).json()
    assert before["list_version"] == "tianmen-2025"
    assert 1 in {s["no"] for s in before["services"]}
    assert after["list_version"] == "tianmen-2026"
    assert 1 not in {s["no"] for s in after["services"]}
    assert list_in_force(dt.date(2025, 12, 31)).effective_to == dt.date(2025, 12, 31)


def test_no_list_in_force_before_the_first_one():
    response = post({"birth_date": "2015-01-01", "on_date": "2025-07-29"})
    assert response.status_code == 400
    assert "没有生效的服务清单" in response.json()["on_date"]
    assert post({"birth_date": "2015-01-01", "on_date": "2025-07-30"}).status_code == 200


# --- bad input: 400 with a Chinese message per field, never 500 -------------------------


@pytest.mark.parametrize("body", [[], ["birth_date"], "2015-03-04", 5, None, True])
def test_not_an_object(body):
    response = post(body)
    assert response.status_code == 400
    assert "JSON 对象" in response.json()["detail"]


@pytest.mark.parametrize("raw", ["{", "not json", '{"birth_date": "2015-03-04",}', ""])
def test_not_json(raw):
    response = post(raw, raw=True)
    assert response.status_code == 400
    assert response.json()


def test_form_encoded_body_is_a_400():
    response = Client().post(URL, data={"birth_date": "2015-03-04"})
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({}, "birth_date", "请填写出生日期"),
        ({"school_stage": "小学"}, "birth_date", "请填写出生日期"),
        ({"birth_date": None}, "birth_date", "请填写出生日期"),
        ({"birth_date": "2015-02-30"}, "birth_date", "不是实际存在的日期"),
        ({"birth_date": "2015-13-01"}, "birth_date", "不是实际存在的日期"),
        ({"birth_date": "2015/03/04"}, "birth_date", "YYYY-MM-DD"),
        ({"birth_date": "20150304"}, "birth_date", "YYYY-MM-DD"),
        ({"birth_date": 20150304}, "birth_date", "YYYY-MM-DD"),
        ({"birth_date": ["2015-03-04"]}, "birth_date", "YYYY-MM-DD"),
        ({"birth_date": "2030-01-01", "on_date": "2029-12-31"}, "birth_date", "不能晚于查询日期"),
        ({"birth_date": "2015-03-04", "on_date": "2025-02-29"}, "on_date", "不是实际存在的日期"),
        ({"birth_date": "2015-03-04", "on_date": "tomorrow"}, "on_date", "YYYY-MM-DD"),
        ({"birth_date": "2015-03-04", "school_stage": "大学"}, "school_stage", "就学状态应为以下之一"),
        ({"birth_date": "2015-03-04", "school_stage": 3}, "school_stage", "就学状态应为以下之一"),
        ({"birth_date": "2015-03-04", "health": "良好"}, "health", "健康状况应为以下之一"),
        ({"birth_date": "2015-03-04", "security": ["富裕"]}, "security", "保障类别"),
        ({"birth_date": "2015-03-04", "security": "低保"}, "security", "保障类别应为列表"),
        ({"birth_date": "2015-03-04", "security": [1]}, "security", "保障类别"),
        ({"birth_date": "2015-03-04", "security": {"低保": True}}, "security", "保障类别"),
        ({"birth_date": "2015-03-04", "housing_difficulty": "false"}, "housing_difficulty", "true 或 false"),
        ({"birth_date": "2015-03-04", "emergency_hardship": 1}, "emergency_hardship", "true 或 false"),
        ({"birth_date": "2015-03-04", "legal_aid_need": "是"}, "legal_aid_need", "true 或 false"),
        ({"birth_date": "2015-03-04", "disability_category": "其他"}, "disability_category", "残疾类别"),
    ],
)
def test_bad_fields(payload, field, words):
    response = post(payload)
    assert response.status_code == 400, response.content.decode()
    body = response.json()
    assert words in body[field], body


def test_every_bad_field_is_reported_at_once():
    response = post(
        {"birth_date": "2015-02-30", "school_stage": "大学", "health": "良好", "legal_aid_need": "no"}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"birth_date", "school_stage", "health", "legal_aid_need"}


def test_rate_limited(settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "public": "30/minute"}
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        client = Client()
        codes = [post({"birth_date": "2015-03-04"}, client).status_code for _ in range(31)]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
    assert codes[:30] == [200] * 30
    assert codes[30] == 429


def test_only_post():
    assert Client().get(URL).status_code == 405


# --- whatever JSON arrives, the answer is a 200 or a 400 -----------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=10,
)
near_profiles = st.fixed_dictionaries(
    {},
    optional={
        "birth_date": st.dates(min_value=dt.date(1900, 1, 1)).map(str) | json_values,
        "on_date": st.dates(min_value=dt.date(2025, 7, 30)).map(str) | json_values,
        "school_stage": st.sampled_from(["小学", "大学", "", None]) | json_values,
        "health": st.sampled_from(["健康", "残疾", "良好"]) | json_values,
        "security": st.lists(st.sampled_from(["低保", "孤儿", "无", "富裕"]), max_size=3) | json_values,
        "housing_difficulty": st.booleans() | json_values,
        "emergency_hardship": st.booleans() | json_values,
        "legal_aid_need": st.booleans() | json_values,
        "disability_category": st.sampled_from(["肢体", "其他"]) | json_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(near_profiles | json_values)
def test_input_parsing_never_raises_anything_but_a_field_error(data):
    from servicelist.api import CheckInputError, parse_check_input

    try:
        profile = parse_check_input(data, today=ON)
    except CheckInputError as error:
        assert error.errors and all(isinstance(m, str) and m for m in error.errors.values())
    else:
        assert isinstance(profile["birth_date"], dt.date) and profile["birth_date"] <= profile["on_date"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(near_profiles)
def test_the_endpoint_answers_200_or_400(data):
    from django.core.cache import cache

    cache.clear()  # the rate limit is tested on its own
    response = post(data)
    assert response.status_code in (200, 400), response.content.decode()
    if response.status_code == 400:
        assert all(isinstance(v, str) for v in response.json().values())
