"""A contact or visit counts toward the cadence only with content (issue 15, item 6), and the
first home visit is due a fixed period after registration (item 7)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from care import services
from care.models import CadenceRule, CareStatus, Visit
from care.selectors import compliance
from care.services import CareError
from care.status import refresh_all, refresh_children
from common.testing import make_child
from registry.services import child_register
from registry.status import add_months
from registry.tests.helpers import child_input


def _status(child) -> CareStatus:
    return CareStatus.objects.get(child=child)


def _key_attention(city, child):
    services.flag_raise(
        actor=city.admin,
        child=child,
        category="dropout",
        source="manual",
        raised_on=dt.date.today() - dt.timedelta(days=60),
    )


def test_an_empty_phone_contact_does_not_satisfy_the_monthly_contact(city, today):
    child = make_child(village=city.yuekou_community, arrival_date=today - dt.timedelta(days=800))
    _key_attention(city, child)
    owed = _status(child).next_contact_due
    assert owed < today
    services.visit_create(
        actor=city.yuekou_director, child=child, kind="电话", visited_on=today, outcome="reached"
    )
    assert _status(child).next_contact_due == owed and _status(child).last_contact_on is None


def test_not_reached_does_not_satisfy_the_monthly_contact_even_with_a_note(city, today):
    child = make_child(village=city.yuekou_community, arrival_date=today - dt.timedelta(days=800))
    _key_attention(city, child)
    owed = _status(child).next_contact_due
    services.visit_create(
        actor=city.yuekou_director,
        child=child,
        kind="电话",
        visited_on=today,
        outcome="not_reached",
        notes="电话无人接听",
    )
    assert _status(child).next_contact_due == owed
    assert Visit.objects.filter(child=child).count() == 1  # the attempt stays on the file


@pytest.mark.parametrize(
    "content", [{"notes": "家长说孩子已复学"}, {"checklist": {"guardian_present": "是"}}]
)
def test_reached_with_a_note_or_a_checklist_answer_counts(city, today, content):
    child = make_child(village=city.yuekou_community, arrival_date=today - dt.timedelta(days=800))
    _key_attention(city, child)
    services.visit_create(
        actor=city.yuekou_director, child=child, kind="电话", visited_on=today, outcome="reached", **content
    )
    assert _status(child).last_contact_on == today
    assert _status(child).next_contact_due == add_months(today, 1)


def test_an_outcome_is_required_and_the_rule_holds_in_the_compliance_measure(city, today):
    child = make_child(village=city.yuekou_community, arrival_date=today - dt.timedelta(days=800))
    with pytest.raises(CareError, match="请选择结果"):
        services.visit_create(
            actor=city.yuekou_director, child=child, kind="上门走访", visited_on=today, outcome=""
        )
    services.visit_create(
        actor=city.yuekou_director,
        child=child,
        kind="上门走访",
        visited_on=today,
        outcome="not_reached",
        notes="家中无人",
    )
    refresh_all(on=today)
    start = add_months(today, -3)
    [row] = compliance(city.yuekou_supervisor, start, today)
    assert (row.visit_due, row.visit_done) == (1, 0)
    services.visit_create(
        actor=city.yuekou_director,
        child=child,
        kind="上门走访",
        visited_on=today,
        outcome="reached",
        notes="已见到",
    )
    [row] = compliance(city.yuekou_supervisor, start, today)
    assert (row.visit_due, row.visit_done) == (1, 1)


def test_the_form_warns_when_a_record_does_not_count_and_the_api_says_so(city, today, login, client):
    child = make_child(village=city.yuekou_community, arrival_date=today - dt.timedelta(days=800))
    login(city.yuekou_director)
    response = client.post(
        reverse("care:visit_create", args=[child.pk]),
        {"kind": "电话", "outcome": "reached", "visited_on": today.isoformat()},
        follow=True,
    )
    assert "不计入走访联系频次" in response.content.decode()
    body = {"kind": "电话", "outcome": "not_reached", "visited_on": today.isoformat(), "notes": "未接"}
    answer = client.post(
        reverse("care_api_visit_create", args=[child.pk]), body, content_type="application/json"
    )
    assert answer.status_code == 201 and answer.json()["counts_toward_cadence"] is False
    missing = client.post(
        reverse("care_api_visit_create", args=[child.pk]),
        {"kind": "电话", "visited_on": today.isoformat()},
        content_type="application/json",
    )
    assert missing.status_code == 400 and "outcome" in missing.json()


def test_a_child_registered_today_who_arrived_last_year_is_not_born_overdue(city, today):
    child = child_register(
        actor=city.yuekou_director,
        data=child_input(city.yuekou_community, arrival_date=today - dt.timedelta(days=400)),
    )
    status = _status(child)
    assert child.migrant_status == "migrant" and child.migrant_from < today
    assert status.visit_basis_on == today
    assert status.next_visit_due == today + dt.timedelta(days=30)
    # The set-based daily refresh agrees.
    CareStatus.objects.all().delete()
    refresh_children([child.pk], on=today)
    assert _status(child).next_visit_due == today + dt.timedelta(days=30)
    # A home visit with content starts the regular interval.
    services.visit_create(
        actor=city.yuekou_director,
        child=child,
        kind="上门走访",
        visited_on=today,
        outcome="reached",
        notes="已见到",
    )
    assert _status(child).next_visit_due == add_months(today, 3)


def test_the_first_visit_period_comes_from_the_policy_rows(city, today):
    rule = CadenceRule.objects.get(applies_to=CadenceRule.AppliesTo.FIRST_VISIT)
    assert (rule.interval_days, rule.interval_months) == (30, 0)
    CadenceRule.objects.filter(pk=rule.pk).update(effective_to=today)
    CadenceRule.objects.create(
        code=rule.code,
        name="首次走访15日内",
        applies_to=rule.applies_to,
        interval_months=0,
        interval_days=15,
        contact_types=rule.contact_types,
        effective_from=today,
    )
    child = child_register(actor=city.yuekou_director, data=child_input(city.yuekou_community))
    assert _status(child).next_visit_due == today + dt.timedelta(days=15)
