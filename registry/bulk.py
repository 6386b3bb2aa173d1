"""Registering and updating many children at once (ledger imports, department feeds).

The single services (``child_register`` / ``child_update``) cost some twenty queries per child.
These functions apply the same rules — ``validate``, duplicates by the ID number's blind index,
siblings joining a household through a guardian's phone or ID, guardians matched by ID, phone
then name, the computed status and the closing of files whose facts end them, the same audit
rows — with a fixed number of queries per batch: units and schools looked up once, one query for
the batch's ID numbers, one block of file numbers, households and guardians read and written in
bulk, one ``record_many`` for the audit and the after-change hooks once per batch.

The outcome is that of calling the single service for each item in turn, inside one
transaction: the result list is aligned with the input, each entry the child or the
``RegistryError`` (``InvalidChildData``, ``DuplicateChild``, ``ConcurrentEdit``) that the single
service would have raised for that item. Nothing is written for a refused item.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.base import ModelState
from django.utils import timezone

from audit.services import Entry, record_many
from common.inserts import insert_many, update_many
from places.models import County, Unit
from registry import identity
from registry.hooks import children_changed
from registry.inputs import ChildInput
from registry.models import CensusTask, Child, Guardian, Household
from registry.services import (
    ConcurrentEdit,
    DuplicateChild,
    InvalidChildData,
    RegistryError,
    _child_fields,
    _status,
    _status_fields,
    changes_between,
    close_update,
    match_guardian,
    reserve_file_numbers,
    snapshot,
    update_fields,
    validate,
)

Result = Child | RegistryError


# ---------------------------------------------------------------- look-ups of a batch


class _Lookups:
    """Units and schools of a batch, read once."""

    def __init__(self, inputs: Iterable[ChildInput], *, children: Iterable[Child] = ()) -> None:
        inputs = list(inputs)
        children = list(children)
        unit_ids = {i for d in inputs for i in (d.township_id, d.village_id) if i}
        unit_ids |= {i for c in children for i in (c.township_id, c.village_id) if i}
        self.units: dict[int, Unit] = Unit.objects.in_bulk(unit_ids) if unit_ids else {}
        self.unit_names = {pk: unit.name for pk, unit in self.units.items()}
        school_ids = {d.school_id for d in inputs if d.school_id}
        self.school_names: dict[int, str] = {}
        if school_ids:
            from schools.models import School

            self.school_names = dict(School.objects.filter(pk__in=school_ids).values_list("pk", "name"))
        self.school_ids = set(self.school_names)
        codes = {d.hukou_county_code for d in inputs if d.hukou_county_code}
        self.county_codes: set[str] = (
            set(County.objects.filter(code__in=sorted(codes)).values_list("code", flat=True))
            if codes
            else set()
        )

    def validate(self, data: ChildInput, on: dt.date) -> dict:
        return validate(
            data, on=on, units=self.units, school_ids=self.school_ids, county_codes=self.county_codes
        )

    def fields(self, data: ChildInput, checked: dict) -> dict:
        if data.school_id and not data.school_name:
            # What _child_fields would read from the schools table, read once per batch.
            data = dataclasses.replace(data, school_name=self.school_names.get(data.school_id) or "")
        return _child_fields(data, checked)


# ---------------------------------------------------------------- households in memory


def _guardian_order(guardian: Guardian, seq: int) -> tuple:
    # The model's ordering (-is_primary, id); guardians not yet written come after the others,
    # in the order they were made, as their ids will.
    return (not guardian.is_primary, 0 if guardian.pk else 1, guardian.pk or seq)


class _Families:
    """The batch's households and guardians, held in memory while the batch is applied in order
    (as the single services would read and write them one child at a time), written at the end."""

    def __init__(self) -> None:
        self.households: dict[int, Household] = {}  # key -> household
        self.members: dict[int, list[Guardian]] = {}  # key -> its guardians
        self.keys: dict[int, int] = {}  # household pk -> key
        self.by_phone: dict[str, set[int]] = defaultdict(set)
        self.by_id: dict[str, set[int]] = defaultdict(set)
        self.seq: dict[int, int] = {}  # id(guardian) -> order of making, for new guardians
        self.new_households: list[Household] = []
        self.new_guardians: list[Guardian] = []
        self.changed: dict[int, tuple[Guardian, set[str]]] = {}
        self.deleted: set[int] = set()
        self.moved_addresses: dict[int, Household] = {}
        self._counter = itertools.count(1)

    # reading

    def adopt(self, households: Iterable[Household]) -> None:
        """Households already read (with the batch's children), one object per household."""
        for household in households:
            if household.pk not in self.keys:
                self._add_household(household)

    def load(
        self,
        *,
        household_ids: set[int],
        phone_hashes: set[str],
        id_hashes: set[str],
        guardians: bool = True,
    ) -> None:
        """The households of ``household_ids`` and of every guardian with one of the hashes;
        without ``guardians`` (no input of the batch names any) their guardians are not read."""
        q = Q(pk__in=[])
        if phone_hashes:
            q |= Q(phone_hash__in=sorted(phone_hashes))
        if id_hashes:
            q |= Q(id_hash__in=sorted(id_hashes))
        if phone_hashes or id_hashes:
            household_ids = household_ids | set(
                Guardian.objects.filter(q).values_list("household_id", flat=True)
            )
        missing = household_ids - set(self.keys)
        if missing:
            for household in Household.objects.filter(pk__in=sorted(missing)):
                self._add_household(household)
        household_ids = {pk for pk in household_ids if pk in self.keys and not self.members[self.keys[pk]]}
        if not household_ids or not guardians:
            return
        for guardian in Guardian.objects.filter(household_id__in=sorted(household_ids)).order_by(
            "household_id", "-is_primary", "id"
        ):
            key = self.keys[guardian.household_id]
            guardian.household = self.households[key]
            self.members[key].append(guardian)
            self._index(guardian, key)

    def _add_household(self, household: Household) -> int:
        key = id(household)
        self.households[key] = household
        self.members[key] = []
        if household.pk:
            self.keys[household.pk] = key
        return key

    def _index(self, guardian: Guardian, key: int) -> None:
        if guardian.phone_hash:
            self.by_phone[guardian.phone_hash].add(key)
        if guardian.id_hash:
            self.by_id[guardian.id_hash].add(key)

    def key_of(self, household: Household) -> int:
        return self.keys[household.pk] if household.pk in self.keys else id(household)

    def guardians(self, key: int) -> list[Guardian]:
        """The household's guardians as ``household.guardians.all()`` would list them now."""
        return sorted(self.members[key], key=lambda g: _guardian_order(g, self.seq.get(id(g), 0)))

    def _household_order(self, key: int) -> tuple:
        household = self.households[key]
        return (0, household.pk) if household.pk else (1, self.seq[key])

    # the rules of registry.services._find_household and _sync_guardians, in memory

    def find(self, guardians: list, township: Unit) -> int | None:
        """A sibling's household: a guardian with the same phone or ID number in the same township."""
        phone_hashes = {identity.phone_hash(p) for _g, _id, p in guardians if p}
        id_hashes = {identity.id_columns(i)["id_hash"] for _g, i, _p in guardians if i}
        candidates = set()
        for h in phone_hashes:
            candidates |= self.by_phone.get(h, set())
        for h in id_hashes:
            candidates |= self.by_id.get(h, set())
        found = [
            key
            for key in candidates
            if self.households[key].township_id == township.pk
            and any(g.phone_hash in phone_hashes or g.id_hash in id_hashes for g in self.members[key])
        ]
        return min(found, key=self._household_order) if found else None

    def new_household(self, **fields) -> int:
        household = Household(**fields)
        key = self._add_household(household)
        self.seq[key] = next(self._counter)
        self.new_households.append(household)
        return key

    def sync(self, key: int, guardians: list, *, remove_missing: bool) -> list[Guardian]:
        """What ``_sync_guardians`` does to the household; returns its guardians afterwards."""
        household = self.households[key]
        existing = self.guardians(key)
        kept: set[int] = set()
        for guardian, g_id, phone in guardians:
            match, fields = match_guardian(existing, kept, guardian, g_id, phone)
            if match is None:
                match = Guardian(household=household, **fields)
                self.seq[id(match)] = next(self._counter)
                self.new_guardians.append(match)
                self.members[key].append(match)
                existing.append(match)
            else:
                changed = {k for k, v in fields.items() if getattr(match, k) != v}
                for k in changed:
                    setattr(match, k, fields[k])
                if changed and match.pk:
                    self.changed.setdefault(id(match), (match, set()))[1].update(changed)
            self._index(match, key)
            kept.add(id(match))
        if remove_missing:
            for row in self.members[key]:
                if id(row) in kept:
                    continue
                if row.pk:
                    self.deleted.add(row.pk)
                    self.changed.pop(id(row), None)
                else:
                    self.new_guardians.remove(row)
            self.members[key] = [g for g in self.members[key] if id(g) in kept]
            existing = [g for g in existing if id(g) in kept]
        return existing

    def set_address(self, key: int, address: str) -> None:
        household = self.households[key]
        household.address = address
        if household.pk:
            self.moved_addresses[household.pk] = household

    # writing

    def write(self) -> None:
        if self.new_households:
            insert_many(self.new_households)
            for household in self.new_households:
                self.keys[household.pk] = id(household)
        if self.deleted:
            Guardian.objects.filter(pk__in=sorted(self.deleted)).delete()
        by_fields: dict[tuple[str, ...], list[Guardian]] = defaultdict(list)
        for guardian, fields in self.changed.values():
            by_fields[tuple(sorted(fields))].append(guardian)
        for fields, guardians in by_fields.items():
            update_many(guardians, fields)
        if self.new_guardians:
            self.new_guardians.sort(key=lambda g: self.seq[id(g)])
            insert_many(self.new_guardians)
        if self.moved_addresses:
            update_many(self.moved_addresses.values(), ["address"])
        self.new_households, self.new_guardians, self.changed = [], [], {}
        self.deleted, self.moved_addresses = set(), {}


def _guardian_hashes(checked: Iterable[dict]) -> tuple[set[str], set[str]]:
    phones, ids = set(), set()
    for c in checked:
        for _g, g_id, phone in c["guardians"]:
            if phone:
                phones.add(identity.phone_hash(phone))
            if g_id:
                ids.add(identity.id_columns(g_id)["id_hash"])
    return phones, ids


# ---------------------------------------------------------------- registering


def _blank(value) -> bool:
    # ``value in ("", None)`` would evaluate a lazy label (认定状态) for every comparison.
    return value is None or (type(value) is str and value == "")


#: The tables a batch reads by its children's ids — the registry's and those of the after-change
#: hooks — for the importers' PostgreSQL statistics check (``common.inserts.analyze``).
BATCH_TABLES = (
    "registry.Child",
    "registry.Household",
    "registry.Guardian",
    "servicelist.Entitlement",
    "care.CareStatus",
    "audit.AuditEvent",
)

_CHILD_RELATIONS = {f.name: f for f in Child._meta.concrete_fields if f.is_relation}
_CHILD_DEFAULTS: dict[str, object] | None = None
_CHILD_CALLABLE_DEFAULTS: dict[str, object] = {}


def _new_child(**values) -> Child:
    """``Child(**values)`` without the model's per-keyword ``__init__`` (a tenth of a
    registration): the fields' defaults are read once, callable ones called per child, and
    the related objects given (household, created_by) cached as ``__init__`` caches them.
    The model has no pre_init/post_init receivers; values are the fields' names or attnames."""
    global _CHILD_DEFAULTS
    if _CHILD_DEFAULTS is None:
        defaults: dict[str, object] = {}
        for field in Child._meta.concrete_fields:
            if field.has_default() and callable(field.default):
                _CHILD_CALLABLE_DEFAULTS[field.attname] = field.default
            else:
                defaults[field.attname] = field.get_default()
        _CHILD_DEFAULTS = defaults
    child = Child.__new__(Child)
    state = child._state = ModelState()
    attributes = dict(_CHILD_DEFAULTS)
    for attname, default in _CHILD_CALLABLE_DEFAULTS.items():
        attributes[attname] = default()
    for name, value in values.items():
        relation = _CHILD_RELATIONS.get(name)
        if relation is not None:
            attributes[relation.attname] = value.pk if value is not None else None
            state.fields_cache[name] = value
        else:
            attributes[name] = value
    unknown = set(attributes) - _CHILD_ATTNAMES
    if unknown:
        raise TypeError(f"Child got unexpected fields {sorted(unknown)}")
    child.__dict__.update(attributes)
    return child


_CHILD_ATTNAMES = {f.attname for f in Child._meta.concrete_fields}


def children_register_many(
    *, actor, items: Sequence[ChildInput], batch: str = "", on: dt.date | None = None
) -> list[Result]:
    """Register each input as ``child_register`` would, in one transaction: returns, for each
    input in order, the new child or the RegistryError that refused it."""
    items = list(items)
    if not items:
        return []
    on = on or timezone.localdate()
    with transaction.atomic():
        lookups = _Lookups(items)
        known: set[str] = set()
        while True:
            try:
                # A concurrent registration of one of the ID numbers (two imports of one ledger)
                # passes the look-up in both transactions and fails on the unique blind index;
                # the batch is then planned again and that item gets DuplicateChild.
                with transaction.atomic():
                    results, entries, created = _register(actor, items, on, lookups)
                    record_many(actor=actor, entries=entries, batch=batch)
                break
            except IntegrityError:
                hashes = {identity.id_columns(d.id_number)["id_hash"] for d in items if d.id_number}
                now_known = set(
                    Child.objects.filter(id_hash__in=sorted(hashes)).values_list("id_hash", flat=True)
                )
                if now_known <= known:
                    raise
                known = now_known
        children_changed(children=created, actor=actor)
    return results


def _register(actor, items: list[ChildInput], on: dt.date, lookups: _Lookups):
    results: list[Result | None] = [None] * len(items)
    valid: list[tuple[int, ChildInput, dict]] = []
    for i, data in enumerate(items):
        try:
            valid.append((i, data, lookups.validate(data, on)))
        except InvalidChildData as exc:
            results[i] = exc
    hashes = {identity.id_columns(c["id_number"])["id_hash"] for _i, _d, c in valid if c["id_number"]}
    on_file = {c.id_hash: c for c in Child.objects.filter(id_hash__in=sorted(hashes))} if hashes else {}
    families = _Families()
    phones, ids = _guardian_hashes(c for _i, _d, c in valid)
    families.load(household_ids=set(), phone_hashes=phones, id_hashes=ids)

    planned: list[tuple[int, Child, dict]] = []
    first_of: dict[str, int] = {}  # id_hash -> index of the item that registers it
    later_twins: list[tuple[int, int]] = []
    for i, data, checked in valid:
        id_hash = identity.id_columns(checked["id_number"])["id_hash"] if checked["id_number"] else ""
        if id_hash in on_file:
            results[i] = DuplicateChild(on_file[id_hash])
            continue
        if id_hash and id_hash in first_of:
            later_twins.append((i, first_of[id_hash]))
            continue
        if id_hash:
            first_of[id_hash] = i
        township, village = checked["township"], checked["village"]
        status = _status(data.birth_date, data.hukou_county_code, data.arrival_date, on)
        key = families.find(checked["guardians"], township)
        if key is None:
            key = families.new_household(address=data.address, township=township, village=village)
        guardians = families.sync(key, checked["guardians"], remove_missing=False)
        child = _new_child(
            household=families.households[key],
            created_by=actor,
            last_verified_on=on,
            **lookups.fields(data, checked),
            **_status_fields(status, on),
        )
        after = snapshot(child, units=lookups.unit_names, guardians=guardians)
        planned.append((i, child, after))

    families.write()
    numbers = reserve_file_numbers(len(planned)) if planned else []
    for (_i, child, _after), file_no in zip(planned, numbers, strict=True):
        child.file_no = file_no
        child.household = child.household  # the household's id, now that it has one
    # In the order of the blind index: two imports inserting the same ID numbers wait on each
    # other in one order (a duplicate for the later one) instead of deadlocking.
    insert_many(sorted((child for _i, child, _a in planned), key=lambda c: c.id_hash))
    entries = []
    for i, child, after in planned:
        results[i] = child
        entries.append(
            Entry(
                "create",
                "registry.child",
                str(child.pk),
                f"登记儿童档案 {child.file_no}",
                {k: [None, v] for k, v in after.items() if not _blank(v)},
            )
        )
    for i, first in later_twins:
        results[i] = DuplicateChild(results[first])
    return results, entries, [child for _i, child, _a in planned]


# ---------------------------------------------------------------- updating


def children_update_many(
    *,
    actor,
    pairs: Sequence[tuple[Child, ChildInput]],
    batch: str = "",
    expected_versions: Sequence[int | None] | None = None,
) -> list[Result]:
    """Apply each input to its file as ``child_update`` would, in one transaction: returns, for
    each pair in order, the child (fresh, with ``changes``: {field: [before, after]}, {} when
    nothing changed) or the RegistryError that refused it. The given Child objects are
    refreshed as ``child_update`` refreshes them."""
    pairs = list(pairs)
    if not pairs:
        return []
    expected = list(expected_versions) if expected_versions is not None else [None] * len(pairs)
    on = timezone.localdate()
    with transaction.atomic():
        pks = sorted({child.pk for child, _data in pairs})
        current = {
            c.pk: c
            # The school is read by the before/after snapshot; lock only the children's rows
            # (PostgreSQL refuses FOR UPDATE on the nullable side of the school join).
            for c in Child.objects.select_for_update(of=("self",))
            .select_related("household", "school")
            .filter(pk__in=pks)
            .order_by("pk")
        }
        missing = [pk for pk in pks if pk not in current]
        if missing:
            raise Child.DoesNotExist(f"children {missing[:5]} do not exist")
        lookups = _Lookups([d for _c, d in pairs], children=current.values())
        results, entries, changed = _update(actor, pairs, expected, current, lookups, on)
        record_many(actor=actor, entries=entries, batch=batch)
        children_changed(children=changed, actor=actor)
    for (given, _data), result in zip(pairs, results, strict=True):
        if isinstance(result, Child) and given is not result:
            for field in Child._meta.concrete_fields:
                setattr(given, field.attname, getattr(result, field.attname))
    return results


def _update(actor, pairs, expected, current: dict[int, Child], lookups: _Lookups, on: dt.date):
    results: list[Result | None] = [None] * len(pairs)
    checked_of: dict[int, dict] = {}
    for i, (_child, data) in enumerate(pairs):
        try:
            checked_of[i] = lookups.validate(data, on)
        except InvalidChildData as exc:
            checked_of[i] = exc
    hashes = {
        identity.id_columns(c["id_number"])["id_hash"]
        for c in checked_of.values()
        if isinstance(c, dict) and c["id_number"]
    }
    owners: dict[str, Child] = {}
    if hashes:
        # Mostly the batch's own children (read and locked above): only the others are read whole.
        found = dict(Child.objects.filter(id_hash__in=sorted(hashes)).values_list("id_hash", "pk"))
        others = Child.objects.in_bulk([pk for pk in found.values() if pk not in current])
        for id_hash, pk in found.items():
            owner = current.get(pk) or others.get(pk)
            if owner is not None:
                owners[id_hash] = owner
    for c in current.values():
        if c.id_hash:
            owners.setdefault(c.id_hash, c)

    families = _Families()
    families.adopt(c.household for c in current.values())
    phones, ids = _guardian_hashes(c for c in checked_of.values() if isinstance(c, dict))
    families.load(
        household_ids={c.household_id for c in current.values()},
        phone_hashes=phones,
        id_hashes=ids,
        # Guardians only change through an input that names them (department feeds name none):
        # without any, the before and after snapshots list the same guardians, which the diff
        # drops, and reading (and decrypting) them would be wasted.
        guardians=any(data.guardians for _child, data in pairs),
    )
    for c in current.values():
        c.household = families.households[families.keys[c.household_id]]

    now = timezone.now()
    writes: dict[int, tuple[Child, set[str]]] = {}
    census_moves: dict[int, int | None] = {}
    entries: list[Entry] = []
    changed_children: list[Child] = []
    closes: dict[int, dict] = {}  # child id -> the closing its update brought
    closing_changes: dict[int, dict] = {}  # child id -> its audit row's changes
    for i, (child, data) in enumerate(pairs):
        row = current[child.pk]
        if expected[i] is not None and int(expected[i]) != row.version:
            results[i] = ConcurrentEdit()
            continue
        checked = checked_of[i]
        if isinstance(checked, InvalidChildData):
            results[i] = checked
            continue
        if checked["township"].pk != row.township_id:
            results[i] = InvalidChildData(
                {"township_id": "变更居住乡镇请使用“转移”功能，由转入乡镇的督导员接收"}
            )
            continue
        new_hash = identity.id_columns(checked["id_number"])["id_hash"] if checked["id_number"] else ""
        owner = owners.get(new_hash) if new_hash else None
        if owner is not None and owner.pk != row.pk:
            results[i] = DuplicateChild(owner)
            continue
        key = families.key_of(row.household)
        before = snapshot(row, units=lookups.unit_names, guardians=families.guardians(key))
        fields, close, bump = update_fields(row, data, checked, on, fields=lookups.fields(data, checked))
        old_village, old_hash = row.village_id, row.id_hash
        write = writes.setdefault(row.pk, (row, set()))[1]
        for name, value in fields.items():
            # Only the columns whose value changes are written (an unchanged ID number is not
            # encrypted again; a feed's school change writes the school's columns).
            if getattr(row, name) != value:
                setattr(row, name, value)
                write.add(name)
        # The closing is written by registry.closing after the batch; the row shows it now,
        # for a later item of the same child.
        for name, value in close.items():
            setattr(row, name, value)
        row.version += bump
        row.updated_at = now
        write.update(("version", "updated_at"))
        if old_hash != row.id_hash:
            if owners.get(old_hash) is row:
                del owners[old_hash]
            if row.id_hash:
                owners[row.id_hash] = row
        if data.guardians:
            families.sync(key, checked["guardians"], remove_missing=True)
        if fields["village_id"] != old_village and row.closed_at is None:
            # A closed file's tasks are settled (as child_update closes before it moves them).
            census_moves[row.pk] = fields["village_id"]
        if data.address and row.household.address != data.address:
            families.set_address(key, data.address)
        after = snapshot(row, units=lookups.unit_names, guardians=families.guardians(key))
        changes = changes_between(before, after)
        row.changes = {}
        results[i] = row
        if not changes and not close:
            continue
        if not bump:
            # Only the guardians changed.
            row.version += 1
        if close:
            closes[row.pk] = close
            closing_changes[row.pk] = changes
        row.changes = changes
        entries.append(
            Entry(
                "close" if close else "update",
                "registry.child",
                str(row.pk),
                f"修改儿童档案 {row.file_no}" + ("，档案因认定条件变化而关闭" if close else ""),
                changes,
            )
        )
        changed_children.append(row)

    families.write()
    _write_children(writes.values())
    by_village: dict[int | None, list[int]] = defaultdict(list)
    for pk, village_id in census_moves.items():
        by_village[village_id].append(pk)
    for village_id, child_ids in by_village.items():
        CensusTask.objects.filter(child_id__in=child_ids, status=CensusTask.Status.PENDING).update(
            village_id=village_id
        )
    for pk, consequences in close_update(actor, closes, on).items():
        closing_changes[pk].update(consequences)
    return results, entries, changed_children


def _write_children(writes: Iterable[tuple[Child, set[str]]]) -> None:
    """The children's changed columns, one ``update_many`` per set of columns (the rows are locked)."""
    groups: dict[tuple[str, ...], list[Child]] = defaultdict(list)
    for child, names in writes:
        groups[tuple(sorted(names))].append(child)
    for names, children in groups.items():
        update_many(children, names)
