"""Review decisions (audited, re-used), the department API's scope, the URLs' permissions,
the national export."""

import io

import openpyxl
import pytest
from rest_framework.authtoken.models import Token

from accounts.models import Assignment
from accounts.roles import Role
from audit.models import AuditEvent
from exchange.models import FeedBatch, FeedRow, ReviewItem
from exchange.services import review_decide
from exchange.tests.helpers import run_feed, write_csv
from network.models import Department

HEAD = ["学生姓名", "性别", "出生日期", "家长姓名", "家长联系电话"]


def _ambiguous_row(child):
    return [child.name, child.sex, child.birth_date.isoformat(), "孙红", "13999999999"]


@pytest.fixture
def review_item(registry, tmp_path):
    run_feed(
        write_csv(tmp_path / "r.csv", [HEAD, _ambiguous_row(registry["zhangwei"])]), "education", tmp_path
    )
    return ReviewItem.objects.get()


def test_decision_links_applies_effect_is_audited_and_reused(registry, review_item, city, tmp_path):
    child = registry["zhangwei"]
    review_decide(actor=city.yuekou_supervisor, item=review_item, child_id=child.pk)
    row = FeedRow.objects.get(pk=review_item.row_id)
    assert row.outcome == "linked" and row.child_id == child.pk
    assert AuditEvent.objects.filter(action="approve", object_type="exchange.reviewitem").exists()
    batch = FeedBatch.objects.get()
    assert (batch.linked, batch.review) == (1, 0)
    # The same row again: the decision is re-used, no new review item.
    report = run_feed(write_csv(tmp_path / "again.csv", [HEAD, _ambiguous_row(child)]), "education", tmp_path)
    again = report["rows"][0]
    assert again["outcome"] == "linked" and again["child_id_number"] == child.id_number
    assert "沿用" in again["reason"] and ReviewItem.objects.count() == 1


def test_decision_new_is_reused_as_new(registry, review_item, city, tmp_path):
    review_decide(actor=city.admin, item=review_item, child_id=None)
    report = run_feed(
        write_csv(tmp_path / "again.csv", [HEAD, _ambiguous_row(registry["zhangwei"])]), "education", tmp_path
    )
    assert report["rows"][0]["outcome"] == "new"


def test_review_pages(registry, review_item, city, login, client):
    login(city.yuekou_supervisor)
    assert client.get("/exchange/review/").status_code == 200
    page = client.get(f"/exchange/review/{review_item.pk}/")
    assert page.status_code == 200 and registry["zhangwei"].file_no in page.content.decode()
    response = client.post(f"/exchange/review/{review_item.pk}/", {"decision": str(registry["zhangwei"].pk)})
    assert response.status_code == 302
    review_item.refresh_from_db()
    assert review_item.status == "decided" and review_item.decided_by == city.yuekou_supervisor


def test_review_item_of_other_township_is_404(review_item, city, login, client):
    login(city.duobao_supervisor)
    assert client.get(f"/exchange/review/{review_item.pk}/").status_code == 404
    assert client.get("/exchange/review/").status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/exchange/", "/exchange/upload/", "/exchange/national-export/", "/exchange/batches/{batch}/",
     "/exchange/batches/{batch}/progress/", "/exchange/batches/{batch}/report.xlsx",
     "/exchange/batches/{batch}/mapping/", "/exchange/review/", "/exchange/review/{item}/",
     "/exchange/children/{child}/"],
)  # fmt: skip
def test_permissions_of_every_url(url, registry, review_item, city, login, client):
    url = url.format(batch=FeedBatch.objects.get().pk, item=review_item.pk, child=registry["zhangwei"].pk)
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    login(city.teacher if "children" not in url else city.leader)
    assert client.get(url).status_code == 403
    login(city.admin)
    assert client.get(url).status_code in (200, 302)


def test_rollback_url_needs_post_and_import_capability(review_item, city, login, client):
    batch = FeedBatch.objects.get()
    login(city.yuekou_supervisor)
    assert client.post(f"/exchange/batches/{batch.pk}/rollback/").status_code == 403
    login(city.admin)
    assert client.post(f"/exchange/batches/{batch.pk}/rollback/").status_code == 302
    batch.refresh_from_db()
    assert batch.status == "rolled_back"
    review_item.refresh_from_db()
    assert review_item.status == "cancelled"


def test_child_feed_panel_is_scoped(registry, city, login, client):
    login(city.duobao_supervisor)
    assert client.get(f"/exchange/children/{registry['zhangwei'].pk}/").status_code == 404
    login(city.yuekou_supervisor)
    assert client.get(f"/exchange/children/{registry['zhangwei'].pk}/").status_code == 200


def test_upload_runs_the_import_in_the_background_and_shows_progress(
    registry, city, login, client, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    from exchange.models import FeedSource

    child = registry["wang"]
    path = write_csv(tmp_path / "u.csv", [["学生姓名", "学生身份证号"], [child.name, child.id_number]])
    login(city.admin)
    with path.open("rb") as handle:
        response = client.post(
            "/exchange/upload/", {"source": FeedSource.objects.get(code="education").pk, "file": handle}
        )
    batch = FeedBatch.objects.get()
    assert response.status_code == 302 and batch.status == "done" and batch.linked == 1 and batch.via == "ui"
    assert not list((tmp_path / "private-feeds").iterdir())  # the upload is removed after the import
    progress = client.get(f"/exchange/batches/{batch.pk}/progress/", HTTP_HX_REQUEST="true")
    assert progress.status_code == 200 and "已关联" in progress.content.decode()
    report = client.get(f"/exchange/batches/{batch.pk}/report.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(report.content))["逐行结果"]
    assert sheet.cell(2, 2).value == "已关联" and sheet.cell(2, 3).value == child.file_no


def test_upload_with_unmapped_columns_asks_for_a_mapping_and_saves_it(
    registry, city, login, client, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    from exchange.models import FeedSource

    child = registry["wang"]
    path = write_csv(tmp_path / "u.csv", [["孩子", "证号"], [child.name, child.id_number]])
    login(city.admin)
    source = FeedSource.objects.get(code="education")
    with path.open("rb") as handle:
        client.post("/exchange/upload/", {"source": source.pk, "file": handle})
    batch = FeedBatch.objects.get()
    assert batch.status == "mapping"
    page = client.get(f"/exchange/batches/{batch.pk}/")
    assert page.status_code == 302 and page["Location"].endswith("/mapping/")
    assert "孩子" in client.get(f"/exchange/batches/{batch.pk}/mapping/").content.decode()
    client.post(f"/exchange/batches/{batch.pk}/mapping/", {"name": "孩子", "id_number": "证号"})
    batch.refresh_from_db()
    source.refresh_from_db()
    assert batch.status == "done" and batch.linked == 1
    assert source.column_mapping["name"] == "孩子"


# ------------------------------------------------------------------ the department API


def _token(user):
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def test_liaison_pushes_rows_of_its_own_source(registry, city, client):
    child = registry["wang"]
    response = client.post(
        "/api/v1/exchange/push",
        {"source": "education", "rows": [{"学生姓名": child.name, "身份证号": child.id_number, "年级": "四年级"},
                                          {"name": "张伟", "birth_date": "2015-01-01", "guardian_phone": "13999999999"}]},
        content_type="application/json",
        **_token(city.edu_liaison),
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rows"] == [{"row": 1, "outcome": "received", "errors": []},
                            {"row": 2, "outcome": "received", "errors": []}]  # fmt: skip
    batch = FeedBatch.objects.get()
    assert batch.via == "api" and batch.linked == 1  # linked, though the department is not told
    child.refresh_from_db()
    assert child.grade == "四年级"
    listing = client.get("/api/v1/exchange/batches", **_token(city.edu_liaison))
    assert listing.status_code == 200
    assert listing.json()[0] | {"created_at": None} == {
        "batch": batch.pk, "source": "education", "status": "done", "created_at": None, "rows": 2,
        "received": 2, "rejected": 0,
    }  # fmt: skip
    detail = client.get(f"/api/v1/exchange/batches/{batch.pk}", **_token(city.edu_liaison))
    assert detail.status_code == 200 and detail.json()["rows"] == body["rows"]


def test_api_report_does_not_reveal_ids_the_department_did_not_send(registry, city, client):
    child = registry["wang"]
    response = client.post(
        "/api/v1/exchange/push",
        {"source": "education", "rows": [{"学生姓名": child.name, "出生日期": child.birth_date.isoformat(),
                                          "家长姓名": "张大明", "联系电话": "13800000003"}]},
        content_type="application/json",
        **_token(city.edu_liaison),
    )  # fmt: skip
    assert FeedRow.objects.get().outcome == "linked"
    assert response.json()["rows"] == [{"row": 1, "outcome": "received", "errors": []}]
    assert child.id_number not in response.content.decode()


def test_education_liaison_cannot_push_police_rows(registry, city, client):
    response = client.post(
        "/api/v1/exchange/push",
        {"source": "police", "rows": [{"姓名": "张三", "出生日期": "2015-01-01"}]},
        content_type="application/json",
        **_token(city.edu_liaison),
    )
    assert response.status_code == 403 and not FeedBatch.objects.exists()


def test_liaison_cannot_read_children_or_other_departments_batches(registry, city, client, tmp_path):
    from django.contrib.auth import get_user_model

    run_feed(
        write_csv(tmp_path / "p.csv", [["姓名", "出生日期"], ["张三", "2015-01-01"]]), "police", tmp_path
    )
    police_batch = FeedBatch.objects.get()
    assert (
        client.get(f"/api/v1/exchange/batches/{police_batch.pk}", **_token(city.edu_liaison)).status_code
        == 404
    )
    # A police liaison sees the API batches of the police only, never the command-line ones.
    police = get_user_model().objects.create(username="police_liaison")
    Assignment.objects.create(
        user=police, role=Role.LIAISON, department=Department.objects.get(code="public_security")
    )
    assert client.get(f"/api/v1/exchange/batches/{police_batch.pk}", **_token(police)).status_code == 404
    # No registry reads: the HTML file pages and the exchange pages refuse the liaison.
    headers = _token(city.edu_liaison)
    child = registry["wang"]
    assert client.get(f"/exchange/children/{child.pk}/", **headers).status_code in (302, 403, 404)
    client.force_login(city.edu_liaison)
    assert client.get(f"/exchange/children/{child.pk}/").status_code in (403, 404)
    assert client.get("/exchange/").status_code == 403
    from access.policy import children_visible

    assert not children_visible(city.edu_liaison).exists()


def test_push_refuses_bad_input_in_chinese(registry, city, client):
    for body in ({"source": "education", "rows": []}, {"source": "education", "rows": [{"性别": "男"}]}):
        response = client.post(
            "/api/v1/exchange/push", body, content_type="application/json", **_token(city.edu_liaison)
        )
        assert response.status_code == 400
    assert client.post("/api/v1/exchange/push", {}, content_type="application/json").status_code in (401, 403)
    for persona in (city.admin, city.yuekou_supervisor):
        response = client.post(
            "/api/v1/exchange/push", {"source": "education", "rows": [{"姓名": "张三"}]},
            content_type="application/json", **_token(persona),
        )  # fmt: skip
        assert response.status_code == 403


# ------------------------------------------------------------------ national export


def test_national_export_is_full_audited_and_admin_only(registry, city, login, client):
    login(city.admin)
    response = client.post("/exchange/national-export/")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    headers = [c.value for c in sheet[1]]
    assert headers[:6] == ["档案编号", "姓名", "性别", "民族", "出生日期", "公民身份号码"]
    ids = {row[5] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert registry["wang"].id_number in ids
    assert AuditEvent.objects.filter(action="export", object_type="exchange.national_export").exists()
    login(city.yuekou_supervisor)
    assert client.post("/exchange/national-export/").status_code == 403


def test_police_row_marked_new_by_a_reviewer_is_registered_pending(registry, city, tmp_path):
    from registry.models import Child

    child = registry["zhangwei"]
    rows = [["姓名", "性别", "出生日期", "联系人", "联系电话", "居住地址"],
            [child.name, child.sex, child.birth_date.isoformat(), "孙红", "13999999999", "天门市岳口镇新街8号"]]  # fmt: skip
    report = run_feed(write_csv(tmp_path / "p.csv", rows), "police", tmp_path)
    assert report["rows"][0]["outcome"] == "review"
    item = ReviewItem.objects.get()
    assert item.row.phone == "13999999999"  # kept encrypted while the reviewer decides
    review_decide(actor=city.yuekou_supervisor, item=item, child_id=None)
    new = Child.objects.exclude(pk=child.pk).get(name=child.name)
    assert new.pending_verification and new.residence_permit is True
    row = FeedRow.objects.get(pk=item.row_id)
    assert row.child_id == new.pk and row.phone == ""


def test_push_with_odd_json_values_never_fails(registry, city, client):
    body = '{"source": "education", "rows": [{"姓名": "张三", "出生日期": NaN, "联系电话": 1e400, "年级": 123456789012345678901234567890}]}'
    response = client.post(
        "/api/v1/exchange/push", body, content_type="application/json", **_token(city.edu_liaison)
    )
    assert response.status_code in (201, 400)
