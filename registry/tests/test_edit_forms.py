"""Forms change only what the user changed and leak nothing (issue 15 item 4, issue 17 item 1).

The edit form and the census-update form show identifiers masked and never send the stored
number; a blank number field keeps the number on file; saving a form as shown changes nothing
(the school link included) and writes no change; the audit row lists each changed field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from common.testing import make_child
from quality.tests.test_concurrency import form_of
from registry.models import CensusTask, Child, Guardian
from registry.services import census_open
from schools.models import School

PHONE = "13907316688"


def _child(city) -> Child:
    school = School.objects.filter(township=city.yuekou).order_by("name").first()
    child = make_child(
        village=city.yuekou_community,
        name="表单甲",
        guardian_phone=PHONE,
        school=school,
        school_name="实验小学（台账写法）",
        grade="三年级",
        remarks="全角标点：（备注）；保留",
    )
    return Child.objects.get(pk=child.pk)


def _state(child: Child) -> tuple:
    child = Child.objects.get(pk=child.pk)
    guardians = tuple(
        Guardian.objects.filter(household_id=child.household_id)
        .order_by("pk")
        .values_list("name", "relationship", "phone", "id_number", "is_primary")
    )
    fields = [f.attname for f in Child._meta.concrete_fields if f.attname not in ("updated_at",)]
    return tuple(getattr(child, f) for f in fields), guardians


def _numbers(child: Child) -> list[str]:
    guardians = Guardian.objects.filter(household_id=child.household_id)
    return (
        [child.id_number]
        + [g.phone for g in guardians if g.phone]
        + [g.id_number for g in guardians if g.id_number]
    )


def _urls(city, child):
    census = census_open(
        actor=city.admin,
        name="表单摸排",
        period_start=dt.date.today(),
        period_end=dt.date.today() + dt.timedelta(days=30),
        deadline=dt.date.today() + dt.timedelta(days=20),
    )
    task = CensusTask.objects.get(round=census, child=child)
    return {
        "edit": reverse("registry:edit", args=[child.pk]),
        "census": reverse("registry:census_task_update", args=[task.pk]),
    }


@pytest.mark.parametrize("persona", ["yuekou_director", "yuekou_supervisor", "admin"])
def test_forms_show_numbers_masked_and_never_the_stored_number(city, client, login, persona):
    child = _child(city)
    login(getattr(city, persona))
    for url in _urls(city, child).values():
        page = client.get(url).content.decode()
        assert child.id_masked in page
        assert Guardian.objects.get(household_id=child.household_id).phone_masked in page
        for number in _numbers(child):
            assert number not in page, url
    # Reading the form is not a reveal: no reveal audited, none needed.
    assert not AuditEvent.objects.filter(action="reveal").exists()


@pytest.mark.parametrize("which", ["edit", "census"])
def test_saving_a_form_as_shown_changes_nothing_and_writes_no_change(city, client, login, which):
    child = _child(city)
    url = _urls(city, child)[which]
    before = _state(child)
    login(city.yuekou_director)
    data = form_of(client.get(url).content.decode())
    assert data["school"] == str(child.school_id) and data["id_number"] == "" and data["g-0-phone"] == ""
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert _state(child) == before  # the school link, the numbers and the version included
    assert (
        not AuditEvent.objects.filter(object_type="registry.child", object_id=str(child.pk))
        .exclude(action__in=["read"])
        .exclude(summary__contains="摸排")
        .exists()
    )


def test_the_audit_row_lists_every_changed_field_with_numbers_masked(city, client, login):
    child = _child(city)
    other_school = School.objects.exclude(pk=child.school_id).order_by("name").first()
    url = reverse("registry:edit", args=[child.pk])
    login(city.yuekou_supervisor)
    data = form_of(client.get(url).content.decode())
    new_phone = "13907319988"
    data.update(
        {
            "address": "岳口镇新街1号",
            "grade": "四年级",
            "school": str(other_school.pk),
            "g-0-phone": new_phone,
            "remarks": "全角标点：（备注）；保留。补充",
        }
    )
    assert client.post(url, data).status_code == 302
    child.refresh_from_db()
    assert (child.school_id, child.school_name) == (other_school.pk, other_school.name)
    assert Guardian.objects.get(household_id=child.household_id).phone == new_phone
    event = AuditEvent.objects.filter(
        object_type="registry.child", object_id=str(child.pk), action="update"
    ).latest("seq")
    assert set(event.changes) == {"现居住地址", "年级", "学校", "监护人", "备注"}
    assert PHONE not in str(event.changes) and new_phone not in str(event.changes)
    assert "139****9988" in event.changes["监护人"][1]


def test_a_number_changed_only_in_hidden_digits_is_audited(city, client, login):
    child = _child(city)
    url = reverse("registry:edit", args=[child.pk])
    login(city.yuekou_supervisor)
    data = form_of(client.get(url).content.decode())
    data["g-0-phone"] = "13900006688"  # 139****6688 as before
    assert client.post(url, data).status_code == 302
    event = AuditEvent.objects.filter(
        object_type="registry.child", object_id=str(child.pk), action="update"
    ).latest("seq")
    old, new = event.changes["监护人"]
    assert "139****6688" in old and new.endswith("（号码已更改）")


def test_unlinking_the_school_is_a_change_the_audit_shows(city, client, login):
    child = _child(city)
    url = reverse("registry:edit", args=[child.pk])
    login(city.yuekou_supervisor)
    data = form_of(client.get(url).content.decode())
    data.update({"school": "", "school_name": "民办育才学校"})
    assert client.post(url, data).status_code == 302
    child.refresh_from_db()
    assert (child.school_id, child.school_name) == (None, "民办育才学校")
    event = AuditEvent.objects.filter(
        object_type="registry.child", object_id=str(child.pk), action="update"
    ).latest("seq")
    assert event.changes["学校名录"] == ["已关联", ""]


def test_free_text_beside_a_school_of_the_list_is_refused_with_a_clear_message(city, client, login):
    child = _child(city)
    url = reverse("registry:edit", args=[child.pk])
    login(city.yuekou_supervisor)
    data = form_of(client.get(url).content.decode())
    data["school_name"] = "别的学校"
    response = client.post(url, data)
    assert response.status_code == 200 and "无需再填写学校名称" in response.content.decode()
    assert _state(child)[0] == _state(Child.objects.get(pk=child.pk))[0]


def test_renaming_a_guardian_keeps_the_numbers_on_file(city, client, login):
    child = _child(city)
    url = reverse("registry:edit", args=[child.pk])
    login(city.yuekou_director)
    data = form_of(client.get(url).content.decode())
    data["g-0-name"] = "张大民"
    assert client.post(url, data).status_code == 302
    guardian = Guardian.objects.get(household_id=child.household_id)
    assert (guardian.name, guardian.phone) == ("张大民", PHONE)


def test_a_new_id_number_typed_anew_replaces_the_old_one(city, client, login):
    from common.testing import make_id

    child = _child(city)
    url = reverse("registry:edit", args=[child.pk])
    login(city.yuekou_director)
    data = form_of(client.get(url).content.decode())
    new_id = make_id(child.birth_date, male=True, county="421122")
    data["id_number"] = new_id
    assert client.post(url, data).status_code == 302
    child.refresh_from_db()
    assert child.id_number == new_id
    event = AuditEvent.objects.filter(
        object_type="registry.child", object_id=str(child.pk), action="update"
    ).latest("seq")
    assert set(event.changes) == {"公民身份号码"} and new_id not in str(event.changes)
