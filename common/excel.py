"""Writing Excel files that are safe to open.

Exports hold text typed by users and departments; a name like
``=HYPERLINK(...)`` or ``@SUM(...)`` must not become a live formula in the
recipient's Excel (CSV/formula injection). ID and phone numbers must stay text
so Excel does not turn them into ``4.20981E+17``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# Characters with which Excel (or LibreOffice/WPS) starts a formula; the
# full-width ones because Chinese input methods produce them and Excel accepts them.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
MAX_CELL_CHARS = 32_767  # Excel's limit; longer text makes Excel "repair" the file
# Excel keeps 15 significant digits; longer integers are written as text.
_MAX_EXACT_INT = 10**15
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
# Long digit strings (ID numbers, phone numbers, codes with leading zeros) get the
# text format, so that editing the cell in Excel does not turn them into numbers.
_DIGITS_AS_TEXT = re.compile(r"0[0-9]+|[0-9]{11,}[0-9Xx]?")
_LOCAL_TIME_ZONE = ZoneInfo("Asia/Shanghai")  # the system serves Tianmen
_WIDTH_SAMPLE_ROWS = 100
_MAX_WIDTH = 60
_INVALID_TITLE_CHARS = re.compile(r"[\[\]:*?/\\]")

ColumnWidths = Sequence[float | None] | Mapping[str, Sequence[float | None]]


def safe_cell(value: Any) -> Any:
    """A value that openpyxl can write and that Excel will not execute.

    Text starting with a formula character gets an apostrophe in front
    (``=1+1`` -> ``'=1+1``); numbers, including negative ones, stay numbers,
    and so does text that is just a number (``-12.5``), which cannot run
    anything. Characters that XML cannot hold are removed, over-long text is
    cut to Excel's limit, line breaks become LF, integers longer than Excel's 15 digits become text.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value) if abs(value) >= _MAX_EXACT_INT else value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:  # Excel has no time zones
            value = value.astimezone(_LOCAL_TIME_ZONE).replace(tzinfo=None)
        return value
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        if isinstance(value, dt.time) and value.tzinfo is not None:
            value = value.replace(tzinfo=None)
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))  # also lazy translations, enums, UUIDs
    if text.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(text):
        text = "'" + text
    # XML reads a bare CR back as LF; Excel's line break inside a cell is LF anyway.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text[:MAX_CELL_CHARS]


def _display_width(value: Any) -> float:
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    longest = max((line for line in text.splitlines() or [""]), key=len)
    # CJK characters take about two columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in longest)


def _sheet_title(title: str, used: set[str]) -> str:
    base = _INVALID_TITLE_CHARS.sub("_", str(title)).strip("'") or "Sheet"
    base = base[:31]
    candidate, counter = base, 1
    while candidate.casefold() in used:
        counter += 1
        suffix = f"({counter})"
        candidate = base[: 31 - len(suffix)] + suffix
    used.add(candidate.casefold())
    return candidate


def _widths_for(column_widths: ColumnWidths | None, title: str) -> Sequence[float | None] | None:
    if column_widths is None:
        return None
    if isinstance(column_widths, Mapping):
        return column_widths.get(title)
    return column_widths


def write_xlsx(
    target: BinaryIO | Path | str,
    sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
    *,
    column_widths: ColumnWidths | None = None,
) -> None:
    """Stream ``(title, headers, rows)`` sheets into an xlsx file at ``target``.

    Rows are consumed lazily (openpyxl write-only mode), so an export of any
    size needs little memory. Every value goes through :func:`safe_cell`.
    ``column_widths`` is one list for all sheets or ``{sheet title: list}``;
    without it the widths follow the header and the first rows.
    """
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    used_titles: set[str] = set()
    for title, headers, rows in sheets:
        sheet_title = _sheet_title(title, used_titles)
        sheet = workbook.create_sheet(title=sheet_title)
        headers = [safe_cell(h) for h in headers]
        row_iterator = iter(rows)
        # Column widths must be set before the first row is written, so look ahead a little.
        sample = [[safe_cell(v) for v in row] for row in islice(row_iterator, _WIDTH_SAMPLE_ROWS)]
        widths = _widths_for(column_widths, title)
        column_count = max([len(headers), *(len(r) for r in sample)])
        for index in range(column_count):
            width = widths[index] if widths is not None and index < len(widths) else None
            if width is None and widths is None:
                seen = [_display_width(r[index]) for r in sample if index < len(r) and r[index] is not None]
                if index < len(headers) and headers[index] is not None:
                    seen.append(_display_width(headers[index]))
                width = min(max([8, *seen]) + 2, _MAX_WIDTH)
            if width is not None:
                sheet.column_dimensions[get_column_letter(index + 1)].width = width
        if headers:
            sheet.freeze_panes = "A2"
            sheet.append([_styled(sheet, h, font=bold) for h in headers])
        for row in sample:
            sheet.append([_styled(sheet, v) for v in row])
        for row in row_iterator:
            sheet.append([_styled(sheet, safe_cell(v)) for v in row])
    if not workbook.worksheets:
        workbook.create_sheet(title="Sheet1")  # an xlsx needs at least one sheet
    workbook.save(target)


def _styled(sheet: Any, value: Any, *, font: Font | None = None) -> Any:
    """Plain values stay plain (cheap); digit strings get the text format, the header bold."""
    text_format = isinstance(value, str) and _DIGITS_AS_TEXT.fullmatch(value) is not None
    if font is None and not text_format:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if text_format:
        cell.number_format = "@"
    return cell
