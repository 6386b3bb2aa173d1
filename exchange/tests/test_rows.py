"""Reading feed rows: every date form, ID number spellings, masking, values for the effects."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common import idnumber
from common.dates import date_to_excel_serial
from exchange import rows
from exchange.rows import parse_row

NUMBER = idnumber.make("420881", dt.date(2015, 3, 4), 123)


@pytest.mark.parametrize(
    "value",
    ["2015-03-04", "2015/3/4", "2015.3.4", "20150304", 20150304, "2015年3月4日", dt.date(2015, 3, 4),
     dt.datetime(2015, 3, 4), date_to_excel_serial(dt.date(2015, 3, 4)), "２０１５－０３－０４", " 2015-3-4 "],
)  # fmt: skip
def test_every_date_form_is_read(value):
    row = parse_row(1, {"name": "张伟", "birth_date": value})
    assert row.person is not None and row.person.birth_date == dt.date(2015, 3, 4)


@pytest.mark.parametrize(
    "value",
    [
        NUMBER,
        NUMBER.lower(),
        f" {NUMBER} ",
        NUMBER.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    ],
)
def test_id_number_spellings_are_normalised(value):
    row = parse_row(1, {"name": "张伟", "id_number": value})
    assert row.id_valid and row.id_number == NUMBER
    assert row.person.birth_date == dt.date(2015, 3, 4) and row.person.sex == "M"


def test_invalid_id_keeps_the_row_with_a_note():
    typo = NUMBER[:15] + str((int(NUMBER[15]) + 1) % 10) + NUMBER[16:]
    row = parse_row(1, {"name": "张伟", "id_number": typo, "birth_date": "2015-03-04"})
    assert not row.id_valid and row.person is not None and "身份证号无效" in row.notes[0]


@pytest.mark.parametrize(
    ("values", "reason"),
    [({"name": "", "birth_date": "2015-03-04"}, "姓名"), ({"name": "张伟"}, "出生日期"),
     ({"name": "张伟", "birth_date": "2015-02-30"}, "出生日期"), ({"name": "123", "birth_date": "2015-03-04"}, "姓名")],
)  # fmt: skip
def test_rows_that_cannot_be_matched_are_rejected_with_the_reason(values, reason):
    row = parse_row(1, values)
    assert row.person is None and reason in row.reject


def test_stored_values_mask_identifiers_even_in_extra_columns():
    row = parse_row(
        1,
        {"name": "张伟", "id_number": NUMBER, "guardian_phone": "138 1234 5678"},
        {"监护人身份证": idnumber.make("420881", dt.date(1985, 1, 1), 11), "备注": "母亲电话13987654321"},
    )
    text = str(row.stored)
    assert NUMBER not in text and "13812345678" not in text and "13987654321" not in text
    assert "420881" in text  # masked forms keep the county and the last four


def test_the_same_row_has_the_same_content_hash_whatever_its_spelling():
    a = parse_row(1, {"name": "张伟", "id_number": NUMBER.lower(), "birth_date": "2015/3/4"})
    b = parse_row(9, {"name": " 张 伟", "id_number": f" {NUMBER}", "birth_date": "20150304"})
    assert a.content_hash == b.content_hash


@pytest.mark.parametrize(
    ("stage", "grade", "expected"),
    [("", "三年级", "小学"), ("", "初二", "初中"), ("", "八年级", "初中"), ("高中", "", "普通高中"),
     ("", "大班", "幼儿园"), ("辍学", "", "失学辍学"), ("职高", "", "中职"), ("", "", "")],
)  # fmt: skip
def test_stage_from_stage_or_grade(stage, grade, expected):
    assert rows.parse_stage(stage, grade) == expected


def test_disability_and_amount_readers():
    assert rows.parse_disability_category("听力残疾") == "听力"
    assert rows.parse_disability_level("二级") == 2 and rows.parse_disability_level("3级") == 3
    assert rows.parse_amount("86,000.50元") == 86000.5
    assert rows.vaccination_complete("漏种麻腮风") is False and rows.vaccination_complete("全程接种") is True


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["name", "id_number", "birth_date", "sex", "guardian_phone", "address"]),
        st.one_of(st.none(), st.text(max_size=30), st.integers(), st.floats(allow_nan=True), st.dates()),
    )
)
def test_any_cell_values_give_a_row_or_a_reason_never_an_error(values):  # fmt: skip
    row = parse_row(1, values)
    assert (row.person is None) == bool(row.reject)


date_cells = st.one_of(
    st.none(),
    st.text(alphabet="0123456789-/.年月日 去今明后天xX", max_size=14),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(value=date_cells)
def test_a_date_cell_is_read_noted_or_rejected_never_dropped(value):
    """Whatever a date column holds, the row reads it as a date, or says what it made of it, or is
    rejected naming the column: a value is never silently read as a blank."""
    row = parse_row(
        1, {"name": "张伟", "id_number": NUMBER, "arrival_date": value}, dates={"arrival_date": "来天门日期"}
    )
    blank = value is None or (isinstance(value, str) and not value.strip())
    if row.reject:
        assert "来天门日期" in row.reject and row.person is None and row.reply["outcome"] == "rejected"
        assert row.reply["errors"][0] == row.reject
    elif not blank:
        try:
            dt.date.fromisoformat(row.facts["arrival_date"])  # read: the effects get the date
        except (TypeError, ValueError):
            assert any("来天门日期" in note for note in row.notes)  # kept, and said what became of it
