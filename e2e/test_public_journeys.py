"""Families without an account: the service list, the self-check, a help request."""

import datetime as dt

import pytest

from e2e.conftest import log_in, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_family_reads_the_list_and_checks_what_a_child_can_get(phone, city):
    phone.goto("/services/")
    assert "流动儿童" in phone.content() and "义务教育服务" in phone.content()
    phone.goto("/services/check/")
    birth = dt.date.today().replace(year=dt.date.today().year - 8) - dt.timedelta(days=10)
    phone.fill("input[name=birth_date]", birth.isoformat())
    phone.select_option("select[name=school_stage]", "小学")
    phone.select_option("select[name=health]", "健康")
    phone.click("button[type=submit]")
    phone.wait_for_load_state("networkidle")
    content = phone.content()
    assert "义务教育服务" in content and "医疗保障服务" in content
    assert "普通高中教育服务" not in content
    shot(phone, "public-self-check")


def test_child_asks_for_help_and_gets_a_reference_number(phone, city):
    from care.models import HelpRequest

    phone.goto("/care/help/")
    phone.click("label[for=id_who_0]")  # the radio buttons are styled as toggle buttons
    phone.select_option("select[name=township]", label="岳口镇")
    phone.fill("textarea[name=description]", "家里没人照顾，我晚上一个人在家。")
    phone.fill("input[name=contact_phone]", "13900001111")
    phone.click("button[type=submit]")
    phone.wait_for_load_state("networkidle")
    assert "/care/help/done/" in phone.url
    request = HelpRequest.objects.get()
    assert request.reference in phone.content()
    assert "13900001111" not in phone.content()  # nothing personal echoed back
    shot(phone, "public-help-request")

    log_in(phone, "yuekou_supervisor")
    phone.goto("/care/intake/")
    assert request.reference in phone.content()
    shot(phone, "supervisor-intake")


def test_leader_opens_the_dashboard(desktop, city):
    from common.testing import make_child

    for i in range(6):
        make_child(village=city.yuekou_community, name=f"统计{i}")
    log_in(desktop, "leader")
    desktop.goto("/stats/")
    desktop.wait_for_load_state("networkidle")
    content = desktop.content()
    assert "年龄结构" in content or "年龄" in content
    assert "统计0" not in content  # aggregates only, never a child
    assert desktop.locator("table").count() >= 3
    shot(desktop, "leader-dashboard")
