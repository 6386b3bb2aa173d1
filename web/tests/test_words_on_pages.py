"""What people read on the pages (issue 18's smaller items): names not logins, places with
their city, numbers that dial, no codes meant for machines, no 'None'."""

import re

from django.urls import reverse

from audit.services import record
from common.testing import make_child


def test_change_history_names_people_not_logins(client, city, login):
    child = make_child(village=city.yuekou_community)
    record(
        actor=city.yuekou_director,
        action="update",
        object_type="registry.child",
        object_id=str(child.pk),
        summary="修改儿童档案",
        changes={"年级": ["三年级", "四年级"]},
    )
    record(actor=None, action="update", object_type="registry.child", object_id=str(child.pk), summary="导入")
    login(city.yuekou_supervisor)
    page = client.get(reverse("registry:detail", args=[child.pk])).content.decode()
    assert city.yuekou_director.full_name in page and "系统" in page
    assert city.yuekou_director.username not in page


def test_hukou_place_reads_province_city_and_county(client, city, login):
    child = make_child(village=city.yuekou_community, hukou_county="440106")
    login(city.yuekou_supervisor)
    page = client.get(reverse("registry:detail", args=[child.pk])).content.decode()
    assert "广东省广州市天河区" in page


def test_county_full_name_leaves_out_the_placeholders(db):
    from places.models import County

    assert County.objects.get(code="110101").full_name == "北京市东城区"
    assert County.objects.get(code="429006").full_name == "湖北省天门市"
    assert County.objects.get(code="420881").full_name == "湖北省荆门市钟祥市"


def test_revealed_phone_numbers_are_links_that_dial(client, city, login):
    child = make_child(village=city.yuekou_community, guardian_phone="13912345678")
    login(city.yuekou_supervisor)
    body = client.post(reverse("registry:reveal", args=[child.pk])).content.decode()
    assert 'href="tel:13912345678"' in body


def test_transfer_list_names_the_child_and_the_form_leaves_out_its_own_township(client, city, login):
    child = make_child(village=city.yuekou_community, name="转移童")
    login(city.yuekou_supervisor)
    page = client.get(reverse("registry:detail", args=[child.pk])).content.decode()
    form = page[page.index('name="to_township"') :]
    form = form[: form.index("</select>")]
    assert f'value="{city.duobao.pk}"' in form and f'value="{city.yuekou.pk}"' not in form
    client.post(
        reverse("registry:transfer_request", args=[child.pk]),
        {"to_township": city.duobao.pk, "reason": "务工"},
    )
    assert "转移童" in client.get(reverse("registry:transfers")).content.decode()
    login(city.duobao_supervisor)
    assert "转移童" in client.get(reverse("registry:transfers")).content.decode()


def test_service_list_pages_show_no_version_code(client, city, login):
    child = make_child(village=city.yuekou_community)
    login(city.yuekou_supervisor)
    for url in (reverse("servicelist:child", args=[child.pk]), reverse("servicelist:versions")):
        page = client.get(url).content.decode()
        assert "tianmen-2025" not in page, url


def test_census_line_without_a_verifier_shows_no_none(client, city, login):
    import datetime as dt

    from django.utils import timezone

    from registry.models import CensusRound, CensusTask

    child = make_child(village=city.yuekou_community)
    census = CensusRound.objects.create(
        name="秋季摸排",
        period_start=dt.date(2026, 9, 1),
        period_end=dt.date(2026, 12, 1),
        deadline=dt.date(2026, 12, 10),
        opened_by=city.admin,
    )
    CensusTask.objects.create(
        round=census,
        child=child,
        township=child.township,
        village=child.village,
        status="verified",
        verified_at=timezone.now(),
    )
    login(city.yuekou_supervisor)
    page = client.get(reverse("registry:detail", args=[child.pk])).content.decode()
    text = re.sub(r"<[^>]+>", " ", page)
    assert "秋季摸排" in text and not re.search(r"\bNone\b", text)
