"""Visit records: flags and follow-ups with the visit, history, optimistic locking."""

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from care import services
from care.models import CadenceRule, CareStatus, FollowUp, RiskFlag, Visit
from care.services import CareError, VisitConflict


def test_visit_with_checklist_flags_and_follow_ups(city, kids, today):
    child = kids["own"]
    visit = services.visit_create(
        outcome="reached",
        actor=city.yuekou_director,
        child=child,
        kind="上门走访",
        visited_on=today,
        participants="儿童主任",
        checklist={"guardian_present": "否", "needs": "需要入学帮助", "unknown": "x"},
        notes="情况一般",
        flags=[("guardianship_missing", "父母均在外地")],
        follow_ups=[("联系学校", today + dt.timedelta(days=7))],
    )
    assert visit.checklist == {"guardian_present": "否", "needs": "需要入学帮助"}
    assert visit.checklist_version.version == 1
    flag = RiskFlag.objects.get(child=child)
    assert flag.source == "visit" and flag.visit == visit
    assert FollowUp.objects.get(visit=visit).due_on == today + dt.timedelta(days=7)
    status = CareStatus.objects.get(child=child)
    assert status.last_home_visit_on == today and status.last_contact_on == today


def test_invalid_checklist_choice_and_future_date_are_refused(city, kids, today):
    with pytest.raises(CareError, match="监护人在场"):
        services.visit_create(
            outcome="reached",
            notes="入户了解情况",
            actor=city.yuekou_director,
            child=kids["own"],
            kind="电话",
            visited_on=today,
            checklist={"guardian_present": "也许"},
        )
    with pytest.raises(CareError, match="不能晚于今天"):
        services.visit_create(
            outcome="reached",
            notes="入户了解情况",
            actor=city.yuekou_director,
            child=kids["own"],
            kind="电话",
            visited_on=today + dt.timedelta(days=1),
        )


def test_phone_call_is_a_contact_but_not_a_home_visit(city, kids, today):
    child = kids["own"]
    services.flag_raise(actor=city.yuekou_director, child=child, category="dropout", source="manual")
    services.visit_create(
        outcome="reached",
        notes="入户了解情况",
        actor=city.yuekou_director,
        child=child,
        kind="电话",
        visited_on=today,
    )
    status = CareStatus.objects.get(child=child)
    assert status.last_contact_on == today
    assert status.last_home_visit_on is None
    assert status.next_contact_due > today


def test_cadence_change_by_effective_date_moves_due_dates(city, kids, today):
    from care.status import refresh_all

    child = kids["own"]
    visited = today - dt.timedelta(days=40)
    services.visit_create(
        outcome="reached",
        notes="入户了解情况",
        actor=city.yuekou_director,
        child=child,
        kind="上门走访",
        visited_on=visited,
    )
    before = CareStatus.objects.get(child=child).next_visit_due
    # The city shortens home visits to every month from today.
    CadenceRule.objects.filter(code="home_visit").update(effective_to=today)
    CadenceRule.objects.create(
        code="home_visit",
        name="每月上门走访",
        applies_to="all_migrant",
        interval_months=1,
        contact_types=["上门走访"],
        effective_from=today,
    )
    refresh_all(on=today)
    after = CareStatus.objects.get(child=child).next_visit_due
    assert before > today
    assert after == today


def test_cadence_change_service_keeps_history_and_is_audited(city, kids, today):
    services.visit_create(
        outcome="reached",
        notes="入户了解情况",
        actor=city.yuekou_director,
        child=kids["own"],
        kind="上门走访",
        visited_on=today - dt.timedelta(days=10),
    )
    change_on = today + dt.timedelta(days=30)
    rule = services.cadence_change(
        actor=city.admin, code="home_visit", interval_months=2, effective_from=change_on
    )
    assert CadenceRule.objects.filter(code="home_visit").count() == 2
    assert CadenceRule.objects.get(code="home_visit", effective_to=change_on).interval_months == 3
    assert AuditEvent.objects.filter(object_type="care.cadencerule", object_id=str(rule.pk)).exists()
    with pytest.raises(CareError, match="生效日期"):
        services.cadence_change(actor=city.admin, code="home_visit", interval_months=1, effective_from=today)
    from care.status import refresh_child

    # Visited 10 days ago: 2 months after the visit falls after the change, so the 2-month rule applies.
    status = refresh_child(kids["own"].pk, on=today)
    from registry.status import add_months

    assert status.next_visit_due == max(add_months(today - dt.timedelta(days=10), 2), change_on)


def test_edit_keeps_history_and_bumps_the_version(city, kids, today):
    visit = services.visit_create(
        outcome="reached",
        notes="入户了解情况",
        actor=city.yuekou_director,
        child=kids["own"],
        kind="上门走访",
        visited_on=today,
    )
    edited = services.visit_update(
        outcome="reached",
        actor=city.yuekou_supervisor,
        visit=visit,
        expected_version=1,
        kind="上门走访",
        visited_on=today,
        notes="补充",
    )
    assert edited.version == 2 and edited.notes == "补充"
    event = AuditEvent.objects.filter(
        object_type="care.visit", object_id=str(visit.pk), action="update"
    ).get()
    assert event.changes["notes"] == ["入户了解情况", "补充"]


def test_second_conflicting_save_is_refused_and_loses_nothing(city, kids, today):
    visit = services.visit_create(
        outcome="reached",
        notes="入户了解情况",
        actor=city.yuekou_director,
        child=kids["own"],
        kind="上门走访",
        visited_on=today,
    )
    services.visit_update(
        outcome="reached",
        actor=city.yuekou_director,
        visit=visit,
        expected_version=1,
        kind="上门走访",
        visited_on=today,
        notes="甲的修改",
    )
    with pytest.raises(VisitConflict) as info:
        services.visit_update(
            outcome="reached",
            actor=city.yuekou_supervisor,
            visit=visit,
            expected_version=1,
            kind="电话",
            visited_on=today,
            notes="乙的修改",
        )
    assert info.value.current.notes == "甲的修改"
    assert "已被他人修改" in str(info.value)
    assert Visit.objects.get(pk=visit.pk).notes == "甲的修改"


def test_conflict_page_shows_both_versions(city, kids, today, login):
    visit = services.visit_create(
        outcome="reached",
        notes="入户了解情况",
        actor=city.yuekou_director,
        child=kids["own"],
        kind="上门走访",
        visited_on=today,
    )
    services.visit_update(
        outcome="reached",
        actor=city.yuekou_director,
        visit=visit,
        expected_version=1,
        kind="上门走访",
        visited_on=today,
        notes="甲的修改",
    )
    client = login(city.yuekou_supervisor)
    response = client.post(
        reverse("care:visit_edit", args=[visit.pk]),
        {
            "version": 1,
            "kind": "电话",
            "outcome": "reached",
            "visited_on": today.isoformat(),
            "notes": "乙的修改",
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "已被他人修改" in text
    assert "甲的修改" in text and "乙的修改" in text
    # Saving again from the conflict page (now on version 2) succeeds.
    response = client.post(
        reverse("care:visit_edit", args=[visit.pk]),
        {
            "version": 2,
            "kind": "电话",
            "outcome": "reached",
            "visited_on": today.isoformat(),
            "notes": "乙的修改",
        },
    )
    assert response.status_code == 302
    assert Visit.objects.get(pk=visit.pk).notes == "乙的修改"


def test_visit_form_saves_in_one_post(city, kids, today, login):
    client = login(city.yuekou_director)
    child = kids["own"]
    response = client.post(
        reverse("care:visit_create", args=[child.pk]),
        {
            "kind": "上门走访",
            "outcome": "reached",
            "visited_on": today.isoformat(),
            "cl_guardian_present": "是",
            "cl_safety": "无",
            "notes": "一切正常",
            "follow_up_1": "办理居住证",
            "follow_up_1_due": (today + dt.timedelta(days=14)).isoformat(),
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get(child=child)
    assert visit.checklist == {"guardian_present": "是", "safety": "无"}
    assert visit.follow_ups.count() == 1


def test_visit_form_errors_are_chinese(city, kids, login):
    client = login(city.yuekou_director)
    response = client.post(
        reverse("care:visit_create", args=[kids["own"].pk]),
        {"kind": "", "visited_on": "abc", "follow_up_1": "x"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "请选择走访联系方式" in text and "请填写跟进事项的完成期限" in text


def test_next_parameter_cannot_redirect_off_site(city, kids, today, login):
    client = login(city.yuekou_director)
    response = client.post(
        reverse("care:visit_create", args=[kids["own"].pk]) + "?next=https://evil.example/",
        {"kind": "电话", "outcome": "not_reached", "visited_on": today.isoformat()},
    )
    assert response.status_code == 302 and response["Location"] == reverse("care:worklist")
