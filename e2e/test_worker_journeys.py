"""Child directors and supervisors: register a child on a phone, record a home visit, see the
work list change."""

import datetime as dt

import pytest

from common.testing import make_id
from e2e.conftest import log_in, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_director_registers_a_child_on_a_phone(phone, city):
    from registry.models import Child

    log_in(phone, "yuekou_director")
    phone.goto("/children/new/")
    birth = dt.date(2016, 5, 17)
    number = make_id(birth, male=False, county="421381")
    phone.fill("input[name=name]", "王小雨")
    phone.click("label[for=id_sex_1]")
    phone.fill("input[name=birth_date]", birth.isoformat())
    phone.fill("input[name=id_number]", number)
    phone.select_option("select[name=township]", label="岳口镇")
    phone.select_option("select[name=village]", label=city.yuekou_community.name)
    phone.fill("input[name=hukou_county]", "421381")
    phone.fill("input[name=arrival_date]", "2023-03-01")
    phone.fill("input[name=g-0-name]", "王大山")
    phone.select_option("select[name=g-0-relationship]", "父亲")
    phone.fill("input[name=g-0-phone]", "13987654321")
    phone.click("button[type=submit]:has-text('保存')")
    phone.wait_for_load_state("networkidle")
    child = Child.objects.get(name="王小雨")
    assert f"/children/{child.pk}/" in phone.url
    content = phone.content()
    assert child.file_no in content
    assert number not in content and child.id_masked in content  # masked on screen
    assert child.migrant_status == "migrant"
    shot(phone, "director-registered-child")


def test_director_records_a_home_visit_and_the_work_list_changes(phone, city):
    from care.status import refresh_all
    from common.testing import make_child

    today = dt.date.today()
    child = make_child(
        village=city.yuekou_community, name="李走访", arrival_date=today.replace(year=today.year - 3)
    )
    refresh_all(on=today)
    log_in(phone, "yuekou_director")
    phone.goto("/care/?list=never")
    assert "李走访" in phone.content()
    phone.goto(f"/care/child/{child.pk}/visit/")
    phone.fill("input[name=visited_on]", today.isoformat())
    phone.click("label[for=id_outcome_0]")  # 已见到（已联系上）
    phone.fill("textarea[name=notes]", "家中整洁，监护人在家，孩子按时上学。")
    phone.click("main button[type=submit]")
    phone.wait_for_load_state("networkidle")
    phone.goto("/care/?list=never")
    assert "李走访" not in phone.content()
    shot(phone, "director-worklist-after-visit")
