"""The numbers one edit away from a mistyped ID number (one changed digit, two adjacent digits
swapped) that pass the check character: the generator finds every one of them, and the
true number is always among those of its mistyped forms."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from common import idnumber

DIGITS = "0123456789"
COUNTIES = ("420881", "429006", "411625", "511321", "130102", "440106")

valid_numbers = st.builds(
    idnumber.make,
    st.sampled_from(COUNTIES),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date.today()),
    st.integers(0, 999),
)
# Any 18 characters shaped like a number: the first 17 digits (a real date or not), the last a
# digit or X; and a few with a stray letter, which take the edit-by-edit path.
shaped = st.builds(
    lambda body, last: body + last,
    st.text(DIGITS, min_size=17, max_size=17),
    st.sampled_from(DIGITS + "X"),
)
stray = st.builds(
    lambda body, i, ch: body[:i] + ch + body[i + 1 :],
    shaped,
    st.integers(0, 16),
    st.sampled_from("OoIlX"),
)


def every_edit(number: str) -> dict[str, tuple[int, ...]]:
    """Every one-character change (a digit; the last character may be X) and adjacent swap."""
    edits: dict[str, tuple[int, ...]] = {}
    for i in range(18):
        for ch in idnumber.CHECK_CHARS if i == 17 else DIGITS:
            if ch != number[i]:
                edits[number[:i] + ch + number[i + 1 :]] = (i,)
    for i in range(17):
        if number[i] != number[i + 1]:
            edits[number[:i] + number[i + 1] + number[i] + number[i + 2 :]] = (i, i + 1)
    return edits


def real_birth(number: str) -> bool:
    try:
        day = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return 1900 <= day.year and day <= dt.date.today()


@given(number=st.one_of(shaped, stray, valid_numbers))
def test_every_edit_that_passes_the_check_is_found_and_nothing_else(number):
    expected = {
        edited: positions
        for edited, positions in every_edit(number).items()
        if idnumber.passes_check(edited) and real_birth(edited)
    }
    found = {n.number: n.positions for n in idnumber.one_edit_neighbours(number)}
    assert found == expected


@given(true=valid_numbers, position=st.integers(0, 17), digit=st.sampled_from(DIGITS + "X"))
def test_the_true_number_is_among_the_candidates_of_a_changed_digit(true, position, digit):
    if position < 17 and digit == "X":
        digit = "0"
    typed = true[:position] + digit + true[position + 1 :]
    if typed == true:
        return
    assert not idnumber.passes_check(typed)  # MOD 11-2 catches every single changed character
    candidates = {n.number: n.positions for n in idnumber.one_edit_neighbours(typed)}
    assert candidates.get(true) == (position,)


@given(true=valid_numbers, position=st.integers(0, 16))
def test_the_true_number_is_among_the_candidates_of_two_swapped_digits(true, position):
    typed = true[:position] + true[position + 1] + true[position] + true[position + 2 :]
    if typed == true:
        return
    candidates = {n.number: n.positions for n in idnumber.one_edit_neighbours(typed)}
    if idnumber.passes_check(typed):
        # Only swapping the last digit with the check character can pass the check again.
        assert position == 16
    assert candidates.get(true) == (position, position + 1)


def test_explanations_name_the_wrong_digit_or_the_swapped_pair():
    true = idnumber.make("420881", dt.date(2015, 3, 4), 123)
    changed = true[:9] + str((int(true[9]) + 1) % 10) + true[10:]
    (hit,) = [n for n in idnumber.one_edit_neighbours(changed) if n.number == true]
    assert hit.explain_zh() == "第10位有误"
    i = next(i for i in range(12, 16) if true[i] != true[i + 1])
    swapped = true[:i] + true[i + 1] + true[i] + true[i + 2 :]
    (hit,) = [n for n in idnumber.one_edit_neighbours(swapped) if n.number == true]
    assert hit.explain_zh() == f"第{i + 1}、{i + 2}位颠倒"


def test_only_eighteen_character_numbers_have_neighbours():
    assert idnumber.one_edit_neighbours("42088120150304123") == []
    assert idnumber.one_edit_neighbours("") == []
    assert idnumber.one_edit_neighbours(None) == []


def test_one_edit_positions():
    assert idnumber.one_edit_positions("123456", "123456") is None
    assert idnumber.one_edit_positions("123456", "123356") == (3,)
    assert idnumber.one_edit_positions("123456", "124356") == (2, 3)
    assert idnumber.one_edit_positions("123456", "125436") is None
    assert idnumber.one_edit_positions("123456", "12345") is None
