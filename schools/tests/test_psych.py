"""The psychological file: who may read it, every read audited, an abnormal result raises the flag."""

import datetime as dt

import pytest
from django.urls import reverse

from access import policy
from accounts.models import Assignment, User
from accounts.roles import Role
from audit.models import AuditEvent
from common.testing import make_child
from schools import services
from schools.models import PsychAssessment

D = dt.date


@pytest.fixture
def pupil(city, school):
    return make_child(village=city.yuekou_community, school=school, grade="五年级", school_stage="小学")


@pytest.fixture
def other_teacher(city, school):
    user = User.objects.create_user("other_teacher", password="x-Y-z-123456", full_name="同校教师")
    Assignment.objects.create(user=user, role=Role.SCHOOL_STAFF, school=school)
    return user


def file_url(child):
    return reverse("schools:psych_child", args=[child.pk])


def test_policy_matrix(city, pupil, other_teacher):
    assert policy.can_view_psych(city.teacher, pupil)  # the school's designated staff
    assert policy.can_view_psych(city.yuekou_supervisor, pupil)
    assert policy.can_view_psych(city.admin, pupil)
    for user in (other_teacher, city.duobao_supervisor, city.yuekou_director, city.leader, city.edu_liaison):
        assert not policy.can_view_psych(user, pupil), user


def test_designated_teacher_reads_and_the_read_is_audited(city, login, pupil):
    before = AuditEvent.objects.filter(action="read", object_type="schools.psychfile").count()
    response = login(city.teacher).get(file_url(pupil))
    assert response.status_code == 200
    rows = AuditEvent.objects.filter(action="read", object_type="schools.psychfile", object_id=str(pupil.pk))
    assert rows.count() == before + 1
    assert pupil.name not in rows.first().summary and pupil.file_no in rows.first().summary


def test_other_teacher_of_the_same_school_is_refused(city, client, login, pupil, other_teacher):
    assert login(other_teacher).get(file_url(pupil)).status_code == 403
    assert client.get(reverse("schools:psych_list")).status_code == 403


def test_supervisor_of_the_township_reads(city, login, pupil):
    assert login(city.yuekou_supervisor).get(file_url(pupil)).status_code == 200


def test_supervisor_of_another_township_gets_404(city, login, pupil):
    assert login(city.duobao_supervisor).get(file_url(pupil)).status_code == 404
    assert login(city.duobao_supervisor).get(reverse("schools:psych_new", args=[pupil.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["leader", "yuekou_director", "edu_liaison", "auditor"])
def test_roles_without_psych_rights_get_403(city, login, pupil, persona):
    client = login(getattr(city, persona))
    assert client.get(file_url(pupil)).status_code == 403
    assert client.get(reverse("schools:psych_list")).status_code == 403


def test_anonymous_is_sent_to_login(client, pupil):
    response = client.get(file_url(pupil))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_list_shows_only_visible_files_and_is_audited(city, login, pupil, duobao_school):
    far = make_child(village=city.duobao_village, school=duobao_school, grade="五年级", name="王远")
    for child in (pupil, far):
        PsychAssessment.objects.create(
            child=child, date=D(2025, 10, 1), instrument="MHT", result="normal", assessed_by=city.admin
        )
    response = login(city.teacher).get(reverse("schools:psych_list"))
    assert response.status_code == 200
    assert pupil.file_no in response.content.decode() and far.file_no not in response.content.decode()
    assert AuditEvent.objects.filter(
        action="read", object_type="schools.psychfile", object_id="list"
    ).exists()


def test_abnormal_result_raises_the_flag_and_offers_referral(city, login, pupil):
    client = login(city.teacher)
    response = client.post(
        reverse("schools:psych_new", args=[pupil.pk]),
        {"date": "2025-10-08", "instrument": "MHT", "score": "72", "result": "abnormal", "notes": "焦虑倾向"},
    )
    assert response.status_code == 302
    from care.models import RiskFlag

    flag = RiskFlag.objects.get(child=pupil, status="active")
    assert flag.category.code == "psych_behaviour" and flag.category.name == "心理和行为异常"
    assert "焦虑" not in flag.evidence  # the register is read more widely than the file
    page = client.get(file_url(pupil)).content.decode()
    assert "12355" in page and "12356" in page
    assert AuditEvent.objects.filter(action="create", object_type="schools.psychassessment").exists()


def test_normal_result_raises_no_flag(city, pupil):
    outcome = services.psych_record(
        actor=city.yuekou_supervisor, child=pupil, date=D(2025, 10, 8), instrument="MHT", result="normal"
    )
    assert outcome.flag is None
    from care.models import RiskFlag

    assert not RiskFlag.objects.filter(child=pupil).exists()


def test_psych_form_errors_are_messages_not_500(city, login, pupil):
    response = login(city.teacher).post(
        reverse("schools:psych_new", args=[pupil.pk]), {"date": "2099-01-01", "instrument": "", "result": "x"}
    )
    assert response.status_code == 200
    assert not PsychAssessment.objects.exists()


def test_service_refuses_users_without_rights(city, pupil):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.psych_record(
            actor=city.yuekou_director, child=pupil, date=D(2025, 10, 8), instrument="MHT", result="normal"
        )
    with pytest.raises(PermissionDenied):
        services.psych_file_read(actor=city.duobao_supervisor, child=pupil)


def test_referral_link_for_those_who_may_refer(city, login, pupil):
    PsychAssessment.objects.create(
        child=pupil, date=D(2025, 10, 1), instrument="MHT", result="abnormal", assessed_by=city.teacher
    )
    page = login(city.yuekou_supervisor).get(file_url(pupil)).content.decode()
    assert reverse("servicelist:referral_new", args=[pupil.pk]) in page
    page = login(city.teacher).get(file_url(pupil)).content.decode()
    assert reverse("servicelist:referral_new", args=[pupil.pk]) not in page and "告知乡镇儿童督导员" in page
