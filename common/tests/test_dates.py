import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.dates import (
    MAX_YEAR,
    MIN_YEAR,
    InvalidDate,
    date_to_excel_serial,
    excel_serial_to_date,
    parse_date,
    parse_date_or_none,
)

MARCH_4 = dt.date(2015, 3, 4)


@pytest.mark.parametrize(
    "value",
    [
        "2015-03-04",
        "2015-3-4",
        "2015/3/4",
        "2015/03/04",
        "2015.3.4",
        "20150304",
        "2015年3月4日",
        "2015年03月04日",
        "2015年3月4号",
        "2015年3月4",
        "2015-3-4 00:00:00",
        "2015-03-04 8:30",
        "2015-03-04T00:00:00",
        "2015/3/4 12:00:00.000",
        "２０１５－０３－０４",  # full-width digits and dash
        "２０１５年３月４日",
        "２０１５／３／４",
        " 2015-03-04 ",
        "2015 - 03 - 04",
        "2015 年 3 月 4 日",
        "\u30002015.3.4\u3000",  # full-width spaces
        "2015-03-04\n",
        "42067",  # Excel serial as text
        "42067.0",
    ],
)
def test_every_text_form_is_read(value):
    assert parse_date(value) == MARCH_4


@pytest.mark.parametrize(
    "value",
    [
        MARCH_4,
        dt.datetime(2015, 3, 4),
        dt.datetime(2015, 3, 4, 23, 59),
        42067,  # Excel serial number
        42067.0,
        42067.75,  # with a time of day
        Decimal("42067"),
        20150304,  # typed as a number without separators
        20150304.0,
    ],
)
def test_objects_and_numbers_are_read(value):
    assert parse_date(value) == MARCH_4


def test_excel_1900_leap_year_bug():
    assert excel_serial_to_date(1) == dt.date(1900, 1, 1)
    assert excel_serial_to_date(59) == dt.date(1900, 2, 28)
    assert excel_serial_to_date(61) == dt.date(1900, 3, 1)  # 60 is the non-existent 1900-02-29
    assert excel_serial_to_date(42067) == MARCH_4
    with pytest.raises(ValueError):
        excel_serial_to_date(60)
    assert date_to_excel_serial(dt.date(1900, 3, 1)) == 61
    assert date_to_excel_serial(dt.date(1900, 2, 28)) == 59


def test_impossible_date_message_names_field_and_value():
    with pytest.raises(InvalidDate) as info:
        parse_date("2015-02-30", field="出生日期")
    assert str(info.value).startswith("出生日期“2015-02-30”不是有效日期")
    assert "2月没有30日" in str(info.value)
    assert info.value.field == "出生日期"
    assert info.value.value == "2015-02-30"


@pytest.mark.parametrize(
    "value", ["2015-02-29", "2015-13-01", "2015-00-10", "2015-04-31", "20150230", "2015年2月30日"]
)
def test_impossible_dates_are_rejected(value):
    with pytest.raises(InvalidDate, match="不是有效日期"):
        parse_date(value)


def test_leap_day_is_accepted_in_leap_year():
    assert parse_date("2016-2-29") == dt.date(2016, 2, 29)


@pytest.mark.parametrize(
    "value", ["1899-12-31", "1850年1月1日", "2200-01-01", "0015-03-04", dt.date(1, 1, 1)]
)
def test_years_out_of_range_are_rejected(value):
    with pytest.raises(InvalidDate, match="年份"):
        parse_date(value, field="到达本地日期")


@pytest.mark.parametrize("value", [None, "", "   ", "\u3000", "\n"])
def test_empty_value_says_it_is_empty(value):
    with pytest.raises(InvalidDate) as info:
        parse_date(value, field="出生日期")
    assert str(info.value).startswith("出生日期为空")


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "2015",  # a year alone is no date
        2015,
        "15-3-4",  # two-digit year is ambiguous
        "3/4/2015",  # month/day order is ambiguous
        "2015-03/04",  # mixed separators
        "2015年3月",
        60,  # Excel's 1900-02-29
        9999,  # four digits: rather a year than a serial
        "99999",  # serial far in the future
        -42067,
        float("nan"),
        float("inf"),
        True,
        Decimal("NaN"),
        pytest.param(10**5000, id="huge-int"),
        object(),
        ["2015-03-04"],
        "2015-03-04 25:99:99 extra",
        pytest.param("x" * 10_000, id="huge-text"),
    ],
)
def test_unreadable_values_raise_invalid_date(value):
    with pytest.raises(InvalidDate) as info:
        parse_date(value, field="出生日期")
    message = str(info.value)
    assert message.startswith("出生日期")
    assert len(message) < 200  # long input is not echoed in full


def test_message_for_unrecognised_form_shows_an_example():
    with pytest.raises(InvalidDate, match="2015-03-04"):
        parse_date("三月四日")


def test_parse_date_or_none():
    assert parse_date_or_none(None) is None
    assert parse_date_or_none("") is None
    assert parse_date_or_none(" \u3000 ") is None
    assert parse_date_or_none("2015/3/4") == MARCH_4
    with pytest.raises(InvalidDate, match="监护人出生日期"):
        parse_date_or_none("2015/2/30", field="监护人出生日期")


# --- properties -------------------------------------------------------------

dates_in_range = st.dates(min_value=dt.date(MIN_YEAR, 1, 1), max_value=dt.date(MAX_YEAR, 12, 31))

FULL_WIDTH = str.maketrans("0123456789-/.", "０１２３４５６７８９－／．")

FORMS = [
    lambda d: d.isoformat(),
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d.year}.{d.month:02}.{d.day:02}",
    lambda d: d.strftime("%Y%m%d"),
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d.year}-{d.month}-{d.day} 00:00:00",
    lambda d: f" {d.year} 年 {d.month} 月 {d.day} 日 ",
    lambda d: d.isoformat().translate(FULL_WIDTH),
    lambda d: f"{d.year}/{d.month}/{d.day}".translate(FULL_WIDTH),
    lambda d: dt.datetime(d.year, d.month, d.day, 13, 5).isoformat(),
]


@settings(max_examples=200, deadline=None)
@given(day=dates_in_range, form=st.sampled_from(FORMS))
def test_round_trip_through_every_string_form(day, form):
    assert parse_date(form(day)) == day


@settings(max_examples=100, deadline=None)
@given(day=st.dates(min_value=dt.date(1927, 5, 18), max_value=dt.date(MAX_YEAR, 12, 31)))
def test_round_trip_through_excel_serial(day):
    serial = date_to_excel_serial(day)
    assert parse_date(serial) == day
    assert parse_date(str(serial)) == day
    assert parse_date(float(serial) + 0.5) == day


@settings(max_examples=100, deadline=None)
@given(serial=st.integers(min_value=1, max_value=80_000).filter(lambda s: s != 60))
def test_serial_conversion_is_invertible(serial):
    assert date_to_excel_serial(excel_serial_to_date(serial)) == serial


@settings(max_examples=200, deadline=None)
@given(
    value=st.one_of(
        st.text(),
        st.text(alphabet="0123456789-/.年月日号 :T０１２３４５６７８９"),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.none(),
        st.datetimes(),
        st.dates(),
    )
)
def test_parse_date_raises_only_invalid_date(value):
    try:
        result = parse_date(value, field="出生日期")
    except InvalidDate as exc:
        assert str(exc).startswith("出生日期")
    else:
        assert isinstance(result, dt.date) and not isinstance(result, dt.datetime)
        assert MIN_YEAR <= result.year <= MAX_YEAR
