import datetime as dt

import pytest

from audit.models import AuditEvent
from registry.inputs import GuardianInput
from registry.services import (
    ConcurrentEdit,
    DuplicateChild,
    InvalidChildData,
    child_register,
    child_update,
    input_from_child,
)
from registry.tests.helpers import child_input


@pytest.fixture
def child(city):
    return child_register(actor=city.yuekou_director, data=child_input(city.yuekou_community))


def test_update_records_masked_diff_and_bumps_version(city, child):
    data = input_from_child(child)
    data.school_stage = "初中"
    data.guardians = [GuardianInput(name="李建国", relationship="父亲", phone="13700002222")]
    changes = child_update(actor=city.yuekou_director, child=child, data=data, expected_version=1)
    assert changes["就学状态"] == ["小学", "初中"]
    assert child.version == 2 and child.school_stage == "初中"
    event = AuditEvent.objects.filter(
        action="update", object_type="registry.child", object_id=str(child.pk)
    ).get()
    assert "13700002222" not in str(event.changes) and "137****2222" in str(event.changes)
    assert child.household.guardians.get().phone == "13700002222"


def test_stale_version_is_a_conflict_and_nothing_changes(city, child):
    data = input_from_child(child)
    data.grade = "三年级"
    child_update(actor=city.yuekou_director, child=child, data=data, expected_version=1)
    data.grade = "四年级"
    with pytest.raises(ConcurrentEdit) as exc:
        child_update(actor=city.yuekou_supervisor, child=child, data=data, expected_version=1)
    assert "已被其他人修改" in str(exc.value)
    child.refresh_from_db()
    assert child.grade == "三年级" and child.version == 2


def test_township_change_must_go_through_a_transfer(city, child):
    data = input_from_child(child)
    data.township_id, data.village_id = city.duobao.pk, city.duobao_village.pk
    with pytest.raises(InvalidChildData) as exc:
        child_update(actor=city.admin, child=child, data=data)
    assert "转移" in exc.value.errors["township_id"]


def test_hukou_moved_into_tianmen_closes_the_file(city, child):
    data = input_from_child(child)
    data.hukou_county_code = "429006"
    child_update(actor=city.yuekou_director, child=child, data=data)
    assert child.closed_at == dt.date.today() and child.close_reason == "hukou_transferred"
    assert child.migrant_status == "not_migrant"


def test_update_to_an_id_of_another_file_is_a_duplicate(city, child):
    other = child_register(
        actor=city.yuekou_director,
        data=child_input(city.yuekou_community, name="王明", birth_date=dt.date(2017, 3, 1)),
    )
    data = input_from_child(other)
    data.id_number, data.birth_date = child.id_number, child.birth_date
    with pytest.raises(DuplicateChild):
        child_update(actor=city.yuekou_director, child=other, data=data)


def test_input_without_id_keeps_the_number_on_file(city, child):
    data = input_from_child(child)
    data.id_number = ""
    child_update(actor=city.yuekou_director, child=child, data=data)
    assert child.id_hash and child.id_number


def test_unchanged_input_is_not_a_change(city, child):
    from audit.models import AuditEvent

    changes = child_update(
        actor=city.yuekou_director, child=child, data=input_from_child(child), expected_version=1
    )
    assert changes == {} and child.version == 1
    assert not AuditEvent.objects.filter(
        action="update", object_type="registry.child", object_id=str(child.pk)
    ).exists()


def test_guardian_only_change_bumps_the_version(city, child):
    data = input_from_child(child)
    data.guardians.append(
        GuardianInput(name="王秀英", relationship="母亲", phone="13600003333", is_primary=False)
    )
    changes = child_update(actor=city.yuekou_director, child=child, data=data, expected_version=1)
    assert "监护人" in changes and child.version == 2


def test_update_is_one_transaction_nothing_stays_when_the_audit_fails(city, monkeypatch):
    # Inside the test's transaction child_update's own atomic block is a savepoint: rolled back
    # when the audit fails, as the whole transaction is in production.
    child = child_register(actor=city.yuekou_director, data=child_input(city.yuekou_community))
    data = input_from_child(child)
    data.school_stage = "初中"

    def failing_record(**kwargs):
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr("registry.services.record", failing_record)
    with pytest.raises(RuntimeError):
        child_update(actor=city.yuekou_director, child=child, data=data, expected_version=1)
    child.refresh_from_db()
    assert (child.school_stage, child.version) == ("小学", 1)
