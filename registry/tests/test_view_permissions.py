"""Every registry URL: anonymous -> login, a role without the capability -> 403,
the supervisor of 多宝镇 on a 岳口镇 child -> 404."""

import datetime as dt

import pytest
from django.urls import reverse

from common.testing import make_child
from registry.models import CensusTask, ChildDocument, Transfer
from registry.services import census_open, transfer_request


@pytest.fixture
def world(city, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    child = make_child(village=city.yuekou_community)
    document = ChildDocument.objects.create(
        child=child,
        title="照片",
        original_name="a.png",
        stored_name="a.png",
        file="documents/a.png",
        content_type="image/png",
        size=10,
        uploaded_by=city.yuekou_director,
    )
    other = make_child(village=city.yuekou_other_village, name="王明")
    transfer = transfer_request(
        actor=city.yuekou_supervisor, child=other, to_township=city.duobao, reason="务工"
    )
    today = dt.date.today()
    census = census_open(
        actor=city.admin, name="秋季摸排", period_start=today, period_end=today, deadline=today
    )
    task = CensusTask.objects.get(round=census, child=child)
    return {"child": child, "document": document, "transfer": transfer, "census": census, "task": task}


def child_urls(w):
    pk = w["child"].pk
    return [
        ("registry:detail", [pk], "get"),
        ("registry:edit", [pk], "get"),
        ("registry:reveal", [pk], "post"),
        ("registry:close", [pk], "post"),
        ("registry:reopen", [pk], "post"),
        ("registry:transfer_request", [pk], "post"),
        ("registry:transfer_file", [pk], "get"),
        ("registry:document_upload", [pk], "post"),
        ("registry:document_download", [w["document"].pk], "get"),
        ("registry:census_task", [w["task"].pk], "get"),
        ("registry:census_task_update", [w["task"].pk], "get"),
    ]


def all_urls(w):
    return child_urls(w) + [
        ("registry:list", [], "get"),
        ("registry:create", [], "get"),
        ("registry:duplicate_check", [], "post"),
        ("registry:transfers", [], "get"),
        ("registry:transfer_decide", [w["transfer"].pk], "get"),
        ("registry:census", [], "get"),
        ("registry:census_open", [], "get"),
        ("registry:census_progress", [w["census"].pk], "get"),
        ("registry:census_close", [w["census"].pk], "post"),
        ("registry:census_worklist", [w["census"].pk], "get"),
    ]


def test_anonymous_is_sent_to_login(client, world):
    for name, args, method in all_urls(world):
        response = getattr(client, method)(reverse(name, args=args))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


@pytest.mark.parametrize("persona", ["leader", "auditor"])
def test_leader_and_auditor_get_403(client, city, login, world, persona):
    login(getattr(city, persona))
    for name, args, method in all_urls(world):
        assert getattr(client, method)(reverse(name, args=args)).status_code == 403, name


def test_other_township_supervisor_gets_404_on_a_yuekou_child(client, city, login, world):
    login(city.duobao_supervisor)
    for name, args, method in child_urls(world):
        assert getattr(client, method)(reverse(name, args=args)).status_code == 404, name


def test_transfer_decision_is_only_for_the_receiving_township(client, city, login, world):
    login(city.yuekou_supervisor)
    assert client.get(reverse("registry:transfer_decide", args=[world["transfer"].pk])).status_code == 404
    login(city.duobao_supervisor)
    assert client.get(reverse("registry:transfer_decide", args=[world["transfer"].pk])).status_code == 200


def test_census_open_is_for_the_city_admin_only(client, city, login, world):
    login(city.yuekou_supervisor)
    assert client.get(reverse("registry:census_open")).status_code == 403
    login(city.admin)
    assert client.get(reverse("registry:census_open")).status_code == 200


def test_teacher_reads_but_does_not_edit(client, city, login, world):
    login(city.teacher)
    assert client.get(reverse("registry:edit", args=[world["child"].pk])).status_code == 403
    assert client.post(reverse("registry:reveal", args=[world["child"].pk])).status_code == 403


def test_pages_render_for_the_people_who_use_them(client, city, login, world):
    login(city.yuekou_supervisor)
    for name, args, method in all_urls(world):
        if method != "get" or name in (
            "registry:census_open",
            "registry:transfer_decide",
            "registry:document_download",
        ):
            continue
        response = client.get(reverse(name, args=args))
        assert response.status_code in (200, 302), (name, response.status_code)
    login(city.yuekou_director)
    response = client.get(reverse("registry:census_worklist", args=[world["census"].pk]))
    assert response.status_code == 200 and world["child"].file_no in response.content.decode()
    assert Transfer.objects.count() == 1
