"""Children a feed discovers: not in the registry, registered as pending-verification files for
the village's child director (the township's supervisor when the village is not known).

A chunk's new children are registered together through the registry's bulk path
(``registry.bulk.children_register_many``: the rules, audit rows and after-change hooks of
``child_register``), with the places, schools and counties of the rows looked up once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from common.inserts import insert_many
from exchange import effects
from exchange.models import ChildEffect, Effect, FeedBatch, FeedRow


@dataclass
class Found:
    """A row whose child is to be registered, and what became of it."""

    row: FeedRow
    facts: dict
    phone: str = ""
    id_number: str = ""  # valid and normalised, or ""
    child: object | None = None  # the registered child, or the file that already holds the ID
    note: str = ""


class Lookups:
    """Schools, counties and unit names asked for by the rows of an import, read once each."""

    def __init__(self) -> None:
        self.schools: dict[str, int | None] = {}
        self.counties: dict[str, bool] = {}
        self.school_townships: dict[int, int | None] = {}
        self.unit_names: dict[int, str] = {}

    def county_exists(self, code: str) -> bool:
        from places.models import County

        if code not in self.counties:
            self.counties[code] = County.objects.filter(code=code).exists()
        return self.counties[code]

    def school_township(self, school_id: int) -> int | None:
        from schools.models import School

        if school_id not in self.school_townships:
            self.school_townships[school_id] = (
                School.objects.filter(pk=school_id).values_list("township_id", flat=True).first()
            )
        return self.school_townships[school_id]

    def names(self, ids) -> dict[int, str]:
        from places.models import Unit

        wanted = sorted({i for i in ids if i and i not in self.unit_names})
        if wanted:
            self.unit_names.update(Unit.objects.filter(pk__in=wanted).values_list("pk", "name"))
        return self.unit_names


def child_input(*, batch: FeedBatch, found: Found, places, lookups: Lookups):
    """(ChildInput, "") for a row's child, or (None, why it cannot be registered)."""
    from registry.inputs import ChildInput, GuardianInput

    source = batch.source
    facts = found.facts
    township, village = places.resolve(
        township=facts.get("township") or "",
        village=facts.get("village") or "",
        address=facts.get("address") or "",
    )
    school_changes = (
        effects.schooling_changes(facts, lookups.schools) if source.effect == Effect.EDUCATION else {}
    )
    if township is None and school_changes.get("school_id"):
        township = lookups.school_township(school_changes["school_id"])
    if township is None:
        return None, "住址无法对应到本市的乡镇（街道），未自动登记，请人工核实"
    birth = dt.date.fromisoformat(facts["birth_date"]) if facts.get("birth_date") else None
    if birth is None or not facts.get("sex"):
        return None, "缺少出生日期或性别，未自动登记，请人工核实"
    county = facts.get("hukou_county") or ""
    if county and not lookups.county_exists(county):
        county = ""
    guardians = []
    if facts.get("guardian_name"):
        guardians.append(GuardianInput(name=facts["guardian_name"], relationship="其他", phone=found.phone))
    data = ChildInput(
        name=facts["name"],
        sex=facts["sex"],
        birth_date=birth,
        township_id=township,
        village_id=village,
        id_number=found.id_number,
        ethnicity=(facts.get("ethnicity") or "")[:20],
        hukou_address=(facts.get("hukou_address") or "")[:200],
        hukou_county_code=county or None,
        address=(facts.get("address") or "")[:200],
        guardians=guardians,
        pending_verification=True,
        remarks=f"由{source.department.name}数据（{batch.label}第{found.row.number}行）发现，待核实",
    )
    if source.effect == Effect.EDUCATION:
        data.school_stage = school_changes.get("school_stage", "")
        data.school_id = school_changes.get("school_id")
        data.school_name = school_changes.get("school_name", "")
        data.grade = school_changes.get("grade", "")
    elif source.effect == Effect.POLICE:
        from registry.models import Child

        data.arrival_date = effects.residence_changes(facts, Child(birth_date=birth)).get("arrival_date")
        data.residence_permit = True
    elif source.effect == Effect.DISABILITY:
        from registry.models import Child

        for key, value in effects.disability_changes(facts, Child(health="")).items():
            setattr(data, key, value)
    return data, ""


def register(*, actor, batch: FeedBatch, found: list[Found], places, lookups: Lookups, seen: dict) -> None:
    """Register the rows' children; sets ``child`` and ``note`` on each Found and ``child_id``,
    ``created_child`` on the rows of the children registered (the caller saves the rows).

    ``seen``: normalised ID number -> row number of the child registered for it in this chunk
    (a second row of the same child is not registered twice)."""
    from registry.bulk import children_register_many
    from registry.models import Child
    from registry.services import DuplicateChild

    if not batch.source.registers_new:
        for f in found:
            f.note = "本数据来源不登记新儿童，请核实后手工登记"
        return
    pending = [(f, *child_input(batch=batch, found=f, places=places, lookups=lookups)) for f in found]
    registered: list[Found] = []
    while pending:
        # Rows of one ID number go one per round: a later row is "the same child" only once
        # an earlier one has registered it.
        now, later, ids = [], [], set()
        for f, data, note in pending:
            if f.id_number and f.id_number in seen:
                f.note = f"与本批第 {seen[f.id_number]} 行为同一儿童"
            elif data is None:
                f.note = note
            elif f.id_number and f.id_number in ids:
                later.append((f, data, note))
            else:
                ids.add(f.id_number)
                now.append((f, data))
        results = children_register_many(actor=actor, items=[d for _f, d in now], batch=batch.label)
        retry = []
        for (f, data), result in zip(now, results, strict=True):
            if isinstance(result, Child):
                f.child = result
            elif isinstance(result, DuplicateChild):
                f.child, f.note = result.existing, f"该身份证号已有档案 {result.existing.file_no}"
            else:
                # A guardian's phone or an unusual value should not keep the child off the registry.
                retry.append((f, replace(data, guardians=[]), result))
        if retry:
            again = children_register_many(actor=actor, items=[d for _f, d, _e in retry], batch=batch.label)
            for (f, _data, first), result in zip(retry, again, strict=True):
                if isinstance(result, Child):
                    f.child = result
                else:
                    f.note = f"未能自动登记（{first}），请人工核实"
        for f, _data in now:
            if f.child is not None and not f.note:
                registered.append(f)
                if f.id_number:
                    seen[f.id_number] = f.row.number
        pending = later
    if not registered:
        return
    _record_registered(batch=batch, registered=registered, lookups=lookups)


def _record_registered(*, batch: FeedBatch, registered: list[Found], lookups: Lookups) -> None:
    from registry.models import Child

    source = batch.source
    ids = [f.child.pk for f in registered]
    # The version after the after-change hooks: the rollback removes the file only if unchanged.
    versions: dict[int, int] = {}
    for chunk in effects._chunks(ids):
        versions.update(Child.objects.filter(pk__in=chunk).values_list("pk", "version"))
    names = lookups.names(i for f in registered for i in (f.child.village_id, f.child.township_id))
    made = []
    for f in registered:
        child = f.child
        place = names.get(child.village_id or child.township_id, "")
        made.append(
            ChildEffect(
                child_id=child.pk, batch=batch, row=f.row, kind=ChildEffect.Kind.REGISTERED,
                summary=f"由{source.department.name}数据发现，登记为待核实档案，交{place}核实",
                after={"version": versions.get(child.pk, child.version)},
            )
        )  # fmt: skip
        f.row.created_child = True
        f.note = f"已登记为待核实档案 {child.file_no}，交{place}核实"
    insert_many(made)
    if source.effect == Effect.HEALTH:
        for f in registered:
            f.row.child_id = f.child.pk
        health = effects.health_many(batch=batch, items=[(f.row, f.facts) for f in registered])
        insert_many(health)
