"""Public help requests: the form, the rate limit, the API, intake into the register."""

import datetime as dt

from django.test import override_settings
from django.urls import reverse

from audit.models import AuditEvent
from care import services
from care.models import HelpRequest, RiskFlag


def _post(client, city, **extra):
    data = {
        "who": "family",
        "township": city.yuekou.pk,
        "description": "孩子刚转学过来，不知道怎么办理入学",
        "contact_name": "陈女士",
        "contact_phone": "13912345678",
        **extra,
    }
    return client.post(reverse("care:help_request"), data)


def test_public_form_takes_a_request_and_shows_only_the_reference(client, city):
    response = client.get(reverse("care:help_request"))
    assert response.status_code == 200
    response = _post(client, city)
    assert response.status_code == 302 and response["Location"] == reverse("care:help_request_done")
    request = HelpRequest.objects.get()
    assert request.contact_phone == "13912345678" and request.township == city.yuekou
    done = client.get(response["Location"])
    text = done.content.decode()
    assert request.reference in text
    assert "13912345678" not in text and "陈女士" not in text and "入学" not in text
    event = AuditEvent.objects.get(object_type="care.helprequest")
    assert "13912345678" not in event.summary and "陈女士" not in event.summary


def test_invalid_input_gets_chinese_messages_not_an_error(client, city):
    response = _post(client, city, township="", description="", contact_phone="12ab", who="x")
    assert response.status_code == 200
    text = response.content.decode()
    assert "请选择所在乡镇（街道）" in text and "请简要说明遇到的困难" in text and "格式不正确" in text
    assert HelpRequest.objects.count() == 0


def test_sixth_request_within_an_hour_is_refused(client, city):
    for _ in range(5):
        assert _post(client, city).status_code == 302
    response = _post(client, city)
    assert response.status_code == 429
    assert "提交过于频繁" in response.content.decode()
    assert HelpRequest.objects.count() == 5


@override_settings(PUBLIC_RATE_LIMIT={"help_request": (2, 3600)})
def test_the_limit_is_per_address(client, city):
    assert _post(client, city).status_code == 302
    assert _post(client, city).status_code == 302
    assert _post(client, city).status_code == 429
    response = client.post(
        reverse("care:help_request"),
        {"who": "child", "township": city.yuekou.pk, "description": "我想找人说说话"},
        REMOTE_ADDR="10.0.0.9",
    )
    assert response.status_code == 302


def test_form_is_csrf_protected(city):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        reverse("care:help_request"),
        {"who": "family", "township": city.yuekou.pk, "description": "需要帮助需要帮助"},
    )
    assert response.status_code == 403
    assert HelpRequest.objects.count() == 0


def test_api_takes_a_request_and_answers_the_reference(client, city):
    url = reverse("care:api_help_request")
    response = client.post(
        url,
        {
            "who": "child",
            "township": "429006107",
            "description": "爸爸妈妈不在家，我一个人害怕",
            "contact_phone": "",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    assert set(response.json()) == {"reference"}
    assert HelpRequest.objects.get().channel == "api"
    bad = client.post(
        url, {"who": "child", "township": "999", "description": ""}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert "township" in bad.json() and "description" in bad.json()


@override_settings(PUBLIC_RATE_LIMIT={"help_request": (1, 3600)})
def test_api_shares_the_rate_limit(client, city):
    url = reverse("care:api_help_request")
    body = {"who": "family", "township": "429006107", "description": "需要帮助需要帮助"}
    assert client.post(url, body, content_type="application/json").status_code == 201
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 429 and "提交过于频繁" in refused.json()["detail"]


def test_intake_lists_only_own_township(city, login):
    mine = services.help_request_submit(who="family", township=city.yuekou, description="需要帮助需要帮助")
    theirs = services.help_request_submit(who="family", township=city.duobao, description="需要帮助需要帮助")
    client = login(city.yuekou_supervisor)
    text = client.get(reverse("care:intake")).content.decode()
    assert mine.reference in text and theirs.reference not in text
    assert client.get(reverse("care:intake_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("care:intake_detail", args=[mine.pk])).status_code == 200


def test_linking_a_help_request_flags_the_child(city, kids, login):
    request = services.help_request_submit(who="family", township=city.yuekou, description="需要帮助需要帮助")
    client = login(city.yuekou_supervisor)
    response = client.get(reverse("care:intake_detail", args=[request.pk]) + "?q=王小一")
    assert kids["own"].file_no in response.content.decode()
    response = client.post(
        reverse("care:intake_detail", args=[request.pk]), {"action": "link", "child": kids["own"].pk}
    )
    assert response.status_code == 302
    flag = RiskFlag.objects.get(child=kids["own"])
    assert (
        flag.category.code == "help_request"
        and flag.source == "help_request"
        and flag.help_request_id == request.pk
    )
    request.refresh_from_db()
    assert request.status == "linked" and request.child == kids["own"]


def test_supervisor_cannot_link_a_child_of_another_township(city, kids, login):
    request = services.help_request_submit(who="family", township=city.yuekou, description="需要帮助需要帮助")
    client = login(city.yuekou_supervisor)
    response = client.post(
        reverse("care:intake_detail", args=[request.pk]), {"action": "link", "child": kids["duobao"].pk}
    )
    assert response.status_code == 404
    assert not RiskFlag.objects.exists()


def test_closing_a_help_request_needs_a_note(city, login):
    request = services.help_request_submit(who="family", township=city.yuekou, description="需要帮助需要帮助")
    client = login(city.yuekou_supervisor)
    response = client.post(reverse("care:intake_detail", args=[request.pk]), {"action": "close", "note": ""})
    assert response.status_code == 200 and "请填写办结说明" in response.content.decode()
    response = client.post(
        reverse("care:intake_detail", args=[request.pk]), {"action": "close", "note": "已电话回复"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "closed"


def test_old_attempts_leave_the_window(db):
    import datetime as dt

    from django.utils import timezone

    from care import ratelimit

    start = timezone.now() - dt.timedelta(hours=2)
    for _ in range(5):
        assert ratelimit.hit("help_request", "10.0.0.1", now=start)
    assert not ratelimit.hit("help_request", "10.0.0.1", now=start + dt.timedelta(minutes=59))
    assert ratelimit.hit("help_request", "10.0.0.1", now=start + dt.timedelta(minutes=61))


def test_intake_shows_phone_and_id_masked_and_reveals_them_audited(client, city, login):
    from common.idnumber import make

    id_number = make("421122", dt.date(2015, 5, 17), 123)
    request = services.help_request_submit(
        who="family",
        township=city.yuekou,
        description=f"孩子身份证{id_number}，请打13912345678找我",
        contact_phone="13912345678",
    )
    login(city.yuekou_supervisor)
    for url in (reverse("care:intake"), reverse("care:intake_detail", args=[request.pk])):
        text = client.get(url).content.decode()
        assert "13912345678" not in text and id_number not in text
    detail = client.get(reverse("care:intake_detail", args=[request.pk])).content.decode()
    assert "139****5678" in detail and "421122********" in detail and "，请打" in detail
    assert not AuditEvent.objects.filter(action="reveal").exists()
    revealed = client.post(reverse("care:intake_reveal", args=[request.pk])).content.decode()
    assert "13912345678" in revealed and id_number in revealed
    event = AuditEvent.objects.get(action="reveal", object_type="care.helprequest")
    assert request.reference in event.summary and "13912345678" not in event.summary
    # Another township's supervisor cannot reveal it.
    login(city.duobao_supervisor)
    assert client.post(reverse("care:intake_reveal", args=[request.pk])).status_code == 404
