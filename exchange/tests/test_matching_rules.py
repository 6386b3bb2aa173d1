"""The engine's rules for a mistyped ID number and for a row without one, as the evaluation and
the bulk linkage see them (no database: the in-memory index and the same Matcher).

The database path (exchange.linkage) runs the same ``Matcher.rank``/``decide``; its tests are
in test_feed_rules.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from common import idnumber
from exchange.matching import LINKED, NEW, REJECTED, REVIEW, Index, Matcher, Params, Person
from exchange.tests.helpers import changed, mistyped_with_a_second_neighbour, swapped
from exchange.tests.test_matching import BIRTH, COUNTY, child


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(Params.load())


def bare_row(name: str, number: str | None, **kw) -> Person:
    """A disability list's row: name and ID number, no birth date, sex or household."""
    return Person(key="row", name=name, birth_date=None, sex=None, id_number=number, **kw)


def decide(matcher: Matcher, row: Person, registry: list[Person]):
    return matcher.match(row, Index.build(registry).candidates(row))


def others(n: int = 30) -> list[Person]:
    """Unrelated registered children, some with the same surname."""
    return [
        child(f"O{i}", name, seq=100 + i * 2, birth=BIRTH - dt.timedelta(days=30 * i + 1), guardian_phone=f"1390000{i:04d}")
        for i, name in enumerate(["张明", "王芳", "李强", "张丽", "陈晨"] * (n // 5))
    ]  # fmt: skip


# --- an invalid number one edit from a registered child's --------------------


@pytest.mark.parametrize("position", [0, 5, 7, 9, 11, 13, 15, 17])
def test_one_wrong_digit_without_birth_date_links_and_says_which(matcher, position):
    target = child("C1", "张伟")
    typed = (
        target.id_number[:17] + ("0" if target.id_number[17] != "0" else "1")
        if position == 17
        else changed(target.id_number, position)
    )
    assert not idnumber.is_valid(typed)
    d = decide(matcher, bare_row("张伟", typed), [target, *others()])
    assert (d.outcome, d.best_key) == (LINKED, "C1")
    assert f"第{position + 1}位有误" in d.reason_zh


def test_two_swapped_digits_without_birth_date_link(matcher):
    target = child("C1", "张伟")
    i = next(i for i in (8, 12, 14, 15) if target.id_number[i] != target.id_number[i + 1])
    d = decide(matcher, bare_row("张伟", swapped(target.id_number, i)), [target, *others()])
    assert (d.outcome, d.best_key) == (LINKED, "C1") and f"第{i + 1}、{i + 2}位颠倒" in d.reason_zh


def test_a_homophone_name_confirms_as_the_name_does(matcher):
    target = child("C1", "张伟")
    d = decide(matcher, bare_row("张玮", changed(target.id_number, 15)), [target, *others()])
    assert (d.outcome, d.best_key) == (LINKED, "C1")


def test_birth_date_or_sex_against_the_number_is_not_confirmed(matcher):
    target = child("C1", "张伟")
    typed = changed(target.id_number, 15)
    wrong_birth = replace(bare_row("张伟", typed), birth_date=BIRTH - dt.timedelta(days=400))
    d = decide(matcher, wrong_birth, [target])
    assert d.outcome != LINKED or "有误" not in d.reason_zh
    wrong_sex = replace(bare_row("张伟", typed), sex="F")
    d = decide(matcher, wrong_sex, [target])
    assert d.outcome == REVIEW and d.review_keys == ("C1",)  # same name, sex contradicts: a person decides


def test_two_children_one_edit_away_and_alike_go_to_review_with_both(matcher):
    target = child("C1", "张伟")
    typed, other_number = mistyped_with_a_second_neighbour(target.id_number)
    other = child("C2", "张伟", id_number=other_number, guardian_phone="13900000099")
    d = decide(matcher, bare_row("张伟", typed), [target, other, *others()])
    assert d.outcome == REVIEW and set(d.review_keys) == {"C1", "C2"}


def test_a_similar_name_one_edit_away_goes_to_review(matcher):
    target = child("C1", "张伟")
    d = decide(matcher, bare_row("张明伟", changed(target.id_number, 15)), [target])
    assert d.outcome == REVIEW and d.review_keys == ("C1",)


def test_no_one_alike_one_edit_away_and_no_birth_date_is_reported(matcher):
    target = child("C1", "王芳", sex="F", seq=12)
    d = decide(matcher, bare_row("刘洋", changed(target.id_number, 15)), [target, *others()])
    assert d.outcome == REJECTED and "核对身份证号" in d.reason_zh
    stranger = idnumber.make("511321", dt.date(2012, 1, 2), 301)
    assert decide(matcher, bare_row("刘洋", changed(stranger, 3)), others()).outcome == REJECTED
    assert decide(matcher, bare_row("刘洋", None), others()).outcome == REJECTED


def test_with_a_birth_date_the_typo_rule_links_and_other_facts_still_count(matcher):
    target = child("C1", "张伟")
    row = replace(
        target, key="row", id_number=changed(target.id_number, 9), guardian_phone=None, address=None
    )
    d = decide(matcher, row, [target, *others()])
    assert (d.outcome, d.best_key) == (LINKED, "C1") and "第10位有误" in d.reason_zh
    # Nobody one edit away: the row is matched on its other facts as before, never reported.
    lone = replace(row, id_number=changed(idnumber.make("511321", BIRTH, 301), 3), name="刘洋")
    assert decide(matcher, lone, others()).outcome in (NEW, REVIEW)


# --- a row without an ID number: exact name and birth date -------------------


def insurance_row(name: str = "张伟", **kw) -> Person:
    return replace(Person(key="row", name=name, birth_date=BIRTH, sex=None, id_number=None), **kw)


def test_the_only_child_of_that_name_and_birth_date_links_explained(matcher):
    target = child("C1", "张伟")
    d = decide(matcher, insurance_row(), [target, *others()])
    assert (d.outcome, d.best_key) == (LINKED, "C1")
    assert "仅此一名" in d.reason_zh and "无身份证号" in d.reason_zh


def test_two_children_of_that_name_and_birth_date_go_to_review(matcher):
    a = child("C1", "张伟")
    b = child("C2", "张伟", seq=13, guardian_phone="13900000001", guardian_name="李红", address="多宝镇")
    assert decide(matcher, insurance_row(), [a, b, *others()]).outcome == REVIEW


@pytest.mark.parametrize(
    "conflict",
    [{"sex": "F"}, {"guardian_phone": "13999999999"}, {"hukou_county": "511321"}],
    ids=["sex", "guardian phone", "hukou county"],
)
def test_a_conflicting_fact_stops_the_rule(matcher, conflict):
    target = child("C1", "张伟")
    d = decide(matcher, replace(insurance_row(), **conflict), [target])
    assert d.outcome != LINKED


def test_agreeing_facts_do_not_stop_the_rule(matcher):
    target = child("C1", "张伟")
    row = insurance_row(sex="M", guardian_phone="13812345678", hukou_county=COUNTY)
    assert decide(matcher, row, [target]).outcome == LINKED


def test_a_same_day_child_of_the_rows_household_stops_the_rule(matcher):
    elsewhere = child("C1", "张伟", guardian_phone=None, guardian_name="李红", address="多宝镇新华社区")
    twin = child("C2", "张玮", seq=13)  # the row's household (phone, guardian, address), same birth date
    row = insurance_row(guardian_phone="13812345678", guardian_name="张建国")
    d = decide(matcher, row, [elsewhere, twin])
    assert not (d.outcome == LINKED and d.best_key == "C1")


def test_a_homophone_is_not_an_exact_name(matcher):
    target = child("C1", "张伟")
    d = decide(matcher, insurance_row("张玮"), [target])
    assert d.outcome != LINKED or "仅此一名" not in d.reason_zh


def test_a_row_with_an_id_number_is_not_decided_by_name_and_birth_date(matcher):
    target = child("C1", "张伟")
    other_number = idnumber.make("511321", BIRTH, 301)
    d = decide(matcher, replace(insurance_row(), id_number=other_number), [target])
    assert d.outcome == NEW  # two valid numbers: two children
