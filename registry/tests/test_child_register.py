import datetime as dt

import pytest

from audit.models import AuditEvent
from common.testing import make_id
from registry.inputs import GuardianInput
from registry.models import Child, Guardian
from registry.services import DuplicateChild, InvalidChildData, child_register
from registry.tests.helpers import child_input


def test_register_creates_file_household_guardian_and_audit(city):
    data = child_input(city.yuekou_community)
    child = child_register(actor=city.yuekou_director, data=data)
    assert child.file_no.startswith("429006-")
    assert child.migrant_status == "migrant"
    assert child.last_verified_on == dt.date.today()
    assert child.id_number == data.id_number and child.id_masked.startswith("421122")
    guardian = child.household.guardians.get()
    assert guardian.phone == "13900001111" and guardian.phone_masked == "139****1111"
    event = AuditEvent.objects.get(action="create", object_type="registry.child", object_id=str(child.pk))
    text = str(event.changes) + event.summary
    assert data.id_number not in text and "13900001111" not in text
    assert child.id_masked in text and child.file_no in event.summary


def test_birth_date_must_agree_with_id_number(city):
    data = child_input(city.yuekou_community)
    data.birth_date = data.birth_date - dt.timedelta(days=1)
    with pytest.raises(InvalidChildData) as exc:
        child_register(actor=city.yuekou_director, data=data)
    assert "出生日期" in exc.value.errors["id_number"]


def test_sex_must_agree_with_id_number(city):
    data = child_input(city.yuekou_community)
    data.sex = "女"
    with pytest.raises(InvalidChildData) as exc:
        child_register(actor=city.yuekou_director, data=data)
    assert "性别" in exc.value.errors["id_number"]


def test_wrong_check_digit_and_unknown_county_are_refused(city):
    data = child_input(city.yuekou_community)
    last = data.id_number[-1]
    data.id_number = data.id_number[:-1] + ("0" if last != "0" else "1")
    with pytest.raises(InvalidChildData) as exc:
        child_register(actor=city.yuekou_director, data=data)
    assert "校验位" in exc.value.errors["id_number"]
    birth = dt.date(2016, 5, 17)
    data = child_input(city.yuekou_community, birth_date=birth, id_number=make_id(birth, county="991234"))
    with pytest.raises(InvalidChildData) as exc:
        child_register(actor=city.yuekou_director, data=data)
    assert "行政区划" in exc.value.errors["id_number"]


def test_hukou_county_must_exist_and_village_belong_to_township(city):
    data = child_input(city.yuekou_community, hukou_county_code="999999", village_id=city.duobao_village.pk)
    with pytest.raises(InvalidChildData) as exc:
        child_register(actor=city.yuekou_director, data=data)
    assert set(exc.value.errors) >= {"hukou_county_code", "village_id"}


def test_bad_guardian_phone_is_a_field_error(city):
    data = child_input(
        city.yuekou_community, guardians=[GuardianInput(name="李建国", relationship="父亲", phone="12345")]
    )
    with pytest.raises(InvalidChildData) as exc:
        child_register(actor=city.yuekou_director, data=data)
    assert "guardians.0.phone" in exc.value.errors


def test_duplicate_id_is_refused_with_the_existing_child(city):
    data = child_input(city.yuekou_community)
    first = child_register(actor=city.yuekou_director, data=data)
    with pytest.raises(DuplicateChild) as exc:
        child_register(
            actor=city.duobao_supervisor, data=child_input(city.duobao_village, id_number=data.id_number)
        )
    assert exc.value.existing == first and first.file_no in str(exc.value)
    assert Child.objects.count() == 1


def test_siblings_share_a_household_by_guardian_phone(city):
    first = child_register(actor=city.yuekou_director, data=child_input(city.yuekou_community))
    sister = child_input(city.yuekou_community, name="李欣怡", male=False, birth_date=dt.date(2018, 2, 3))
    second = child_register(actor=city.yuekou_director, data=sister)
    assert second.household_id == first.household_id
    assert Guardian.objects.filter(household=first.household).count() == 1


def test_same_phone_in_another_township_is_a_new_household(city):
    first = child_register(actor=city.yuekou_director, data=child_input(city.yuekou_community))
    other = child_register(
        actor=city.duobao_supervisor,
        data=child_input(city.duobao_village, name="王明", birth_date=dt.date(2017, 1, 9)),
    )
    assert other.household_id != first.household_id


def test_local_hukou_child_is_registered_not_migrant_with_reason(city):
    data = child_input(city.yuekou_community, hukou_county_code="429006")
    child = child_register(actor=city.yuekou_director, data=data)
    assert child.migrant_status == "not_migrant" and "本地户籍" in child.status_reason


def test_recent_arrival_is_pending(city):
    on = dt.date.today()
    data = child_input(city.yuekou_community, arrival_date=on - dt.timedelta(days=30))
    child = child_register(actor=city.yuekou_director, data=data)
    assert child.migrant_status == "pending" and child.migrant_from > on
