"""Dates as they appear in ledgers and department feeds.

Staff type dates in many forms (``2015-03-04``, ``2015/3/4``, ``2015.3.4``,
``20150304``, ``2015年3月4日``), Excel hands over date cells as ``datetime``
or, when the cell format was lost, as a serial number. ``parse_date`` reads all
of them and fails with a message a user can act on.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal

MIN_YEAR = 1900
MAX_YEAR = 2100

# Excel's 1900 date system counts 1900-02-29 (serial 60), a day that never was;
# from serial 61 on, the day zero is therefore 1899-12-30.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_FAKE_LEAP_DAY = 60
# Only five-digit serials are taken as dates: a 4-digit number is much more
# likely a year ("2015") than 1905-07-07, and 5 digits cover 1927-05-18 onwards.
_MIN_SERIAL = 10_000
_MAX_SERIAL = (dt.date(MAX_YEAR, 12, 31) - _EXCEL_EPOCH).days

_EXAMPLE = "2015-03-04 或 2015年3月4日"
_SPACES = re.compile(r"\s+")
# A time part after the date, as written by Excel exports and databases.
_TIME_SUFFIX = re.compile(r"^(?P<date>.*?\d)(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?$")
_SEPARATED = re.compile(r"^(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})$")
_CHINESE = re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?$")
_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_SERIAL = re.compile(r"^(?P<serial>\d{5})(?:\.\d+)?$")


class InvalidDate(ValueError):
    """A value is not a usable date; ``str(exc)`` is a Chinese message for users."""

    def __init__(self, message: str, *, field: str = "日期", value: object = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


def _shown(value: object) -> str:
    """The value as quoted back to the user: one line, not too long."""
    try:
        text = _SPACES.sub(" ", str(value)).strip()
    except ValueError:  # int too large for str() (Python's digit limit)
        return "数值过大"
    return text if len(text) <= 30 else text[:30] + "…"


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not unicodedata.normalize("NFKC", value).strip()
    return False


def excel_serial_to_date(serial: int) -> dt.date:
    """The date of an Excel serial number in the 1900 date system (serial 1 = 1900-01-01)."""
    if serial == _EXCEL_FAKE_LEAP_DAY:
        raise ValueError("1900-02-29 does not exist")
    if serial < _EXCEL_FAKE_LEAP_DAY:
        return _EXCEL_EPOCH + dt.timedelta(days=serial + 1)
    return _EXCEL_EPOCH + dt.timedelta(days=serial)


def date_to_excel_serial(day: dt.date) -> int:
    """Inverse of :func:`excel_serial_to_date`."""
    serial = (day - _EXCEL_EPOCH).days
    return serial if serial > _EXCEL_FAKE_LEAP_DAY else serial - 1


def _checked_year(day: dt.date, *, field: str, value: object) -> dt.date:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise InvalidDate(
            f"{field}“{_shown(value)}”的年份 {day.year} 不合理，应在 {MIN_YEAR} 年至 {MAX_YEAR} 年之间，请核对后重新填写",
            field=field,
            value=value,
        )
    return day


def _from_serial(serial: float, *, field: str, value: object) -> dt.date:
    if not math.isfinite(serial) or not _MIN_SERIAL <= serial < _MAX_SERIAL + 1:
        raise InvalidDate(
            f"{field}“{_shown(value)}”不是有效日期，请按 {_EXAMPLE} 的格式填写",
            field=field,
            value=value,
        )
    # A fractional part is the time of day, which a date does not need.
    return _checked_year(excel_serial_to_date(math.floor(serial)), field=field, value=value)


def _from_parts(year: str, month: str, day: str, *, field: str, value: object) -> dt.date:
    y, m, d = int(year), int(month), int(day)
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise InvalidDate(
            f"{field}“{_shown(value)}”的年份 {y} 不合理，应在 {MIN_YEAR} 年至 {MAX_YEAR} 年之间，请核对后重新填写",
            field=field,
            value=value,
        )
    if not 1 <= m <= 12:
        reason = f"没有 {m} 月"
    else:
        try:
            return dt.date(y, m, d)
        except ValueError:
            reason = f"{y}年{m}月没有{d}日"
    raise InvalidDate(
        f"{field}“{_shown(value)}”不是有效日期（{reason}），请核对后重新填写", field=field, value=value
    )


def parse_date(value: object, *, field: str = "日期") -> dt.date:
    """Read a date from a cell value or user input; raise :class:`InvalidDate` otherwise.

    ``field`` is the Chinese name of the field, used in the message
    (``出生日期“2015-02-30”不是有效日期…``).
    """
    if _is_empty(value):
        raise InvalidDate(f"{field}为空，请填写日期，例如 {_EXAMPLE}", field=field, value=value)
    if isinstance(value, dt.datetime):
        return _checked_year(value.date(), field=field, value=value)
    if isinstance(value, dt.date):
        return _checked_year(value, field=field, value=value)
    if isinstance(value, bool):
        # bool is an int subclass, but True is no date.
        raise InvalidDate(
            f"{field}“{_shown(value)}”不是有效日期，请按 {_EXAMPLE} 的格式填写", field=field, value=value
        )
    if isinstance(value, int | float | Decimal):
        if isinstance(value, int) and 19_000_000 <= value <= 21_001_231:
            # A date typed as a number without separators: 20150304.
            text = str(value)
            return _from_parts(text[:4], text[4:6], text[6:], field=field, value=value)
        try:
            number = float(value)
        except (OverflowError, ValueError):
            number = math.nan
        if number.is_integer() and 19_000_000 <= number <= 21_001_231:
            text = str(int(number))
            return _from_parts(text[:4], text[4:6], text[6:], field=field, value=value)
        return _from_serial(number, field=field, value=value)
    if not isinstance(value, str):
        raise InvalidDate(
            f"{field}“{_shown(value)}”不是有效日期，请按 {_EXAMPLE} 的格式填写", field=field, value=value
        )
    return _parse_text(value, field=field)


def _parse_text(value: str, *, field: str) -> dt.date:
    # NFKC turns full-width digits and punctuation (２０１５／３／４) into ASCII.
    text = unicodedata.normalize("NFKC", value).strip()
    if len(text) > 40:
        # No date form is this long; also keeps the regexes cheap on huge cells.
        raise InvalidDate(
            f"{field}“{_shown(value)}”无法识别为日期，请按 {_EXAMPLE} 的格式填写", field=field, value=value
        )
    match = _TIME_SUFFIX.match(text)
    if match:
        text = match.group("date")
    text = _SPACES.sub("", text)
    for pattern in (_SEPARATED, _CHINESE, _COMPACT):
        match = pattern.match(text)
        if match:
            return _from_parts(match["y"], match["m"], match["d"], field=field, value=value)
    match = _SERIAL.match(text)
    if match:
        return _from_serial(float(text), field=field, value=value)
    raise InvalidDate(
        f"{field}“{_shown(value)}”无法识别为日期，请按 {_EXAMPLE} 的格式填写", field=field, value=value
    )


def parse_date_or_none(value: object, *, field: str = "日期") -> dt.date | None:
    """Like :func:`parse_date` for optional fields: an empty value gives ``None``."""
    if _is_empty(value):
        return None
    return parse_date(value, field=field)
