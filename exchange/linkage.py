"""Candidates from the registry for a chunk of feed rows, decided by the linkage engine.

The registry is never loaded whole: for each chunk of rows a few chunked ``IN``
queries collect the candidates —

* the exact ID number through the blind index (``Child.id_hash``);
* for an invalid ID number, the valid numbers one changed digit or one swap of adjacent
  digits away (``idnumber.one_edit_neighbours``, some fifteen a row) through the same
  blind index, all of a chunk's rows in one ``IN`` query: the true number is among them,
  so a mistyped number finds its child even in a feed without a birth-date column;
* the name's pinyin (``Child.name_pinyin``: homophones share it) within a year of the
  row's birth date;
* the guardian's phone through its blind index (``Guardian.phone_hash``), which brings
  the whole household (twins and siblings are the hard cases the engine must see);
* for rows still without a candidate, the birth date, kept only when the surname or the
  given name sounds the same (a mistyped surname or given name).

A row without a birth date and without a valid ID number is looked up by its number's
neighbours only (nothing else of it could confirm a child). The name's pinyin block holds
every child of the row's exact name, so the engine can count the children with the
row's exact name and birth date (its rule for rows without an ID number).

Only the candidates' ID numbers are decrypted. The engine (``exchange.matching``)
then decides linked / review / new / rejected with per-field contributions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from common import idnumber, names
from exchange.matching import (
    LINKED,
    NEW,
    REJECTED,
    REVIEW,
    Decision,
    Matcher,
    Person,
    Prepared,
    number_only,
    prepare,
)
from exchange.matching.compare import normalise_address, normalise_phone
from exchange.rows import ParsedRow, id_valid


def fast_prepare(
    person: Person,
    *,
    valid: bool | None = None,
    name_key: tuple | None = None,
    guardian_key: tuple | None = None,
) -> Prepared:
    """``prepare`` without recomputing what is already known (pinyin is the slow part, then the
    GB/T 2260 lookup): the name's pinyin from the registry's stored ``name_pinyin``, an ID number
    already validated, and the guardian's pinyin only where a homophone could matter (see
    ``_guardian_keys``). Falls back to the engine's own ``prepare`` if its record shape changes."""
    number = idnumber.normalise(person.id_number) if person.id_number else ""
    name = names.normalise(person.name)
    if name_key is None:
        name_key = names.pinyin_key(name) if name else ()
    if guardian_key is None:
        guardian = names.normalise(person.guardian_name)
        guardian_key = names.pinyin_key(guardian) if guardian else ()
    birth = person.birth_date
    if number:
        valid = valid if valid is not None else id_valid(number)
    try:
        return Prepared(
            key=person.key,
            name=name,
            pinyin=name_key,
            surname_len=names.surname_count(name) if name else 0,
            birth=birth.year * 10000 + birth.month * 100 + birth.day if birth else 0,
            sex=person.sex or "",
            id_number=number,
            id_valid=bool(number) and bool(valid),
            county=person.hukou_county or "",
            guardian_pinyin=guardian_key,
            phone=normalise_phone(person.guardian_phone),
            address=normalise_address(person.address),
        )
    except TypeError:
        return prepare(person)


@lru_cache(maxsize=20_000)
def _char_sound(ch: str) -> str:
    return names.pinyin_key(ch)[0] if names.pinyin_key(ch) else ch


def _may_sound_alike(a: str, b: str) -> bool:
    """Different names of the same length whose characters read alike one by one: only these
    can have the same pinyin, so only these need the (slow) full reading."""
    return (
        bool(a)
        and a != b
        and len(a) == len(b)
        and all(x == y or _char_sound(x) == _char_sound(y) for x, y in zip(a, b, strict=True))
    )


def _guardian_keys(row_guardian: str, candidate_guardians: list[str]) -> tuple[tuple, list[tuple]]:
    """Guardian "pinyin" for the row and its candidates, computing real pinyin only when two
    different names of the same length could sound the same. The engine uses the guardian's
    pinyin only for presence and equality, so a distinct token stands in for the others."""
    need_real = bool(row_guardian) and any(_may_sound_alike(g, row_guardian) for g in candidate_guardians)
    if not row_guardian:
        row_key: tuple = ()
    else:
        row_key = names.pinyin_key(row_guardian) if need_real else ("#" + row_guardian,)
    keys = []
    for g in candidate_guardians:
        if not g:
            keys.append(())
        elif g == row_guardian:
            keys.append(row_key)
        elif row_guardian and _may_sound_alike(g, row_guardian):
            keys.append(names.pinyin_key(g))
        else:
            keys.append(("#" + g,))
    return row_key, keys


IN_CHUNK = 500
#: Blind-index values of one-edit neighbours per query: a chunk of 1,000 feed rows (some fifteen
#: neighbours each) in one query, within SQLite's 32,766 parameters.
NEIGHBOUR_IN_CHUNK = 16_000


def _chunks(items: Sequence, size: int = IN_CHUNK) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass
class Candidate:
    child_id: int
    name: str
    birth_date: dt.date | None
    sex: str
    id_number: str
    hukou_county: str
    address: str
    household_id: int
    township_id: int | None
    guardians: list[tuple[str, str]]  # (name, phone key)
    pinyin: str = ""  # the registry's stored name pinyin

    def person(self, row: Person) -> Person:
        """This child as the engine sees it, with the guardian that best fits the row."""
        guardian_name, phone = self.guardians[0] if self.guardians else ("", "")
        if len(self.guardians) > 1 and (row.guardian_name or row.guardian_phone):
            for g_name, g_phone in self.guardians:
                if (row.guardian_name and g_name == row.guardian_name) or (
                    row.guardian_phone and g_phone == row.guardian_phone
                ):
                    guardian_name, phone = g_name, g_phone
                    break
        return Person(
            key=str(self.child_id),
            name=self.name,
            birth_date=self.birth_date,
            sex={"男": "M", "女": "F"}.get(self.sex),
            id_number=self.id_number or None,
            hukou_county=self.hukou_county or None,
            guardian_name=guardian_name or None,
            guardian_phone=phone or None,
            address=self.address or None,
        )


@dataclass
class Link:
    decision: Decision
    candidates: dict[int, Candidate]  # the candidates compared, by child id
    ranked: list[tuple[int, float, list]]  # (child id, score, contributions) best first, for reviewers


class RegistryLinker:
    def __init__(self, matcher: Matcher | None = None):
        self.matcher = matcher or Matcher()

    # ------------------------------------------------------------- candidate ids

    def _by_id_hash(self, rows: list[ParsedRow]) -> dict[str, int]:
        from registry.models import Child

        hashes = sorted({r.id_hash for r in rows if r.id_hash})
        found: dict[str, int] = {}
        for chunk in _chunks(hashes):
            found.update(Child.objects.filter(id_hash__in=chunk).values_list("id_hash", "pk"))
        return found

    def _by_neighbours(self, rows: list[ParsedRow]) -> dict[int, set[int]]:
        """Row number -> the children whose valid number is one edit from the row's invalid one,
        looked up by blind index, the whole chunk's neighbours in as few queries as fit."""
        from registry import identity
        from registry.models import Child

        rows_of: dict[str, list[int]] = defaultdict(list)
        for r in rows:
            for n in r.neighbours:
                rows_of[identity.id_hash(n.number)].append(r.number)
        found: dict[int, set[int]] = defaultdict(set)
        for chunk in _chunks(sorted(rows_of), NEIGHBOUR_IN_CHUNK):
            for h, pk in Child.objects.filter(id_hash__in=chunk).values_list("id_hash", "pk"):
                for number in rows_of[h]:
                    found[number].add(pk)
        return found

    def _by_pinyin(self, rows: list[ParsedRow]) -> dict[str, list[tuple[int, dt.date]]]:
        from registry.models import Child

        keys = sorted({" ".join(names.pinyin_key(r.person.name)) for r in rows if r.person})
        found: dict[str, list[tuple[int, dt.date]]] = defaultdict(list)
        for chunk in _chunks(keys):
            for pk, pinyin, birth in Child.objects.filter(name_pinyin__in=chunk).values_list(
                "pk", "name_pinyin", "birth_date"
            ):
                found[pinyin].append((pk, birth))
        return found

    def _by_phone(self, rows: list[ParsedRow]) -> dict[str, list[int]]:
        from registry import identity
        from registry.models import Child, Guardian

        phones = sorted({r.phone for r in rows if r.phone and r.person})
        by_hash = {identity.phone_hash(p): p for p in phones}
        households: dict[int, set[str]] = defaultdict(set)
        for chunk in _chunks(sorted(by_hash)):
            for household_id, h in Guardian.objects.filter(phone_hash__in=chunk).values_list(
                "household_id", "phone_hash"
            ):
                households[household_id].add(by_hash[h])
        found: dict[str, list[int]] = defaultdict(list)
        for chunk in _chunks(sorted(households)):
            for pk, household_id in Child.objects.filter(household_id__in=chunk).values_list(
                "pk", "household_id"
            ):
                for phone in households[household_id]:
                    found[phone].append(pk)
        return found

    def _by_birth(self, rows: list[ParsedRow]) -> dict[dt.date, list[tuple[int, str]]]:
        from registry.models import Child

        dates = sorted({r.person.birth_date for r in rows if r.person and r.person.birth_date})
        found: dict[dt.date, list[tuple[int, str]]] = defaultdict(list)
        for chunk in _chunks(dates, 200):
            for pk, birth, pinyin in Child.objects.filter(birth_date__in=chunk).values_list(
                "pk", "birth_date", "name_pinyin"
            ):
                found[birth].append((pk, pinyin))
        return found

    # ------------------------------------------------------------- details

    def _details(self, ids: set[int]) -> dict[int, Candidate]:
        from registry.models import Child, Guardian

        result: dict[int, Candidate] = {}
        for chunk in _chunks(sorted(ids)):
            rows = Child.objects.filter(pk__in=chunk).values_list(
                "pk", "name", "birth_date", "sex", "id_number", "hukou_county_id", "address",
                "household_id", "household__address", "township_id", "name_pinyin",
            )  # fmt: skip
            for pk, name, birth, sex, number, county, address, household, h_address, township, pinyin in rows:
                result[pk] = Candidate(
                    pk, name, birth, sex, number or "", county or "", address or h_address or "",
                    household, township, [], pinyin or "",
                )  # fmt: skip
        by_household: dict[int, list[Candidate]] = defaultdict(list)
        for c in result.values():
            by_household[c.household_id].append(c)
        for chunk in _chunks(sorted(by_household)):
            guardians = (
                Guardian.objects.filter(household_id__in=chunk)
                .order_by("household_id", "-is_primary", "id")
                .values_list("household_id", "name", "phone_hash")
            )
            for household_id, g_name, g_hash in guardians:
                key = str(int(g_hash[:15], 16)) if g_hash else ""
                for c in by_household[household_id]:
                    c.guardians.append((g_name, key))
        return result

    # ------------------------------------------------------------- linking

    def link(self, rows: list[ParsedRow]) -> list[Link | None]:
        """One Link per row (None for rows rejected before matching)."""
        live = [r for r in rows if r.person is not None]
        exact = self._by_id_hash(live)
        wanted: dict[int, set[int]] = defaultdict(set)  # row number -> candidate ids
        for number, ids in self._by_neighbours([r for r in live if r.neighbours]).items():
            wanted[number].update(ids)
        rest = [
            r
            for r in live
            if r.id_hash not in exact
            and not number_only(has_birth=r.person.birth_date is not None, id_valid=r.id_valid)
        ]
        for r in live:
            if r.id_hash in exact:
                wanted[r.number].add(exact[r.id_hash])
        if rest:
            pinyin = self._by_pinyin(rest)
            phones = self._by_phone(rest)
            for r in rest:
                key = " ".join(names.pinyin_key(r.person.name))
                birth = r.person.birth_date
                for pk, cand_birth in pinyin.get(key, ()):
                    if birth is None or abs(cand_birth.year - birth.year) <= 1:
                        wanted[r.number].add(pk)
                if r.phone:
                    wanted[r.number].update(phones.get(r.phone, ()))
            # Rows with a valid ID of their own and no candidate so far are new children in all
            # but rare cases; the birth-date block is for rows without a usable ID number.
            lonely = [r for r in rest if not wanted[r.number] and r.person.birth_date and not r.id_valid]
            if lonely:
                by_birth = self._by_birth(lonely)
                for r in lonely:
                    key = names.pinyin_key(r.person.name)
                    n = names.surname_count(r.person.name)
                    surname, given = " ".join(key[:n]), " ".join(key[n:])
                    for pk, pinyin in by_birth.get(r.person.birth_date, ()):
                        if not pinyin:
                            continue
                        if pinyin.startswith(surname + " ") or (given and pinyin.endswith(" " + given)):
                            wanted[r.number].add(pk)
        all_ids = set().union(*wanted.values()) if wanted else set()
        details = self._details(all_ids)
        results: list[Link | None] = []
        for r in rows:
            if r.person is None:
                results.append(None)
                continue
            cands = {pk: details[pk] for pk in wanted.get(r.number, ()) if pk in details}
            results.append(self.decide(r, cands))
        return results

    def decide(self, row: ParsedRow, cands: dict[int, Candidate]) -> Link:
        person = row.person
        name = names.normalise(person.name)
        name_key = next(
            (tuple(c.pinyin.split(" ")) for c in cands.values() if c.pinyin and c.name == name), None
        )
        cand_people = [c.person(person) for c in cands.values()]
        row_guardian = names.normalise(person.guardian_name)
        row_gkey, cand_gkeys = _guardian_keys(
            row_guardian, [names.normalise(p.guardian_name) for p in cand_people]
        )
        prepared = fast_prepare(person, valid=row.id_valid, name_key=name_key, guardian_key=row_gkey)
        people = [
            # The registry's numbers were validated when they were written (registry.services).
            fast_prepare(
                p,
                name_key=tuple(c.pinyin.split(" ")) if c.pinyin else None,
                guardian_key=g,
                valid=len(c.id_number) == 18,
            )  # fmt: skip
            for p, c, g in zip(cand_people, cands.values(), cand_gkeys, strict=True)
        ]
        decision = self.matcher.decide(prepared, self.matcher.rank(prepared, people))
        ranked = []
        if decision.outcome == REVIEW:
            ranked = self._ranked(prepared, people, first=decision.review_keys)
        return Link(decision=decision, candidates=cands, ranked=ranked)

    def _ranked(self, prepared, people, *, first: tuple[str, ...] = ()) -> list[tuple[int, float, list]]:
        """The candidates a reviewer sees, best first: those the decision names (``first``: the
        children one edit from an invalid number, say) ahead of the others."""
        from exchange.matching.compare import FIELDS, ids_conflict

        weights = self.matcher.params.weights()
        scored = []
        for p in people:
            if ids_conflict(prepared, p):
                continue
            score, levels = self.matcher.score(prepared, p)
            contributions = [
                (f, lv, round(w[lv], 3)) for f, lv, w in zip(FIELDS, levels, weights, strict=True)
            ]
            scored.append((int(p.key), round(score, 3), contributions))
        named = {int(k) for k in first}
        scored.sort(key=lambda t: (t[0] not in named, -t[1]))
        return scored[: max(5, len(named))]


__all__ = ["LINKED", "NEW", "REJECTED", "REVIEW", "Candidate", "Link", "RegistryLinker"]
