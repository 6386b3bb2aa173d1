"""Referrals (转介): the workflow, entitlement statuses, consent override, the liaison's inbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from common.testing import make_child
from servicelist import services
from servicelist.models import Entitlement, Referral
from servicelist.tests.factories import child_with_entitlements, department, send, service

TODAY = dt.date.today()


@pytest.fixture
def pupil(city):
    return child_with_entitlements(
        city.yuekou_community,
        birth_date=TODAY.replace(year=TODAY.year - 7) - dt.timedelta(days=5),
        school_stage="未入学",
        guardian_phone="13912345678",
    )


def entitlement(child, no=3) -> Entitlement:
    return Entitlement.objects.get(child=child, no=no)


def test_the_whole_workflow_updates_the_entitlement_and_is_audited(city, pupil):
    referral = send(city.yuekou_supervisor, pupil)
    assert referral.status == "sent"
    assert entitlement(pupil).status == "referred"
    referral = services.referral_accept(actor=city.edu_liaison, referral=referral)
    assert referral.status == "accepted" and referral.accepted_by == city.edu_liaison
    assert entitlement(pupil).status == "receiving"
    referral = services.referral_complete(actor=city.edu_liaison, referral=referral, feedback="已安排入学")
    assert referral.status == "completed" and referral.completed_at is not None
    assert entitlement(pupil).status == "receiving"
    events = AuditEvent.objects.filter(object_type="servicelist.referral", object_id=str(referral.pk))
    assert events.count() == 3
    assert all(pupil.name not in e.summary for e in events)
    assert all(pupil.file_no in e.summary for e in events)
    assert (
        AuditEvent.objects.filter(
            object_type="servicelist.entitlement",
            object_id=str(entitlement(pupil).pk),
            summary__contains=f"转介#{referral.pk}",
        ).count()
        == 2
    )


def test_rejection_needs_a_reason_and_returns_the_entitlement(city, pupil):
    referral = send(city.yuekou_supervisor, pupil)
    with pytest.raises(ValidationError) as caught:
        services.referral_reject(actor=city.edu_liaison, referral=referral, reason=" ")
    assert "请填写退回理由" in caught.value.message_dict["rejection_reason"]
    referral = services.referral_reject(actor=city.edu_liaison, referral=referral, reason="非本部门职责")
    assert referral.status == "rejected"
    assert entitlement(pupil).status == "not_started"
    with pytest.raises(ValidationError):
        services.referral_accept(actor=city.edu_liaison, referral=referral)


def test_completion_needs_feedback(city, pupil):
    referral = send(city.yuekou_supervisor, pupil)
    with pytest.raises(ValidationError) as caught:
        services.referral_complete(actor=city.edu_liaison, referral=referral, feedback="")
    assert "feedback" in caught.value.message_dict


def test_send_validates_in_chinese(city, pupil):
    with pytest.raises(ValidationError) as caught:
        services.referral_send(
            actor=city.yuekou_supervisor,
            child=pupil,
            service=service(3),
            department=department("health"),
            reason="",
            deadline=TODAY - dt.timedelta(days=1),
            consent=True,
        )
    errors = caught.value.message_dict
    assert errors["reason"] == ["请填写转介事由"]
    assert errors["deadline"] == ["办理期限不能早于今天"]
    assert errors["department"] == ["卫健委不是第 3 项服务的责任部门"]
    assert "consent_by" in errors and "consent_on" in errors


def test_a_second_open_referral_for_the_same_service_and_department_is_refused(city, pupil):
    send(city.yuekou_supervisor, pupil)
    with pytest.raises(ValidationError) as caught:
        send(city.yuekou_supervisor, pupil)
    assert "在办理中" in caught.value.message_dict["service"][0]


def test_without_consent_a_supervisor_overrides_with_a_reason_audited(city, pupil):
    with pytest.raises(ValidationError) as caught:
        send(city.yuekou_supervisor, pupil, consent=False)
    assert "consent_override_reason" in caught.value.message_dict
    referral = send(city.yuekou_supervisor, pupil, consent=False, consent_override_reason="监护人长期失联")
    assert referral.consent_override_by == city.yuekou_supervisor
    override = AuditEvent.objects.get(
        action="approve", object_type="servicelist.referral", object_id=str(referral.pk)
    )
    assert override.actor == city.yuekou_supervisor
    assert override.changes == {"consent_override_reason": "监护人长期失联"}
    assert "未经监护人同意" in override.summary


def test_only_supervisors_may_refer_and_only_in_scope(city, pupil):
    for user in (city.yuekou_director, city.edu_liaison, city.leader, city.duobao_supervisor):
        with pytest.raises(PermissionError):
            send(user, pupil)


def test_a_liaison_acts_only_on_referrals_to_their_department(city, pupil):
    referral = send(city.yuekou_supervisor, pupil, no=6, code="health")
    for action in (
        lambda: services.referral_accept(actor=city.edu_liaison, referral=referral),
        lambda: services.referral_reject(actor=city.edu_liaison, referral=referral, reason="x"),
        lambda: services.referral_complete(actor=city.edu_liaison, referral=referral, feedback="x"),
        lambda: services.referral_accept(actor=city.yuekou_supervisor, referral=referral),
    ):
        with pytest.raises(PermissionError):
            action()


def test_overdue_is_derived_from_the_deadline(city, pupil):
    referral = send(city.yuekou_supervisor, pupil, days=0)
    assert not referral.is_overdue(TODAY)
    assert referral.is_overdue(TODAY + dt.timedelta(days=1))
    referral.status = "completed"
    assert not referral.is_overdue(TODAY + dt.timedelta(days=1))


# --- the liaison's views ------------------------------------------------------------------


def test_the_edu_liaison_sees_only_education_referrals_with_minimum_fields(city, pupil, client, login):
    education = send(city.yuekou_supervisor, pupil)
    health = send(city.yuekou_supervisor, pupil, no=6, code="health")
    login(city.edu_liaison)
    page = client.get("/services/inbox/").content.decode()
    assert f"/services/inbox/{education.pk}/" in page
    assert f"/services/inbox/{health.pk}/" not in page
    detail = client.get(f"/services/inbox/{education.pk}/")
    assert detail.status_code == 200
    text = detail.content.decode()
    assert pupil.name in text and "岳口镇" in text and "3. 义务教育服务" in text
    assert pupil.id_masked not in text and pupil.file_no not in text
    assert "13912345678" not in text  # masked: the service does not need contact
    assert "139****5678" in text or pupil.household.guardians.get().phone_masked in text
    assert AuditEvent.objects.filter(action="read", object_type="servicelist.referral").exists()
    assert client.get(f"/services/inbox/{health.pk}/").status_code == 404


def test_the_full_phone_is_shared_when_the_referral_needs_contact(city, pupil, client, login):
    referral = send(city.yuekou_supervisor, pupil, share_contact=True)
    login(city.edu_liaison)
    assert "13912345678" in client.get(f"/services/inbox/{referral.pk}/").content.decode()
    services.referral_complete(actor=city.edu_liaison, referral=referral, feedback="已办结")
    assert "13912345678" not in client.get(f"/services/inbox/{referral.pk}/").content.decode()


def test_a_child_not_referred_to_the_liaison_is_404(city, pupil, client, login):
    other = make_child(village=city.yuekou_community, name="李四")
    referral = send(city.yuekou_supervisor, pupil)
    login(city.edu_liaison)
    assert client.get(f"/api/v1/services/children/{other.pk}/entitlements").status_code == 403
    assert client.get(f"/services/inbox/{referral.pk + 1000}/").status_code == 404
    from access.policy import children_visible

    visible = set(children_visible(city.edu_liaison).values_list("pk", flat=True))
    assert visible == {pupil.pk}


def test_a_rejected_referral_no_longer_shares_the_child(city, pupil):
    from access.policy import children_visible

    referral = send(city.yuekou_supervisor, pupil)
    services.referral_reject(actor=city.edu_liaison, referral=referral, reason="非本部门职责")
    city.edu_liaison._access_scope = None
    assert not children_visible(city.edu_liaison).exists()


def test_inbox_actions_through_the_page(city, pupil, client, login):
    referral = send(city.yuekou_supervisor, pupil)
    login(city.edu_liaison)
    response = client.post(f"/services/inbox/{referral.pk}/accept/")
    assert response.status_code == 302
    response = client.post(f"/services/inbox/{referral.pk}/reject/", {"text": ""}, follow=True)
    assert "请填写退回理由" in response.content.decode()
    client.post(f"/services/inbox/{referral.pk}/complete/", {"text": "已入学"})
    referral.refresh_from_db()
    assert (referral.status, referral.feedback) == ("completed", "已入学")


def test_overdue_is_flagged_to_both_sides(city, pupil, client, login):
    referral = send(city.yuekou_supervisor, pupil)
    Referral.objects.filter(pk=referral.pk).update(deadline=TODAY - dt.timedelta(days=2))
    login(city.edu_liaison)
    assert "已逾期" in client.get("/services/inbox/").content.decode()
    assert "逾期 1" in client.get("/services/inbox/").content.decode()
    login(city.yuekou_supervisor)
    page = client.get("/services/referrals/?status=overdue").content.decode()
    assert pupil.file_no in page and "逾期" in page
    from web.cards import home_cards

    assert any(c.title == "部门逾期未办结的转介" and c.value == 1 for c in home_cards(city.yuekou_supervisor))
    assert any(c.title == "逾期转介" for c in home_cards(city.edu_liaison))


def test_the_inbox_api(city, pupil, client, login):
    referral = send(city.yuekou_supervisor, pupil)
    send(city.yuekou_supervisor, pupil, no=6, code="health")
    login(city.edu_liaison)
    body = client.get("/api/v1/services/inbox").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert set(row) == {
        "id",
        "name",
        "sex",
        "age",
        "township",
        "service",
        "reason",
        "deadline",
        "status",
        "overdue",
        "guardian_phone",
        "rejection_reason",
        "feedback",
    }
    assert row["age"] == 7 and row["guardian_phone"] != "13912345678"
    url = f"/api/v1/services/inbox/{referral.pk}/"
    assert client.post(url + "accept", content_type="application/json").json()["status"] == "accepted"
    response = client.post(url + "reject", {}, content_type="application/json")
    assert response.status_code == 400 and "rejection_reason" in response.json()
    response = client.post(url + "complete", {"feedback": "已入学"}, content_type="application/json")
    assert response.json()["status"] == "completed"
    other = Referral.objects.exclude(pk=referral.pk).get()
    assert client.post(f"/api/v1/services/inbox/{other.pk}/accept").status_code == 404
    login(city.yuekou_supervisor)
    assert client.get("/api/v1/services/inbox").status_code == 403


def test_referral_form_on_the_child_page(city, pupil, client, login):
    login(city.yuekou_supervisor)
    page = client.get(f"/services/children/{pupil.pk}/refer/")
    assert page.status_code == 200
    bad = client.post(
        f"/services/children/{pupil.pk}/refer/",
        {
            "service": service(3).pk,
            "department": department("education").pk,
            "reason": "入学",
            "deadline": TODAY.isoformat(),
        },
    )
    assert bad.status_code == 400
    assert "未取得监护人同意时" in bad.content.decode()
    ok = client.post(
        f"/services/children/{pupil.pk}/refer/",
        {
            "service": service(3).pk,
            "department": department("education").pk,
            "reason": "入学",
            "deadline": TODAY.isoformat(),
            "consent": "on",
            "consent_by": "父亲",
            "consent_on": TODAY.isoformat(),
        },
    )
    assert ok.status_code == 302
    page = client.get(f"/services/children/{pupil.pk}/").content.decode()
    assert "教育局" in page and "已转介" in page


def test_file_section_for_the_registry_page(city, pupil):
    pytest.importorskip("registry.sections")
    from servicelist.file_sections import sections

    send(city.yuekou_supervisor, pupil)
    [section] = sections(city.yuekou_supervisor, pupil)
    assert section.template == "servicelist/file_section.html"
    assert len(section.context["referrals"]) == 1
    assert sections(city.duobao_supervisor, pupil)[0].context["entitlements"] == []
    assert sections(city.teacher, pupil) == []
    from django.template.loader import render_to_string

    html = render_to_string(section.template, section.context)
    assert "义务教育服务" in html and "教育局" in html and "已转介" in html
