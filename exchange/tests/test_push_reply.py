"""``POST /api/v1/exchange/push`` answers only row number, received/rejected and the errors of the
pushed data itself; a liaison pushes only to its own department's sources. A liaison probing the
ID number (or the name and birth date) of a child outside its scope learns nothing more than it
does for a random valid number."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from rest_framework.authtoken.models import Token

from common.testing import make_id
from exchange.models import FeedBatch, FeedRow
from exchange.tests.helpers import changed


def _headers(user):
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def push(client, user, rows, source="education"):
    return client.post(
        "/api/v1/exchange/push", {"source": source, "rows": rows}, content_type="application/json",
        **_headers(user),
    )  # fmt: skip


def everything_said(client, user, response) -> str:
    """The push's answer, its batch's report and the batch list, with the batch's own number,
    time and row count taken out (they differ between any two pushes)."""
    body = json.loads(response.content)
    batch = body["summary"]["batch"]
    report = client.get(f"/api/v1/exchange/batches/{batch}", **_headers(user)).json()
    listing = [
        {k: v for k, v in entry.items() if k not in ("batch", "created_at")}
        for entry in client.get("/api/v1/exchange/batches", **_headers(user)).json()
        if entry["batch"] == batch
    ]
    for part in (body, report):
        part["summary"].pop("batch")
    return json.dumps([body, report, listing], ensure_ascii=False, sort_keys=True)


def test_reply_is_row_number_outcome_and_errors_only(registry, city, client):
    child = registry["wang"]
    response = push(client, city.edu_liaison, [
        {"学生姓名": child.name, "身份证号": child.id_number, "年级": "四年级"},
        {"学生姓名": "", "身份证号": make_id(dt.date(2015, 1, 2))},
        {"学生姓名": "刘洋", "出生日期": "2026/13/45"},
        {"学生姓名": child.name, "身份证号": changed(child.id_number, 15)},
    ])  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"rows", "summary"}
    assert set(body["summary"]) == {"batch", "source", "status", "rows", "received", "rejected", "warnings"}
    assert all(set(r) == {"row", "outcome", "errors"} for r in body["rows"])
    assert [(r["row"], r["outcome"]) for r in body["rows"]] == [
        (1, "received"), (2, "rejected"), (3, "rejected"), (4, "received")
    ]  # fmt: skip
    assert body["rows"][0]["errors"] == []
    assert "姓名" in body["rows"][1]["errors"][0]
    assert "出生日期“2026/13/45”" in body["rows"][2]["errors"][0]
    assert "身份证号无效" in body["rows"][3]["errors"][0]  # an error of the data sent
    assert (body["summary"]["received"], body["summary"]["rejected"]) == (2, 2)
    # Internally the first and the last rows were linked to the child: the department is not told.
    assert list(FeedRow.objects.order_by("number").values_list("outcome", flat=True)) == [
        "linked", "rejected", "rejected", "linked"
    ]  # fmt: skip
    text = response.content.decode()
    for fact in (child.file_no, child.township.name, child.village.name, child.birth_date.isoformat(), "男"):
        assert fact not in text


def _probes(child):
    """(a probe about the child, the same probe about nobody) for each way of asking."""
    nobody = make_id(child.birth_date - dt.timedelta(days=3))  # valid, registered to no one
    return {
        "exact number": ({"姓名": child.name, "身份证号": child.id_number},
                         {"姓名": "刘洋", "身份证号": nobody}),
        "number one digit off, no birth date": ({"姓名": child.name, "身份证号": changed(child.id_number, 15)},
                                                {"姓名": "刘洋", "身份证号": changed(nobody, 15)}),
        "name and birth date, no number": ({"姓名": child.name, "出生日期": child.birth_date.isoformat()},
                                           {"姓名": "刘洋", "出生日期": child.birth_date.isoformat()}),
    }  # fmt: skip


@pytest.mark.parametrize(
    "way", ["exact number", "number one digit off, no birth date", "name and birth date, no number"]
)
def test_probing_a_child_outside_scope_tells_nothing_more_than_a_random_number(registry, city, client, way):
    child = registry["duobao"]  # 多宝镇: the liaison has no scope over any child
    about_child, about_nobody = _probes(child)[way]
    first = push(client, city.edu_liaison, [about_child])
    second = push(client, city.edu_liaison, [about_nobody])
    assert first.status_code == second.status_code == 201
    assert everything_said(client, city.edu_liaison, first) == everything_said(
        client, city.edu_liaison, second
    )
    # Inside, the two differ (the first found the child): only the department's view is the same.
    outcomes = [FeedRow.objects.get(batch_id=r.json()["summary"]["batch"]).outcome for r in (first, second)]
    assert outcomes[0] == "linked" and outcomes[1] != "linked"
    for fact in (child.file_no, child.township.name, child.birth_date.isoformat()):
        assert fact not in first.content.decode().replace(about_child.get("出生日期", "—"), "")


def test_liaison_pushes_only_to_its_own_department_sources(registry, city, client):
    rows = [{"姓名": "张三", "身份证号": make_id(dt.date(2015, 1, 2))}]
    for source in ("police", "health", "insurance", "disability", "no-such-source"):
        response = push(client, city.edu_liaison, rows, source=source)
        assert response.status_code == 403
        assert response.json() == push(client, city.edu_liaison, rows, source="no-such-source").json()
    assert not FeedBatch.objects.exists()
    assert push(client, city.edu_liaison, rows).status_code == 201
