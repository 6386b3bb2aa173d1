"""Small helps in the forms, in a real browser."""

import datetime as dt

import pytest

from common.testing import make_id
from e2e.conftest import log_in, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_birth_date_fills_itself_from_the_typed_id_number(phone, city):
    log_in(phone, "yuekou_director")
    phone.goto("/children/new/")
    birth = dt.date(2017, 8, 9)
    number = make_id(birth, male=False, county="421381")
    phone.fill("input[name=id_number]", number[:17])  # not yet whole: nothing is guessed
    assert phone.input_value("input[name=birth_date]") == ""
    phone.fill("input[name=id_number]", number)
    assert phone.input_value("input[name=birth_date]") == "2017-08-09"
    shot(phone, "form-birth-date-from-id")
    # A wrong check digit fills nothing, and a date the user typed is never overwritten.
    phone.fill("input[name=birth_date]", "2017-08-10")
    phone.fill("input[name=id_number]", make_id(dt.date(2016, 1, 2), county="421381"))
    assert phone.input_value("input[name=birth_date]") == "2017-08-10"


def test_a_wrong_check_digit_fills_nothing(phone, city):
    log_in(phone, "yuekou_director")
    phone.goto("/children/new/")
    number = make_id(dt.date(2017, 8, 9), county="421381")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    phone.fill("input[name=id_number]", wrong)
    assert phone.input_value("input[name=birth_date]") == ""
