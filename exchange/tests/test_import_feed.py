"""The command and report contract, and the matching bands on the hard cases end to end."""

import json

import pytest
from django.core.management.base import CommandError

from exchange.models import FeedBatch, FeedRow, ReviewItem
from exchange.testing import write_feed
from exchange.tests.helpers import run_feed, write_csv

HEAD = ["学生姓名", "性别", "学生身份证号", "出生日期", "学校名称", "就读年级", "家长姓名", "家长联系电话"]


def _edu_row(child, *, name=None, number=None, birth=None, phone="13800000001", guardian="张大明"):
    return [
        name or child.name,
        child.sex,
        child.id_number if number is None else number,
        birth or child.birth_date.isoformat(),
        "天门市岳口实验小学",
        "三年级",
        guardian,
        phone,
    ]


def test_report_contract_shape(registry, tmp_path):
    path = tmp_path / "feed.xlsx"
    truth = write_feed(path, "education", list(registry.values()), rows=12, seed=2, noise=0.0)
    report = run_feed(path, "education", tmp_path)
    assert set(report) == {"rows", "summary"}
    assert [r["row"] for r in report["rows"]] == list(range(1, 13))
    for row, expected in zip(report["rows"], truth, strict=True):
        assert set(row) == {"row", "outcome", "child_id_number", "score", "reason"}
        assert row["outcome"] in {"linked", "review", "new", "rejected"}
        assert row["reason"]
        if expected["child_id_number"]:
            assert (row["outcome"], row["child_id_number"]) == ("linked", expected["child_id_number"])
            assert isinstance(row["score"], float)
        else:
            assert row["outcome"] == "new" and row["child_id_number"] is None
    summary = report["summary"]
    assert summary["rows"] == 12 and summary["linked"] + summary["new"] == 12


def test_rows_count_from_the_first_row_under_the_header(registry, tmp_path):
    child = registry["wang"]
    path = write_csv(
        tmp_path / "f.csv",
        [["天门市随迁子女名单（2025年秋季）"], [], HEAD, _edu_row(child, phone="13800000003"), ["", "", "", "", "", "", "", ""],
         ["", "男", "", "2015-01-01", "", "", "", ""]],
    )  # fmt: skip
    report = run_feed(path, "education", tmp_path)
    # Numbered by position under the header (a blank row keeps its number), as seen in Excel.
    assert [r["row"] for r in report["rows"]] == [1, 3]
    assert report["rows"][0]["child_id_number"] == child.id_number
    assert report["rows"][1]["outcome"] == "rejected" and "姓名" in report["rows"][1]["reason"]


def test_transposed_id_digit_links(registry, tmp_path):
    child = registry["wang"]
    n = child.id_number
    i = next(i for i in (14, 15) if n[i] != n[i + 1])
    swapped = n[:i] + n[i + 1] + n[i] + n[i + 2 :]
    path = write_csv(tmp_path / "f.csv", [HEAD, _edu_row(child, number=swapped, phone="13800000003")])
    row = run_feed(path, "education", tmp_path)["rows"][0]
    assert row["outcome"] == "linked" and row["child_id_number"] == child.id_number
    assert "颠倒" in row["reason"]


def test_homophone_without_id_links_on_household(registry, tmp_path):
    child = registry["zhangwei"]
    path = write_csv(tmp_path / "f.csv", [HEAD, _edu_row(child, name="张玮", number="", phone="13800000001")])
    row = run_feed(path, "education", tmp_path)["rows"][0]
    assert row["outcome"] == "linked" and row["child_id_number"] == child.id_number
    assert "同音" in row["reason"]


def test_missing_id_same_name_other_family_goes_to_review(registry, tmp_path):
    child = registry["zhangwei"]
    # Same name and birth date, but another guardian and phone: possibly a different child.
    path = write_csv(
        tmp_path / "f.csv", [HEAD, _edu_row(child, number="", phone="13999999999", guardian="孙红")]
    )
    row = run_feed(path, "education", tmp_path)["rows"][0]
    assert row["outcome"] == "review" and row["child_id_number"] is None
    item = ReviewItem.objects.get()
    assert item.candidates[0]["child_id"] == child.pk
    assert {c["field"] for c in item.candidates[0]["contributions"]} >= {"name", "birth", "household"}


def test_twins_are_never_merged(registry, tmp_path):
    a, b = registry["twin_a"], registry["twin_b"]
    rows = [HEAD, _edu_row(a, phone="13800000005"), _edu_row(b, phone="13800000005"),
            _edu_row(b, number="", phone="13800000005")]  # fmt: skip
    report = run_feed(write_csv(tmp_path / "f.csv", rows), "education", tmp_path)
    first, second, third = report["rows"]
    assert first["child_id_number"] == a.id_number
    assert second["child_id_number"] == b.id_number
    # Without an ID number the twin's row is linked only to the twin with that name, or reviewed.
    assert third["outcome"] in ("linked", "review")
    if third["outcome"] == "linked":
        assert third["child_id_number"] == b.id_number


def test_unregistered_twin_with_valid_id_is_new(registry, tmp_path):
    from common.testing import make_id

    a = registry["twin_a"]
    other = make_id(a.birth_date, male=True)
    path = write_csv(
        tmp_path / "f.csv", [HEAD, _edu_row(a, name="刘一航", number=other, phone="13800000005")]
    )
    row = run_feed(path, "education", tmp_path)["rows"][0]
    assert row["outcome"] == "new"


def test_gbk_csv_with_lowercase_x_fullwidth_digits_and_chinese_dates(registry, tmp_path):
    child = registry["li_a"]
    number = child.id_number.lower().translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    b = child.birth_date
    path = write_csv(
        tmp_path / "f.csv",
        [
            ["公民身份号码", "姓名", "出生日期"],
            [f" {number} ", " 李思雨 ", f"{b.year}年{b.month}月{b.day}日"],
        ],
        encoding="gbk",
    )
    row = run_feed(path, "police", tmp_path)["rows"][0]
    assert row["outcome"] == "linked" and row["child_id_number"] == child.id_number


def test_excel_serial_dates_and_header_under_merged_title(registry, tmp_path):
    import openpyxl

    from common.dates import date_to_excel_serial

    child = registry["wang"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["残联康复救助名单"])
    ws.merge_cells("A1:E1")
    ws.append(["填报单位：市残联", None, None, None, "2025年"])
    ws.append(["姓名", "出生日期", "残疾类别", "残疾等级", "联系电话"])
    ws.append([child.name, date_to_excel_serial(child.birth_date), "听力残疾", "二级", "13800000003"])
    path = tmp_path / "d.xlsx"
    wb.save(path)
    row = run_feed(path, "disability", tmp_path)["rows"][0]
    assert row["outcome"] == "linked" and row["child_id_number"] == child.id_number
    child.refresh_from_db()
    assert (child.disability_category, child.disability_level, child.health) == ("听力", 2, "残疾")


def test_unmapped_required_field_is_a_chinese_error_and_columns_fixes_it(registry, tmp_path):
    child = registry["wang"]
    path = write_csv(tmp_path / "f.csv", [["孩子", "证号"], [child.name, child.id_number]])
    with pytest.raises(CommandError) as exc:
        run_feed(path, "education", tmp_path)
    assert "姓名" in str(exc.value) and "--columns" in str(exc.value)
    failed = json.loads((tmp_path / "report-f.json").read_text(encoding="utf-8"))
    assert failed["rows"] == [] and "姓名" in failed["summary"]["error"]
    assert FeedBatch.objects.get().status == FeedBatch.Status.MAPPING
    report = run_feed(path, "education", tmp_path, columns="name=孩子,id_number=证号")
    assert report["rows"][0]["child_id_number"] == child.id_number


def test_unreadable_and_oversized_files_are_refused(registry, tmp_path, settings):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(CommandError) as exc:
        run_feed(bad, "police", tmp_path)
    assert "Excel" in str(exc.value)
    import exchange.services as services

    big = write_csv(tmp_path / "big.csv", [["姓名", "出生日期"]] + [["张三", "2015-01-01"]] * 200)
    old = services.MAX_FILE_BYTES
    services.MAX_FILE_BYTES = 100
    try:
        with pytest.raises(CommandError) as exc:
            run_feed(big, "police", tmp_path)
    finally:
        services.MAX_FILE_BYTES = old
    assert "超过" in str(exc.value)


def test_rows_never_store_clear_identifiers(registry, tmp_path):
    child = registry["wang"]
    run_feed(
        write_csv(tmp_path / "f.csv", [HEAD, _edu_row(child, phone="13800000003")]), "education", tmp_path
    )
    stored = str(FeedRow.objects.get().values)
    assert child.id_number not in stored and "13800000003" not in stored


def test_feed_from_the_registry_in_the_database(registry, tmp_path):
    from exchange.testing import write_feed_from_registry

    path = tmp_path / "bench.xlsx"
    truth = write_feed_from_registry(path, source="education", rows=10, seed=1, noise=0.0)
    report = run_feed(path, "education", tmp_path)
    known = [t for t in truth if t["child_id_number"]]
    assert len(truth) == 10 and 1 <= len(known) <= 8
    for row, t in zip(report["rows"], truth, strict=True):
        if t["child_id_number"]:
            assert row["child_id_number"] == t["child_id_number"]


def test_the_same_file_twice_is_noted(registry, tmp_path):
    path = write_csv(tmp_path / "f.csv", [HEAD, _edu_row(registry["wang"], phone="13800000003")])
    run_feed(path, "education", tmp_path)
    again = run_feed(path, "education", tmp_path)
    assert "导入过" in again["summary"]["warnings"][0]
