"""Work lists: contents, urgency order, scoping through access.policy."""

import datetime as dt

from django.urls import reverse

from care import selectors, services
from care.status import refresh_all
from common.testing import make_child


def _visit(city, child, days_ago, today, kind="上门走访"):
    return services.visit_create(
        outcome="reached",
        notes="入户了解情况",
        actor=city.admin,
        child=child,
        kind=kind,
        visited_on=today - dt.timedelta(days=days_ago),
    )


def test_lists_overdue_due_this_week_and_never_visited(city, today):
    village = city.yuekou_community
    overdue_old = make_child(village=village, name="甲")
    overdue_new = make_child(village=village, name="乙")
    fine = make_child(village=village, name="丙")
    never = make_child(village=village, name="丁")
    _visit(city, overdue_old, 200, today)
    _visit(city, overdue_new, 120, today)
    _visit(city, fine, 10, today)
    refresh_all(on=today)
    overdue = list(selectors.worklist(city.yuekou_director, which="overdue", on=today))
    ids = [s.child_id for s in overdue]
    # Most overdue first: the never-visited child has owed a visit since 6 months after arrival.
    assert ids == [never.pk, overdue_old.pk, overdue_new.pk]
    assert fine.pk not in [s.child_id for s in overdue]
    never_ids = [s.child_id for s in selectors.worklist(city.yuekou_director, which="never", on=today)]
    assert never.pk in never_ids and fine.pk not in never_ids


def test_key_attention_contact_due_list(city, today):
    child = make_child(village=city.yuekou_community)
    services.flag_raise(
        actor=city.yuekou_director, child=child, category="dropout", source="manual",
        raised_on=today - dt.timedelta(days=60),
    )  # fmt: skip
    ids = [s.child_id for s in selectors.worklist(city.yuekou_director, which="contacts", on=today)]
    assert child.pk in ids
    _visit(city, child, 0, today, kind="电话")
    ids = [s.child_id for s in selectors.worklist(city.yuekou_director, which="contacts", on=today)]
    assert child.pk not in ids


def test_director_sees_only_own_villages(city, kids, today):
    refresh_all(on=today)
    ids = {s.child_id for s in selectors.worklist(city.yuekou_director, which="never", on=today)}
    assert ids == {kids["own"].pk}
    supervisor_ids = {s.child_id for s in selectors.worklist(city.yuekou_supervisor, which="never", on=today)}
    assert supervisor_ids == {kids["own"].pk, kids["other"].pk}
    assert selectors.worklist_counts(city.duobao_supervisor, on=today)["never"] == 1
    assert selectors.worklist_counts(city.teacher, on=today)["never"] == 0


def test_worklist_page_shows_only_the_directors_children(city, kids, today, login):
    refresh_all(on=today)
    client = login(city.yuekou_director)
    response = client.get(reverse("care:worklist") + "?list=never")
    text = response.content.decode()
    assert response.status_code == 200
    assert kids["own"].file_no in text
    assert kids["other"].file_no not in text and kids["duobao"].file_no not in text


def test_home_cards_show_work_list_counts(city, kids, today, login):
    refresh_all(on=today)
    client = login(city.yuekou_director)
    response = client.get(reverse("web:home"))
    assert "从未走访" in response.content.decode()


def test_closed_child_leaves_the_work_lists(city, today):
    child = make_child(village=city.yuekou_community, closed_at=today, close_reason="moved_away")
    refresh_all(on=today)
    ids = {s.child_id for s in selectors.worklist(city.yuekou_director, which="never", on=today)}
    assert child.pk not in ids
