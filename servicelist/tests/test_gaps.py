"""Coverage gaps: entitled but not started, per service x department x township; export."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from audit.models import AuditEvent
from servicelist import selectors
from servicelist.models import Entitlement
from servicelist.tests.factories import child_with_entitlements


def _children(city):
    a = child_with_entitlements(city.yuekou_community, school_stage="小学")
    b = child_with_entitlements(city.yuekou_other_village, school_stage="小学")
    c = child_with_entitlements(city.duobao_village, school_stage="小学")
    Entitlement.objects.filter(child=b, no=3).update(status="receiving")
    return a, b, c


def test_counts_per_service_department_and_township(city):
    _children(city)
    rows = selectors.gap_counts(city.admin, service_no=3)
    assert {(r["department"], r["township"]): r["count"] for r in rows} == {
        ("教育局", "岳口镇"): 1,
        ("教育局", "多宝镇"): 1,
    }
    seventeen = selectors.gap_counts(city.admin, service_no=17)
    assert {r["department"] for r in seventeen} == {"法院", "检察院", "教育局", "公安局", "妇联"}
    assert sum(r["count"] for r in seventeen if r["department"] == "妇联") == 3


def test_filter_by_department(city, client, login):
    _children(city)
    login(city.leader)
    response = client.get("/services/gaps/?department=womens_federation")
    assert {row["department"] for row in response.context["table"]} == {"妇联"}
    assert {row["no"] for row in response.context["table"]} == {17, 20, 21, 22}
    assert client.get("/services/gaps/?department=nonsense&service=x").status_code == 200


def test_supervisors_count_their_township_only(city):
    _children(city)
    rows = selectors.gap_counts(city.yuekou_supervisor, service_no=3)
    assert {r["township"] for r in rows} == {"岳口镇"}
    assert selectors.gap_counts(city.edu_liaison) == []


def test_leaders_see_counts_but_no_children(city, client, login):
    a, _b, _c = _children(city)
    login(city.leader)
    response = client.get("/services/gaps/?service=3")
    assert response.status_code == 200
    page = response.content.decode()
    assert "岳口镇" in page and "多宝镇" in page
    assert a.name not in page and a.file_no not in page
    assert response.context["children_rows"] is None
    export = client.get("/services/gaps/export/?kind=children&service=3")
    assert export.status_code == 403


def test_supervisors_see_the_children_of_their_township(city, client, login):
    a, b, c = _children(city)
    login(city.yuekou_supervisor)
    response = client.get("/services/gaps/?service=3")
    names = {e.child_id for e in response.context["children_rows"]}
    assert names == {a.pk}
    assert AuditEvent.objects.filter(action="read", object_type="servicelist.gaps").exists()


def test_export_is_an_audited_excel_file(city, client, login):
    a, _b, _c = _children(city)
    login(city.yuekou_supervisor)
    response = client.get("/services/gaps/export/?kind=children&service=3")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    counts = list(book["服务覆盖缺口"].values)
    assert counts[0] == ("服务序号", "服务项目", "责任部门", "乡镇（街道）", "应享未享人数")
    assert counts[1] == (3, "义务教育服务", "教育局", "岳口镇", 1)
    children = list(book["应享未享儿童名单"].values)
    assert children[1][0] == a.file_no and len(children) == 2
    event = AuditEvent.objects.get(action="export", object_type="servicelist.gaps")
    assert a.name not in event.summary
    assert client.get("/services/gaps/export/?kind=children").status_code == 302  # pick a service first
    login(city.leader)
    assert client.get("/services/gaps/export/").status_code == 200
