"""The workers' API: scoped work list, recording a visit; permissions."""

import datetime as dt

from django.urls import reverse

from care.models import Visit
from care.status import refresh_all


def test_worklist_api_is_scoped(city, kids, today, client, login):
    refresh_all(on=today)
    url = reverse("care_api_worklist") + "?list=never"
    assert client.get(url).status_code in (401, 403)
    login(city.leader)
    assert client.get(url).status_code == 403
    login(city.yuekou_director)
    rows = client.get(url).json()["results"]
    assert [r["file_no"] for r in rows] == [kids["own"].file_no]
    assert client.get(reverse("care_api_worklist") + "?list=x").status_code == 400


def test_visit_api_records_and_refuses_out_of_scope(city, kids, today, client, login):
    login(city.yuekou_director)
    body = {
        "kind": "电话",
        "outcome": "reached",
        "visited_on": today.isoformat(),
        "checklist": {"safety": "无"},
        "notes": "回访",
    }
    response = client.post(
        reverse("care_api_visit_create", args=[kids["own"].pk]), body, content_type="application/json"
    )
    assert response.status_code == 201
    assert Visit.objects.get(child=kids["own"]).checklist == {"safety": "无"}
    other = client.post(
        reverse("care_api_visit_create", args=[kids["other"].pk]), body, content_type="application/json"
    )
    assert other.status_code == 404
    future = dict(body, visited_on=(today + dt.timedelta(days=2)).isoformat())
    bad = client.post(
        reverse("care_api_visit_create", args=[kids["own"].pk]), future, content_type="application/json"
    )
    assert bad.status_code == 400 and "不能晚于今天" in bad.json()["detail"]
    wrong = client.post(
        reverse("care_api_visit_create", args=[kids["own"].pk]),
        {"kind": "飞鸽", "visited_on": "x"},
        content_type="application/json",
    )
    assert wrong.status_code == 400 and "kind" in wrong.json() and "visited_on" in wrong.json()
    login(city.teacher)
    denied = client.post(
        reverse("care_api_visit_create", args=[kids["own"].pk]), body, content_type="application/json"
    )
    assert denied.status_code == 403
