"""The child's services page: entitlement statuses, need flags, referral from a risk flag."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from servicelist import services
from servicelist.models import Entitlement, NeedFlag
from servicelist.tests.factories import child_with_entitlements, department


@pytest.fixture
def pupil(city):
    return child_with_entitlements(city.yuekou_community, school_stage="小学")


def test_the_page_is_audited_as_a_read(city, pupil, client, login):
    login(city.yuekou_director)
    page = client.get(f"/services/children/{pupil.pk}/")
    assert page.status_code == 200
    assert "义务教育服务" in page.content.decode()
    assert "发起转介" not in page.content.decode()  # directors do not refer
    event = AuditEvent.objects.filter(action="read", object_id=str(pupil.pk)).latest("seq")
    assert pupil.file_no in event.summary and pupil.name not in event.summary


def test_a_supervisor_records_a_declined_service_with_a_reason(city, pupil, client, login):
    login(city.yuekou_supervisor)
    url = f"/services/children/{pupil.pk}/entitlements/3/"
    response = client.post(url, {"status": "declined", "reason": ""}, follow=True)
    assert "家庭放弃时请填写说明" in response.content.decode()
    client.post(url, {"status": "declined", "reason": "家长选择回户籍地就读"})
    row = Entitlement.objects.get(child=pupil, no=3)
    assert (row.status, row.reason, row.updated_by) == (
        "declined",
        "家长选择回户籍地就读",
        city.yuekou_supervisor,
    )
    assert AuditEvent.objects.filter(object_type="servicelist.entitlement", object_id=str(row.pk)).exists()
    # A referral of a declined service reopens it as referred.
    services.referral_send(
        actor=city.yuekou_supervisor,
        child=pupil,
        service=row.service,
        department=department("education"),
        reason="家长改变主意",
        deadline=dt.date.today(),
        consent=True,
        consent_by="母亲",
        consent_on=dt.date.today(),
    )
    row.refresh_from_db()
    assert row.status == "referred"


def test_not_applicable_cannot_be_set_by_hand(city, pupil):
    row = Entitlement.objects.get(child=pupil, no=6)
    with pytest.raises(ValidationError):
        services.entitlement_set_status(
            actor=city.yuekou_supervisor, entitlement=row, status="not_applicable"
        )


def test_need_flags_through_the_page(city, pupil, client, login):
    login(city.yuekou_supervisor)
    client.post(f"/services/children/{pupil.pk}/needs/", {"kind": "legal_aid_need", "note": "需要法律援助"})
    assert Entitlement.objects.get(child=pupil, no=16).status == "not_started"
    flag = NeedFlag.objects.get(child=pupil)
    assert "需要法律援助" in client.get(f"/services/children/{pupil.pk}/").content.decode()
    client.post(f"/services/children/{pupil.pk}/needs/", {"clear": str(flag.pk)})
    flag.refresh_from_db()
    assert not flag.active and flag.cleared_by == city.yuekou_supervisor
    assert Entitlement.objects.get(child=pupil, no=16).status == "not_applicable"
    assert client.post(f"/services/children/{pupil.pk}/needs/", {"clear": "abc"}).status_code == 404


def test_a_referral_from_a_risk_flag_needs_no_service(city, pupil):
    referral = services.referral_send(
        actor=city.yuekou_supervisor,
        child=pupil,
        department=department("civil_affairs"),
        reason="监护缺失，需评估临时监护",
        deadline=dt.date.today() + dt.timedelta(days=3),
        risk_flag_id=42,
        consent=False,
        consent_override_reason="监护人失联",
    )
    assert referral.service is None and referral.risk_flag_id == 42
    assert not Entitlement.objects.filter(child=pupil, status="referred").exists()
