"""Upload → preview → confirm, the rejected rows, and who may do it."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from common import idnumber
from common.testing import make_child
from ledger.models import LedgerImport
from ledger.rows import HEADERS
from registry.models import Child

TODAY = dt.date.today()


def row(township, village="", *, sequence=1, phone="13812345678", **changes):
    birth = TODAY.replace(year=TODAY.year - 9) - dt.timedelta(days=sequence)
    values = {
        "姓名": f"测试{sequence}",
        "性别": "男",
        "出生日期": birth.isoformat(),
        "公民身份号码": idnumber.make("411625", birth, 2 * sequence + 1),
        "户籍地址": "河南省周口市郸城县某村",
        "到达本地日期": (TODAY.replace(year=TODAY.year - 2)).isoformat(),
        "居住乡镇（街道）": township,
        "居住村（社区）": village,
        "监护人姓名": "测试家长",
        "监护人与儿童关系": "父亲",
        "监护人联系电话": phone,
        "就学状态": "小学",
    }
    values.update(changes)
    return values


def ledger_csv(rows, *, encoding="utf-8-sig", name="台账.csv"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["岳口镇流动儿童台账"])
    writer.writerow(HEADERS)
    for values in rows:
        writer.writerow([values.get(h, "") for h in HEADERS])
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def upload(client, file):
    return client.post(reverse("ledger:upload"), {"file": file})


@pytest.fixture
def mixed(city):
    """Two rows in 岳口镇, one in 多宝镇, one with a bad phone."""
    return [
        row("岳口镇", city.yuekou_community.name, sequence=1),
        row("岳口镇", city.yuekou_other_village.name, sequence=2),
        row("多宝镇", city.duobao_village.name, sequence=3),
        row("岳口镇", "", sequence=4, phone="12345"),
    ]


def test_anonymous_is_sent_to_login(client, city):
    for name in ("ledger:upload", "ledger:export"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("persona", ["leader", "edu_liaison", "teacher", "auditor"])
def test_roles_without_the_capability_get_403(client, city, login, persona):
    login(getattr(city, persona))
    assert client.get(reverse("ledger:upload")).status_code == 403
    assert client.get(reverse("ledger:export")).status_code == 403


def test_director_may_not_import_or_export(client, city, login):
    login(city.yuekou_director)
    assert client.get(reverse("ledger:upload")).status_code == 403
    assert client.get(reverse("ledger:export")).status_code == 403


def test_supervisor_uploads_previews_and_confirms_only_their_township(client, city, login, mixed):
    login(city.yuekou_supervisor)
    response = upload(client, ledger_csv(mixed))
    assert response.status_code == 302
    ledger_import = LedgerImport.objects.get()
    assert ledger_import.status == "previewed" and ledger_import.township == city.yuekou
    assert (ledger_import.total_rows, ledger_import.valid_rows, ledger_import.rejected_rows) == (4, 2, 2)
    assert Child.objects.count() == 0  # nothing is written before the confirmation

    page = client.get(reverse("ledger:preview", args=[ledger_import.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "不在您的管辖范围内" in text and "格式不正确" in text
    assert mixed[0]["公民身份号码"] not in text  # the preview shows masked numbers only

    response = client.post(reverse("ledger:confirm", args=[ledger_import.pk]))
    assert response.status_code == 302
    ledger_import.refresh_from_db()
    assert ledger_import.status == "committed" and ledger_import.registered == 2
    assert set(Child.objects.values_list("township_id", flat=True)) == {city.yuekou.pk}
    assert AuditEvent.objects.filter(batch=ledger_import.batch, action="create").count() == 2

    # A second confirmation changes nothing.
    client.post(reverse("ledger:confirm", args=[ledger_import.pk]))
    assert Child.objects.count() == 2

    # The same ledger again: the two children are updated, not duplicated.
    upload(client, ledger_csv(mixed))
    second = LedgerImport.objects.exclude(pk=ledger_import.pk).get()
    assert "同一文件已于" in second.warnings[0]
    assert "将更新档案" in client.get(reverse("ledger:preview", args=[second.pk])).content.decode()
    client.post(reverse("ledger:confirm", args=[second.pk]))
    second.refresh_from_db()
    assert (second.registered, second.updated) == (0, 2)
    assert Child.objects.count() == 2


def test_supervisor_of_duobao_cannot_commit_rows_of_yuekou(client, city, login, mixed):
    login(city.duobao_supervisor)
    upload(client, ledger_csv(mixed))
    ledger_import = LedgerImport.objects.get()
    client.post(reverse("ledger:confirm", args=[ledger_import.pk]))
    ledger_import.refresh_from_db()
    assert ledger_import.registered == 1
    assert list(Child.objects.values_list("township_id", flat=True)) == [city.duobao.pk]


def test_other_supervisor_gets_404_on_someone_elses_import(client, city, login, mixed):
    login(city.yuekou_supervisor)
    upload(client, ledger_csv(mixed))
    ledger_import = LedgerImport.objects.get()
    login(city.duobao_supervisor)
    for name in ("ledger:preview", "ledger:rejected"):
        assert client.get(reverse(name, args=[ledger_import.pk])).status_code == 404
    assert client.post(reverse("ledger:confirm", args=[ledger_import.pk])).status_code == 404
    assert Child.objects.count() == 0


def test_child_filed_in_another_township_is_rejected_without_leaking(client, city, login):
    existing = make_child(village=city.yuekou_community, name="王秘密")
    login(city.duobao_supervisor)
    moved = row(
        "多宝镇",
        city.duobao_village.name,
        sequence=7,
        **{
            "公民身份号码": existing.id_number,
            "出生日期": existing.birth_date.isoformat(),
            "性别": existing.sex,
        },
    )
    upload(client, ledger_csv([moved]))
    ledger_import = LedgerImport.objects.get()
    reason = ledger_import.rows.get().reason
    assert "已在其他乡镇（街道）建档" in reason
    assert existing.file_no not in reason and "岳口" not in reason and "王秘密" not in reason
    assert Child.objects.count() == 1


def test_rejected_rows_download_as_excel_with_a_reason_column(client, city, login, mixed):
    login(city.yuekou_supervisor)
    upload(client, ledger_csv(mixed))
    ledger_import = LedgerImport.objects.get()
    response = client.get(reverse("ledger:rejected", args=[ledger_import.pk]))
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    lines = list(sheet.iter_rows(values_only=True))
    headers = list(lines[0])
    assert headers[-1] == "错误原因" and "公民身份号码" in headers
    assert len(lines) == 3
    reasons = [line[-1] for line in lines[1:]]
    assert any("管辖范围" in r for r in reasons) and any("联系电话" in r for r in reasons)
    ids = {line[headers.index("公民身份号码")] for line in lines[1:]}
    assert mixed[2]["公民身份号码"] in ids  # the original values, to correct and upload again
    assert AuditEvent.objects.filter(action="export", batch=ledger_import.batch).exists()


def test_gbk_csv_upload(client, city, login, mixed):
    login(city.yuekou_supervisor)
    response = upload(client, ledger_csv(mixed[:2], encoding="gbk"))
    assert response.status_code == 302
    assert LedgerImport.objects.get().valid_rows == 2


def test_oversized_file_is_refused_with_a_message(client, city, login, mixed, settings):
    settings.IMPORT_MAX_BYTES = 200
    login(city.yuekou_supervisor)
    response = upload(client, ledger_csv(mixed))
    assert response.status_code == 200
    assert "超过了导入上限" in response.content.decode()
    assert LedgerImport.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 100, "另存为 .xlsx"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100, "只能导入"),
        ("broken.xlsx", b"PK\x03\x04garbage", "不是有效的 Excel"),
        ("binary.csv", bytes(range(256)) * 4, "无法识别文件的编码"),
        ("empty-ish.csv", "姓名,性别\n".encode(), "缺少必填的列"),
    ],
)
def test_unreadable_or_wrong_files_give_a_chinese_error(client, city, login, name, content, message):
    login(city.yuekou_supervisor)
    response = upload(client, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Child.objects.count() == 0


def test_upload_page_lists_recent_imports(client, city, login, mixed):
    login(city.yuekou_supervisor)
    upload(client, ledger_csv(mixed, name="我的台账.csv"))
    page = client.get(reverse("ledger:upload"))
    assert page.status_code == 200 and "我的台账.csv" in page.content.decode()
    login(city.duobao_supervisor)
    assert "我的台账.csv" not in client.get(reverse("ledger:upload")).content.decode()


def test_nav_entries(client, city, login):
    from web.cards import nav_items

    labels = {item["label"] for item in nav_items(city.yuekou_supervisor)}
    assert {"台账导入", "台账导出"} <= labels
    assert not {"台账导入", "台账导出"} & {item["label"] for item in nav_items(city.leader)}


def test_upload_without_a_file_asks_for_one(client, city, login):
    login(city.yuekou_supervisor)
    response = client.post(reverse("ledger:upload"), {})
    assert response.status_code == 200 and "请选择要导入的台账文件" in response.content.decode()


def test_home_card_for_imports_waiting_for_confirmation(client, city, login, mixed):
    from ledger.home import home_cards

    assert home_cards(city.yuekou_supervisor) == []
    login(city.yuekou_supervisor)
    upload(client, ledger_csv(mixed))
    [card] = home_cards(city.yuekou_supervisor)
    assert card.value == 1 and card.title == "待确认的台账导入"
    assert home_cards(city.duobao_supervisor) == []


def test_preview_names_the_rejected_rows(client, city, login, mixed):
    login(city.yuekou_supervisor)
    upload(client, ledger_csv(mixed))
    text = client.get(reverse("ledger:preview", args=[LedgerImport.objects.get().pk])).content.decode()
    assert "测试3 · 多宝镇" in text


def test_an_unexpected_failure_during_commit_is_reported_not_a_500(client, city, login, mixed, monkeypatch):
    import ledger.services

    login(city.yuekou_supervisor)
    upload(client, ledger_csv(mixed))
    ledger_import = LedgerImport.objects.get()

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ledger.services, "children_register_many", broken)
    response = client.post(reverse("ledger:confirm", args=[ledger_import.pk]), follow=True)
    assert response.status_code == 200 and "导入中途出错而中断" in response.content.decode()
    ledger_import.refresh_from_db()
    assert ledger_import.status == "failed" and Child.objects.count() == 0


def test_a_large_import_is_committed_in_the_background(client, city, login, mixed, monkeypatch):
    import ledger.views

    monkeypatch.setattr(ledger.views, "INLINE_ROWS", 1)
    login(city.yuekou_supervisor)
    upload(client, ledger_csv(mixed))
    ledger_import = LedgerImport.objects.get()
    response = client.post(reverse("ledger:confirm", args=[ledger_import.pk]))
    assert response.status_code == 302
    ledger_import.refresh_from_db()  # the test settings run tasks at once
    assert ledger_import.status == "committed" and ledger_import.registered == 2
    assert client.post(reverse("ledger:confirm", args=[ledger_import.pk])).status_code == 302
    assert Child.objects.count() == 2
