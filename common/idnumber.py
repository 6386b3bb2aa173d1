"""Resident identity numbers (GB 11643-1999): normalisation, validation, generation.

The 18-digit number: 6-digit address code (the county where the number was
first issued, GB/T 2260 including historical codes), 8-digit birth date,
3-digit sequence (odd = male), ISO 7064 MOD 11-2 check character.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from stdnum import numdb

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SPACES = re.compile(r"[\s\u3000\-_]+")


class InvalidIdNumber(ValueError):
    """An ID number failed validation; ``str(exc)`` is a Chinese message for users."""


@dataclass(frozen=True)
class IdFacts:
    number: str
    county_code: str
    birth_date: dt.date
    sex: str  # "M" or "F"


def normalise(value: object) -> str:
    """Full-width digits to ASCII, lower-case x to X, spaces and dashes removed."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = _SPACES.sub("", text).upper()
    # Excel turns long numbers into floats: "4.20881201503042e+17" cannot be repaired.
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def county_known(code: str) -> bool:
    """Whether a 6-digit code is a county-level code in GB/T 2260 (historical codes included)."""
    return county_info(code) is not None


@lru_cache(maxsize=8192)
def county_info(code: str) -> dict[str, str] | None:
    """Province and county names (all historical names, comma-separated) for a code, or None.

    The address code is where the number was first issued, which may be a
    county that has since been renamed or merged; any code ever valid counts.
    """
    if len(code) != 6 or not code.isdigit() or code.endswith("0000"):
        return None
    # Cached: the table look-up is slow and imports check the same few hundred counties.
    info = {k: v for _part, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    if "county" not in info:
        return None
    return info


def parse(value: object) -> IdFacts:
    """Validate an ID number and return what it says. Raises InvalidIdNumber."""
    number = normalise(value)
    if not number:
        raise InvalidIdNumber("身份证号为空")
    if "E+" in number or "E-" in number:
        raise InvalidIdNumber("身份证号被 Excel 存成了科学计数法，请将该列设为文本格式后重新填写")
    if len(number) != 18:
        raise InvalidIdNumber(f"身份证号应为18位，实际为{len(number)}位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdNumber("身份证号只能包含数字，最后一位可以是X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber(f"身份证号中的出生日期 {number[6:14]} 不存在") from None
    if birth.year < 1900 or birth > dt.date.today():
        raise InvalidIdNumber(f"身份证号中的出生日期 {birth.isoformat()} 不合理")
    expected = check_char(number[:17])
    if number[17] != expected:
        raise InvalidIdNumber("身份证号校验位错误，请核对是否抄错了某一位数字")
    if not county_known(number[:6]):
        raise InvalidIdNumber(f"身份证号前6位 {number[:6]} 不是已知的县级行政区划代码")
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IdFacts(number=number, county_code=number[:6], birth_date=birth, sex=sex)


def is_valid(value: object) -> bool:
    try:
        parse(value)
    except InvalidIdNumber:
        return False
    return True


def make(county_code: str, birth_date: dt.date, sequence: int) -> str:
    """Build a valid number; ``sequence`` 0-999, odd for male."""
    first17 = f"{county_code}{birth_date:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_char(first17)


# ---------------------------------------------------------------- one edit away
#
# A number copied by hand has most often one digit wrong or two neighbouring digits swapped.
# MOD 11-2 catches every such slip in the first 17 characters (each weight is non-zero and
# differs from its neighbour's, modulo the prime 11), so a mistyped number fails its check;
# the numbers one such edit away that pass it are few (at most one per position and one per
# swap) and the true number is always among them.


@dataclass(frozen=True)
class Neighbour:
    """A well-formed number one edit away from a typed one."""

    number: str
    positions: tuple[int, ...]  # 0-based: one changed character, or two adjacent swapped

    def explain_zh(self) -> str:
        """Which character of the typed number was wrong, in the words of a reason."""
        if len(self.positions) == 1:
            return f"第{self.positions[0] + 1}位有误"
        first, second = self.positions
        return f"第{first + 1}、{second + 1}位颠倒"


_INVERSE_MOD_11 = {w: pow(w, -1, 11) for w in range(1, 11)}


def _plausible_birth(number: str, today: dt.date | None = None) -> bool:
    """The birth date inside a well-formed number is a real day, not before 1900 nor after today."""
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return 1900 <= birth.year and birth <= (today or dt.date.today())


def passes_check(number: str) -> bool:
    """18 characters, digits with a final digit or X, whose check character is right."""
    return (
        len(number) == 18
        and number[:17].isdigit()
        and number[:17].isascii()
        and number[17] in CHECK_CHARS
        and check_char(number[:17]) == number[17]
    )


def one_edit_positions(typed: str, other: str) -> tuple[int, ...] | None:
    """The positions where ``other`` differs from ``typed`` if it is one changed character or
    two adjacent characters swapped (same length); None otherwise (equal numbers included)."""
    if len(typed) != len(other) or typed == other:
        return None
    diff = [i for i in range(len(typed)) if typed[i] != other[i]]
    if len(diff) == 1:
        return (diff[0],)
    if (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and typed[diff[0]] == other[diff[1]]
        and typed[diff[1]] == other[diff[0]]
    ):
        return (diff[0], diff[1])
    return None


def _brute_force_neighbours(number: str) -> list[Neighbour]:
    found: dict[str, Neighbour] = {}
    for i in range(18):
        for ch in CHECK_CHARS if i == 17 else "0123456789":
            if ch != number[i]:
                found.setdefault(number[:i] + ch + number[i + 1 :], Neighbour("", (i,)))
    for i in range(17):
        if number[i] != number[i + 1]:
            swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
            found.setdefault(swapped, Neighbour("", (i, i + 1)))
    today = dt.date.today()
    return [
        Neighbour(candidate, n.positions)
        for candidate, n in found.items()
        if passes_check(candidate) and _plausible_birth(candidate, today)
    ]


def one_edit_neighbours(value: object) -> list[Neighbour]:
    """The numbers one changed character or one swap of adjacent characters away from ``value``
    that pass the check character and carry a real birth date (the county is left to the
    look-up: a number that was never issued finds nobody). Empty unless ``value`` has 18
    characters. Worked out from the weighted sum, not by trying every edit, so that a feed of
    100,000 rows costs little; a number with a stray non-digit is tried edit by edit."""
    number = normalise(value)
    if len(number) != 18:
        return []
    digits, last = number[:17], number[17]
    if not (digits.isdigit() and digits.isascii() and last in CHECK_CHARS):
        return _brute_force_neighbours(number)
    d = [int(c) for c in digits]
    total = sum(x * w for x, w in zip(d, WEIGHTS, strict=True))
    target = CHECK_CHARS.index(last)  # the check passes when total % 11 == target
    gap = (target - total) % 11
    found: list[Neighbour] = []
    if gap:
        for i, w in enumerate(WEIGHTS):
            step = gap * _INVERSE_MOD_11[w] % 11  # the change of digit i that closes the gap, mod 11
            for new in (d[i] + step, d[i] + step - 11):
                if 0 <= new <= 9:
                    found.append(Neighbour(number[:i] + str(new) + number[i + 1 :], (i,)))
        right = check_char(digits)
        found.append(Neighbour(digits + right, (17,)))
        for i in range(16):
            if d[i] != d[i + 1] and (d[i + 1] - d[i]) * (WEIGHTS[i] - WEIGHTS[i + 1]) % 11 == gap:
                found.append(Neighbour(number[:i] + number[i + 1] + number[i] + number[i + 2 :], (i, i + 1)))
    if last.isdigit() and last != number[16]:
        swapped = number[:16] + last + number[16]
        if check_char(swapped[:17]) == swapped[17]:
            found.append(Neighbour(swapped, (16, 17)))
    today = dt.date.today()
    return [n for n in found if _plausible_birth(n.number, today)]


def mask(number: str) -> str:
    """420881********2098: the issuing county and the last four stay readable."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """138****5678."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


# An ID number (or any longer run of digits: a mistyped one), a mobile, a landline. The
# longest alternative comes first so that 18 digits are never masked as 15 and a tail.
_NUMBERS_IN_TEXT = re.compile(r"\d{14,}[\dXx]|1[3-9]\d{9}|0\d{2,3}-?\d{7,8}")


def mask_any(number: str) -> str:
    """The one masking format, whatever the number: 15 characters or more read as an ID
    number (``mask``), anything shorter as a phone number (``mask_phone``)."""
    return mask(number.upper()) if len(number) >= 15 else mask_phone(number)


def mask_text(text: str) -> str:
    """Free text with every ID and phone number in it masked as on screen (``mask_any``):
    import previews, department rows, error messages."""
    return _NUMBERS_IN_TEXT.sub(lambda m: mask_any(m.group(0)), text)
