"""Editing the list by versions: draft copy, rule validation, preview counts, publishing, history."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from common.testing import make_child
from servicelist import services
from servicelist.models import ServiceListVersion
from servicelist.selectors import list_in_force

TODAY = dt.date.today()


def test_the_fixture_is_the_published_version_from_2025_07_30(db):
    version = list_in_force(dt.date(2025, 7, 30))
    assert version.code == "tianmen-2025" and version.status == "published"
    assert version.services.count() == 22 and version.groups.count() == 6
    assert list_in_force(dt.date(2025, 7, 29)) is None
    five = version.services.get(no=5)
    assert [d.name for d in five.department_list()] == ["教育局", "人社局"]
    twenty = version.services.get(no=20)
    assert twenty.department_list()[0].code == "cyberspace"


def test_a_draft_copies_the_list_in_force(city):
    draft = services.version_create_draft(actor=city.admin, code="tianmen-2026", title="修订版")
    assert draft.status == "draft" and draft.based_on.code == "tianmen-2025"
    assert draft.services.count() == 22
    assert [d.code for d in draft.services.get(no=21).department_list()] == [
        d.code for d in list_in_force().services.get(no=21).department_list()
    ]
    assert AuditEvent.objects.filter(action="create", object_type="servicelist.servicelistversion").exists()
    with pytest.raises(ValidationError):
        services.version_create_draft(actor=city.admin, code="tianmen-2026", title="重复")
    with pytest.raises(PermissionError):
        services.version_create_draft(actor=city.yuekou_supervisor, code="x", title="x")


def test_a_rule_is_validated_on_save_with_chinese_messages(city):
    draft = services.version_create_draft(actor=city.admin, code="d1", title="草稿")
    one = draft.services.get(no=1)
    with pytest.raises(ValidationError) as caught:
        services.service_save(
            actor=city.admin,
            version=draft,
            service=one,
            no=1,
            group=one.group,
            name=one.name,
            target=one.target,
            content=one.content,
            rule={"fact": "age", "op": "lte", "value": 6},
            departments=one.department_list(),
        )
    assert caught.value.message_dict["rule"][0].startswith("$.fact：未知的事实")


def test_published_versions_cannot_be_edited(city):
    version = list_in_force()
    one = version.services.get(no=1)
    with pytest.raises(ValidationError):
        services.service_save(
            actor=city.admin,
            version=version,
            service=one,
            no=1,
            group=one.group,
            name="x",
            target="x",
            content="x",
            rule=True,
            departments=one.department_list(),
        )


def test_publishing_closes_the_previous_version_and_must_come_later(city):
    draft = services.version_create_draft(actor=city.admin, code="d2", title="草稿")
    with pytest.raises(ValidationError) as caught:
        services.version_publish(actor=city.admin, version=draft, effective_from=dt.date(2025, 7, 30))
    assert "应晚于" in caught.value.messages[0]
    later = TODAY + dt.timedelta(days=10)
    services.version_publish(actor=city.admin, version=draft, effective_from=later)
    old = ServiceListVersion.objects.get(code="tianmen-2025")
    assert old.effective_to == later - dt.timedelta(days=1)
    assert list_in_force(later).code == "d2"
    assert list_in_force(later - dt.timedelta(days=1)).code == "tianmen-2025"
    assert AuditEvent.objects.filter(action="approve", object_type="servicelist.servicelistversion").exists()


def test_publishing_today_recomputes_everyone(city, django_capture_on_commit_callbacks):
    child = make_child(village=city.yuekou_community)
    draft = services.version_create_draft(actor=city.admin, code="d3", title="今日生效")
    with django_capture_on_commit_callbacks(execute=True):
        services.version_publish(actor=city.admin, version=draft, effective_from=TODAY)
    assert child.entitlements.filter(version__code="d3").count() >= 7


# --- the pages ------------------------------------------------------------------------


def test_version_history_page(city, client, login):
    login(city.yuekou_supervisor)
    page = client.get("/services/versions/").content.decode()
    assert "天门市流动儿童在居住地享有关爱服务基础清单" in page and "现行" in page and "新建草稿" not in page
    assert "tianmen-2025" not in page  # the code is for machines
    login(city.admin)
    assert "新建草稿" in client.get("/services/versions/").content.decode()


def test_the_admin_edits_a_draft_and_sees_chinese_errors(city, client, login):
    login(city.admin)
    response = client.post("/services/versions/new/", {"code": "tianmen-2026", "title": "修订版"})
    draft = ServiceListVersion.objects.get(code="tianmen-2026")
    assert response.status_code == 302
    url = f"/services/versions/{draft.pk}/services/1/"
    form = client.get(url)
    assert form.status_code == 200 and "age_years" in form.content.decode()
    one = draft.services.get(no=1)
    data = {
        "no": 1,
        "group": one.group_id,
        "name": one.name,
        "target": "0-5岁",
        "content": one.content,
        "departments": [d.pk for d in one.department_list()],
        "rule": "{bad json",
    }
    bad = client.post(url, data)
    assert bad.status_code == 400 and "规则不是有效的 JSON" in bad.content.decode()
    bad = client.post(url, {**data, "rule": json.dumps({"fact": "age_years", "op": "lte", "value": "5"})})
    assert "“年龄（周岁）”的值应为整数" in bad.content.decode()
    ok = client.post(url, {**data, "rule": json.dumps({"fact": "age_years", "op": "lte", "value": 5})})
    assert ok.status_code == 302
    one.refresh_from_db()
    assert one.rule == {"fact": "age_years", "op": "lte", "value": 5} and one.target == "0-5岁"


def test_preview_counts_the_children_each_service_would_reach(city, client, login):
    make_child(
        village=city.yuekou_community, birth_date=TODAY.replace(year=TODAY.year - 4), school_stage="幼儿园"
    )
    make_child(
        village=city.duobao_village, birth_date=TODAY.replace(year=TODAY.year - 10), school_stage="小学"
    )
    draft = services.version_create_draft(actor=city.admin, code="d4", title="草稿")
    login(city.admin)
    response = client.get(f"/services/versions/{draft.pk}/preview/")
    assert response.status_code == 200
    rows = {r["service"].no: r for r in response.context["rows"]}
    assert rows[1]["count"] == 1 and rows[3]["count"] == 1 and rows[6]["count"] == 2
    assert rows[6]["current"] == 2
    assert response.context["total"] == 2


def test_publish_through_the_page(city, client, login):
    draft = services.version_create_draft(actor=city.admin, code="d5", title="草稿")
    login(city.admin)
    later = TODAY + dt.timedelta(days=5)
    client.post(f"/services/versions/{draft.pk}/publish/", {"effective_from": later.isoformat()})
    draft.refresh_from_db()
    assert draft.status == "published" and draft.effective_from == later
    response = client.post(
        f"/services/versions/{draft.pk}/publish/", {"effective_from": later.isoformat()}, follow=True
    )
    assert "已发布的版本不能修改" in response.content.decode()


def test_a_draft_needs_no_code_typed(city, client, login):
    login(city.admin)
    response = client.post("/services/versions/new/", {"title": "2027年修订版"})
    assert response.status_code == 302
    draft = ServiceListVersion.objects.get(title="2027年修订版")
    assert draft.code.startswith("list-") and draft.status == "draft"
