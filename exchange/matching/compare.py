"""Records and field comparisons with discrete levels.

A record is prepared once (normalised, pinyin computed, ID validated) into a
compact tuple; comparisons then work on prepared records only, so that a
registry of a million children can be held and compared in memory.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from common import idnumber, names


@dataclass(frozen=True, slots=True)
class Person:
    """One child as a feed row or a registry record; all but ``key`` and ``name`` may be missing."""

    key: str
    name: str
    birth_date: dt.date | None
    sex: str | None  # "M" / "F"
    id_number: str | None = None
    hukou_county: str | None = None
    guardian_name: str | None = None
    guardian_phone: str | None = None
    address: str | None = None


class Prepared(NamedTuple):
    key: str
    name: str  # normalised
    pinyin: tuple[str, ...]
    surname_len: int
    birth: int  # yyyymmdd, 0 when missing
    sex: str  # "M" / "F" / ""
    id_number: str  # normalised, "" when missing
    id_valid: bool
    county: str
    guardian_pinyin: tuple[str, ...]  # the guardian's name by sound: same pinyin counts as agreeing
    phone: str
    address: str


_NON_DIGITS = re.compile(r"\D+")
_ADDRESS_NOISE = re.compile(r"[\s,，.。·\-_#()（）]+")
_SEX = {"M": "M", "F": "F", "男": "M", "女": "F", "1": "M", "2": "F", "m": "M", "f": "F"}


def _intern_key(key: tuple[str, ...]) -> tuple[str, ...]:
    # A few hundred syllables are shared by a million records.
    return tuple(sys.intern(s) for s in key)


def normalise_phone(phone: str | None) -> str:
    if not phone:
        return ""
    digits = _NON_DIGITS.sub("", unicodedata.normalize("NFKC", phone))
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def normalise_address(address: str | None) -> str:
    if not address:
        return ""
    return _ADDRESS_NOISE.sub("", unicodedata.normalize("NFKC", address))


def prepare(person: Person) -> Prepared:
    name = names.normalise(person.name)
    guardian = names.normalise(person.guardian_name)
    number = idnumber.normalise(person.id_number) if person.id_number else ""
    birth = person.birth_date
    return Prepared(
        key=person.key,
        name=name,
        pinyin=_intern_key(names.pinyin_key(name)) if name else (),
        surname_len=names.surname_count(name) if name else 0,
        birth=birth.year * 10000 + birth.month * 100 + birth.day if birth else 0,
        sex=_SEX.get((person.sex or "").strip(), ""),
        id_number=number,
        id_valid=idnumber.is_valid(number) if number else False,
        county=sys.intern(person.hukou_county or ""),
        guardian_pinyin=_intern_key(names.pinyin_key(guardian)) if guardian else (),
        phone=normalise_phone(person.guardian_phone),
        address=normalise_address(person.address),
    )


# --- levels -----------------------------------------------------------------

AGREE, DISAGREE, MISSING = "agree", "disagree", "missing"
BIRTH_LEVELS = ("exact", "near", "far", MISSING)
SEX_LEVELS = (AGREE, DISAGREE, MISSING)
ID_LEVELS = ("exact", "typo", "far", MISSING)
COUNTY_LEVELS = (AGREE, DISAGREE, MISSING)
# One household comparison over guardian name (g), guardian phone (p) and address (a).
HOUSEHOLD_LEVELS = ("all", "phone_plus", "guardian_address", "phone", "guardian", "address", "none", MISSING)
HOUSEHOLD_AGREEING = frozenset(HOUSEHOLD_LEVELS[:6])

FIELDS = ("name", "birth", "sex", "id", "county", "household")
LEVELS = {
    "name": names.NAME_LEVELS,
    "birth": BIRTH_LEVELS,
    "sex": SEX_LEVELS,
    "id": ID_LEVELS,
    "county": COUNTY_LEVELS,
    "household": HOUSEHOLD_LEVELS,
}


def compare_name(a: Prepared, b: Prepared) -> str:
    return names.similarity_from_keys(a.name, a.pinyin, b.name, b.pinyin, a.surname_len, b.surname_len)


def compare_birth(a: int, b: int) -> str:
    if not a or not b:
        return MISSING
    if a == b:
        return "exact"
    ay, am, ad = a // 10000, a // 100 % 100, a % 100
    by, bm, bd = b // 10000, b // 100 % 100, b % 100
    if ay == by and am == bd and ad == bm:
        return "near"  # day and month swapped
    if (ay == by) + (am == bm) + (ad == bd) == 2:
        return "near"  # one component off
    return "far"


def compare_sex(a: str, b: str) -> str:
    if not a or not b:
        return MISSING
    return AGREE if a == b else DISAGREE


def within_one_edit(a: str, b: str) -> bool:
    """Damerau distance at most 1 (one substitution, insertion, deletion or adjacent transposition)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if abs(la - lb) != 1:
        return False
    longer, shorter = (a, b) if la > lb else (b, a)
    i = 0
    while i < len(shorter) and shorter[i] == longer[i]:
        i += 1
    return shorter[i:] == longer[i + 1 :]


def compare_id(a: Prepared, b: Prepared) -> str:
    if not a.id_number or not b.id_number:
        return MISSING
    if a.id_number == b.id_number:
        return "exact"
    if within_one_edit(a.id_number, b.id_number):
        return "typo"
    return "far"


def ids_conflict(a: Prepared, b: Prepared) -> bool:
    """Two well-formed numbers that differ by more than a typo: different people (twins too)."""
    return (
        a.id_valid
        and b.id_valid
        and a.id_number != b.id_number
        and not within_one_edit(a.id_number, b.id_number)
    )


def id_typo_positions(row: Prepared, cand: Prepared) -> tuple[int, ...] | None:
    """Where the row's invalid number differs from the candidate's valid one, when one changed
    character or two adjacent ones swapped make it right (``idnumber.one_edit_neighbours``);
    None otherwise."""
    if row.id_valid or not row.id_number or not cand.id_valid:
        return None
    return idnumber.one_edit_positions(row.id_number, cand.id_number)


def id_birth(number: str) -> int:
    """The birth date inside an 18-digit number as yyyymmdd (0 when it has none)."""
    digits = number[6:14]
    return int(digits) if len(number) == 18 and digits.isdigit() else 0


def phones_conflict(a: Prepared, b: Prepared) -> bool:
    """Both records carry a guardian phone and the phones differ."""
    return bool(a.phone and b.phone) and a.phone != b.phone


def compare_county(a: str, b: str) -> str:
    if not a or not b:
        return MISSING
    return AGREE if a == b else DISAGREE


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def addresses_agree(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < 4:
        return False
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y) >= 0.6


def compare_household(a: Prepared, b: Prepared) -> str:
    if not (a.guardian_pinyin or a.phone or a.address) or not (b.guardian_pinyin or b.phone or b.address):
        return MISSING
    g = bool(a.guardian_pinyin) and a.guardian_pinyin == b.guardian_pinyin
    p = bool(a.phone and b.phone) and a.phone == b.phone
    ad = bool(a.address and b.address) and addresses_agree(a.address, b.address)
    if p:
        if g and ad:
            return "all"
        return "phone_plus" if g or ad else "phone"
    if g:
        return "guardian_address" if ad else "guardian"
    return "address" if ad else "none"


def compare(a: Prepared, b: Prepared) -> tuple[str, str, str, str, str, str]:
    """The levels of all fields, in the order of ``FIELDS``."""
    return (
        compare_name(a, b),
        compare_birth(a.birth, b.birth),
        compare_sex(a.sex, b.sex),
        compare_id(a, b),
        compare_county(a.county, b.county),
        compare_household(a, b),
    )
