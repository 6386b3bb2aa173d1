"""The feed rules end to end (file, push, and the engine the bulk linkage and the evaluation run):

* an invalid ID number finds its child through the blind index of its one-edit neighbours,
  confirmed by name, sex and the birth date inside the number, with or without a birth-date
  column; several alike go to review; none, without a birth date, is reported;
* an impossible date rejects the row with the column, the value and why, and such a row never
  registers or changes a child;
* a row without an ID number links when exactly one registered child has its exact name and
  birth date and no fact contradicts it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from common.testing import make_child, make_id
from exchange.linkage import RegistryLinker
from exchange.matching import Index, Matcher, Person
from exchange.models import ChildEffect, FeedBatch, FeedRow, ReviewItem
from exchange.rows import parse_row
from exchange.tests.helpers import changed, mistyped_with_a_second_neighbour, run_feed, swapped, write_csv
from registry.models import Child

DISABILITY = ["残疾人姓名", "身份证号", "残疾类别", "残疾等级"]


def one_row(tmp_path, source: str, header: list, row: list) -> dict:
    return run_feed(write_csv(tmp_path / f"{source}.csv", [header, row]), source, tmp_path)["rows"][0]


def push(client, user, source: str, rows: list[dict]):
    token = Token.objects.get_or_create(user=user)[0].key
    return client.post(
        "/api/v1/exchange/push", {"source": source, "rows": rows}, content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )  # fmt: skip


# ---------------------------------------------------------------- A: one edit away


@pytest.mark.parametrize("position", [2, 9, 11, 15, 17])
def test_disability_list_without_birth_column_links_a_mistyped_number(registry, tmp_path, position):
    child = registry["wang"]
    n = child.id_number
    typed = n[:17] + ("1" if n[17] != "1" else "2") if position == 17 else changed(n, position)
    row = one_row(tmp_path, "disability", DISABILITY, [child.name, typed, "肢体残疾", "二级"])
    assert (row["outcome"], row["child_id_number"]) == ("linked", n)
    assert f"第{position + 1}位有误" in row["reason"]
    child.refresh_from_db()
    assert (child.disability_category, child.disability_level) == ("肢体", 2)


def test_two_swapped_digits_link_and_say_which(registry, tmp_path):
    child = registry["li_a"]
    n = child.id_number
    i = next(i for i in (6, 8, 10, 12, 14, 15) if n[i] != n[i + 1])
    row = one_row(tmp_path, "disability", DISABILITY, [child.name, swapped(n, i), "听力", "三级"])
    assert (row["outcome"], row["child_id_number"]) == ("linked", n)
    assert f"第{i + 1}、{i + 2}位颠倒" in row["reason"]


def test_a_birth_date_column_must_agree_with_the_number(registry, tmp_path):
    child = registry["wang"]
    header = ["学生姓名", "学生身份证号", "出生日期", "年级"]
    typed = changed(child.id_number, 15)
    ok = one_row(tmp_path, "education", header, [child.name, typed, child.birth_date.isoformat(), "四年级"])
    assert ok["outcome"] == "linked" and "第16位有误" in ok["reason"]
    other_day = (child.birth_date - dt.timedelta(days=200)).isoformat()
    off = one_row(tmp_path, "education", header, [child.name, typed, other_day, "四年级"])
    assert "第16位有误" not in off["reason"]


def test_two_registered_children_alike_one_edit_away_go_to_review_with_both(registry, city, tmp_path):
    child = registry["wang"]
    typed, other_number = mistyped_with_a_second_neighbour(child.id_number)
    other = make_child(
        village=city.duobao_village, name=child.name, birth_date=child.birth_date, id_number=other_number,
        guardian_phone="13800000099",
    )  # fmt: skip
    row = one_row(tmp_path, "disability", DISABILITY, [child.name, typed, "肢体", "二级"])
    assert row["outcome"] == "review"
    item = ReviewItem.objects.get()
    assert {c["child_id"] for c in item.candidates[:2]} == {child.pk, other.pk}
    child.refresh_from_db()
    assert child.disability_category == ""  # nothing changed before a person decides


def test_nobody_alike_one_edit_away_is_reported_not_registered(registry, tmp_path):
    before = Child.objects.count()
    stranger = make_id(dt.date(2014, 7, 8))
    row = one_row(tmp_path, "disability", DISABILITY, ["刘洋", changed(stranger, 15), "肢体", "二级"])
    assert row["outcome"] == "rejected" and "核对身份证号" in row["reason"]
    # A registered child one edit away whose name is another: reported too.
    row = one_row(tmp_path, "disability", DISABILITY, ["刘洋", changed(registry["wang"].id_number, 15), "肢体", "二级"])  # fmt: skip
    assert row["outcome"] in ("rejected", "review")
    short = one_row(tmp_path, "disability", DISABILITY, ["刘洋", stranger[:17], "肢体", "二级"])
    assert short["outcome"] == "rejected" and "缺少出生日期" in short["reason"]
    assert Child.objects.count() == before


def test_neighbours_of_a_chunk_are_looked_up_in_one_query(registry):
    """300 mistyped numbers (some 4,500 blind-index values): one query, not one per row."""
    child = registry["wang"]
    rows = [parse_row(1, {"name": child.name, "id_number": changed(child.id_number, 15)})]
    for i in range(2, 301):
        number = make_id(dt.date(2012, 1, 1) + dt.timedelta(days=i))
        rows.append(parse_row(i, {"name": f"路人{i}", "id_number": changed(number, 15)}))
    assert sum(len(r.neighbours) for r in rows) > 3000
    with CaptureQueriesContext(connection) as queries:
        links = RegistryLinker().link(rows)
    by_hash = [q for q in queries.captured_queries if "id_hash" in q["sql"] and " IN " in q["sql"]]
    assert len(by_hash) == 1
    assert links[0].decision.outcome == "linked" and links[0].decision.best_key == str(child.pk)
    assert all(link.decision.outcome == "rejected" for link in links[1:])


# ---------------------------------------------------------------- B: impossible dates


@pytest.mark.parametrize(
    "value,why",
    [("2026/13/45", "没有 13 月"), ("去年", "无法识别"), ("2025-02-30", "2025年2月没有30日"),
     ("2090-01-01", "晚于今天")],
)  # fmt: skip
def test_an_impossible_birth_date_rejects_the_row_and_changes_nothing(registry, tmp_path, value, why):
    child = registry["wang"]
    grade = child.grade
    header = ["学生姓名", "学生身份证号", "出生年月", "年级"]
    row = one_row(tmp_path, "education", header, [child.name, child.id_number, value, "六年级"])
    assert row["outcome"] == "rejected"
    assert "出生年月" in row["reason"] and value in row["reason"] and why in row["reason"]
    child.refresh_from_db()
    assert child.grade == grade and not ChildEffect.objects.exists()
    stored = FeedRow.objects.get()
    assert stored.values["birth_date"] == value  # kept as sent, never blanked


def test_a_new_child_with_an_impossible_date_is_not_registered(registry, tmp_path):
    before = Child.objects.count()
    header = ["姓名", "身份证号", "出生日期", "到达本地日期", "居住地址"]
    row = one_row(tmp_path, "police", header,
                  ["吴新来", make_id(dt.date(2016, 2, 3)), "2016-02-03", "2024/02/30", "天门市岳口镇新街8号"])  # fmt: skip
    assert row["outcome"] == "rejected" and "到达本地日期“2024/02/30”" in row["reason"]
    assert Child.objects.count() == before


def test_an_impossible_arrival_date_leaves_the_residence_as_it_was(registry, tmp_path):
    child = registry["wang"]
    permit, arrival = child.residence_permit, child.arrival_date
    header = ["姓名", "身份证号", "来天门日期"]
    row = one_row(tmp_path, "police", header, [child.name, child.id_number, "去年"])
    assert row["outcome"] == "rejected" and "来天门日期“去年”" in row["reason"]
    child.refresh_from_db()
    assert (child.residence_permit, child.arrival_date) == (permit, arrival)


def test_a_pushed_impossible_date_is_an_error_of_that_row(registry, city, client):
    child = registry["wang"]
    response = push(client, city.edu_liaison, "education", [
        {"学生姓名": child.name, "身份证号": child.id_number, "出生日期": "2026/13/45"},
        {"学生姓名": child.name, "身份证号": child.id_number, "入学日期": "2025-02-30"},
    ])  # fmt: skip
    first, second = response.json()["rows"]
    assert first["outcome"] == "rejected" and "出生日期“2026/13/45”" in first["errors"][0]
    assert second["outcome"] == "rejected" and "入学日期“2025-02-30”" in second["errors"][0]
    assert not ChildEffect.objects.exists()


def test_a_month_without_its_day_is_no_error_and_is_not_taken_for_a_date(registry, tmp_path):
    child = registry["wang"]
    month = f"{child.birth_date.year}.{child.birth_date.month:02d}"
    header = ["学生姓名", "学生身份证号", "出生年月", "年级"]
    row = one_row(tmp_path, "education", header, [child.name, child.id_number, month, "四年级"])
    assert row["outcome"] == "linked" and "不一致" not in row["reason"]
    wrong = f"{child.birth_date.year - 1}年{child.birth_date.month}月"
    row = one_row(tmp_path, "education", header, [child.name, child.id_number, wrong, "四年级"])
    assert row["outcome"] == "linked" and "出生日期与身份证号不一致" in row["reason"]
    arrival = child.arrival_date
    row = one_row(
        tmp_path, "police", ["姓名", "身份证号", "来天门日期"], [child.name, child.id_number, "2019年3月"]
    )
    assert row["outcome"] == "linked" and "来天门日期“2019年3月”只有年月" in row["reason"]
    child.refresh_from_db()
    assert child.arrival_date == arrival and child.residence_permit is True
    impossible = one_row(tmp_path, "education", header, [child.name, child.id_number, "2015.13", "四年级"])
    assert impossible["outcome"] == "rejected" and "出生年月“2015.13”" in impossible["reason"]


def test_a_valid_date_of_any_form_is_read(registry, tmp_path):
    child = registry["wang"]
    header = ["姓名", "身份证号", "来天门日期"]
    row = one_row(tmp_path, "police", header, [child.name, child.id_number, "2019年3月4日"])
    assert row["outcome"] == "linked"
    child.refresh_from_db()
    assert child.residence_permit is True


# ---------------------------------------------------------------- C: exact name and birth date

INSURANCE = ["参保人姓名", "出生日期", "医疗费用总额", "预警日期"]


def test_insurance_row_without_id_links_the_only_child_of_that_name_and_birth(registry, tmp_path):
    from care.models import RiskFlag

    child = registry["wang"]
    row = one_row(tmp_path, "insurance", INSURANCE, [child.name, child.birth_date.isoformat(), "86000", "2025-03-01"])  # fmt: skip
    assert (row["outcome"], row["child_id_number"]) == ("linked", child.id_number)
    assert "仅此一名" in row["reason"]
    assert RiskFlag.objects.filter(child=child, category__code="family_hardship").exists()


def test_two_children_of_that_name_and_birth_go_to_review(registry, city, tmp_path):
    child = registry["wang"]
    twin = make_child(village=city.duobao_village, name=child.name, birth_date=child.birth_date, guardian_phone="13800000098")  # fmt: skip
    row = one_row(tmp_path, "insurance", INSURANCE, [child.name, child.birth_date.isoformat(), "86000", "2025-03-01"])  # fmt: skip
    assert row["outcome"] == "review"
    assert {c["child_id"] for c in ReviewItem.objects.get().candidates} == {child.pk, twin.pk}


@pytest.mark.parametrize(
    "column,value", [("性别", "女"), ("联系电话", "13999999999"), ("户籍地区划代码", "511321")]
)
def test_a_conflicting_fact_keeps_the_row_from_linking(registry, tmp_path, column, value):
    child = registry["wang"]
    row = one_row(tmp_path, "insurance", [*INSURANCE, column],
                  [child.name, child.birth_date.isoformat(), "86000", "2025-03-01", value])  # fmt: skip
    assert row["outcome"] != "linked"


# ---------------------------------------------------------------- one rule, one form


def _person(child: Child) -> Person:
    guardian = child.household.guardians.first()
    return Person(
        key=str(child.pk), name=child.name, birth_date=child.birth_date, sex={"男": "M", "女": "F"}[child.sex],
        id_number=child.id_number, hukou_county=child.hukou_county_id, guardian_name=guardian.name,
        guardian_phone=None, address=None,
    )  # fmt: skip


def test_file_push_and_engine_decide_alike(registry, city, client, tmp_path):
    """The same rows through a file, a push and the in-memory engine of the bulk evaluation:
    one decision code, the same outcomes and reasons."""
    wang, li = registry["wang"], registry["li_a"]
    stranger = make_id(dt.date(2014, 7, 8))
    rows = [
        {"姓名": wang.name, "身份证号": changed(wang.id_number, 9)},
        {"姓名": li.name, "身份证号": swapped(li.id_number, next(i for i in range(14, 16) if li.id_number[i] != li.id_number[i + 1]))},
        {"姓名": "刘洋", "身份证号": changed(stranger, 15)},
        {"姓名": wang.name, "出生日期": wang.birth_date.isoformat()},
    ]  # fmt: skip
    header = ["姓名", "身份证号", "出生日期"]
    file_rows = run_feed(
        write_csv(tmp_path / "f.csv", [header, *[[r.get(h, "") for h in header] for r in rows]]), "education", tmp_path
    )["rows"]  # fmt: skip
    assert [r["outcome"] for r in file_rows] == ["linked", "linked", "rejected", "linked"]
    assert push(client, city.edu_liaison, "education", rows).status_code == 201
    pushed = FeedRow.objects.filter(batch__via=FeedBatch.Via.API).order_by("number")
    assert [(r.outcome, r.reason) for r in pushed] == [(r["outcome"], r["reason"]) for r in file_rows]
    matcher = Matcher()
    index = Index.build([_person(c) for c in registry.values()])
    for sent, reported in zip(rows, file_rows, strict=True):
        values = {"name": sent["姓名"], "id_number": sent.get("身份证号"), "birth_date": sent.get("出生日期")}
        person = parse_row(1, values).person
        decision = matcher.match(person, index.candidates(person))
        assert decision.outcome == reported["outcome"] and reported["reason"].startswith(decision.reason_zh)
