"""The service list's section of the registry's file page (servicelist/file_sections.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from network.models import Department
from servicelist import api, selectors
from servicelist.file_sections import entitlements_with_services, sections
from servicelist.models import Entitlement, ServiceListVersion
from servicelist.tests.factories import child_with_entitlements, send

TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _empty_cache():
    api.clear_services_cache()
    yield
    api.clear_services_cache()


@pytest.fixture
def pupil(city):
    return child_with_entitlements(
        city.yuekou_community,
        birth_date=TODAY.replace(year=TODAY.year - 7) - dt.timedelta(days=5),
        school_stage="未入学",
    )


def _shown(entitlements) -> list[tuple]:
    return [
        (e.no, e.service.name, [d.name for d in e.service.department_list()], e.status, e.reason)
        for e in entitlements
    ]


def test_entitlements_show_as_the_selector_reads_them(city, pupil):
    expected = _shown(selectors.entitlements_of(user=city.yuekou_director, child=pupil))
    assert expected and any(departments for _no, _name, departments, _s, _r in expected)
    assert _shown(entitlements_with_services(user=city.yuekou_director, child=pupil)) == expected
    assert entitlements_with_services(user=city.duobao_supervisor, child=pupil) == []


def test_a_draft_lists_services_are_read_not_taken_from_the_published_cache(city, pupil):
    entitlements_with_services(user=city.yuekou_director, child=pupil)  # fills the cache
    version = Entitlement.objects.filter(child=pupil).first().version
    department = Department.objects.get(code="education")
    # Changes without signals: the published list's cache keeps the old name for its minute.
    Department.objects.filter(pk=department.pk).update(name="改名后的部门")
    ServiceListVersion.objects.filter(pk=version.pk).update(status=ServiceListVersion.Status.DRAFT)
    shown = _shown(entitlements_with_services(user=city.yuekou_director, child=pupil))
    assert any("改名后的部门" in departments for _no, _name, departments, _s, _r in shown)


def test_referrals_are_listed_with_and_without_entitlement_rows(city, pupil):
    [section] = sections(city.yuekou_supervisor, pupil)
    assert section.context["referrals"] == [] and section.context["entitlements"]
    send(city.yuekou_supervisor, pupil)
    [section] = sections(city.yuekou_supervisor, pupil)
    assert len(section.context["referrals"]) == 1
    Entitlement.objects.filter(child=pupil).delete()
    [section] = sections(city.yuekou_supervisor, pupil)
    assert section.context["entitlements"] == [] and len(section.context["referrals"]) == 1
    assert sections(city.duobao_supervisor, pupil)[0].context["referrals"] == []


def test_a_child_without_referrals_costs_one_query(city, pupil, django_assert_num_queries):
    sections(city.yuekou_supervisor, pupil)  # the published list is then kept
    with django_assert_num_queries(1):
        sections(city.yuekou_supervisor, pupil)
