"""insert_many stores what bulk_create stores, and hands out ids that nothing else takes."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from audit.models import AuditEvent
from audit.services import Entry, record_many, verify_chain
from common.inserts import allocate_ids, insert_many
from registry import identity
from registry.choices import MigrantStatus, Relationship
from registry.models import Child, Guardian, Household


def _household(city):
    return Household.objects.create(
        address="岳口镇测试路1号", township=city.yuekou, village=city.yuekou_community
    )


def _guardians(household, tag: str) -> list[Guardian]:
    return [
        Guardian(
            household=household,
            name=f"{tag}{i}",
            relationship=Relationship.MOTHER if i % 2 else "父亲",
            is_primary=i == 0,
            **identity.phone_columns(f"1390000{i:04d}" if i % 3 else ""),
            **identity.id_columns(""),
        )
        for i in range(6)
    ]


def _stored(queryset) -> list[dict]:
    rows = []
    for row in queryset.order_by("pk"):
        values = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
        values.pop("id")
        values.pop("name", None)
        rows.append(values)
    return rows


def test_rows_read_back_the_same_as_with_bulk_create(city):
    household = _household(city)
    with transaction.atomic():
        by_orm = Guardian.objects.bulk_create(_guardians(household, "甲"))
        ours = insert_many(_guardians(household, "乙"))
    assert all(g.pk for g in ours) and len({g.pk for g in [*by_orm, *ours]}) == 12
    assert _stored(Guardian.objects.filter(name__startswith="甲")) == _stored(
        Guardian.objects.filter(name__startswith="乙")
    )


def test_children_with_json_dates_enums_and_unsaved_household(city):
    household = Household(address="多宝镇1号", township=city.duobao, village=city.duobao_village)
    child = Child(
        file_no="429006-9999999",
        household=household,
        name="张三",
        sex="男",
        birth_date=dt.date(2016, 5, 17),
        **identity.id_columns("420881201605170011"),
        township_id=city.duobao.pk,
        security=["低保", "孤儿"],
        migrant_status=MigrantStatus.PENDING,
        residence_permit=None,
        disability_level=2,
        status_computed_on=dt.date(2026, 11, 29),
    )
    with transaction.atomic():
        insert_many([household])
        insert_many([child])
    stored = Child.objects.get(pk=child.pk)
    assert stored.household_id == household.pk and stored.security == ["低保", "孤儿"]
    assert stored.id_number == "420881201605170011" and stored.migrant_status == "pending"
    assert stored.created_at is not None and stored.updated_at is not None
    assert stored.disability_level == 2 and stored.residence_permit is None


def test_allocated_ids_are_not_taken_again(city):
    household = _household(city)
    with transaction.atomic():
        ids = allocate_ids(Guardian, 3)
        insert_many(_guardians(household, "丙")[:3])
        later = Guardian.objects.create(household=household, name="丁", relationship="父亲")
    assert ids == sorted(ids) and later.pk > max(ids)


def test_big_audit_batches_verify(city):
    entries = [
        Entry("create", "registry.child", str(i), f"登记 {i}", {"姓名": [None, f"儿童{i}"], "n": [i, None]})
        for i in range(30)
    ]
    events = record_many(actor=city.admin, entries=entries, batch="big")
    assert all(e.pk for e in events)
    assert AuditEvent.objects.filter(batch="big").count() == 30
    checked, broken, reason = verify_chain()
    assert broken is None and reason == "" and checked >= 30


def test_a_duplicate_key_raises_djangos_integrity_error(city):
    # The registry's bulk registration retries on IntegrityError (a concurrent import of the
    # same ID numbers): the PostgreSQL COPY path must raise Django's class, as executemany does.
    import pytest
    from django.db import IntegrityError

    household = _household(city)
    first, second = _guardians(household, "丙")[:2]
    with transaction.atomic():
        insert_many([first])
        second.pk = first.pk
        with pytest.raises(IntegrityError), transaction.atomic():
            insert_many([second])


def test_analyze_gives_never_analysed_tables_statistics_once(city):
    from django.db import connection

    from common.inserts import analyze

    household = _household(city)
    insert_many(_guardians(household, "丁"))
    first = analyze(["registry.Guardian", "nosuchapp.Model"], never_analysed_only=True)
    again = analyze(["registry.Guardian"], never_analysed_only=True)
    if connection.vendor != "postgresql":
        assert first == again == []
        return
    assert first in (["registry_guardian"], [])  # [] when an earlier test analysed it already
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = 'registry_guardian'")
        assert cursor.fetchone()[0] > 0
    assert again == []  # statistics now exist: not analysed a second time
    assert analyze(["registry.Guardian"]) == ["registry_guardian"]


def test_update_many_writes_the_named_columns_as_save_would(city):
    from common.inserts import update_many

    household = _household(city)
    guardians = insert_many(_guardians(household, "戊"))
    for i, guardian in enumerate(guardians):
        guardian.name = f"己{i}"
        guardian.is_primary = i == 5
        guardian.relationship = "祖父母"  # not named below: stays as stored
    again = Guardian.objects.get(pk=guardians[0].pk)
    again.name, again.is_primary = "最后一次", False
    update_many([*guardians, again], ["name", "is_primary"])
    stored = {g.pk: g for g in Guardian.objects.filter(household=household)}
    assert stored[guardians[0].pk].name == "最后一次"  # listed twice: the last one is written
    assert [stored[g.pk].name for g in guardians[1:]] == [f"己{i}" for i in range(1, 6)]
    assert [stored[g.pk].is_primary for g in guardians] == [False] * 5 + [True]
    assert {g.relationship for g in stored.values()} != {"祖父母"}

    # Columns of NULLs, dates, JSON and an encrypted value, through the same statement.
    child = Child.objects.create(
        household=household, township=city.yuekou, name="庚", sex="男", birth_date=dt.date(2015, 1, 2),
        file_no="T-1", migrant_status=MigrantStatus.MIGRANT,
    )  # fmt: skip
    child.arrival_date, child.village_id, child.security = None, None, ["低保"]
    child.birth_date, child.id_number = dt.date(2015, 3, 4), "420984201503040012"
    update_many([child], ["arrival_date", "village", "security", "birth_date", "id_number"])
    child.refresh_from_db()
    assert (child.arrival_date, child.village_id, child.security) == (None, None, ["低保"])
    assert (child.birth_date, child.id_number) == (dt.date(2015, 3, 4), "420984201503040012")
