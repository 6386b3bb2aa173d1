import datetime as dt

import pytest

from common.testing import make_child
from e2e.conftest import log_in, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_registry_pages_on_a_phone(phone, city):
    child = make_child(
        village=city.yuekou_community, name="刘子寒", birth_date=dt.date(2016, 4, 9), male=False
    )
    log_in(phone, "yuekou_director")
    phone.goto(f"/children/{child.pk}/edit/")
    phone.fill("input[name=grade]", "三年级")
    phone.click("button[type=submit]:has-text('保存')")
    phone.wait_for_load_state("networkidle")
    shot(phone, "registry-file-after-edit")
    phone.goto("/children/new/")
    phone.fill("input[name=name]", "刘子涵")
    phone.fill("input[name=birth_date]", "2016-04-09")
    phone.dispatch_event("input[name=birth_date]", "change")
    phone.wait_for_timeout(1500)
    shot(phone, "registry-create-duplicate-warning")
    phone.goto("/children/")
    shot(phone, "registry-list")
