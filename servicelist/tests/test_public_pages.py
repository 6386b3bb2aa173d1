"""The public list and the anonymous self-check form (no login, nothing stored)."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent

TODAY = dt.date.today()


def test_public_list_without_login(db):
    response = Client().get(reverse("servicelist:public_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "天门市流动儿童在居住地享有关爱服务基础清单" in page
    for group in ("幼有所育", "学有所教", "病有所医", "住有所居", "弱有所扶", "发展保障"):
        assert group in page
    assert "22. 城市融入服务" in page
    assert "提供就近就便普惠托育服务。" in page
    assert "住房保障服务中心" in page
    assert 'name="viewport"' in page


def test_self_check_by_age(db):
    client = Client(enforce_csrf_checks=False)
    before = AuditEvent.objects.count()
    response = client.post(
        reverse("servicelist:public_check"),
        {"age": "4", "school_stage": "幼儿园", "health": "健康", "security": ["孤儿"]},
    )
    assert response.status_code == 200
    got = {s.no for s in response.context["result"]["services"]}
    assert got == {1, 2, 6, 7, 10, 17, 18, 19, 20, 21, 22}
    assert "天门市民政局" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.count() == before


def test_self_check_by_birth_date_and_circumstances(db):
    response = Client().post(
        reverse("servicelist:public_check"),
        {
            "birth_date": TODAY.replace(year=TODAY.year - 15).isoformat(),
            "school_stage": "中职",
            "housing_difficulty": "on",
            "legal_aid_need": "on",
        },
    )
    got = {s.no for s in response.context["result"]["services"]}
    assert {5, 9, 16} <= got and 3 not in got


def test_self_check_errors_are_chinese(db):
    client = Client()
    response = client.post(reverse("servicelist:public_check"), {"school_stage": "小学"})
    assert "请填写出生日期或年龄" in response.content.decode()
    response = client.post(reverse("servicelist:public_check"), {"birth_date": "2999-01-01"})
    assert "出生日期不能晚于查询日期" in response.content.decode()
    response = client.post(reverse("servicelist:public_check"), {"age": "40", "school_stage": "大学"})
    assert response.status_code == 200 and response.context["result"] is None
    assert response.context["form"].errors.keys() == {"age", "school_stage"}


def test_the_form_renders_without_login(db):
    response = Client().get(reverse("servicelist:public_check"))
    assert response.status_code == 200
    assert "不会被保存" in response.content.decode()
