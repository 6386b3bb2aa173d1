import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.status import add_months, age_on, birthday, compute_status

HOME = ("429006", "422404", "422428")


def status(birth, county="420881", arrival=dt.date(2024, 1, 1), on=dt.date(2025, 7, 1)):
    return compute_status(
        birth_date=birth, hukou_county_code=county, arrival_date=arrival, home_county_codes=HOME, on=on
    )


def test_migrant_when_all_three_tests_hold():
    assert status(dt.date(2015, 3, 4)).status == "migrant"


@pytest.mark.parametrize("county", ["429006", "422404"])
def test_local_hukou_including_old_code_is_not_migrant(county):
    result = status(dt.date(2015, 3, 4), county=county)
    assert (
        result.status == "not_migrant"
        and "本地户籍" in result.reason
        and result.close_reason == "local_hukou"
    )


def test_sixteenth_birthday_ends_migrant_status():
    birth = dt.date(2009, 7, 1)
    assert status(birth, on=dt.date(2025, 6, 30)).status == "migrant"
    result = status(birth, on=dt.date(2025, 7, 1))
    assert result.status == "not_migrant" and result.close_reason == "turned_16"


def test_pending_until_six_months_then_migrant():
    arrival = dt.date(2025, 1, 31)
    assert add_months(arrival, 6) == dt.date(2025, 7, 31)
    pending = status(dt.date(2015, 3, 4), arrival=arrival, on=dt.date(2025, 7, 30))
    assert pending.status == "pending" and pending.migrant_from == dt.date(2025, 7, 31)
    assert status(dt.date(2015, 3, 4), arrival=arrival, on=dt.date(2025, 7, 31)).status == "migrant"


def test_month_end_clamps():
    assert add_months(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2023, 8, 31), 6) == dt.date(2024, 2, 29)


def test_turns_16_before_six_months_is_not_migrant():
    result = status(dt.date(2009, 9, 1), arrival=dt.date(2025, 5, 1), on=dt.date(2025, 6, 1))
    assert result.status == "not_migrant" and "满16周岁" in result.reason


def test_leap_day_birthday():
    assert birthday(dt.date(2012, 2, 29), 16) == dt.date(2028, 2, 29)
    assert birthday(dt.date(2012, 2, 29), 1) == dt.date(2013, 3, 1)
    assert age_on(dt.date(2012, 2, 29), dt.date(2013, 2, 28)) == 0


def test_unknown_facts_give_reasons():
    assert "户籍地未知" in status(dt.date(2015, 1, 1), county=None).reason
    assert "到达本地日期未知" in status(dt.date(2015, 1, 1), arrival=None).reason


@given(
    birth=st.dates(min_value=dt.date(2005, 1, 1), max_value=dt.date(2025, 6, 1)),
    arrival=st.dates(min_value=dt.date(2005, 1, 1), max_value=dt.date(2025, 7, 1)),
)
def test_status_agrees_with_the_three_tests(birth, arrival):
    on = dt.date(2025, 7, 1)
    result = status(birth, arrival=arrival, on=on)
    expected = age_on(birth, on) < 16 and add_months(arrival, 6) <= on
    assert (result.status == "migrant") == expected
