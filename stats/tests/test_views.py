"""Permissions of every statistics URL, the workbook, the report and the refresh."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from audit.models import AuditEvent
from common.testing import make_child
from stats.tests.conftest import ON

PAGES = [
    "/stats/",
    "/stats/report/",
    "/stats/export.xlsx",
    "/api/v1/stats/measures",
    "/api/v1/stats/measures/sex",
]


@pytest.mark.parametrize("url", PAGES)
def test_auditor_and_teacher_get_403(city, login, url):
    for persona in (city.auditor, city.teacher):
        assert login(persona).get(url).status_code == 403


@pytest.mark.parametrize("url", ["/stats/", "/stats/report/", "/stats/export.xlsx"])
def test_anonymous_is_sent_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_anonymous_api_is_refused(client, db):
    assert client.get("/api/v1/stats/measures/sex").status_code in (401, 403)


def test_anonymous_refresh_is_sent_to_login(client, db):
    response = client.post("/stats/refresh/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_director_may_view_but_not_export(city, login):
    client = login(city.yuekou_director)
    assert client.get("/stats/").status_code == 200
    assert client.get("/stats/export.xlsx").status_code == 403
    assert client.get("/stats/report/").status_code == 403


def test_liaison_sees_the_page_without_register_figures(twelve, city, login):
    client = login(city.edu_liaison)
    page = client.get("/stats/")
    assert page.status_code == 200
    assert "年龄结构" not in page.content.decode()
    assert client.get("/api/v1/stats/measures/age_groups").status_code == 404


def test_dashboard_shows_tables_charts_and_update_time(twelve, city, login):
    page = login(city.leader).get("/stats/").content.decode()
    assert "数据更新于" in page
    assert 'id="data-age_groups"' in page and 'id="chart-age_groups"' in page
    assert "stats/charts.js" in page
    assert "<script>" not in page  # CSP: data only through json_script
    assert "&lt;5" in page


def test_bad_filter_input_gives_chinese_messages_not_500(city, login):
    client = login(city.leader)
    response = client.get("/stats/?start=2026-13-01&end=yesterday&township=abc")
    assert response.status_code == 200
    text = response.content.decode()
    assert "开始日期格式不正确" in text and "结束日期格式不正确" in text
    api = client.get("/api/v1/stats/measures/sex?start=2026-05-01&end=2026-01-01")
    assert api.status_code == 400
    assert api.json()["end"] == ["结束日期不能早于开始日期"]
    assert client.get("/api/v1/stats/measures/sex?township=999999").status_code == 404


def test_workbook_has_one_sheet_per_measure_and_is_audited(twelve, city, login):
    client = login(city.yuekou_supervisor)
    response = client.get("/stats/export.xlsx?start=2026-01-01&end=2026-06-15")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[0] == "说明"
    assert "流动儿童年龄结构" in workbook.sheetnames
    sex = [list(r) for r in workbook["流动儿童性别"].iter_rows(values_only=True)]
    assert sex[0] == ["性别", "人数", "占比（%）"]
    assert sex[1] == ["男", "<5", "—"]
    assert sex[-1] == ["合计", 8, 100]
    event = AuditEvent.objects.filter(action="export", actor=city.yuekou_supervisor).get()
    assert event.object_type == "stats.workbook" and "岳口镇" in event.summary


def test_report_is_printable_and_audited(twelve, city, login):
    response = login(city.leader).get(f"/stats/report/?township={city.yuekou.pk}")
    text = response.content.decode()
    assert response.status_code == 200
    assert "stats/report.css" in text and "统计报告" in text and "岳口镇" in text
    assert AuditEvent.objects.filter(action="export", object_type="stats.report").exists()


def test_refresh_makes_the_page_right_after_a_change(twelve, city, login):
    client = login(city.yuekou_supervisor)
    before = client.get("/api/v1/stats/measures/overview").json()["rows"][0][1]
    make_child(village=city.yuekou_community, on=ON, birth_date=dt.date(2016, 5, 5), name="欧阳新增")
    assert client.get("/api/v1/stats/measures/overview").json()["rows"][0][1] == before
    assert client.get("/stats/refresh/").status_code == 405
    response = client.post("/stats/refresh/")
    assert response.status_code == 302
    assert client.get("/api/v1/stats/measures/overview").json()["rows"][0][1] == before + 1
    assert AuditEvent.objects.filter(action="system", actor=city.yuekou_supervisor).exists()


def test_home_cards_for_leaders_only(twelve, city):
    from stats.home import home_cards

    cards = home_cards(city.leader)
    assert [(c.title, c.value) for c in cards][:1] == [("流动儿童", 10)]
    assert home_cards(city.yuekou_supervisor) == []
    assert home_cards(city.auditor) == []


def test_api_schema_lists_the_measure_endpoint(city, login):
    schema = login(city.admin).get("/api/schema/?format=json").json()
    assert "/api/v1/stats/measures/{name}" in schema["paths"]
