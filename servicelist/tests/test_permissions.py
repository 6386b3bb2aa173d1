"""Every URL of the app: anonymous -> login (or public), wrong role -> 403, out of scope -> 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from servicelist.selectors import list_in_force
from servicelist.tests.factories import child_with_entitlements, send


@pytest.fixture
def world(city):
    child = child_with_entitlements(city.yuekou_community, school_stage="小学")
    referral = send(city.yuekou_supervisor, child)
    return {"child": child, "referral": referral, "version": list_in_force()}


def urls(world) -> dict[str, tuple[str, str]]:
    """name -> (method, url)"""
    c, r, v = world["child"].pk, world["referral"].pk, world["version"].pk
    return {
        "versions": ("get", reverse("servicelist:versions")),
        "version_detail": ("get", reverse("servicelist:version_detail", args=[v])),
        "version_new": ("post", reverse("servicelist:version_new")),
        "service_new": ("get", reverse("servicelist:service_new", args=[v])),
        "service_edit": ("get", reverse("servicelist:service_edit", args=[v, 1])),
        "version_preview": ("get", reverse("servicelist:version_preview", args=[v])),
        "version_publish": ("post", reverse("servicelist:version_publish", args=[v])),
        "child": ("get", reverse("servicelist:child", args=[c])),
        "referral_new": ("get", reverse("servicelist:referral_new", args=[c])),
        "entitlement_status": ("post", reverse("servicelist:entitlement_status", args=[c, 3])),
        "need_flag": ("post", reverse("servicelist:need_flag", args=[c])),
        "referrals": ("get", reverse("servicelist:referrals")),
        "inbox": ("get", reverse("servicelist:inbox")),
        "inbox_detail": ("get", reverse("servicelist:inbox_detail", args=[r])),
        "inbox_action": ("post", reverse("servicelist:inbox_action", args=[r, "accept"])),
        "gaps": ("get", reverse("servicelist:gaps")),
        "gaps_export": ("get", reverse("servicelist:gaps_export")),
        "api_child": ("get", reverse("servicelist_api_child_entitlements", args=[c])),
        "api_inbox": ("get", reverse("servicelist_api_inbox")),
        "api_inbox_action": ("post", reverse("servicelist_api_inbox_action", args=[r, "accept"])),
    }


def call(client, method, url):
    return getattr(client, method)(url)


def test_anonymous_is_sent_to_login(world, client):
    for name, (method, url) in urls(world).items():
        response = call(client, method, url)
        if name.startswith("api_"):
            assert response.status_code in (401, 403), name
        else:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


WRONG_ROLE = {
    "versions": "teacher",
    "version_detail": "edu_liaison",
    "version_new": "yuekou_supervisor",
    "service_new": "yuekou_supervisor",
    "service_edit": "yuekou_director",
    "version_preview": "yuekou_supervisor",
    "version_publish": "yuekou_supervisor",
    "child": "edu_liaison",
    "referral_new": "yuekou_director",
    "entitlement_status": "yuekou_director",
    "need_flag": "leader",
    "referrals": "leader",
    "inbox": "yuekou_supervisor",
    "inbox_detail": "admin",
    "inbox_action": "yuekou_supervisor",
    "gaps": "auditor",
    "gaps_export": "yuekou_director",
    "api_child": "edu_liaison",
    "api_inbox": "admin",
    "api_inbox_action": "yuekou_supervisor",
}


@pytest.mark.parametrize("name", sorted(WRONG_ROLE))
def test_a_role_without_the_capability_gets_403(world, client, login, name, city):
    method, url = urls(world)[name]
    login(getattr(city, WRONG_ROLE[name]))
    assert call(client, method, url).status_code == 403


OUT_OF_SCOPE = ["child", "referral_new", "entitlement_status", "need_flag", "api_child"]


@pytest.mark.parametrize("name", OUT_OF_SCOPE)
def test_the_supervisor_of_another_township_gets_404(world, client, login, name, city):
    method, url = urls(world)[name]
    login(city.duobao_supervisor)
    assert call(client, method, url).status_code == 404


@pytest.mark.parametrize("name", ["inbox_detail", "inbox_action", "api_inbox_action"])
def test_a_liaison_of_another_department_gets_404(world, client, login, name, city):
    from accounts.models import Assignment
    from network.models import Department

    Assignment.objects.filter(user=city.edu_liaison).update(department=Department.objects.get(code="health"))
    method, url = urls(world)[name]
    login(city.edu_liaison)
    assert call(client, method, url).status_code == 404


@pytest.mark.parametrize(
    ("name", "persona"),
    [
        ("versions", "yuekou_supervisor"),
        ("version_detail", "yuekou_director"),
        ("service_edit", "admin"),
        ("version_preview", "admin"),
        ("child", "yuekou_director"),
        ("referral_new", "yuekou_supervisor"),
        ("referrals", "yuekou_director"),
        ("inbox", "edu_liaison"),
        ("inbox_detail", "edu_liaison"),
        ("gaps", "leader"),
        ("gaps_export", "leader"),
        ("api_child", "yuekou_director"),
        ("api_inbox", "edu_liaison"),
    ],
)
def test_the_right_role_in_scope_gets_200(world, client, login, name, persona, city):
    method, url = urls(world)[name]
    login(getattr(city, persona))
    response = call(client, method, url)
    # service_edit of a published version sends the administrator back with a message
    assert response.status_code in ((302,) if name == "service_edit" else (200,)), name


def test_a_director_sees_the_child_of_their_village_only(world, client, login, city):
    other = child_with_entitlements(city.yuekou_other_village)
    login(city.yuekou_director)
    assert client.get(reverse("servicelist:child", args=[other.pk])).status_code == 404


def test_the_child_api(world, client, login, city):
    login(city.yuekou_supervisor)
    body = client.get(reverse("servicelist_api_child_entitlements", args=[world["child"].pk])).json()
    assert body["file_no"] == world["child"].file_no
    assert {e["no"]: e["status"] for e in body["entitlements"]}[3] == "referred"
    assert body["referrals"][0]["department"] == "教育局"
