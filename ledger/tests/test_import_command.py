"""The command: a realistic ledger with bad rows of every kind, the report contract, re-import."""

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from ledger.models import LedgerImport, LedgerImportRow
from ledger.testing import BAD_KINDS, write_ledger
from registry.models import Child

ON = dt.date(2026, 11, 29)
REPORT_KEYS = {"row", "outcome", "file_no", "id_number", "migrant_status", "reason"}

EXPECTED_REASON = {
    "bad_check_digit": "校验位错误",
    "impossible_date": "不存在",
    "sex_mismatch": "性别",
    "birth_mismatch": "不符",
    "unknown_township": "不是天门市的乡镇（街道）",
    "unknown_village": "请先由管理员添加",
    "bad_phone": "联系电话",
    "bad_date": "不是有效日期",
    "unknown_hukou": "户籍地区划代码",
    "bad_choice": "就学状态",
    "duplicate_row": "重复填写",
}
EXPECTED_STATUS = {
    "ok": "migrant",
    "ok_local": "not_migrant",
    "ok_over16": "not_migrant",
    "ok_pending": "pending",
}


def run(path, tmp_path, *args):
    report = tmp_path / f"report-{path.stem}-{len(list(tmp_path.iterdir()))}.json"
    call_command(
        "import_children", str(path), "--report", str(report), "--on", ON.isoformat(), "--quiet", *args
    )
    return json.loads(report.read_text(encoding="utf-8"))


def test_realistic_ledger_reports_every_bad_row_and_registers_every_good_one(city, tmp_path):
    path = tmp_path / "台账.xlsx"
    plan = write_ledger(path, 2200, seed=11, bad_share=0.04, on=ON)
    report = run(path, tmp_path)
    rows = report["rows"]
    assert len(rows) == len(plan)
    seen_kinds = set()
    for planned, row in zip(plan, rows, strict=True):
        assert set(row) == REPORT_KEYS
        assert row["row"] == planned.row
        assert row["id_number"] == planned.id_number
        if planned.kind in EXPECTED_STATUS:
            assert row["outcome"] == "registered", (planned, row)
            assert row["migrant_status"] == EXPECTED_STATUS[planned.kind], (planned, row)
            assert row["file_no"].startswith("429006-")
            if row["migrant_status"] != "migrant":
                assert row["reason"], row
        else:
            seen_kinds.add(planned.kind)
            assert row["outcome"] == "rejected", (planned, row)
            assert row["file_no"] is None and row["migrant_status"] is None
            assert EXPECTED_REASON[planned.kind] in row["reason"], (planned, row)
    assert seen_kinds == set(BAD_KINDS)
    reasons = {r["reason"] for r in rows if r["migrant_status"] == "not_migrant"}
    assert "本地户籍（户籍在天门市）" in reasons
    assert any(r.startswith("已满16周岁") for r in reasons)

    summary = report["summary"]
    registered = sum(1 for r in rows if r["outcome"] == "registered")
    assert summary["registered"] == registered == Child.objects.count()
    assert summary["rejected"] == len(rows) - registered
    assert summary["updated"] == 0
    assert summary["migrant"] + summary["pending"] + summary["not_migrant"] == registered
    assert summary["elapsed_seconds"] > 0 and summary["rows_per_second"] > 0

    # The audit: every child under the import's batch, written by the system user.
    ledger_import = LedgerImport.objects.get()
    events = AuditEvent.objects.filter(batch=ledger_import.batch, action="create")
    assert events.count() == registered
    assert set(events.values_list("actor_name", flat=True)) == {"system_import"}
    assert not any(p.id_number in (e.summary or "") for e in events[:50] for p in plan[:50])

    # Re-importing the same ledger updates the same files, never duplicates them.
    again = run(path, tmp_path)
    assert Child.objects.count() == registered
    for first, second in zip(rows, again["rows"], strict=True):
        if first["outcome"] == "registered":
            assert second["outcome"] == "updated" and second["file_no"] == first["file_no"]
        else:
            assert second["outcome"] == "rejected"
    assert again["summary"]["updated"] == registered


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_csv_in_gbk_and_utf8_with_or_without_bom(city, tmp_path, encoding):
    path = tmp_path / f"台账-{encoding}.csv"
    plan = write_ledger(path, 60, seed=3, bad_share=0.1, on=ON, encoding=encoding)
    report = run(path, tmp_path)
    assert [r["row"] for r in report["rows"]] == [p.row for p in plan]
    good = [p for p in plan if p.kind.startswith("ok")]
    assert report["summary"]["registered"] == len(good) == Child.objects.count()


def test_ledger_without_title_row(city, tmp_path):
    path = tmp_path / "no-title.xlsx"
    plan = write_ledger(path, 30, seed=5, bad_share=0, on=ON, title=False)
    report = run(path, tmp_path)
    assert report["summary"]["registered"] == len(plan)


def test_extra_columns_go_to_the_remarks(city, tmp_path):
    path = tmp_path / "extra.xlsx"
    write_ledger(path, 120, seed=2, bad_share=0, on=ON)
    run(path, tmp_path)
    assert Child.objects.filter(remarks__contains="核实情况：已入户核实").exists()


def test_dry_run_writes_nothing(city, tmp_path):
    path = tmp_path / "dry.xlsx"
    write_ledger(path, 40, seed=4, bad_share=0.1, on=ON)
    report = run(path, tmp_path, "--dry-run")
    assert report["summary"]["dry_run"] is True
    assert report["summary"]["registered"] > 0
    assert Child.objects.count() == 0 and LedgerImport.objects.count() == 0


def test_import_as_a_supervisor_keeps_to_their_township(city, tmp_path):
    path = tmp_path / "scope.xlsx"
    write_ledger(path, 80, seed=8, bad_share=0, on=ON)
    report = run(path, tmp_path, "--user", city.duobao_supervisor.username)
    for row in report["rows"]:
        if row["outcome"] == "registered":
            assert Child.objects.get(file_no=row["file_no"]).township_id == city.duobao.pk
        else:
            assert "不在您的管辖范围内" in row["reason"]
    assert report["summary"]["registered"] >= 1


def test_rejected_rows_keep_their_cells_encrypted(city, tmp_path):
    path = tmp_path / "enc.xlsx"
    plan = write_ledger(path, 50, seed=9, bad_share=0.2, on=ON)
    run(path, tmp_path)
    bad = next(p for p in plan if p.kind == "bad_phone")
    row = LedgerImportRow.objects.get(number=bad.row)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select cells from ledger_ledgerimportrow where id = %s", [row.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("v1:") and "1381234" not in stored
    assert "1381234" in row.cells
    assert "*" in row.id_masked or not row.id_masked


def test_unreadable_file_is_a_clear_error(city, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CommandError, match="Excel"):
        call_command("import_children", str(path), "--quiet")
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_children", str(tmp_path / "missing.xlsx"), "--quiet")


def _csv(tmp_path, headers, lines, name="synonyms.csv"):
    import csv

    path = tmp_path / name
    with path.open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["多宝镇流动儿童花名册", "", ""])
        writer.writerow(headers)
        writer.writerows(lines)
    return path


def _child_line(city, sequence=1):
    from common import idnumber

    birth = dt.date(2017, 5, 6)
    number = idnumber.make("430623", birth, 2 * sequence + 1)
    return birth, number


def test_synonym_headers_staff_use_are_recognised(city, tmp_path):
    birth, number = _child_line(city)
    headers = [
        "儿童姓名",
        "身份证号码",
        "出生年月日",
        "乡镇",
        "村居",
        "户籍区划代码",
        "来天门时间",
        "联系电话",
        "监护人",
    ]
    line = [
        "刘小红",
        number.lower(),
        "2017年5月6日",
        "多宝",
        city.duobao_village.name,
        "430623",
        "2019.3.1",
        "13900001111",
        "刘大红",
    ]
    report = run(_csv(tmp_path, headers, [line]), tmp_path)
    [row] = report["rows"]
    assert row["outcome"] == "registered" and row["migrant_status"] == "migrant", row
    child = Child.objects.get()
    assert child.township_id == city.duobao.pk and child.village_id == city.duobao_village.pk
    assert child.household.guardians.get().phone == "13900001111"


def test_columns_option_maps_unknown_headers(city, tmp_path):
    birth, number = _child_line(city, 2)
    headers = ["名字", "证件", "居住地", "户籍代码", "流入日期"]
    line = ["周小兰", number, "多宝镇", "430623", "2019-03-01"]
    path = _csv(tmp_path, headers, [line], name="columns.csv")
    with pytest.raises(CommandError, match="--columns"):
        call_command("import_children", str(path), "--quiet")
    report = run(
        path,
        tmp_path,
        "--columns",
        "name=名字,id_number=证件,township=居住地,hukou_county_code=户籍代码,arrival_date=流入日期",
    )
    assert report["rows"][0]["outcome"] == "registered", report["rows"][0]


def test_statistics_are_refreshed_for_the_touched_townships(
    city, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    import stats.tasks

    asked = []

    class Recorder:
        def enqueue(self, ids):
            asked.append(ids)

    monkeypatch.setattr(stats.tasks, "refresh_townships", Recorder())
    path = tmp_path / "stats.xlsx"
    write_ledger(path, 40, seed=12, bad_share=0, on=ON)
    with django_capture_on_commit_callbacks(execute=True):
        run(path, tmp_path)
    townships = sorted(set(Child.objects.values_list("township_id", flat=True)))
    assert asked == [townships]
