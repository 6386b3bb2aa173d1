import datetime as dt
import types

from django.urls import reverse

from common.testing import make_child
from registry.home import home_cards
from registry.sections import Section, _as_section, file_sections
from registry.services import census_open


def test_cards_count_open_pending_stale_and_census(city):
    make_child(village=city.yuekou_community)
    make_child(village=city.yuekou_community, name="王明", last_verified_on=dt.date(2020, 1, 1))
    make_child(
        village=city.yuekou_community, name="李新", arrival_date=dt.date.today() - dt.timedelta(days=10)
    )
    make_child(village=city.duobao_village, name="多宝娃")
    today = dt.date.today()
    census_open(actor=city.admin, name="摸排", period_start=today, period_end=today, deadline=today)
    cards = {c.title: c.value for c in home_cards(city.yuekou_director)}
    assert cards == {"在档儿童": 3, "待满6个月": 1, "超6个月未核实": 1, "摸排待核实": 3}
    assert {c.title: c.value for c in home_cards(city.admin)}["在档儿童"] == 4
    assert home_cards(city.leader) == [] and home_cards(city.teacher) == []


def test_navigation_entries(client, city, login):
    login(city.yuekou_director)
    body = client.get("/").content.decode()
    for label in ("儿童档案", "登记儿童", "摸排核实"):
        assert label in body
    login(city.leader)
    assert "登记儿童" not in client.get("/").content.decode()


def test_sections_accept_the_three_shapes():
    assert _as_section(Section("甲", "t.html", {"a": 1}, 5)).template == "t.html"
    assert _as_section({"title": "乙", "html": "<p>x</p>", "order": 3}).html == "<p>x</p>"
    item = types.SimpleNamespace(title="丙", html="<b>y</b>", order=7)
    assert _as_section(item).title == "丙" and _as_section(item).order == 7


def test_file_page_shows_other_apps_sections_in_order(client, city, login):
    child = make_child(village=city.yuekou_community)
    sections = file_sections(city.yuekou_director, child)
    assert [s.order for s in sections] == sorted(s.order for s in sections)
    login(city.yuekou_director)
    body = client.get(reverse("registry:detail", args=[child.pk])).content.decode()
    for section in sections:
        assert section.title in body
