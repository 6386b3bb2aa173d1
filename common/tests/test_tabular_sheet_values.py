"""The fast sheet reader gives exactly what openpyxl's ``iter_rows(values_only=True)`` gives."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.excel import write_xlsx
from common.tabular import _sheet_values, _sheets_unsized

CELL = st.one_of(
    st.none(),
    st.text(alphabet="天门岳口镇abc 0123456789-./年月日xX&<>\"'", max_size=12),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
)


def _both(data: bytes) -> tuple[list, list]:
    slow = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    fast = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    expected, got = [], []
    for a, b in zip(slow.worksheets, fast.worksheets, strict=True):
        a.reset_dimensions()
        b.reset_dimensions()
        expected.append([tuple(r) for r in a.iter_rows(values_only=True)])
        got.append([tuple(r) for r in _sheet_values(b)])
    slow.close()
    fast.close()
    return expected, got


def _saved(workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(CELL, max_size=8), max_size=12), st.sets(st.integers(1, 15), max_size=4))
def test_same_values_as_openpyxl_for_shared_strings_numbers_dates_and_gaps(rows, skipped):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    number = 0
    for row in rows:
        number += 1
        while number in skipped:
            number += 1  # rows missing from the file
        for column, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=number, column=column, value=value)
    expected, got = _both(_saved(workbook))
    assert got == expected


def test_same_values_for_inline_strings_and_date_cells_of_our_writer(tmp_path):
    path = tmp_path / "ledger.xlsx"
    rows = [
        ["姓名", "出生日期", "电话", "备注"],
        ["李浩宇", dt.date(2015, 3, 4), 13812345678, "  有空格  "],
        [None, None, None, None],
        ["王子涵", "2015/3/4", 42000.5, True],
    ]
    write_xlsx(path, [("台账", rows[0], iter(rows[1:]))])
    expected, got = _both(path.read_bytes())
    assert got == expected
    assert got[0][1][1] in (dt.datetime(2015, 3, 4), dt.date(2015, 3, 4))


def test_rich_inline_strings_join_their_runs_but_not_phonetic_hints():
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "replaced below by a rich inline string"
    workbook.active["B2"] = 7
    data = _saved(workbook)
    rich = (
        '<c r="A1" t="inlineStr"><is><r><t>天门</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 岳口</t></r>'
        '<rPh sb="0" eb="1"><t>tian</t></rPh></is></c>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                start = text.index('<c r="A1"')
                end = text.index("</c>", start) + len("</c>")
                content = (text[:start] + rich + text[end:]).encode()
            target.writestr(item, content)
    expected, got = _both(out.getvalue())
    assert got == expected == [[("天门 岳口",), (None, 7)]]


@pytest.mark.parametrize("kind", ["e", "str"])
def test_error_and_formula_string_cells(kind):
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "x"
    data = _saved(workbook)
    cell = f'<c r="A1" t="{kind}"><f>1/0</f><v>#DIV/0!</v></c>'
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                start = text.index('<c r="A1"')
                end = text.index("</c>", start) + len("</c>")
                content = (text[:start] + cell + text[end:]).encode()
            target.writestr(item, content)
    expected, got = _both(out.getvalue())
    assert got == expected


def test_sheets_opened_unsized_are_not_scanned_and_read_the_same_rows():
    workbook = openpyxl.Workbook()
    for n in range(5):
        workbook.active.append([f"姓名{n}", n])
    data = _saved(workbook)
    with _sheets_unsized():
        unsized = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sized = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    assert unsized.active.max_row is None  # the sheet was not read at load
    assert sized.active.max_row == 5  # other callers still get openpyxl's size
    unsized.active.reset_dimensions()
    sized.active.reset_dimensions()
    assert list(_sheet_values(unsized.active)) == list(_sheet_values(sized.active))
    unsized.close()
    sized.close()
