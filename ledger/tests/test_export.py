"""Export: the same headers as the import, scoped, masked unless revealed, audited, safe."""

import datetime as dt
import io
import json

import openpyxl
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditEvent
from common.testing import make_child
from ledger.rows import HEADERS
from ledger.testing import write_ledger
from registry.models import Child

ON = dt.date(2026, 11, 29)


def sheet_of(response):
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(workbook.active.iter_rows(values_only=True))


def test_admin_exports_full_numbers_when_asked_and_it_is_audited(client, city, login):
    child = make_child(village=city.yuekou_community)
    make_child(village=city.duobao_village, name="李四")
    login(city.admin)
    response = client.post(reverse("ledger:export"), {"full_ids": "on"})
    assert response.status_code == 200
    lines = sheet_of(response)
    assert list(lines[0]) == HEADERS
    assert len(lines) == 3
    by_file = {line[0]: line for line in lines[1:]}
    assert by_file[child.file_no][HEADERS.index("公民身份号码")] == child.id_number
    assert by_file[child.file_no][HEADERS.index("监护人联系电话")] == "13812345678"
    event = AuditEvent.objects.filter(action="export").latest("seq")
    assert event.changes == {"count": 2, "full_ids": True}
    assert child.id_number not in event.summary


def test_supervisor_export_is_scoped_and_masked_by_default(client, city, login):
    mine = make_child(village=city.duobao_village)
    make_child(village=city.yuekou_community)
    login(city.duobao_supervisor)
    lines = sheet_of(client.post(reverse("ledger:export"), {}))
    assert [line[0] for line in lines[1:]] == [mine.file_no]
    assert lines[1][HEADERS.index("公民身份号码")] == mine.id_masked
    assert "*" in lines[1][HEADERS.index("监护人联系电话")]
    assert AuditEvent.objects.filter(action="export").latest("seq").changes == {"count": 1, "full_ids": False}


def test_export_page_renders(client, city, login):
    login(city.yuekou_supervisor)
    page = client.get(reverse("ledger:export"))
    assert page.status_code == 200 and "导出完整证件号" in page.content.decode()


def test_formula_cells_are_neutralised(client, city, login):
    make_child(village=city.yuekou_community, name='=HYPERLINK("http://x")', remarks="@SUM(A1)")
    login(city.admin)
    lines = sheet_of(client.post(reverse("ledger:export"), {}))
    assert lines[1][HEADERS.index("姓名")].startswith("'=")
    assert lines[1][HEADERS.index("备注")].startswith("'@")


def test_export_then_import_updates_every_child(city, tmp_path):
    source = tmp_path / "in.xlsx"
    write_ledger(source, 150, seed=21, bad_share=0, on=ON)
    call_command("import_children", str(source), "--quiet", "--on", ON.isoformat())
    count = Child.objects.count()
    assert count == 150
    exported = tmp_path / "out.xlsx"
    call_command("export_children", str(exported), "--full-ids", "--quiet")
    rows = list(openpyxl.load_workbook(exported).active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS and len(rows) == count + 1
    report = tmp_path / "again.json"
    call_command("import_children", str(exported), "--report", str(report), "--quiet", "--on", ON.isoformat())
    result = json.loads(report.read_text(encoding="utf-8"))
    assert {r["outcome"] for r in result["rows"]} == {"updated"}
    assert Child.objects.count() == count
    file_nos = {r["file_no"] for r in result["rows"]}
    assert file_nos == set(Child.objects.values_list("file_no", flat=True))


def test_export_command_as_a_user_is_scoped(city, tmp_path):
    make_child(village=city.duobao_village)
    make_child(village=city.yuekou_community)
    out = tmp_path / "duobao.xlsx"
    call_command("export_children", str(out), "--user", city.duobao_supervisor.username, "--quiet")
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert len(rows) == 2 and "*" in rows[1][HEADERS.index("公民身份号码")]
