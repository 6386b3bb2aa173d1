import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from common.testing import make_child
from registry.models import CensusTask, Child
from registry.selectors import (
    census_overdue,
    census_progress,
    census_summary,
    census_worklist,
    stale_children,
)
from registry.services import RegistryError, census_open, census_verify, child_close, input_from_child


def open_round(city):
    today = dt.date.today()
    return census_open(
        actor=city.admin,
        name="2026年秋季摸排",
        period_start=today,
        period_end=today + dt.timedelta(days=30),
        deadline=today + dt.timedelta(days=20),
    )


def test_only_city_admin_opens_and_tasks_cover_open_files(city):
    a = make_child(village=city.yuekou_community)
    b = make_child(village=city.duobao_village, name="王明")
    closed = make_child(village=city.yuekou_community, name="赵云")
    child_close(actor=city.admin, child=closed, reason="other")
    with pytest.raises(PermissionDenied):
        census_open(
            actor=city.yuekou_supervisor,
            name="x",
            period_start=dt.date.today(),
            period_end=dt.date.today(),
            deadline=dt.date.today(),
        )
    census = open_round(city)
    assert set(CensusTask.objects.filter(round=census).values_list("child_id", flat=True)) == {a.pk, b.pk}
    with pytest.raises(RegistryError):
        open_round(city)


def test_director_confirms_and_progress_counts(city):
    child = make_child(village=city.yuekou_community, last_verified_on=dt.date(2025, 1, 1))
    make_child(village=city.yuekou_other_village, name="王明")
    census = open_round(city)
    tasks = list(census_worklist(city.yuekou_director, census))
    assert [t.child_id for t in tasks] == [child.pk]
    census_verify(actor=city.yuekou_director, task=tasks[0], outcome="confirmed")
    child.refresh_from_db()
    assert child.last_verified_on == dt.date.today()
    assert census_summary(city.yuekou_supervisor, census) == {
        "total": 2,
        "pending": 1,
        "done": 1,
        "percent": 50.0,
    }
    rows = census_progress(city.admin, census)
    assert rows[0]["name"] == city.yuekou.name and rows[0]["percent"] == 50.0
    villages = {
        r["unit_id"]: r["percent"]
        for r in census_progress(city.yuekou_supervisor, census, township=city.yuekou)
    }
    assert villages == {city.yuekou_community.pk: 100.0, city.yuekou_other_village.pk: 0.0}


def test_update_outcome_goes_through_child_update(city):
    child = make_child(village=city.yuekou_community)
    census = open_round(city)
    task = CensusTask.objects.get(round=census, child=child)
    data = input_from_child(child)
    data.school_stage = "初中"
    census_verify(actor=city.yuekou_director, task=task, outcome="updated", data=data)
    child.refresh_from_db()
    assert child.school_stage == "初中" and child.version == 2
    task.refresh_from_db()
    assert task.status == "updated" and task.verified_by == city.yuekou_director


def test_out_of_scope_cannot_verify_and_moved_needs_a_note(city):
    child = make_child(village=city.yuekou_community)
    census = open_round(city)
    task = CensusTask.objects.get(round=census, child=child)
    with pytest.raises(PermissionDenied):
        census_verify(actor=city.duobao_supervisor, task=task, outcome="confirmed")
    with pytest.raises(RegistryError):
        census_verify(actor=city.yuekou_director, task=task, outcome="moved")


def test_unverified_after_deadline_and_stale_list(city):
    old = make_child(village=city.yuekou_community, last_verified_on=dt.date.today() - dt.timedelta(days=200))
    fresh = make_child(village=city.yuekou_community, name="王明")
    census = open_round(city)
    assert not census_overdue(city.yuekou_supervisor, census).exists()
    late = census.deadline + dt.timedelta(days=1)
    assert census_overdue(city.yuekou_supervisor, census, on=late).count() == 2
    assert list(stale_children(city.yuekou_supervisor)) == [old]
    assert fresh not in stale_children(city.yuekou_director)
    assert not stale_children(city.duobao_supervisor).exists()
    Child.objects.filter(pk=old.pk).update(last_verified_on=None)
    assert list(stale_children(city.yuekou_supervisor)) == [old]
