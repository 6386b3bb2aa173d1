"""Candidate selection: which registry records a row is compared with.

Blocking keys (strings, so that a database-backed blocker can store them in an
indexed column): the exact ID number; for an invalid number, every valid number one
changed digit or one swap of adjacent digits away (``idnumber.one_edit_neighbours``:
the true number is among them, whatever digit the typo hit); the ID number without
its last four characters and without its first six (a typo on either side still meets);
the guardian's phone; (surname pinyin, birth year-month); (birth date, given
name pinyin) for a mistyped surname; (full pinyin, birth year) for a mistyped
birth date.

The in-memory index keeps, for a million records, one prepared tuple per record
and one sorted array of 64-bit integers: 40 bits of key hash, 24 bits of record
number.  A hash collision only adds a candidate; it never loses one.
"""

from __future__ import annotations

import hashlib
import heapq
from array import array
from bisect import bisect_left
from collections.abc import Iterable

from common import idnumber

from .compare import Person, Prepared, prepare

_ROW_BITS = 24
MAX_RECORDS = 1 << _ROW_BITS
_ROW_MASK = MAX_RECORDS - 1


def blocking_keys(record: Person | Prepared) -> list[str]:
    p = record if isinstance(record, Prepared) else prepare(record)
    keys = []
    if p.id_number:
        keys.append("id:" + p.id_number)
        if not p.id_valid:
            keys.extend("id:" + n.number for n in idnumber.one_edit_neighbours(p.id_number))
        if len(p.id_number) == 18:
            keys.append("idh:" + p.id_number[:14])
            keys.append("idt:" + p.id_number[6:])
    if p.phone:
        keys.append("tel:" + p.phone)
    if p.pinyin and p.birth:
        surname = "".join(p.pinyin[: p.surname_len])
        given = "".join(p.pinyin[p.surname_len :])
        keys.append(f"sym:{surname}:{p.birth // 100}")
        if given:
            keys.append(f"bg:{p.birth}:{given}")
        keys.append(f"ny:{surname}{given}:{p.birth // 10000}")
    return keys


def _hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=5).digest(), "big")


class Index:
    """Registry records with their blocking keys, for ``candidates(row)``."""

    def __init__(self, records: list[Prepared], entries: array):
        self.records = records
        self._entries = entries

    @classmethod
    def build(cls, records: Iterable[Person | Prepared]) -> Index:
        prepared: list[Prepared] = []
        # One sorted run per key kind keeps the temporary lists small; they are merged at the end.
        runs: dict[str, array] = {}
        for p in records:
            p = p if isinstance(p, Prepared) else prepare(p)
            row = len(prepared)
            if row >= MAX_RECORDS:
                raise ValueError(f"the in-memory index holds at most {MAX_RECORDS} records")
            prepared.append(p)
            for key in blocking_keys(p):
                kind = key.split(":", 1)[0]
                runs.setdefault(kind, array("Q")).append((_hash(key) << _ROW_BITS) | row)
        sorted_runs = []
        for kind in list(runs):
            values = runs.pop(kind)
            sorted_runs.append(array("Q", sorted(values)))
            del values
        entries = array("Q", heapq.merge(*sorted_runs))
        return cls(prepared, entries)

    def __len__(self) -> int:
        return len(self.records)

    def rows_for_key(self, key: str) -> list[int]:
        h = _hash(key) << _ROW_BITS
        entries = self._entries
        i = bisect_left(entries, h)
        rows = []
        while i < len(entries) and entries[i] >> _ROW_BITS == h >> _ROW_BITS:
            rows.append(entries[i] & _ROW_MASK)
            i += 1
        return rows

    def candidates(self, row: Person | Prepared) -> list[Prepared]:
        found: dict[int, None] = {}
        for key in blocking_keys(row):
            for r in self.rows_for_key(key):
                found[r] = None
        return [self.records[r] for r in found]
