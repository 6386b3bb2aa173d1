"""The bulk path (registry/bulk.py) has the outcomes of the single services applied in turn.

The strongest test: varied random batches (siblings sharing a guardian, duplicates against the
registry and inside the batch, invalid rows, closing updates, ID changes, stale versions) are
applied once through ``child_update``/``child_register`` one item at a time and once through
``children_update_many``/``children_register_many``, each in a rolled-back savepoint, and the
registry, the audit rows and the results must be the same.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest
from django.db import transaction

from audit.models import AuditEvent
from common.testing import make_id
from registry.bulk import children_register_many, children_update_many
from registry.closing import closure_propose
from registry.inputs import ChildInput, GuardianInput
from registry.models import CensusTask, Child, ClosureProposal, Guardian, Household, Transfer
from registry.services import (
    ConcurrentEdit,
    DuplicateChild,
    InvalidChildData,
    RegistryError,
    census_open,
    child_register,
    child_update,
    input_from_child,
    transfer_request,
)
from registry.tests.helpers import child_input

PHONES = ["13900001111", "13900002222", "13900003333", "13900004444", "0728-5551234", ""]
NAMES = ["李建国", "王秀英", "张伟", "刘芳"]
RELATIONSHIPS = ["父亲", "母亲", "祖父母", "其他"]


class _Rollback(Exception):
    pass


def _guardian(rng: random.Random, ids: list[str]) -> GuardianInput:
    return GuardianInput(
        name=rng.choice(NAMES),
        relationship=rng.choice(RELATIONSHIPS),
        phone=rng.choice(PHONES).replace("-", ""),
        id_number=rng.choice(["", "", *ids]),
        is_primary=rng.random() < 0.8,
    )


def _new_input(rng: random.Random, city, ids: list[str], on: dt.date) -> ChildInput:
    village = rng.choice([city.yuekou_community, city.yuekou_other_village, city.duobao_village])
    birth = dt.date(on.year - rng.randint(1, 17), rng.randint(1, 12), rng.randint(1, 28))
    male = rng.random() < 0.5
    hukou = rng.choice(["421122", "421122", "420881", "429006"])
    arrival = rng.choice([None, on - dt.timedelta(days=rng.randint(0, 2000))])
    if arrival is not None and arrival < birth:
        arrival = birth
    guardians = [_guardian(rng, ids) for _ in range(rng.choice([0, 1, 1, 1, 2]))]
    return child_input(
        village,
        on=on,
        name=rng.choice(["李浩宇", "王子涵", "张欣怡", "刘梓轩"]),
        birth_date=birth,
        male=male,
        id_number=rng.choice([make_id(birth, male=male, county="421122")] * 5 + [""]),
        hukou_county_code=hukou,
        arrival_date=arrival,
        address=rng.choice(["岳口镇测试路8号", "多宝镇新街1号", ""]),
        guardians=guardians,
        school_id=None,
    )


def _variant(rng: random.Random, city, data: ChildInput, pool: list[Child], ids: list[str]) -> ChildInput:
    """An edit of an existing child's input, of a random kind."""
    kind = rng.choice(
        ["same", "address", "guardian", "guardians", "village", "township", "local", "id", "bad", "drop"]
    )
    if kind == "address":
        return dataclasses.replace(data, address="岳口镇新地址" + str(rng.randint(1, 9)))
    if kind == "guardian":
        return dataclasses.replace(data, guardians=[_guardian(rng, ids)])
    if kind == "guardians":
        return dataclasses.replace(data, guardians=[_guardian(rng, ids), _guardian(rng, ids)])
    if kind == "village":
        villages = [v for v in (city.yuekou_community, city.yuekou_other_village) if v.pk != data.village_id]
        if data.township_id == city.yuekou.pk:
            return dataclasses.replace(data, village_id=villages[0].pk)
        return dataclasses.replace(data, village_id=None)
    if kind == "township":
        other = city.duobao_village if data.township_id == city.yuekou.pk else city.yuekou_community
        return dataclasses.replace(data, township_id=other.parent_id, village_id=other.pk)
    if kind == "local":
        return dataclasses.replace(data, hukou_county_code="429006")
    if kind == "id":
        twin = rng.choice(pool)
        return dataclasses.replace(data, id_number=twin.id_number, birth_date=twin.birth_date, sex=twin.sex)
    if kind == "bad":
        return dataclasses.replace(data, sex="女" if data.sex == "男" else "男")
    if kind == "drop":
        return dataclasses.replace(data, id_number="", guardians=[])
    return data


def _scenario(city, seed: int):
    """A registry of a few children, then a batch of updates and one of registrations."""
    rng = random.Random(seed)
    on = dt.date.today()
    actor = city.admin
    guardian_ids = [make_id(dt.date(1985, 3, i + 1), male=i % 2 == 0, county="421122") for i in range(4)]
    pool: list[Child] = []
    while len(pool) < 10:
        try:
            pool.append(child_register(actor=actor, data=_new_input(rng, city, guardian_ids, on), on=on))
        except RegistryError:
            continue
    # Pending work a closing must settle: a census round, transfers, closure proposals.
    census_open(actor=actor, name="摸排", period_start=on, period_end=on + dt.timedelta(days=30), deadline=on)
    for child in pool[:6]:
        if child.township_id == city.yuekou.pk:
            transfer_request(actor=actor, child=child, to_township=city.duobao, reason="务工")
        else:
            closure_propose(actor=actor, child=child, reason="returned_home", note="返乡")
    updates, versions = [], []
    for _ in range(14):
        child = rng.choice(pool)
        child.refresh_from_db()
        updates.append((child.pk, _variant(rng, city, input_from_child(child), pool, guardian_ids)))
        versions.append(rng.choice([None, None, None, child.version, child.version + 1]))
    # Closing updates of children with pending work, one of them updated again afterwards.
    for child in (pool[0], pool[1], pool[0]):
        child.refresh_from_db()
        updates.append((child.pk, dataclasses.replace(input_from_child(child), hukou_county_code="429006")))
        versions.append(None)
    registers = [_new_input(rng, city, guardian_ids, on) for _ in range(24)]
    registers[3] = dataclasses.replace(
        registers[3], id_number=pool[0].id_number, birth_date=pool[0].birth_date, sex=pool[0].sex
    )
    registers[9] = dataclasses.replace(
        registers[9],
        id_number=registers[5].id_number,
        birth_date=registers[5].birth_date,
        sex=registers[5].sex,
    )
    registers[11] = dataclasses.replace(registers[11], village_id=city.duobao_village.pk)
    registers[13] = dataclasses.replace(registers[13], school_id=999_999)
    return actor, on, updates, versions, registers


def _describe(result) -> tuple:
    if isinstance(result, Child):
        return ("child", result.file_no, result.migrant_status, result.version)
    if isinstance(result, InvalidChildData):
        return ("invalid", tuple(sorted(result.errors.items())))
    return (type(result).__name__, str(result))


def _state(since: int) -> dict:
    file_no = dict(Child.objects.values_list("pk", "file_no"))
    members: dict[int, list[str]] = {}
    for pk, household_id in Child.objects.values_list("pk", "household_id"):
        members.setdefault(household_id, []).append(file_no[pk])
    family = {h: tuple(sorted(f)) for h, f in members.items()}
    children = sorted(
        (
            c.file_no,
            c.name,
            c.sex,
            c.birth_date,
            c.id_number,
            c.township_id,
            c.village_id,
            c.address,
            c.hukou_county_id,
            c.migrant_status,
            c.status_reason,
            c.migrant_from,
            c.closed_at,
            c.close_reason,
            c.close_note,
            c.version,
            c.school_name,
            c.last_verified_on,
            family[c.household_id],
        )
        for c in Child.objects.all()
    )
    households = sorted(
        (family.get(h.pk, ()), h.address, h.township_id, h.village_id) for h in Household.objects.all()
    )
    guardians: dict[tuple, list] = {}
    for g in Guardian.objects.order_by("household_id", "-is_primary", "id"):
        guardians.setdefault(family.get(g.household_id, ()), []).append(
            (g.name, g.relationship, g.phone, g.id_number, g.is_primary)
        )
    audit = [
        (e.action, file_no.get(int(e.object_id)), e.summary, e.changes, e.batch)
        for e in AuditEvent.objects.filter(seq__gt=since, object_type="registry.child").order_by("seq")
    ]
    tasks = sorted((file_no[t.child_id], t.village_id, t.status, t.note) for t in CensusTask.objects.all())
    transfers = sorted(
        (file_no[t.child_id], t.status, t.decision_note, t.decided_by_id) for t in Transfer.objects.all()
    )
    proposals = sorted(
        (file_no[p.child_id], p.status, p.decided_by_id) for p in ClosureProposal.objects.all()
    )
    return {
        "transfers": transfers,
        "proposals": proposals,
        "children": children,
        "households": households,
        "guardians": sorted(guardians.items()),
        "audit": audit,
        "tasks": tasks,
    }


def _run(fn) -> tuple:
    since = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    try:
        with transaction.atomic():
            results = fn()
            state = _state(since)
            raise _Rollback
    except _Rollback:
        pass
    return results, state


def _single(actor, on, updates, versions, registers):
    results = []
    for (pk, data), version in zip(updates, versions, strict=True):
        child = Child.objects.get(pk=pk)
        try:
            child_update(actor=actor, child=child, data=data, expected_version=version, batch="b")
            results.append(child.pk)  # described at the end, as the bulk path returns the final rows
        except RegistryError as exc:
            results.append(_describe(exc))
    results = [_describe(Child.objects.get(pk=r)) if isinstance(r, int) else r for r in results]
    for data in registers:
        try:
            results.append(_describe(child_register(actor=actor, data=data, batch="b", on=on)))
        except RegistryError as exc:
            results.append(_describe(exc))
    return results


def _bulk(actor, on, updates, versions, registers):
    pairs = [(Child.objects.get(pk=pk), data) for pk, data in updates]
    results = children_update_many(actor=actor, pairs=pairs, batch="b", expected_versions=versions)
    for (given, _data), result in zip(pairs, results, strict=True):
        if isinstance(result, Child):
            assert given.version == result.version and given.file_no == result.file_no
    results += children_register_many(actor=actor, items=registers, batch="b", on=on)
    return [_describe(r) for r in results]


@pytest.mark.parametrize("seed", range(8))
def test_bulk_path_has_the_outcomes_of_the_single_path(city, seed):
    actor, on, updates, versions, registers = _scenario(city, seed)
    CensusTask.objects.bulk_create([])
    single_results, single_state = _run(lambda: _single(actor, on, updates, versions, registers))
    bulk_results, bulk_state = _run(lambda: _bulk(actor, on, updates, versions, registers))
    assert bulk_results == single_results
    for key in single_state:
        assert bulk_state[key] == single_state[key], key


def test_register_many_returns_children_and_errors_in_order(city):
    actor = city.admin
    existing = child_register(actor=actor, data=child_input(city.yuekou_community))
    fresh = child_input(
        city.yuekou_community,
        name="王子涵",
        id_number=make_id(dt.date(2016, 5, 17), county="421122"),
        birth_date=dt.date(2016, 5, 17),
    )
    bad = dataclasses.replace(fresh, sex="女", id_number=make_id(dt.date(2016, 5, 17), county="421122"))
    twin = dataclasses.replace(fresh)
    again = child_input(city.yuekou_community, id_number=existing.id_number, birth_date=existing.birth_date)
    results = children_register_many(actor=actor, items=[fresh, bad, twin, again], batch="x")
    assert isinstance(results[0], Child) and results[0].pk and results[0].file_no
    assert isinstance(results[1], InvalidChildData) and "id_number" in results[1].errors
    assert isinstance(results[2], DuplicateChild) and results[2].existing == results[0]
    assert isinstance(results[3], DuplicateChild) and results[3].existing == existing
    event = AuditEvent.objects.get(object_type="registry.child", object_id=str(results[0].pk))
    assert event.action == "create" and event.batch == "x" and results[0].file_no in event.summary
    assert fresh.id_number not in str(event.changes)
    # The sibling shares the household of the child already filed (same guardian phone).
    assert results[0].household_id == existing.household_id


def test_update_many_refuses_a_stale_version_and_keeps_the_others(city):
    actor = city.admin
    first = child_register(actor=actor, data=child_input(city.yuekou_community))
    second = child_register(
        actor=actor,
        data=child_input(
            city.yuekou_community,
            name="王子涵",
            birth_date=dt.date(2015, 1, 2),
            id_number=make_id(dt.date(2015, 1, 2), county="421122"),
            guardians=[GuardianInput(name="王强", relationship="父亲", phone="13900009999")],
        ),
    )
    one = dataclasses.replace(input_from_child(first), address="岳口镇新地址1号")
    two = dataclasses.replace(input_from_child(second), address="岳口镇新地址2号")
    results = children_update_many(
        actor=actor, pairs=[(first, one), (second, two)], expected_versions=[first.version + 1, None]
    )
    assert isinstance(results[0], ConcurrentEdit)
    assert results[1].changes == {"现居住地址": ["岳口镇测试路8号", "岳口镇新地址2号"]}
    assert second.address == "岳口镇新地址2号" and second.version == 2
    first.refresh_from_db()
    assert first.address == "岳口镇测试路8号" and first.version == 1


def test_update_many_without_changes_writes_no_audit_and_calls_no_hook(city, monkeypatch):
    actor = city.admin
    child = child_register(actor=actor, data=child_input(city.yuekou_community))
    calls = []
    monkeypatch.setattr("registry.bulk.children_changed", lambda *, children, actor: calls.append(children))
    before = AuditEvent.objects.count()
    [result] = children_update_many(actor=actor, pairs=[(child, input_from_child(child))])
    assert result.changes == {} and result.version == 1
    assert AuditEvent.objects.count() == before
    assert calls == [[]] or calls == []
