"""The record-linkage engine: names, comparisons, hard cases, and a small synthetic evaluation.

Pure and fast: no database (run with ``-p no:django`` if you like).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest

from common import idnumber
from common.names import name_similarity, normalise, pinyin_key, split_surname
from exchange.matching import (
    LINKED,
    NEW,
    REVIEW,
    Index,
    Matcher,
    Params,
    Person,
    blocking_keys,
    evaluate,
    link_all,
    synth,
)
from exchange.matching import compare as cmp

BIRTH = dt.date(2016, 5, 14)
COUNTY = "420881"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(Params.load())


def child(
    key: str, name: str, *, seq: int | None = 11, birth: dt.date = BIRTH, sex: str = "M", **kw
) -> Person:
    fields = {
        "id_number": idnumber.make(COUNTY, birth, seq) if seq is not None else None,
        "hukou_county": COUNTY,
        "guardian_name": "张建国",
        "guardian_phone": "13812345678",
        "address": "湖北省天门市竟陵街道新光社区3组12号",
    }
    fields.update(kw)
    return Person(key=key, name=name, birth_date=birth, sex=sex, **fields)


def decide(matcher: Matcher, row: Person, registry: list[Person]):
    return matcher.match(row, Index.build(registry).candidates(row))


# --- names -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("单雄信", ("shan", "xiong", "xin")),
        ("曾国藩", ("zeng", "guo", "fan")),
        ("解缙", ("xie", "jin")),
        ("仇英", ("qiu", "ying")),
        ("区志坚", ("ou", "zhi", "jian")),
        ("查良镛", ("zha", "liang", "yong")),
        ("覃明", ("qin", "ming")),
        ("翟志刚", ("zhai", "zhi", "gang")),
        ("朴明", ("piao", "ming")),
        ("尉迟恭", ("yu", "chi", "gong")),
    ],
)
def test_surnames_are_read_as_surnames(name, expected):
    assert pinyin_key(name) == expected


def test_compound_surnames_are_kept_whole():
    assert split_surname("欧阳娜娜") == ("欧阳", "娜娜")
    assert split_surname("诸葛亮") == ("诸葛", "亮")
    assert split_surname("司马光") == ("司马", "光")
    assert split_surname("上官婉儿") == ("上官", "婉儿")
    assert split_surname("王伟") == ("王", "伟")


def test_spaces_and_middle_dots_are_ignored():
    assert normalise("张 伟") == normalise("张·伟") == normalise("张・伟") == "张伟"
    assert name_similarity("张 伟", "张伟") == "exact"


def test_name_levels():
    assert name_similarity("张伟", "张玮") == "pinyin"
    assert name_similarity("张伟", "章伟") == "pinyin"
    assert name_similarity("张子涵", "张子轩") == "close"
    assert name_similarity("陈宁", "陈玲") == "close"  # l/n
    assert name_similarity("张伟", "张强") == "surname"
    assert name_similarity("张伟", "李伟") == "different"


# --- comparisons ----------------------------------------------------------------


def test_birth_date_levels():
    assert cmp.compare_birth(20160514, 20160514) == "exact"
    assert cmp.compare_birth(20160504, 20160405) == "near"  # day and month swapped
    assert cmp.compare_birth(20160514, 20150514) == "near"
    assert cmp.compare_birth(20160514, 20120101) == "far"
    assert cmp.compare_birth(0, 20120101) == "missing"


def test_id_typo_and_transposition_are_one_edit():
    number = idnumber.make(COUNTY, BIRTH, 11)
    transposed = number[:14] + number[15] + number[14] + number[16:]
    mistyped = number[:3] + str((int(number[3]) + 1) % 10) + number[4:]
    assert cmp.within_one_edit(number, transposed)
    assert cmp.within_one_edit(number, mistyped)
    assert not cmp.within_one_edit(number, idnumber.make(COUNTY, BIRTH, 13))


def test_household_is_one_comparison():
    a = cmp.prepare(child("a", "张伟"))
    assert cmp.compare_household(a, cmp.prepare(child("b", "张强"))) == "all"
    assert cmp.compare_household(a, cmp.prepare(child("b", "张强", guardian_phone="13900000000"))) == (
        "guardian_address"
    )
    assert (
        cmp.compare_household(
            a, cmp.prepare(child("b", "张强", guardian_name="李四", guardian_phone=None, address=None))
        )
        == "none"
    )
    assert "household" in cmp.FIELDS and "guardian_phone" not in cmp.FIELDS


# --- hard cases -------------------------------------------------------------------


def test_twins_are_never_linked_to_each_other(matcher):
    twin_a = child("A", "张子涵", seq=11)
    twin_b = child("B", "张子轩", seq=13)
    # Both registered: each row goes to its own twin.
    for row, expected in ((twin_a, "A"), (twin_b, "B")):
        decision = decide(matcher, replace(row, key="row"), [twin_a, twin_b])
        assert decision.outcome == LINKED and decision.best_key == expected
    # Only A registered: B with its own ID number is a different child.
    row = replace(twin_b, key="row")
    assert decide(matcher, row, [twin_a]).outcome == NEW
    # Only A registered, B's row without an ID number: never an automatic link.
    row = replace(twin_b, key="row", id_number=None)
    assert decide(matcher, row, [twin_a]).outcome != LINKED
    # Both registered, B's row without an ID number: B, not A.
    decision = decide(matcher, row, [twin_a, twin_b])
    assert decision.outcome == LINKED and decision.best_key == "B"


def test_homophone_with_same_birth_and_household_is_not_new(matcher):
    registered = child("R", "张伟")
    row = child("row", "张玮", seq=None)
    decision = decide(matcher, row, [registered])
    assert decision.outcome in (LINKED, REVIEW)
    assert decision.best_key == "R"


def test_transposed_id_digit_is_linked(matcher):
    registered = child("R", "李明")
    number = registered.id_number
    transposed = number[:14] + number[15] + number[14] + number[16:]
    assert transposed != number
    row = child("row", "李明", id_number=transposed, guardian_phone="13900000000")
    decision = decide(matcher, row, [registered])
    assert decision.outcome == LINKED and decision.best_key == "R"
    assert ("id", "typo") in [(f, lv) for f, lv, _ in decision.contributions]


def test_missing_id_with_name_birth_and_household_is_linked(matcher):
    decision = decide(matcher, child("row", "王芳", seq=None, sex="F"), [child("R", "王芳", seq=12, sex="F")])
    assert decision.outcome == LINKED and decision.best_key == "R"


def test_same_name_same_birthday_other_household_is_not_linked(matcher):
    registered = child("R", "刘洋")
    row = child(
        "row",
        "刘洋",
        seq=None,
        guardian_name="陈红",
        guardian_phone="15011112222",
        address="湖北省天门市岳口镇东风村5组3号",
    )
    assert decide(matcher, row, [registered]).outcome != LINKED


def test_exact_valid_id_links_directly(matcher):
    registered = child("R", "赵磊")
    row = child("row", "赵磊", guardian_name=None, guardian_phone=None, address=None, hukou_county=None)
    decision = decide(matcher, row, [registered])
    assert decision.outcome == LINKED and decision.reason_zh == "身份证号完全一致"


def test_different_surname_is_far(matcher):
    registered = child("R", "张伟")
    row = child("row", "李伟", seq=None)
    decision = decide(matcher, row, [registered])
    assert decision.outcome != LINKED
    name = next(c for c in decision.contributions if c[0] == "name")
    assert name[1] == "different" and name[2] < -5


def test_decisions_explain_themselves(matcher):
    decision = decide(matcher, child("row", "张玮", seq=None), [child("R", "张伟")])
    assert [c[0] for c in decision.contributions] == list(cmp.FIELDS)
    assert decision.score == pytest.approx(sum(c[2] for c in decision.contributions), abs=0.01)
    assert "姓名" in decision.explain_zh()


def test_no_candidates_is_new(matcher):
    decision = matcher.match(child("row", "张伟"), [])
    assert decision.outcome == NEW and decision.best_key is None and decision.reason_zh


# --- blocking and parameters -------------------------------------------------------


def test_blocking_keys_are_strings_for_a_database_blocker():
    keys = blocking_keys(child("R", "单雄信"))
    assert all(isinstance(k, str) for k in keys)
    assert "sym:shan:201605" in keys
    assert any(k.startswith("id:") for k in keys) and any(k.startswith("tel:") for k in keys)


def test_index_finds_a_row_with_typos_in_id_and_surname():
    registry = [child(f"R{i}", "王" + c, seq=2 * i + 1) for i, c in enumerate("伟强磊军勇杰")]
    index = Index.build(registry)
    number = registry[3].id_number
    row = child("row", "汪军", id_number=number[:-2] + "99", guardian_phone=None)
    assert "R3" in {c.key for c in index.candidates(row)}


def test_params_round_trip():
    params = Params.load()
    again = Params.from_dict(json.loads(params.to_json()))
    assert again.weights() == params.weights()
    assert params.link_threshold >= params.review_threshold


# --- synthetic evaluation -------------------------------------------------------------


def test_synthetic_data_is_deterministic_and_valid():
    a = synth.generate(300, 100, seed=7)
    b = synth.generate(300, 100, seed=7)
    assert a.feed == b.feed and a.truth == b.truth
    assert all(idnumber.is_valid(p.id_number) for p in a.registry if p.id_number)
    assert len({p.id_number for p in a.registry if p.id_number}) == sum(1 for p in a.registry if p.id_number)
    assert any(t is None for t in a.truth) and any(t is not None for t in a.truth)


def test_evaluation_on_small_synthetic_set(matcher):
    data = synth.generate(5000, 1500, seed=3)
    decisions = link_all(data.feed, Index.build(data.registry), matcher)
    result = evaluate.metrics([(d.outcome, d.best_key) for d in decisions], data.truth)
    assert result["f1"] >= 0.99, result
    assert result["review_rate"] <= 0.05, result
