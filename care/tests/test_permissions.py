"""Every care URL: anonymous goes to login, a role without the capability gets 403, the
supervisor of another township gets 404 on 岳口镇 items, the right persona gets 200."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from care import services
from care.models import EscalationStepType


@pytest.fixture
def items(city, kids, today):
    child = kids["own"]
    visit = services.visit_create(
        outcome="reached",
        notes="入户了解情况",
        actor=city.yuekou_director,
        child=child,
        kind="上门走访",
        visited_on=today,
        follow_ups=[("联系学校", today + dt.timedelta(days=3))],
    )
    flag = services.flag_raise(actor=city.yuekou_director, child=child, category="dropout", source="manual")
    exit_request = services.flag_close(actor=city.yuekou_director, flag=flag, reason="已复学").exit_request
    step = services.escalation_record(
        actor=city.yuekou_director,
        child=child,
        step_type=EscalationStepType.objects.get(code="admonish"),
        taken_on=today,
        document=SimpleUploadedFile("劝诫书.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
    )
    help_request = services.help_request_submit(
        who="family", township=city.yuekou, description="需要帮助需要帮助"
    )
    return {
        "child": child,
        "visit": visit,
        "flag": flag,
        "exit": exit_request,
        "step": step,
        "follow_up": visit.follow_ups.get(),
        "help": help_request,
    }


# (url name, args builder, capability holder that may open it, persona without the capability)
SCOPED = [
    ("care:child", lambda i: [i["child"].pk], "yuekou_director", "leader", "get"),
    ("care:visit_create", lambda i: [i["child"].pk], "yuekou_director", "leader", "get"),
    ("care:flag_create", lambda i: [i["child"].pk], "yuekou_director", "teacher", "get"),
    ("care:assessment_create", lambda i: [i["child"].pk, "risk"], "yuekou_director", "leader", "get"),
    ("care:escalation_create", lambda i: [i["child"].pk], "yuekou_director", "leader", "get"),
    ("care:visit_edit", lambda i: [i["visit"].pk], "yuekou_director", "leader", "get"),
    ("care:flag_close", lambda i: [i["flag"].pk], "yuekou_director", "leader", "get"),
    ("care:escalation_document", lambda i: [i["step"].pk], "yuekou_director", "leader", "get"),
    ("care:exit_decide", lambda i: [i["exit"].pk], "yuekou_supervisor", "yuekou_director", "get"),
    ("care:intake_detail", lambda i: [i["help"].pk], "yuekou_supervisor", "yuekou_director", "get"),
    ("care:flag_approve", lambda i: [i["flag"].pk], "yuekou_supervisor", "yuekou_director", "post"),
    ("care:follow_up_done", lambda i: [i["follow_up"].pk], "yuekou_director", "leader", "post"),
]
UNSCOPED = [
    ("care:worklist", "yuekou_director", "leader"),
    ("care:register", "yuekou_director", "auditor"),
    ("care:compliance", "yuekou_director", "edu_liaison"),
    ("care:intake", "yuekou_supervisor", "yuekou_director"),
    ("care:notifications", "yuekou_director", None),
]


@pytest.mark.parametrize("name,args,allowed,denied,method", SCOPED)
def test_scoped_urls(name, args, allowed, denied, method, city, items, client, login):
    url = reverse(name, args=args(items))
    call = client.post if method == "post" else client.get
    anonymous = call(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    login(city.personas[denied])
    assert call(url).status_code == 403
    login(city.duobao_supervisor)
    assert call(url).status_code == 404
    login(city.personas[allowed])
    assert call(url).status_code in (200, 302)


@pytest.mark.parametrize("name,allowed,denied", UNSCOPED)
def test_unscoped_urls(name, allowed, denied, city, items, client, login):
    url = reverse(name)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    if denied:
        login(city.personas[denied])
        assert client.get(url).status_code == 403
    login(city.personas[allowed])
    assert client.get(url).status_code == 200


def test_other_township_supervisor_sees_nothing_of_yuekou_on_lists(city, items, client, login):
    login(city.duobao_supervisor)
    for name in ("care:register", "care:worklist", "care:intake"):
        text = client.get(reverse(name) + "?list=never&status=new").content.decode()
        assert items["child"].file_no not in text
        assert items["help"].reference not in text


def test_public_pages_need_no_login(client, city):
    assert client.get(reverse("care:help_request")).status_code == 200
    assert client.get(reverse("care:help_request_done")).status_code == 200
    assert client.get(reverse("care:api_help_request")).status_code == 405


def test_director_cannot_approve_through_the_page(city, items, login, client):
    login(city.yuekou_director)
    response = client.post(reverse("care:exit_decide", args=[items["exit"].pk]), {"decision": "approve"})
    assert response.status_code == 403


def test_supervisor_approves_exit_through_the_page(city, items, login, client):
    login(city.yuekou_supervisor)
    response = client.post(
        reverse("care:exit_decide", args=[items["exit"].pk]), {"decision": "approve", "note": ""}
    )
    assert response.status_code == 302
    items["flag"].refresh_from_db()
    assert items["flag"].status == "closed"
