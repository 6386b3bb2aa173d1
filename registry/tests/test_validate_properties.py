"""Property-based: the ID number, birth date and sex must agree, whatever the input."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common import idnumber
from registry.services import InvalidChildData, validate
from registry.tests.helpers import child_input

births = st.dates(min_value=dt.date(2008, 1, 1), max_value=dt.date(2025, 12, 31))
sequences = st.integers(min_value=0, max_value=999)
COUNTIES = ["420881", "421122", "410102", "429006", "422421"]  # 422421 is a historical code


@pytest.fixture
def village(city):
    return city.yuekou_community


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(birth=births, sequence=sequences, county=st.sampled_from(COUNTIES), shift=st.integers(-400, 400))
def test_id_birth_and_sex_must_agree(village, birth, sequence, county, shift):
    number = idnumber.make(county, birth, sequence)
    sex = "男" if sequence % 2 else "女"
    given_birth = birth + dt.timedelta(days=shift)
    given_birth = min(given_birth, dt.date.today())
    for given_sex in ("男", "女"):
        data = child_input(village, id_number=number, birth_date=given_birth, male=given_sex == "男")
        data.sex = given_sex
        data.arrival_date = None
        agree = given_birth == birth and given_sex == sex
        if agree:
            assert validate(data)["id_number"] == number
        else:
            with pytest.raises(InvalidChildData) as exc:
                validate(data)
            assert "id_number" in exc.value.errors


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(birth=births, sequence=sequences, position=st.integers(0, 16), digit=st.integers(0, 9))
def test_one_wrong_digit_is_always_refused(village, birth, sequence, position, digit):
    number = idnumber.make("420881", birth, sequence)
    if number[position] == str(digit):
        return
    typo = number[:position] + str(digit) + number[position + 1 :]
    data = child_input(village, id_number=typo, birth_date=birth, male=sequence % 2 == 1)
    data.arrival_date = None
    with pytest.raises(InvalidChildData) as exc:
        validate(data)
    assert "id_number" in exc.value.errors


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(["moved_with", "school_stage", "health", "insurance_place"]),
    value=st.text(max_size=6),
)
def test_choice_fields_accept_exactly_their_choice_values(village, field, value):
    from registry import choices

    allowed = {
        "moved_with": choices.MovedWith,
        "school_stage": choices.SchoolStage,
        "health": choices.Health,
        "insurance_place": choices.InsurancePlace,
    }[field].values
    data = child_input(village)
    setattr(data, field, value)
    if not value or value in allowed:
        validate(data)
    else:
        with pytest.raises(InvalidChildData) as exc:
            validate(data)
        assert exc.value.errors[field].endswith(f"（可选：{'、'.join(allowed)}）")
