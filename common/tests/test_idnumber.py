import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common import idnumber


def test_valid_number_facts():
    facts = idnumber.parse("420881201503042095")
    assert facts.birth_date == dt.date(2015, 3, 4) and facts.sex == "M" and facts.county_code == "420881"


def test_normalises_full_width_lower_x_and_spaces():
    number = idnumber.make("420881", dt.date(2015, 3, 4), 2)
    while not number.endswith("X"):
        number = idnumber.make("420881", dt.date(2015, 3, 4), int(number[14:17]) + 2)
    messy = (
        " "
        + number[:6]
        + " "
        + number[6:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        + "x"
    )
    assert idnumber.parse(messy).number == number


def test_historical_county_codes_are_known():
    assert idnumber.county_known("422404")  # Tianmen before 1994
    assert idnumber.county_known("429006")
    assert not idnumber.county_known("999999")
    assert not idnumber.county_known("420000")  # a province, not a county


@pytest.mark.parametrize(
    "value,message",
    [
        ("", "为空"),
        ("42088120150304209", "18位"),
        ("42088120150230209X", "不存在"),
        ("420881201503042099", "校验位"),
        ("999999201503042093", "区划代码"),
        ("4.20881201503042e+17", "科学计数法"),
    ],
)
def test_invalid_numbers_have_chinese_reasons(value, message):
    with pytest.raises(idnumber.InvalidIdNumber, match=message):
        idnumber.parse(value)


def test_mask():
    assert idnumber.mask("420881201503042098") == "420881********2098"
    assert idnumber.mask_phone("13812345678") == "138****5678"


@given(
    birth=st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2025, 12, 31)),
    seq=st.integers(0, 999),
    county=st.sampled_from(["420881", "429006", "422404", "110101", "130602"]),
)
def test_generated_numbers_round_trip(birth, seq, county):
    number = idnumber.make(county, birth, seq)
    facts = idnumber.parse(number)
    assert facts.birth_date == birth and facts.sex == ("M" if seq % 2 else "F")


@given(st.text(max_size=40))
def test_parse_only_raises_invalid_id_number(text):
    try:
        idnumber.parse(text)
    except idnumber.InvalidIdNumber:
        pass


@given(
    birth=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2024, 1, 1)),
    position=st.integers(0, 16),
    digit=st.integers(0, 9),
)
def test_any_single_digit_error_is_caught(birth, position, digit):
    number = idnumber.make("420881", birth, 123)
    if number[position] == str(digit):
        return
    changed = number[:position] + str(digit) + number[position + 1 :]
    assert not idnumber.is_valid(changed)  # MOD 11-2 catches every single-digit error
