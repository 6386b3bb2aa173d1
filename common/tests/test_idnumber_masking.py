"""One masking format everywhere: common.idnumber.mask_any and mask_text."""

from hypothesis import given
from hypothesis import strategies as st

from common import idnumber
from common.testing import make_id


def test_an_id_number_in_text_is_masked_whole_never_as_fifteen_digits_and_a_tail():
    assert idnumber.mask_text("身份证 360102200806112046 无误") == "身份证 360102********2046 无误"


def test_phones_in_text_keep_three_and_four():
    assert idnumber.mask_text("电话13912345678") == "电话139****5678"
    assert idnumber.mask_text("0728-1234567") == "072*****4567"


def test_a_stored_mask_and_a_text_mask_agree():
    import datetime as dt

    number = make_id(dt.date(2015, 3, 2))
    assert idnumber.mask_text(number) == idnumber.mask(number) == idnumber.mask_any(number)


@given(st.text(alphabet="0123456789X -，号", max_size=60))
def test_no_run_of_fifteen_digits_survives(text):
    import re

    assert not re.search(r"\d{15}", idnumber.mask_text(text))
