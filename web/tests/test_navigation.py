"""The menu: a few groups per role, the role's daily work first, every entry in a group, the
messages slot with its count."""

import pytest

from common.modules import app_modules
from web import nav
from web.cards import nav_groups, nav_items


def _keys(user):
    return [group["key"].split("-")[0] for group in nav_groups(user)]


@pytest.mark.parametrize(
    ("persona", "first"),
    [
        ("yuekou_director", "care"),
        ("yuekou_supervisor", "care"),
        ("teacher", "schools"),
        ("edu_liaison", "services"),
        ("leader", "stats"),
        ("admin", "children"),
    ],
)
def test_each_role_sees_its_daily_work_first_and_few_groups(city, persona, first):
    keys = _keys(getattr(city, persona))
    assert keys[0] == first
    assert len(keys) <= 7, "a menu bar of at most seven entries fits one line at 1024 px"


def test_every_menu_entry_lands_in_a_declared_group():
    known = {group.key for group in nav.GROUPS}
    for module in app_modules("home"):
        for item in getattr(module, "NAV", []):
            assert nav.group_of(item.url_name) in known, item


def test_groups_hold_every_entry_the_user_may_use_once(city):
    from access.policy import scope_of
    from web.cards import _nav_entries

    user = city.admin
    entries = _nav_entries(scope_of(user).capabilities)
    urls = [item["url"] for item in nav_items(user)]
    assert sorted(urls) == sorted(url for _o, _l, url, _n in entries)
    assert len(urls) == len(set(urls))


def test_a_group_opens_with_its_lead_page(city):
    groups = {group["key"]: group for group in nav_groups(city.yuekou_supervisor)}
    assert groups["stats"]["items"][0]["label"] == "统计分析"
    assert groups["care"]["items"][0]["label"] == "工作清单"
    assert groups["children"]["items"][0]["label"] == "儿童档案"


def test_the_longest_matching_entry_is_active():
    groups = [
        {"key": "children", "label": "儿童档案", "items": [{"label": "儿童档案", "url": "/children/"}]},
        {"key": "x", "label": "x", "items": [{"label": "档案转移", "url": "/children/transfers/"}]},
    ]
    marked = nav.mark_active(groups, "/children/transfers/5/")
    assert [g["active"] for g in marked] == [False, True]
    assert not any(g["active"] for g in nav.mark_active(groups, "/"))


def test_a_user_with_several_roles_gets_the_most_hands_on_order():
    from accounts.roles import Role

    assert nav.group_order({Role.LEADER, Role.DIRECTOR})[0] == "care"


def test_the_menu_bar_shows_unread_messages(city, login, client):
    from care.models import Notification

    Notification.objects.create(user=city.yuekou_director, text="新的求助", url="/care/intake/")
    login(city.yuekou_director)
    page = client.get("/").content.decode()
    bar = page[page.index("<header") : page.index("</header>")]
    assert "消息，1 条未读" in bar and "/care/notifications/" in bar
    assert "走访关爱" in bar and "工作清单" in bar


def test_a_role_with_few_entries_gets_plain_links(city):
    groups = nav_groups(city.leader)
    assert all(len(group["items"]) == 1 for group in groups)
    assert [group["items"][0]["label"] for group in groups][0] == "统计分析"
