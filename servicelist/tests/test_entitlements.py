"""Entitlements against the registry: facts, recompute, versions, need flags, and rules as SQL."""

from __future__ import annotations

import datetime as dt

import pytest

from audit.models import AuditEvent
from common.testing import make_child
from registry.models import Child
from servicelist import eligibility, rules, services
from servicelist.models import Entitlement, NeedFlag
from servicelist.selectors import list_in_force
from servicelist.tests.factories import child_with_entitlements

UNIVERSAL = {6, 7, 17, 19, 20, 21, 22}
TODAY = dt.date.today()


def years_ago(years: int, days: int = 0) -> dt.date:
    return rules._add_months(TODAY, -12 * years) + dt.timedelta(days=days)


def statuses(child) -> dict[int, str]:
    return dict(Entitlement.objects.filter(child=child).values_list("no", "status"))


def test_child_facts_from_the_registry(city):
    child = make_child(
        village=city.yuekou_community,
        birth_date=years_ago(9),
        school_stage="小学",
        health="慢性病",
        disability_category="肢体",
        security=["低保"],
        housing_difficulty=True,
    )
    facts = eligibility.child_facts(child, TODAY)
    assert facts["age_years"] == 9
    assert facts["compulsory_stage"] is True
    assert facts["disabled"] is True
    assert facts["security"] == ["低保"]
    assert facts["housing_difficulty"] is True
    assert facts["emergency_hardship"] is False
    assert facts["key_attention"] is False  # no active risk flag (or no care app)


def test_blank_stage_and_health_are_unknown(city):
    child = make_child(village=city.yuekou_community, school_stage="", health="")
    facts = eligibility.child_facts(child, TODAY)
    assert facts["school_stage"] is None and facts["health"] is None


def test_recompute_creates_not_started_rows_for_the_services_that_hold(city):
    child = make_child(
        village=city.yuekou_community, birth_date=years_ago(10), school_stage="小学", health="健康"
    )
    result = services.entitlements_recompute(child=child)
    assert result.created == len(UNIVERSAL) + 1
    assert statuses(child) == dict.fromkeys(UNIVERSAL | {3}, "not_started")
    row = Entitlement.objects.get(child=child, no=3)
    assert row.version == list_in_force()
    assert AuditEvent.objects.filter(object_type="servicelist.entitlement", object_id=str(child.pk)).exists()
    again = services.entitlements_recompute(child=child)
    assert again.changed == 0


def test_a_change_of_facts_closes_and_reopens_rows_and_keeps_worker_statuses(city, db):
    child = child_with_entitlements(
        city.yuekou_community, birth_date=years_ago(10), school_stage="小学", health="健康"
    )
    Entitlement.objects.filter(child=child, no=6).update(status="receiving")
    Child.objects.filter(pk=child.pk).update(
        school_stage="失学辍学", health="残疾", disability_category="肢体"
    )
    child.refresh_from_db()
    result = services.entitlements_recompute(child=child)
    assert result.created == 2  # 11 and 12
    got = statuses(child)
    assert got[3] == "not_started"  # dropped out at 10: still of compulsory age
    assert got[6] == "receiving"  # a worker's status is kept while the service applies
    Child.objects.filter(pk=child.pk).update(health="健康", disability_category="")
    services.entitlements_recompute(child=child)
    row = Entitlement.objects.get(child=child, no=11)
    assert row.status == "not_applicable"
    assert row.reason == services.NOT_IN_TARGET
    Child.objects.filter(pk=child.pk).update(health="残疾")
    result = services.entitlements_recompute(child=child)
    assert result.reopened == 2
    assert statuses(child)[11] == "not_started"


def test_closed_and_non_migrant_children_have_nothing_applicable(city):
    child = child_with_entitlements(city.yuekou_community)
    Child.objects.filter(pk=child.pk).update(closed_at=TODAY, close_reason="aged_out")
    services.entitlements_recompute(child=child)
    assert set(statuses(child).values()) == {"not_applicable"}
    assert Entitlement.objects.filter(child=child, reason=services.NOT_ELIGIBLE).exists()


def test_need_flags_make_services_15_and_16_apply(city):
    child = child_with_entitlements(city.yuekou_community)
    assert 15 not in statuses(child)
    flag = services.need_flag_set(
        actor=city.yuekou_supervisor, child=child, kind="emergency_hardship", note="火灾"
    )
    services.need_flag_set(actor=city.yuekou_supervisor, child=child, kind="legal_aid_need")
    assert statuses(child)[15] == "not_started"
    assert statuses(child)[16] == "not_started"
    services.need_flag_clear(actor=city.yuekou_supervisor, flag=flag)
    assert statuses(child)[15] == "not_applicable"
    assert NeedFlag.objects.filter(child=child, active=True).count() == 1


def test_need_flags_are_set_by_supervisors_only(city):
    child = child_with_entitlements(city.yuekou_community)
    for user in (city.yuekou_director, city.duobao_supervisor, city.edu_liaison):
        with pytest.raises(PermissionError):
            services.need_flag_set(actor=user, child=child, kind="legal_aid_need")


def test_whole_registry_recompute_in_chunks(city):
    made = [
        make_child(village=city.yuekou_community, birth_date=years_ago(age), school_stage=stage)
        for age, stage in [(2, "托育"), (4, "幼儿园"), (8, "小学"), (13, "初中"), (15, "中职")]
    ]
    result = services.entitlements_recompute(chunk=2)
    assert result.children == 5
    assert {c.pk: set(statuses(c)) for c in made} == {
        made[0].pk: UNIVERSAL | {1},
        made[1].pk: UNIVERSAL | {1, 2},
        made[2].pk: UNIVERSAL | {3},
        made[3].pk: UNIVERSAL | {3},
        made[4].pk: UNIVERSAL | {5},
    }
    assert AuditEvent.objects.filter(action="system", object_type="servicelist.entitlement").exists()


def test_a_new_version_carries_statuses_over_and_retires_removed_services(city):
    child = child_with_entitlements(
        city.yuekou_community, birth_date=years_ago(5), school_stage="幼儿园", health="健康"
    )
    Entitlement.objects.filter(child=child, no=2).update(status="receiving")
    draft = services.version_create_draft(actor=city.admin, code="tianmen-2026", title="修订版")
    services.service_delete(actor=city.admin, service=draft.services.get(no=22))
    later = TODAY + dt.timedelta(days=30)
    services.version_publish(actor=city.admin, version=draft, effective_from=later)
    # Before the new version is in force nothing moves.
    assert services.entitlements_recompute(child=child).changed == 0
    result = services.entitlements_recompute(child=child, on=later)
    assert result.version == "tianmen-2026"
    row = Entitlement.objects.get(child=child, no=2)
    assert (row.status, row.version.code) == ("receiving", "tianmen-2026")
    gone = Entitlement.objects.get(child=child, no=22)
    assert (gone.status, gone.reason) == ("not_applicable", services.NOT_IN_LIST)


def test_the_daily_command_recomputes(city, capsys):
    from django.core.management import call_command

    child = make_child(village=city.yuekou_community)
    call_command("recompute_entitlements")
    assert Entitlement.objects.filter(child=child).count() >= len(UNIVERSAL)
    assert "新增" in capsys.readouterr().out


def test_the_task_runs(city):
    from servicelist.tasks import recompute_entitlements_task

    make_child(village=city.yuekou_community)
    result = recompute_entitlements_task.enqueue()
    assert result.return_value["children"] == 1


# --- rules as SQL agree with the Python evaluation -----------------------------------------

SQL_RULES = [
    {"fact": "age_years", "op": op, "value": value}
    for op, value in [
        ("lte", 6),
        ("lt", 3),
        ("gte", 6),
        ("gt", 6),
        ("eq", 6),
        ("ne", 6),
        ("in", [3, 6]),
        ("not_in", [6]),
    ]
] + [
    {"fact": "age_years", "op": "between", "value": [3, 6]},
    {"fact": "age_months", "op": "lt", "value": 36},
    {"fact": "school_stage", "op": "ne", "value": "小学"},
    {"fact": "school_stage", "op": "not_in", "value": ["小学", "初中"]},
    {"fact": "health", "op": "in", "value": ["残疾", "慢性病"]},
    {"fact": "disabled", "op": "is_true"},
    {"fact": "disabled", "op": "eq", "value": False},
    {"fact": "compulsory_stage", "op": "is_false"},
    {"fact": "housing_difficulty", "op": "ne", "value": True},
    {"fact": "living_at_home", "op": "is_true"},
    {"fact": "emergency_hardship", "op": "is_true"},
    {"fact": "key_attention", "op": "is_true"},
    {"not": {"fact": "health", "op": "eq", "value": "健康"}},
    {"fact": "security", "op": "contains", "value": "低保"},
    {"fact": "security", "op": "contains_any", "value": ["孤儿", "特困"]},
    {
        "all": [
            {"fact": "security", "op": "contains", "value": "特困"},
            {"not": {"fact": "security", "op": "contains", "value": "孤儿"}},
        ]
    },
    {
        "any": [
            {"fact": "age_years", "op": "lte", "value": 2},
            {"all": [{"fact": "school_stage", "op": "eq", "value": "中职"}]},
        ]
    },
]


@pytest.fixture
def mixed_children(city):
    rows = [
        (years_ago(3), "托育", "健康", ""),
        (years_ago(3, days=1), "托育", "", ""),
        (years_ago(6), "幼儿园", "残疾", "肢体"),
        (years_ago(7, days=1), "小学", "慢性病", ""),
        (years_ago(7), "小学", "健康", "智力"),
        (years_ago(13), "", "严重精神障碍", ""),
        (years_ago(15), "中职", "健康", ""),
        (dt.date(2016, 3, 1), "小学", "健康", ""),
    ]
    made = [
        make_child(
            village=city.yuekou_community, birth_date=b, school_stage=s, health=h, disability_category=d
        )
        for b, s, h, d in rows
    ]
    Child.objects.filter(pk=made[1].pk).update(security=["低保边缘"])
    Child.objects.filter(pk=made[2].pk).update(security=["低保", "特困"])
    Child.objects.filter(pk=made[3].pk).update(security=["特困", "孤儿"])
    # A leap-day birthday (common.testing.make_child cannot derive a guardian's ID from one).
    Child.objects.filter(pk=made[-1].pk).update(birth_date=dt.date(2016, 2, 29))
    for child in made:
        child.refresh_from_db()
    NeedFlag.objects.create(child=made[0], kind="emergency_hardship", set_by=city.yuekou_supervisor)
    return made


@pytest.mark.parametrize("rule", SQL_RULES)
def test_rule_q_counts_exactly_what_python_evaluates(mixed_children, rule):
    on = TODAY
    in_python = sum(rules.evaluate(rule, eligibility.child_facts(c, on)) for c in mixed_children)
    in_sql = Child.objects.filter(eligibility.rule_q(rule, on)).count()
    assert in_sql == in_python


def test_leap_day_births_in_sql():
    on = dt.date(2023, 2, 28)
    assert eligibility.latest_birth_for(12 * 7, on) == dt.date(2016, 2, 29)
    assert eligibility.latest_birth_for(12, dt.date(2025, 3, 31)) == dt.date(2024, 3, 31)


def test_count_matching_in_sql_and_in_python_agree(mixed_children, monkeypatch):
    Child.objects.filter(pk=mixed_children[0].pk).update(security=["孤儿"])
    version = list_in_force()
    rules_by_no = {s.no: s.rule for s in version.services.all()}
    in_sql = eligibility.count_matching(rules_by_no, Child.objects.all(), TODAY)
    assert in_sql[10] == 2 and in_sql[13] == 1 and in_sql[14] == 1 and in_sql[18] == 2
    assert in_sql[6] == len(mixed_children)

    def untranslatable(rule, on):
        raise eligibility.Untranslatable("test")

    monkeypatch.setattr(eligibility, "rule_q", untranslatable)
    assert eligibility.count_matching(rules_by_no, Child.objects.all(), TODAY, chunk=3) == in_sql
