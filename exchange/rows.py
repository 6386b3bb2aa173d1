"""From a cell-level table row to a feed row the linkage engine and the effects can use.

Values are read leniently (every date form, full-width digits, lower-case x, stray
spaces); what cannot be read is either a note on the row or, when the row cannot be
matched at all, the reason it is rejected. A date that cannot be (2026/13/45, 去年,
2025-02-30, a birth date after today) rejects the row with the column, the value and
why: a wrong date is never read as a blank, and such a row never registers or changes
a child. Stored values never hold a clear ID or phone number.

Each row also carries the reply its sender may be given (``ParsedRow.reply``): received
or rejected and the problems of the data itself, worked out from the row alone, so that
it says nothing about the registry."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from common import crypto, idnumber, names
from common.dates import InvalidDate, parse_date_or_none
from exchange.matching import Person, number_only
from registry import identity

_AMOUNT = re.compile(r"-?\d+(?:\.\d+)?")
_HAS_LETTER = re.compile(r"[\u3400-\u9fff\uf900-\ufaffA-Za-z]")

SEX_WORDS = {
    "男": "男", "男性": "男", "m": "男", "male": "男", "1": "男",
    "女": "女", "女性": "女", "f": "女", "female": "女", "2": "女",
}  # fmt: skip

STAGE_WORDS = [
    ("失学", "失学辍学"), ("辍学", "失学辍学"), ("未入学", "未入学"), ("未上学", "未入学"),
    ("托育", "托育"), ("托班", "托育"), ("幼儿园", "幼儿园"), ("学前", "幼儿园"),
    ("小学", "小学"), ("初中", "初中"), ("初级中学", "初中"), ("中职", "中职"), ("职高", "中职"),
    ("中专", "中职"), ("技工", "中职"), ("职业", "中职"), ("高中", "普通高中"),
]  # fmt: skip
_GRADE_STAGE = [
    (re.compile(r"^(小|中|大)班"), "幼儿园"),
    (re.compile(r"^(一|二|三|四|五|六|[1-6])年级"), "小学"),
    (re.compile(r"^(七|八|九|[7-9])年级"), "初中"),
    (re.compile(r"^初[一二三123]"), "初中"),
    (re.compile(r"^高[一二三123]"), "普通高中"),
]
COMPULSORY_STAGES = ("小学", "初中", "未入学", "失学辍学")
DISABILITY_CATEGORIES = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
_LEVELS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def scrub(value: Any) -> Any:
    """A value safe to store: long digit runs (ID numbers) and mobile numbers masked."""
    if value is None or isinstance(value, bool | int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)  # NaN and infinity are not JSON
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**10:
            return scrub(str(value)) if abs(value) < 10**40 else "（数值过大）"
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return idnumber.mask_text(str(value))


def parse_sex(value: Any) -> str:
    return SEX_WORDS.get(text(value).lower(), "")


def parse_stage(stage: Any, grade: Any = None) -> str:
    word = text(stage)
    for key, value in STAGE_WORDS:
        if key in word:
            return value
    g = text(grade)
    for pattern, value in _GRADE_STAGE:
        if pattern.search(g):
            return value
    return ""


def parse_disability_category(value: Any) -> str:
    word = text(value)
    if "多重" in word:
        return "多重"
    for category in DISABILITY_CATEGORIES:
        if category in word:
            return category
    if "语言" in word:
        return "言语"
    return ""


CERTIFICATE_CATEGORIES = {
    "1": "视力",
    "2": "听力",
    "3": "言语",
    "4": "肢体",
    "5": "智力",
    "6": "精神",
    "7": "多重",
}


def certificate_disability(value: Any) -> tuple[str, int | None]:
    """Category and level from a 20-character disability certificate number, if it has them."""
    number = idnumber.normalise(text(value))
    if len(number) == 20 and number[18] in CERTIFICATE_CATEGORIES and number[19] in "1234":
        return CERTIFICATE_CATEGORIES[number[18]], int(number[19])
    return "", None


def parse_disability_level(value: Any) -> int | None:
    word = text(value)
    for ch in word:
        if ch in _LEVELS:
            return _LEVELS[ch]
    return None


def parse_amount(value: Any) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    match = _AMOUNT.search(text(value).replace(",", "").replace("，", ""))
    if not match:
        return None
    try:
        return float(Decimal(match.group(0)))
    except InvalidOperation:
        return None


def vaccination_complete(value: Any) -> bool | None:
    word = text(value)
    if not word:
        return None
    if any(k in word for k in ("未", "漏", "不全", "欠", "缺", "否", "延迟", "中断")):
        return False
    if any(k in word for k in ("全程", "完成", "按程序", "已接种", "正常", "是", "齐全", "完整")):
        return True
    return None


@lru_cache(maxsize=20_000)
def _county_known(code: str) -> bool:
    # The GB/T 2260 lookup is slow and a feed repeats a few hundred county codes.
    return idnumber.county_known(code)


def parse_id(number: str) -> idnumber.IdFacts:
    """``idnumber.parse`` with the county lookup cached (the same checks and messages)."""
    if len(number) == 18 and number[:17].isdigit() and number[17] == idnumber.check_char(number[:17]):
        try:
            birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            birth = None
        if (
            birth is not None
            and 1900 <= birth.year
            and birth <= dt.date.today()
            and _county_known(number[:6])
        ):
            return idnumber.IdFacts(number, number[:6], birth, "M" if int(number[16]) % 2 else "F")
    return idnumber.parse(number)  # raises InvalidIdNumber with the reason


def id_valid(number: str) -> bool:
    try:
        parse_id(number)
    except idnumber.InvalidIdNumber:
        return False
    return True


def phone_key(phone: str) -> str:
    """The guardian's phone as the linkage engine compares it: digits of its blind index,
    so that equal phones agree without decrypting the registry's numbers."""
    if not phone:
        return ""
    return str(int(identity.phone_hash(phone)[:15], 16))


def content_hash(values: dict) -> str:
    """A keyed hash of the row's identifying content: the same row sent again has the same hash."""
    keys = ("name", "id_number", "birth_date", "sex", "guardian_name", "guardian_phone")
    canonical = json.dumps([values.get(k) or "" for k in keys], ensure_ascii=False, default=str)
    return crypto.blind_index(canonical, kind="feedrow")


#: The date every feed has; a source's other date fields are typed ``"type": "date"``.
BIRTH_DATE = {"birth_date": "出生日期"}
RECEIVED, REJECTED = "received", "rejected"  # what a sender is told of its row


def date_columns(fields: list[dict], headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """The source's date fields, each with the column it was read from as its sender named it
    (the file's header or the pushed key, else the field's label), for the messages."""
    headers = headers or {}
    return {
        f["name"]: str(headers.get(f["name"]) or f["label"])
        for f in fields
        if f.get("type") == "date" or f["name"] in BIRTH_DATE
    }


_YEAR_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))$")


def _year_month(value: Any) -> tuple[int, int] | None:
    """(year, month) of a month written without its day (2015.03, 2015-3, 2015年3月, 201503),
    as 出生年月 columns hold; None for anything else."""
    match = _YEAR_MONTH.match(text(value))
    if not match:
        return None
    year, month = int(match[1]), int(match[2] or match[3])
    return (year, month) if 1900 <= year <= 2100 and 1 <= month <= 12 else None


@dataclass
class _Dates:
    days: dict[str, dt.date] = field(default_factory=dict)  # field -> the date read
    months: dict[str, tuple[int, int]] = field(default_factory=dict)  # field -> (year, month) without a day
    errors: list[str] = field(default_factory=list)  # impossible dates: each rejects the row


def _dates(values: dict[str, Any], columns: Mapping[str, str]) -> _Dates:
    """The date fields of a row read, with a Chinese message (column, value, why) for each date
    that cannot be. A month without its day is no error: it is kept apart (``months``)."""
    read = _Dates()
    today = dt.date.today()
    for name, column in columns.items():
        value = values.get(name)
        try:
            day = parse_date_or_none(value, field=column)
        except InvalidDate as exc:
            month = _year_month(value)
            if month is None:
                read.errors.append(str(exc))
            elif name == "birth_date" and month > (today.year, today.month):
                read.errors.append(
                    f"{column}“{text(value)[:30]}”晚于今天，不可能是出生日期，请核对后重新填写"
                )
            else:
                read.months[name] = month
            continue
        if day is None:
            continue
        if name == "birth_date" and day > today:
            read.errors.append(f"{column}“{text(value)[:30]}”晚于今天，不可能是出生日期，请核对后重新填写")
            continue
        read.days[name] = day
    return read


@dataclass
class ParsedRow:
    number: int
    person: Person | None = None
    reject: str = ""
    notes: list[str] = field(default_factory=list)
    id_number: str = ""  # normalised, possibly invalid (a typo still helps matching)
    id_valid: bool = False
    id_hash: str = ""
    # An invalid number's valid neighbours one edit away: where the linkage looks for the child.
    neighbours: list[idnumber.Neighbour] = field(default_factory=list)
    phone: str = ""
    facts: dict = field(default_factory=dict)  # typed values for the effects (JSON-able)
    stored: dict = field(default_factory=dict)  # masked values kept on the row
    content_hash: str = ""
    reply: dict = field(default_factory=dict)  # what the sender is told: outcome and errors


def parse_row(
    number: int,
    values: dict[str, Any],
    extras: dict[str, Any] | None = None,
    *,
    dates: Mapping[str, str] | None = None,
) -> ParsedRow:
    """Read one data row (field name -> cell value). ``dates``: the date fields to check, each
    with its column as the sender named it (``date_columns``); the birth date always."""
    row = ParsedRow(number=number)
    name = names.normalise(text(values.get("name")))
    raw_id = values.get("id_number")
    if raw_id in (None, "") and values.get("certificate_no"):
        # A disability certificate number (残疾人证号) is the ID number followed by category and level.
        certificate = idnumber.normalise(text(values["certificate_no"]))
        if len(certificate) >= 18:
            raw_id = certificate[:18]
    if isinstance(raw_id, float):
        row.notes.append("身份证号被存成了数字，可能已丢失末位")
    number_text = idnumber.normalise(text(raw_id)) if raw_id not in (None, "") else ""
    facts = None
    if number_text:
        try:
            facts = parse_id(number_text)
            row.id_valid = True
            row.id_hash = identity.id_hash(number_text)
        except idnumber.InvalidIdNumber as exc:
            row.neighbours = idnumber.one_edit_neighbours(number_text)
            row.notes.append(f"身份证号无效（{exc}），按其他信息比对")
    row.id_number = number_text

    columns = {**BIRTH_DATE, **(dates or {})}
    read = _dates(values, columns)
    parsed_dates = read.days
    birth = parsed_dates.get("birth_date")
    birth_month = read.months.get("birth_date")
    if facts is not None:
        if (birth is not None and birth != facts.birth_date) or (
            birth_month is not None and birth_month != (facts.birth_date.year, facts.birth_date.month)
        ):
            row.notes.append("出生日期与身份证号不一致，以身份证号为准")
        birth = facts.birth_date
    for name, (year, month) in read.months.items():
        if name == "birth_date" and facts is not None:
            continue  # the number has the day
        row.notes.append(
            f"{columns[name]}“{text(values.get(name))[:30]}”只有年月（{year}年{month}月），未作日期使用"
        )
    sex = parse_sex(values.get("sex"))
    if facts is not None:
        id_sex = "男" if facts.sex == "M" else "女"
        if sex and sex != id_sex:
            row.notes.append("性别与身份证号不一致，以身份证号为准")
        sex = id_sex

    phone = ""
    raw_phone = values.get("guardian_phone")
    if raw_phone not in (None, ""):
        try:
            phone = identity.normalise_phone(raw_phone)
        except identity.InvalidPhone:
            row.notes.append("联系电话格式不正确，未用于比对")
    row.phone = phone
    guardian = names.normalise(text(values.get("guardian_name")))
    address = text(values.get("address"))
    county = text(values.get("hukou_county"))
    county = county if len(county) == 6 and county.isdigit() else ""

    problems: list[str] = []
    if not name or not _HAS_LETTER.search(name):
        problems.append("缺少儿童姓名，无法比对")
    problems.extend(read.errors)
    if (
        not problems
        and number_only(has_birth=birth is not None, id_valid=row.id_valid)
        and not row.neighbours
    ):
        problems.append(
            "缺少出生日期，且身份证号无效、也没有与之仅差一位的有效号码，无法比对"
            if number_text
            else "缺少出生日期和身份证号，无法比对"
        )
    row.reject = "；".join(problems)
    row.reply = {"outcome": REJECTED if problems else RECEIVED, "errors": [*problems, *row.notes]}
    if not row.reject:
        row.person = Person(
            key=f"row:{number}",
            name=name,
            birth_date=birth,
            sex={"男": "M", "女": "F"}.get(sex),
            id_number=number_text or None,
            hukou_county=county or None,
            guardian_name=guardian or None,
            guardian_phone=phone_key(phone) or None,
            address=address or None,
        )

    identity_values = {
        "name": name,
        "id_number": number_text,
        "birth_date": birth.isoformat() if birth else "",
        "sex": sex,
        "guardian_name": guardian,
        "guardian_phone": phone,
    }
    row.content_hash = content_hash(identity_values)
    row.facts = {
        "name": name,
        "sex": sex,
        "birth_date": birth.isoformat() if birth else None,
        "guardian_name": guardian,
        "address": address,
        "hukou_address": text(values.get("hukou_address")),
        "hukou_county": county,
        "ethnicity": text(values.get("ethnicity")),
        "township": text(values.get("township")),
        "village": text(values.get("village")),
    }
    for key, value in values.items():
        if key in row.facts or key in ("id_number", "guardian_phone", "birth_date", "sex", "name"):
            continue
        if key in parsed_dates:
            value = parsed_dates[key]  # the effects read a date as the row's check read it
        row.facts[key] = value.isoformat() if isinstance(value, dt.date) else value
    stored = {}
    for key, value in values.items():
        if value in (None, ""):
            continue
        if key == "id_number":
            stored[key] = idnumber.mask(number_text)
        elif key == "guardian_phone":
            stored[key] = idnumber.mask_phone(phone) if phone else scrub(value)
        else:
            stored[key] = scrub(value)
    for key, value in (extras or {}).items():
        if value not in (None, ""):
            stored.setdefault("其他列", {})[str(key)[:40]] = scrub(value)
    row.stored = stored
    return row
