import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.excel import FORMULA_PREFIXES, MAX_CELL_CHARS, safe_cell, write_xlsx
from common.tabular import FieldSpec, open_table

ID_NUMBER = "420981201503041234"


def written(sheets, **kwargs):
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets, **kwargs)
    buffer.seek(0)
    return openpyxl.load_workbook(buffer)  # not data_only: formulas would show as formulas


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil","点我")', '\'=HYPERLINK("http://evil","点我")'),
        ("+86 138", "'+86 138"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\n=1"),
        ("第一行\r\n第二行", "第一行\n第二行"),
        ("＝1+1", "'＝1+1"),  # full-width equals sign
        ("张三", "张三"),
        ("a=1", "a=1"),
        ("", ""),
        ("-12.5", "-12.5"),  # a plain number as text cannot run anything
        ("+12", "+12"),
        (ID_NUMBER, ID_NUMBER),
        ("42098120150304123X", "42098120150304123X"),
        ("bad\x00\x07chars", "badchars"),
    ],
)
def test_safe_cell_text(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.parametrize(
    "value",
    [None, -5, 0, 3.5, -3.5, Decimal("-1.25"), True, dt.date(2015, 3, 4), dt.datetime(2015, 3, 4, 8, 0)],
)
def test_safe_cell_keeps_numbers_dates_and_none(value):
    assert safe_cell(value) == value
    assert type(safe_cell(value)) is type(value)


def test_safe_cell_other_values():
    assert safe_cell(420981201503041234) == "420981201503041234"  # beyond Excel's 15 digits
    assert safe_cell(13812345678) == 13812345678
    assert safe_cell(float("nan")) == "nan"
    assert len(safe_cell("长" * 40_000)) == MAX_CELL_CHARS
    aware = dt.datetime(2025, 1, 1, 0, 0, tzinfo=dt.UTC)
    assert safe_cell(aware) == dt.datetime(2025, 1, 1, 8, 0)  # Beijing time, naive

    class Lazy:
        def __str__(self):
            return "=cmd"

    assert safe_cell(Lazy()) == "'=cmd"


def test_write_xlsx_header_freeze_and_values():
    rows = [
        ["张三", ID_NUMBER, "=1+1", -5, dt.date(2015, 3, 4), "0712"],
        ["李四", "42098120150304123X", "@x", 2.5, None, "13812345678"],
    ]
    workbook = written([("儿童台账", ["姓名", "公民身份号码", "备注", "数", "出生日期", "电话"], iter(rows))])
    sheet = workbook["儿童台账"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert [c.value for c in sheet[1]] == ["姓名", "公民身份号码", "备注", "数", "出生日期", "电话"]
    first = [c.value for c in sheet[2]]
    assert first[:4] == ["张三", ID_NUMBER, "'=1+1", -5]
    assert first[4].date() == dt.date(2015, 3, 4)
    assert first[5] == "0712"
    # ID and phone numbers are text with the text format, so Excel never makes them numbers.
    assert sheet["B2"].data_type == "s" and sheet["B2"].number_format == "@"
    assert sheet["F3"].data_type == "s" and sheet["F3"].number_format == "@"
    assert sheet["D2"].data_type == "n"
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_write_xlsx_several_sheets_titles_and_widths(tmp_path):
    target = tmp_path / "out.xlsx"
    sheets = [
        ("a/b:c*?[d]", ["x"], [[1]]),
        ("名单", ["姓名"], [["甲"]]),
        ("名单", ["姓名"], [["乙"]]),
        ("很长的工作表名称" * 5, ["y"], []),
    ]
    write_xlsx(target, sheets, column_widths={"名单": [30]})
    workbook = openpyxl.load_workbook(target)
    titles = workbook.sheetnames
    assert titles[0] == "a_b_c___d_"
    assert titles[1] == "名单" and titles[2] != "名单" and titles[2].startswith("名单")
    assert len(titles[3]) <= 31
    assert workbook["名单"].column_dimensions["A"].width == 30
    assert workbook[titles[2]]["A2"].value == "乙"


def test_write_xlsx_widths_for_all_sheets_and_automatic():
    workbook = written([("s", ["姓名", "很长很长很长的表头"], [["甲", "x"]])], column_widths=[12, None])
    assert workbook["s"].column_dimensions["A"].width == 12
    workbook = written([("s", ["姓名", "很长很长很长的表头"], [["甲", "x"]])])
    assert workbook["s"].column_dimensions["B"].width > workbook["s"].column_dimensions["A"].width


def test_write_xlsx_streams_a_generator_and_handles_no_sheets():
    def many():
        for i in range(5000):
            yield [f"儿童{i}", i]

    workbook = written([("大", ["姓名", "序号"], many())])
    assert workbook["大"].max_row == 5001
    workbook = written([])
    assert len(workbook.sheetnames) == 1


def test_export_reads_back_through_tabular_reader():
    buffer = io.BytesIO()
    write_xlsx(buffer, [("台账", ["姓名", "公民身份号码", "备注"], [["=甲", ID_NUMBER, "+1-1"]])])
    buffer.seek(0)
    fields = [FieldSpec("name", "姓名", (), True), FieldSpec("id_number", "公民身份号码", (), True)]
    table = open_table(buffer, filename="out.xlsx", fields=fields)
    (row,) = list(table.rows())
    assert row.values == {"name": "'=甲", "id_number": ID_NUMBER}
    assert row.extras == {"备注": "'+1-1"}


# --- properties -------------------------------------------------------------

body = st.text(st.characters(blacklist_categories=("Cs",)), max_size=50)


@settings(max_examples=100, deadline=None)
@given(prefix=st.sampled_from(FORMULA_PREFIXES), text=body)
def test_formula_strings_read_back_as_inert_text(prefix, text):
    value = prefix + text
    workbook = written([("s", ["备注"], [[value], [text]])])
    cell = workbook["s"]["A2"]
    assert cell.data_type == "s"
    assert cell.value == safe_cell(value)
    # "+0" or "-12.5" stay as they are: text that is only a number runs nothing.
    assert cell.value.startswith("'") or re.fullmatch(r"[+-][0-9]+(\.[0-9]+)?", cell.value)
    assert not any(c.data_type == "f" for row in workbook["s"].iter_rows() for c in row)


@settings(max_examples=100, deadline=None)
@given(
    value=st.one_of(
        st.text(), st.integers(), st.floats(), st.decimals(), st.none(), st.booleans(), st.dates()
    )
)
def test_safe_cell_always_gives_something_openpyxl_writes(value):
    workbook = written([("s", ["v"], [[value]])])
    cell = workbook["s"]["A2"]
    assert cell.data_type != "f"
    if isinstance(value, str):
        assert (cell.value or "") == safe_cell(value)
        # Nothing that Excel could take for a formula survives, except a plain number.
        result = safe_cell(value)
        assert not result.startswith(FORMULA_PREFIXES) or re.fullmatch(r"[+-][0-9]+(\.[0-9]+)?", result)
