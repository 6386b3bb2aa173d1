"""The work lists are scoped by the summary rows' own copies of the child's township, village
and school (no join on the children): the copies follow the child on every path that moves
or closes a file — the single update, the bulk update, a transfer, closing — without waiting
for the daily run."""

import dataclasses
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.policy import scope_of
from accounts.models import Assignment, User
from accounts.roles import Role
from care import selectors
from care.models import CareStatus
from care.status import refresh_all, refresh_children
from common.testing import make_child
from registry.bulk import children_update_many
from registry.models import Child
from registry.services import (
    child_close,
    child_register,
    child_update,
    input_from_child,
    transfer_accept,
    transfer_request,
)
from registry.tests.helpers import child_input


@pytest.fixture
def other_director(city):
    """The child director of the other 岳口镇 village."""
    user = User.objects.create_user("other_director", password="x-Y-z-123456")
    Assignment.objects.create(user=user, role=Role.DIRECTOR, unit=city.yuekou_other_village)
    return user


def _never(user, today) -> set[int]:
    return {row.child_id for row in selectors.worklist(user, which="never", on=today)}


def _registered(city, **overrides):
    return child_register(actor=city.yuekou_supervisor, data=child_input(city.yuekou_community, **overrides))


def test_single_update_moves_the_child_to_the_new_villages_director(city, other_director, today):
    child = _registered(city)
    assert child.pk in _never(city.yuekou_director, today)
    assert child.pk not in _never(other_director, today)
    data = dataclasses.replace(input_from_child(child), village_id=city.yuekou_other_village.pk)
    child_update(actor=city.yuekou_supervisor, child=child, data=data)
    assert child.pk not in _never(city.yuekou_director, today)
    assert child.pk in _never(other_director, today)
    assert selectors.worklist_counts(city.yuekou_director, on=today)["never"] == 0
    assert selectors.worklist_counts(other_director, on=today)["never"] == 1


def test_bulk_update_moves_the_children_to_the_new_villages_director(city, other_director, today):
    moving = [_registered(city, name=name) for name in ("李一", "李二")]
    staying = _registered(city, name="李三")
    assert _never(city.yuekou_director, today) == {moving[0].pk, moving[1].pk, staying.pk}
    pairs = [
        (child, dataclasses.replace(input_from_child(child), village_id=city.yuekou_other_village.pk))
        for child in moving
    ]
    children_update_many(actor=city.yuekou_supervisor, pairs=pairs)
    assert _never(city.yuekou_director, today) == {staying.pk}
    assert _never(other_director, today) == {moving[0].pk, moving[1].pk}


def test_transfer_moves_the_child_to_the_new_townships_lists(city, today):
    child = _registered(city)
    transfer = transfer_request(
        actor=city.yuekou_supervisor, child=child, to_township=city.duobao, reason="随父母到多宝镇务工"
    )
    assert child.pk in _never(city.yuekou_supervisor, today)
    transfer_accept(actor=city.duobao_supervisor, transfer=transfer, to_village=city.duobao_village)
    assert child.pk not in _never(city.yuekou_supervisor, today)
    assert child.pk not in _never(city.yuekou_director, today)
    assert child.pk in _never(city.duobao_supervisor, today)
    status = CareStatus.objects.get(child=child)
    assert (status.township_id, status.village_id) == (city.duobao.pk, city.duobao_village.pk)


def test_closing_a_file_takes_it_off_the_lists_at_once(city, today):
    child = _registered(city)
    assert child.pk in _never(city.yuekou_director, today)
    child_close(actor=city.yuekou_supervisor, child=child, reason="moved_away", destination="湖北省武汉市")
    assert child.pk not in _never(city.yuekou_director, today)
    assert selectors.worklist_counts(city.yuekou_director, on=today)["never"] == 0


def test_refreshes_copy_the_childs_township_village_and_school(city, today):
    school = city.teacher.assignments.get().school
    child = make_child(village=city.yuekou_community, school=school)
    refresh_all(on=today)
    status = CareStatus.objects.get(child=child)
    assert (status.township_id, status.village_id, status.school_id) == (
        city.yuekou.pk,
        city.yuekou_community.pk,
        school.pk,
    )
    # A write that bypassed the services is put right by the next refresh of the child.
    Child.objects.filter(pk=child.pk).update(township=city.duobao, village=city.duobao_village, school=None)
    assert refresh_children([child.pk], on=today)["changed"] == 1
    status.refresh_from_db()
    assert (status.township_id, status.village_id, status.school_id) == (
        city.duobao.pk,
        city.duobao_village.pk,
        None,
    )


def test_directors_work_list_does_not_join_the_children(city, today):
    _registered(city)
    scope_of(city.yuekou_director)  # the user's assignments, read once per request
    with CaptureQueriesContext(connection) as queries:
        selectors.worklist_counts(city.yuekou_director, on=today)
        list(selectors.worklist(city.yuekou_director, which="overdue", on=today).values_list("pk"))
    assert len(queries) == 3
    assert all("registry_child" not in query["sql"] for query in queries)


def test_daily_reminder_counts_follow_the_moved_child(city, other_director, today):
    from care.notify import counts_by_village

    child = _registered(city)
    never_visited = {"overdue", "week"}  # registered today: the first visit is due in 30 days
    later = today + dt.timedelta(days=40)
    assert counts_by_village(today) == {}
    before = counts_by_village(later)
    assert sum(before[(city.yuekou_community.pk, city.yuekou.pk)][k] for k in never_visited) == 1
    data = dataclasses.replace(input_from_child(child), village_id=city.yuekou_other_village.pk)
    child_update(actor=city.yuekou_supervisor, child=child, data=data)
    after = counts_by_village(later)
    assert (city.yuekou_community.pk, city.yuekou.pk) not in after
    assert sum(after[(city.yuekou_other_village.pk, city.yuekou.pk)][k] for k in never_visited) == 1
    child_close(actor=city.yuekou_supervisor, child=child, reason="moved_away", destination="湖北省武汉市")
    assert counts_by_village(later) == {}


def test_driver_rows_equal_the_orms_rows(city, today):
    from care.status import _CHILD_COLUMNS, FIELDS, SCOPE_FIELDS, _created_on, _driver_rows

    school = city.teacher.assignments.get().school
    make_child(village=city.yuekou_community, school=school)
    make_child(village=city.duobao_village, closed_at=today, close_reason="moved_away")
    refresh_all(on=today)
    statuses = CareStatus.objects.order_by("pk").values_list("child_id", *FIELDS, *SCOPE_FIELDS)
    assert _driver_rows(statuses) == list(statuses)
    children = Child.objects.order_by("pk").values_list(*_CHILD_COLUMNS)
    raw, orm = _driver_rows(children), list(children)
    created = _CHILD_COLUMNS.index("created_at")
    assert [r[:created] + r[created + 1 :] for r in raw] == [r[:created] + r[created + 1 :] for r in orm]
    assert [_created_on(r[created]) for r in raw] == [_created_on(r[created]) for r in orm]
