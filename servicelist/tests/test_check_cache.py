"""The public check keeps a published list's services per process, and forgets them on change."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from servicelist import api

URL = "/api/v1/public/entitlements/check"
PROFILE = {"birth_date": "2015-03-04", "school_stage": "小学", "health": "健康", "on_date": "2025-09-01"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    api.clear_services_cache()
    yield
    api.clear_services_cache()


def _check(client) -> dict:
    response = client.post(URL, data=json.dumps(PROFILE), content_type="application/json")
    assert response.status_code == 200, response.content.decode()
    return response.json()


def test_second_check_reads_only_the_version_in_force(client):
    first = _check(client)
    with CaptureQueriesContext(connection) as queries:
        second = _check(client)
    assert second == first
    assert len(queries) == 1


def test_department_rename_shows_at_once(client):
    from network.models import Department

    before = _check(client)
    department = Department.objects.get(name="教育局")
    department.name = "教育和体育局"
    department.save()
    after = _check(client)
    assert after != before
    assert any("教育和体育局" in s["departments"] for s in after["services"])


def test_stale_entries_are_read_again(client, monkeypatch):
    _check(client)
    monkeypatch.setattr(api, "SERVICES_CACHE_SECONDS", 0)
    with CaptureQueriesContext(connection) as queries:
        _check(client)
    assert len(queries) > 1
