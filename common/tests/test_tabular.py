import codecs
import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from common.tabular import (
    HEADER_SEARCH_ROWS,
    FieldSpec,
    Table,
    TableError,
    normalise_header,
    open_table,
    parse_columns_option,
)

FIELDS = [
    FieldSpec(
        "id_number", "公民身份号码", ("身份证号", "身份证号码", "证件号码", "学生身份证号"), required=True
    ),
    FieldSpec("name", "姓名", ("儿童姓名", "学生姓名"), required=True),
    FieldSpec("birth_date", "出生日期", ("出生年月日",)),
    FieldSpec("phone", "监护人联系电话", ("联系电话", "监护人电话")),
    FieldSpec("township", "居住乡镇（街道）", ("乡镇",)),
]
TITLE = "XX镇流动儿童信息台账（2025年）"
ID_1 = "420981201503041234"
ID_2 = "42098120150304123X"


def xlsx_bytes(rows, *, merge=None, sheets=None):
    """An xlsx file built with openpyxl: ``rows`` for one sheet or ``sheets`` = {title: (rows, state)}."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, (sheet_rows, state) in (sheets or {"台账": (rows, "visible")}).items():
        sheet = workbook.create_sheet(title)
        sheet.sheet_state = state
        for row in sheet_rows:
            sheet.append(list(row))
        for cells in merge or ():
            sheet.merge_cells(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, *, encoding="utf-8", delimiter=","):
    text = "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"
    return text.encode(encoding)


def read_all(data, *, filename="台账.xlsx", fields=FIELDS, **kwargs):
    table = open_table(io.BytesIO(data), filename=filename, fields=fields, **kwargs)
    return table, list(table.rows())


# --- xlsx --------------------------------------------------------------------

LEDGER_ROWS = [
    [TITLE],
    ["填报单位：岳口镇", None, None, "填报日期：2025-03-01"],
    ["序号", "学生\n姓名*", "＊身份证号", "出生日期（年月日）", "联系电话", "备注"],
    [1, " 张三 ", ID_1, dt.datetime(2015, 3, 4), 13812345678.0, "随父母"],
    [],
    [2, "李四", ID_2, "2015/3/4", 13912345678, None, "没有表头的列"],
    [None, None, None, None, None, None],
    [3, "王五\u3000", ID_1, 42067, 0.5, ""],
]


def test_xlsx_with_title_row_merged_cells_and_blank_rows():
    data = xlsx_bytes(LEDGER_ROWS, merge=["A1:F1", "A2:C2"])
    table, rows = read_all(data)

    assert table.header_row == 3
    assert table.mapping == {
        "id_number": "＊身份证号",
        "name": "学生\n姓名*",
        "birth_date": "出生日期（年月日）",
        "phone": "联系电话",
    }
    assert table.unmapped_headers == ["序号", "备注"]
    assert any("序号" in w and "备注" in w for w in table.warnings)
    assert table.source_format == "xlsx" and table.sheet_name == "台账"

    # Physical numbering from the row under the header; blank rows are not yielded.
    assert [r.number for r in rows] == [1, 3, 5]
    first, second, third = rows
    assert first.values == {
        "id_number": ID_1,
        "name": "张三",
        "birth_date": dt.date(2015, 3, 4),
        "phone": 13812345678,
        "township": None,  # requested but absent
    }
    assert isinstance(first.values["phone"], int)
    assert first.extras == {"序号": 1, "备注": "随父母"}
    assert second.values["id_number"] == ID_2
    assert second.values["birth_date"] == "2015/3/4"  # parsing dates is the caller's job
    assert second.extras == {"序号": 2, "备注": None, "第7列": "没有表头的列"}
    assert third.values["name"] == "王五"
    assert third.values["birth_date"] == 42067
    assert third.values["phone"] == 0.5
    assert third.extras["备注"] is None  # empty text is None


def test_xlsx_is_recognised_by_content_not_by_name():
    data = xlsx_bytes(LEDGER_ROWS)
    table, rows = read_all(data, filename="导出.csv")
    assert table.source_format == "xlsx" and len(rows) == 3


def test_xlsx_first_visible_sheet_is_read_hidden_sheets_ignored():
    sheets = {
        "隐藏": ([["姓名", "身份证号", "联系电话", "出生日期"], ["隐", ID_1, 1, 2]], "hidden"),
        "名单": ([[TITLE], ["姓名", "身份证号"], ["甲", ID_1]], "visible"),
    }
    table, rows = read_all(xlsx_bytes(None, sheets=sheets))
    assert table.sheet_name == "名单"
    assert [r.values["name"] for r in rows] == ["甲"]


def test_xlsx_sheet_with_best_header_match_is_chosen():
    sheets = {
        "说明": ([["填表说明"], ["姓名请填写全名"]], "visible"),
        "数据": ([[TITLE], ["姓名", "证件号码", "出生日期"], ["乙", ID_2, "2015-03-04"]], "visible"),
    }
    table, rows = read_all(xlsx_bytes(None, sheets=sheets))
    assert table.sheet_name == "数据"
    assert table.header_row == 2
    assert rows[0].values["id_number"] == ID_2
    assert any("数据" in w for w in table.warnings)


def patch_xlsx(data, old, new):
    """Rewrite the parts of an xlsx, for what openpyxl refuses to write."""
    source, patched = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename).replace(old, new))
    return patched.getvalue()


def test_xlsx_with_wrong_stored_dimension_is_read_in_full():
    data = xlsx_bytes([["姓名", "身份证号", "联系电话"], ["甲", ID_1, 1], ["乙", ID_2, 2]])
    # Producers sometimes store a too-small dimension; the reader must not trust it.
    data = patch_xlsx(data, b'<dimension ref="A1:C3"/>', b'<dimension ref="A1:A1"/>')
    table, rows = read_all(data)
    assert [r.values["phone"] for r in rows] == [1, 2]


def test_xlsx_with_many_columns_and_huge_cells_does_not_crash():
    header = ["姓名", "身份证号"] + [f"列{i}" for i in range(250)]
    long_text = "长" * 40_000  # more than Excel's 32767, as other producers may write
    data = xlsx_bytes([header, ["甲", ID_1, *(["PLACEHOLDER"] * 3)]])
    data = patch_xlsx(data, b"PLACEHOLDER", long_text.encode())
    table, rows = read_all(data)
    assert len(table.unmapped_headers) == 250
    assert rows[0].extras["列0"] == long_text


def test_path_source(tmp_path):
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(xlsx_bytes(LEDGER_ROWS))
    table = open_table(path, filename=None, fields=FIELDS)
    with table:
        assert next(table.rows()).values["name"] == "张三"
    table = open_table(str(path), filename="x.xlsx", fields=FIELDS)
    assert len(list(table.rows())) == 3


def test_rows_may_be_iterated_only_once():
    table = open_table(io.BytesIO(xlsx_bytes(LEDGER_ROWS)), filename="a.xlsx", fields=FIELDS)
    list(table.rows())
    with pytest.raises(RuntimeError):
        table.rows()


def test_repeated_header_rows_are_skipped():
    rows = [["姓名", "身份证号"], ["甲", ID_1], ["姓名", "身份证号"], ["乙", ID_2]]
    table, data_rows = read_all(xlsx_bytes(rows))
    assert [r.values["name"] for r in data_rows] == ["甲", "乙"]
    assert [r.number for r in data_rows] == [1, 3]
    assert any("重复了表头" in w for w in table.warnings)


# --- csv ---------------------------------------------------------------------

CSV_ROWS = [
    ["天门市教育局流动学生名单", "", "", ""],
    ["学生姓名", "学生身份证号", "出生日期", "学校"],
    ["王五", ID_1, "2015.3.4", "实验小学"],
    ["", "", "", ""],
    ["赵六", "013812345678", "2015年3月4日", "竟陵小学"],
]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "shown"),
    [
        ("gbk", ",", "GBK/GB18030"),
        ("gb18030", ",", "GBK/GB18030"),
        ("utf-8", ",", "UTF-8"),
        ("utf-8-sig", ",", "UTF-8"),
        ("utf-8-sig", "\t", "UTF-8"),
        ("gbk", "\t", "GBK/GB18030"),
        ("utf-8", ";", "UTF-8"),
        ("utf-16", "\t", "UTF-16"),  # Excel's "Unicode text"
    ],
)
def test_csv_variants(encoding, delimiter, shown):
    data = csv_bytes(CSV_ROWS, encoding=encoding, delimiter=delimiter)
    table, rows = read_all(data, filename="名单.csv")
    assert table.source_format == "csv"
    assert table.encoding == shown
    assert table.header_row == 2
    assert table.mapping == {"id_number": "学生身份证号", "name": "学生姓名", "birth_date": "出生日期"}
    assert [r.number for r in rows] == [1, 3]
    assert rows[0].values["name"] == "王五"
    assert rows[0].extras == {"学校": "实验小学"}
    # csv values stay text: a leading zero is never lost
    assert rows[1].values["id_number"] == "013812345678"


def test_csv_bom_is_not_part_of_the_first_header():
    data = csv_bytes([["姓名", "身份证号"], ["甲", ID_1]], encoding="utf-8-sig")
    table, rows = read_all(data, filename="a.csv")
    assert table.mapping["name"] == "姓名"
    assert rows[0].values == {**dict.fromkeys(f.name for f in FIELDS), "name": "甲", "id_number": ID_1}


def test_csv_with_quoted_commas_and_newlines():
    text = '姓名,身份证号,现居住地址\r\n甲,420981201503041234,"湖北省,天门市\r\n竟陵街道"\r\n'
    table, rows = read_all(text.encode("gbk"), filename="a.csv")
    assert rows[0].extras["现居住地址"] == "湖北省,天门市\r\n竟陵街道"


def test_tab_separated_with_commas_inside_cells_is_sniffed_as_tab():
    rows = [["姓名", "身份证号", "地址"], ["甲", ID_1, "湖北省,天门市,竟陵"], ["乙", ID_2, "天门市,岳口镇"]]
    table, data_rows = read_all(csv_bytes(rows, delimiter="\t"), filename="a.txt")
    assert [r.extras["地址"] for r in data_rows] == ["湖北省,天门市,竟陵", "天门市,岳口镇"]


def test_csv_with_huge_cell_and_many_columns():
    header = ["姓名", "身份证号"] + [f"列{i}" for i in range(300)]
    row = ["甲", ID_1, "长" * 200_000] + [""] * 299
    table, rows = read_all(csv_bytes([header, row]), filename="a.csv")
    assert len(rows[0].extras["列0"]) == 200_000


def test_xlsx_named_file_with_csv_content_is_read_as_csv_with_warning():
    table, rows = read_all(csv_bytes([["姓名", "身份证号"], ["甲", ID_1]]), filename="名单.xlsx")
    assert table.source_format == "csv"
    assert any("CSV" in w for w in table.warnings)


# --- header matching -----------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (" 学生\n姓名 ", "学生姓名"),
        ("＊身份证号", "身份证号"),
        ("*身份证号*", "身份证号"),
        ("身份证\u3000号码", "身份证号码"),
        ("居住乡镇（街道）", "居住乡镇(街道)"),
        ("ＩＤ", "id"),
        ("姓名：", "姓名"),
        (None, ""),
        (2025, "2025"),
    ],
)
def test_normalise_header(header, expected):
    assert normalise_header(header) == expected


def test_full_width_parentheses_and_loose_parenthesised_notes():
    rows = [
        ["姓名", "身份证号", "居住乡镇(街道)", "出生日期(yyyy-mm-dd)"],
        ["甲", ID_1, "岳口镇", "2015-03-04"],
    ]
    table, data_rows = read_all(xlsx_bytes(rows))
    assert table.mapping["township"] == "居住乡镇(街道)"
    assert table.mapping["birth_date"] == "出生日期(yyyy-mm-dd)"
    assert any("出生日期(yyyy-mm-dd)" in w for w in table.warnings)


def test_two_columns_for_one_field_first_wins_with_warning():
    rows = [["姓名", "身份证号", "证件号码"], ["甲", ID_1, ID_2]]
    table, data_rows = read_all(xlsx_bytes(rows))
    assert table.mapping["id_number"] == "身份证号"
    assert data_rows[0].extras == {"证件号码": ID_2}
    assert any("证件号码" in w for w in table.warnings)


def test_missing_required_fields_message():
    rows = [[TITLE], ["序号", "姓名", "证件号", "联系电话"], [1, "甲", ID_1, "138"]]
    with pytest.raises(TableError) as info:
        read_all(xlsx_bytes(rows))
    message = str(info.value)
    assert "公民身份号码" in message  # the missing field by its label
    assert "“证件号”" in message  # the headers found
    assert "第 2 行" in message
    assert "列对应" in message and "--columns id_number=" in message
    assert [f.name for f in info.value.missing] == ["id_number"]
    assert info.value.headers == ["序号", "姓名", "证件号", "联系电话"]
    assert info.value.header_row == 2


def test_every_missing_required_field_is_listed():
    fields = [*FIELDS, FieldSpec("school", "学校名称", ("学校",), required=True)]
    rows = [["姓名", "电话"], ["甲", 1]]
    with pytest.raises(TableError) as info:
        read_all(xlsx_bytes(rows), fields=fields)
    assert "“公民身份号码”" in str(info.value) and "“学校名称”" in str(info.value)
    assert "“姓名”" in str(info.value)  # found header listed


def test_no_header_at_all():
    with pytest.raises(TableError, match="没有找到可识别的表头") as info:
        read_all(xlsx_bytes([["a", "b"], [1, 2]]))
    assert "--columns" in str(info.value)


def test_header_below_row_30_is_not_searched():
    rows = [[f"说明{i}"] for i in range(HEADER_SEARCH_ROWS)] + [["姓名", "身份证号"], ["甲", ID_1]]
    with pytest.raises(TableError, match="30"):
        read_all(xlsx_bytes(rows))


def test_columns_override_wins_over_synonyms():
    rows = [["姓名", "身份证号", "监护人身份证号"], ["甲", ID_1, ID_2]]
    table, data_rows = read_all(xlsx_bytes(rows), columns={"id_number": "监护人身份证号"})
    assert table.mapping["id_number"] == "监护人身份证号"
    assert data_rows[0].values["id_number"] == ID_2
    assert data_rows[0].extras == {"身份证号": ID_1}


def test_columns_override_by_label_and_from_option_text():
    rows = [["名字", "证件号"], ["甲", ID_1]]
    columns = parse_columns_option("公民身份号码=证件号，name＝名字")
    table, data_rows = read_all(xlsx_bytes(rows), columns=columns)
    assert data_rows[0].values["id_number"] == ID_1
    assert data_rows[0].values["name"] == "甲"


def test_columns_override_for_absent_header_falls_back_to_synonyms_with_warning():
    rows = [["姓名", "身份证号"], ["甲", ID_1]]
    table, _ = read_all(xlsx_bytes(rows), columns={"id_number": "证件号"})
    assert table.mapping["id_number"] == "身份证号"
    assert any("证件号" in w for w in table.warnings)


def test_columns_override_for_absent_header_of_required_field_is_an_error():
    rows = [["姓名", "号码"], ["甲", ID_1]]
    with pytest.raises(TableError, match="指定的表头“证件号”在文件中不存在"):
        read_all(xlsx_bytes(rows), columns={"id_number": "证件号"})


def test_columns_override_with_unknown_field():
    with pytest.raises(TableError, match="不是可识别的字段"):
        read_all(xlsx_bytes([["姓名"]]), columns={"nonsense": "姓名"})


def test_parse_columns_option():
    assert parse_columns_option("id_number=证件号,name=学生姓名") == {
        "id_number": "证件号",
        "name": "学生姓名",
    }
    assert parse_columns_option(" id_number = 证件号 ；\n 姓名=学生姓名 ;") == {
        "id_number": "证件号",
        "姓名": "学生姓名",
    }
    assert parse_columns_option("") == {}
    assert parse_columns_option("township=居住乡镇（街道）") == {"township": "居住乡镇(街道)"}
    for bad in ["id_number", "=证件号", "id_number=", "a=1,a=2"]:
        with pytest.raises(TableError):
            parse_columns_option(bad)


# --- refused files -------------------------------------------------------------


def test_old_xls_is_refused_with_advice():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
    with pytest.raises(TableError, match=r"另存为 \.xlsx 或 \.csv"):
        read_all(data, filename="台账.xls")


def test_empty_file():
    with pytest.raises(TableError, match="空"):
        read_all(b"", filename="a.csv")


def test_file_with_only_blank_rows():
    with pytest.raises(TableError, match="没有数据"):
        read_all(b",,,\r\n,,\r\n", filename="a.csv")


class CountingBytesIO(io.BytesIO):
    bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def test_oversized_stream_is_refused_before_reading():
    stream = CountingBytesIO(csv_bytes([["姓名", "身份证号"]] + [["甲", ID_1]] * 100))
    with pytest.raises(TableError) as info:
        open_table(stream, filename="a.csv", fields=FIELDS, max_bytes=1024)
    assert stream.bytes_read == 0
    assert "超过了导入上限 1 KB" in str(info.value)
    assert "文件大小为 2" in str(info.value)


def test_oversized_path_is_refused_with_size_and_limit(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * (3 * 1024 * 1024))
    with pytest.raises(TableError, match="文件大小为 3 MB，超过了导入上限 2 MB"):
        open_table(path, filename=None, fields=FIELDS, max_bytes=2 * 1024 * 1024)


class NonSeekable(io.RawIOBase):
    def __init__(self, data):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def seekable(self):
        return False

    def read(self, size=-1):
        return self._data.read(size)


def test_non_seekable_stream_is_read_up_to_the_limit():
    data = xlsx_bytes(LEDGER_ROWS)
    table = open_table(NonSeekable(data), filename="a.xlsx", fields=FIELDS)
    assert len(list(table.rows())) == 3
    with pytest.raises(TableError, match="超过了导入上限"):
        open_table(NonSeekable(data), filename="a.xlsx", fields=FIELDS, max_bytes=len(data) - 1)


def test_zip_bomb_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"<" + b"a" * (30 * 1024 * 1024))
    with pytest.raises(TableError, match="解压后"):
        read_all(buffer.getvalue(), max_bytes=1024 * 1024)


def test_other_zip_files_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(TableError, match="不是有效的 Excel"):
        read_all(buffer.getvalue(), filename="a.docx")


def test_binary_garbage_is_refused():
    with pytest.raises(TableError):
        read_all(bytes(range(256)) * 10, filename="a.csv")


def test_caller_stream_is_left_open():
    stream = io.BytesIO(csv_bytes([["姓名", "身份证号"], ["甲", ID_1]]))
    table = open_table(stream, filename="a.csv", fields=FIELDS)
    list(table.rows())
    assert not stream.closed
    assert isinstance(table, Table)


# --- properties -----------------------------------------------------------------


def assert_only_table_error(data, filename):
    try:
        table = open_table(io.BytesIO(data), filename=filename, fields=FIELDS)
    except TableError:
        return
    try:
        for row in table.rows():
            assert row.number >= 1
    except TableError:
        pass


@settings(max_examples=150, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.binary(max_size=500).map(lambda b: b"PK\x03\x04" + b),
        st.binary(max_size=500).map(lambda b: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b),
        st.binary(max_size=500).map(lambda b: codecs.BOM_UTF8 + b),
        st.binary(max_size=500).map(lambda b: codecs.BOM_UTF16_LE + b),
        st.text(max_size=500).map(lambda t: t.encode("utf-8")),
        st.lists(
            st.lists(st.sampled_from(["姓名", "身份证号", "", "甲", '"', ",", "\t", "\n", "\r"]), max_size=8)
        ).map(lambda rows: "\n".join(",".join(r) for r in rows).encode("gb18030")),
    ),
    filename=st.sampled_from(["a.xlsx", "a.csv", "a.xls", None, "无扩展名"]),
)
def test_garbage_raises_only_table_error(data, filename):
    assert_only_table_error(data, filename)


VALID_XLSX = xlsx_bytes(LEDGER_ROWS, merge=["A1:F1"])


def stored(data):
    """The same xlsx without compression, so damage hits the XML itself."""
    source, target_buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target_buffer, "w", zipfile.ZIP_STORED) as target:
        for item in source.infolist():
            target.writestr(item.filename, source.read(item.filename))
    return target_buffer.getvalue()


STORED_XLSX = stored(VALID_XLSX)


def test_sheet_xml_broken_in_the_middle_raises_table_error_while_streaming():
    rows = [["姓名", "身份证号"]] + [[f"儿童{i}", ID_1] for i in range(40)]
    data = patch_xlsx(xlsx_bytes(rows), b"</sheetData>", b"<row><c></sheetData>")
    table = open_table(io.BytesIO(data), filename="a.xlsx", fields=FIELDS)
    read = []
    with pytest.raises(TableError, match="第 42 行附近.*文件可能已损坏"):
        for row in table.rows():
            read.append(row)
    assert len(read) == 40


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    original=st.sampled_from([VALID_XLSX, STORED_XLSX]),
    changes=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=10
    ),
    cut=st.one_of(st.none(), st.integers(min_value=4, max_value=len(STORED_XLSX))),
)
def test_damaged_xlsx_raises_only_table_error(original, changes, cut):
    data = bytearray(original)
    for where, byte in changes:
        data[int(where * len(data))] = byte
    data = bytes(data[:cut] if cut else data)
    assert_only_table_error(data, "a.xlsx")


HEADER = ["序号", "姓名", "公民身份号码", "出生日期", "联系电话"]
printable = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")), max_size=30
)  # openpyxl refuses control characters
title_cell = st.one_of(st.none(), printable, st.integers(), st.sampled_from([TITLE, "填报单位：", "姓名"]))


def _matches_any_field(cell):
    norm = normalise_header(cell)
    return any(
        norm and (norm == normalise_header(s) or norm.split("(")[0] == normalise_header(s).split("(")[0])
        for f in FIELDS
        for s in (f.name, f.label, *f.synonyms)
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    titles=st.lists(st.lists(title_cell, max_size=6), max_size=5),
    as_csv=st.booleans(),
)
def test_header_is_found_under_random_title_rows(titles, as_csv):
    # A title row may mention one field name (a lone "姓名"), never two, as a real header row would.
    for row in titles:
        assume(sum(1 for cell in row if cell is not None and _matches_any_field(cell)) <= 1)
    rows = [*titles, HEADER, [1, "张三", ID_1, "2015-03-04", "13812345678"]]
    if as_csv:
        text_rows = [["" if c is None else str(c).replace("\x00", "") for c in row] for row in rows]
        data = "\r\n".join(",".join(f'"{c.replace(chr(34), chr(34) * 2)}"' for c in r) for r in text_rows)
        table, data_rows = read_all(data.encode("utf-8"), filename="a.csv")
    else:
        table, data_rows = read_all(xlsx_bytes(rows), filename="a.xlsx")
    assert table.header_row == len(titles) + 1
    assert table.mapping["id_number"] == "公民身份号码"
    assert [r.values["name"] for r in data_rows] == ["张三"]
    assert data_rows[0].number == 1
