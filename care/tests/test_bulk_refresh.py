"""The set-based refresh (daily run, bulk hooks) gives exactly what the per-child refresh gives."""

from __future__ import annotations

import datetime as dt
import itertools
import random

from django.utils import timezone

from care import cadence, hooks
from care.models import CareStatus, RiskFlag, Visit
from care.status import FIELDS, _Evaluator, compute, load_policy, refresh_all, refresh_child, refresh_children
from common.testing import make_child
from registry.models import Child


def rows() -> dict[int, tuple]:
    return {r[0]: tuple(r[1:]) for r in CareStatus.objects.values_list("child_id", *FIELDS)}


def varied_city(city, today):
    """Children in every situation the summary distinguishes: migrant, pending, closed, with and
    without visits of each kind, with active and closed flags, disabled."""
    old = today - dt.timedelta(days=800)
    made = [
        make_child(village=city.yuekou_community, name="甲", arrival_date=old),
        make_child(village=city.yuekou_community, name="乙", arrival_date=today - dt.timedelta(days=30)),
        make_child(village=city.yuekou_other_village, name="丙", arrival_date=old, health="残疾"),
        make_child(village=city.duobao_village, name="丁", arrival_date=old, disability_category="肢体"),
        make_child(village=city.duobao_village, name="戊", arrival_date=old),
        make_child(village=city.yuekou_community, name="己", arrival_date=old),
    ]
    Child.objects.filter(pk=made[4].pk).update(closed_at=today, close_reason="moved_away")
    Child.objects.filter(pk=made[5].pk).update(migrant_from=None)
    # Registered long ago, two of them: the first home visit counts from registration otherwise.
    registered = timezone.now() - dt.timedelta(days=900)
    Child.objects.filter(pk__in=[made[2].pk, made[3].pk]).update(created_at=registered)
    reached, note, answer = "reached", "入户了解情况", {"guardian_present": "是"}
    for child, kind, days, outcome, notes, checklist in [
        (made[0], "上门走访", 40, reached, note, {}),
        (made[0], "电话", 10, reached, "", answer),
        # Records that count toward nothing: not reached, empty, without an outcome.
        (made[0], "上门走访", 5, "not_reached", note, answer),
        (made[1], "上门走访", 3, reached, "", {}),
        (made[5], "上门走访", 2, "", note, answer),
        (made[2], "电话", 100, reached, note, {}),
        (made[3], "上门走访", 400, reached, note, answer),
        (made[4], "上门走访", 20, reached, note, {}),
    ]:
        Visit.objects.create(
            child=child,
            kind=kind,
            visited_on=today - dt.timedelta(days=days),
            outcome=outcome,
            notes=notes,
            checklist=checklist,
        )
    RiskFlag.objects.create(
        child=made[0], category_id=_category_id("family_hardship"), source="manual", raised_on=today
    )
    RiskFlag.objects.create(
        child=made[3],
        category_id=_category_id("dropout"),
        source="manual",
        raised_on=today - dt.timedelta(days=200),
        status="closed",
    )
    return made


def _category_id(code: str) -> int:
    from care.models import RiskCategory

    return RiskCategory.objects.filter(code=code).values_list("pk", flat=True).first()


def test_evaluator_matches_compute_on_varied_facts(city):
    """The memoised evaluation used by the bulk refresh equals the pure per-child function."""
    today = timezone.localdate()
    policy = load_policy(today)
    evaluator = _Evaluator(policy)
    rng = random.Random(7)
    days = [None, *(today - dt.timedelta(days=rng.randrange(0, 2000)) for _ in range(12))]
    for migrant, open_ in itertools.product((True, False), repeat=2):
        for _ in range(150):
            migrant_from, created_on, home, contact, since = (rng.choice(days) for _ in range(5))
            expected = compute(
                policy=policy,
                migrant=migrant,
                open_=open_,
                migrant_from=migrant_from,
                created_on=created_on or today,
                last_home_visit_on=home,
                last_contact_on=contact,
                key_attention_since=since,
            )
            got = evaluator.values(migrant, open_, migrant_from, created_on or today, home, contact, since)
            assert got == expected


def test_refresh_all_and_children_equal_the_per_child_refresh(city):
    today = timezone.localdate()
    made = varied_city(city, today)
    for child in made:
        refresh_child(child.pk, on=today)
    one_by_one = rows()
    CareStatus.objects.all().delete()
    assert refresh_all(on=today, chunk=2)["changed"] == len(made)
    assert rows() == one_by_one
    CareStatus.objects.all().delete()
    assert refresh_children([c.pk for c in made], on=today, chunk=4) == {
        "children": len(made),
        "changed": len(made),
    }
    assert rows() == one_by_one
    # A second pass finds nothing to write.
    assert refresh_children([c.pk for c in made], on=today)["changed"] == 0


def test_children_changed_flags_disabled_children_and_refreshes(city):
    today = timezone.localdate()
    made = varied_city(city, today)
    hooks.children_changed(children=made, actor=city.admin)
    flagged = set(RiskFlag.objects.filter(source="data", status="active").values_list("child_id", flat=True))
    assert flagged == {made[2].pk, made[3].pk}  # disabled, open files
    assert set(rows()) == {c.pk for c in made}
    assert rows()[made[2].pk][1] is True  # now on the key-attention register
    assert CareStatus.objects.get(child=made[4]).needs_visit is False  # closed file
    # The same as the single-child hook would give, child by child.
    bulk = rows()
    CareStatus.objects.all().delete()
    for child in Child.objects.filter(pk__in=[c.pk for c in made]):
        hooks.child_changed(child=child, actor=city.admin)
    assert rows() == bulk
    assert RiskFlag.objects.filter(source="data").count() == 2  # not raised twice


def test_children_changed_takes_ids_and_querysets(city):
    today = timezone.localdate()
    made = varied_city(city, today)
    hooks.children_changed(children=[c.pk for c in made[:2]], actor=None)
    assert set(rows()) == {made[0].pk, made[1].pk}
    hooks.children_changed(children=Child.objects.filter(pk__in=[c.pk for c in made]), actor=None)
    assert set(rows()) == {c.pk for c in made}


def test_due_dates_follow_the_cadence(city):
    today = timezone.localdate()
    made = varied_city(city, today)
    refresh_children([made[0].pk], on=today)
    status = CareStatus.objects.get(child=made[0])
    policy = load_policy(today)
    assert status.next_visit_due == cadence.next_due(today - dt.timedelta(days=40), policy.visit_periods)


def test_daily_run_refreshes_only_changed_children_and_equals_a_full_pass(city):
    """After a first (full) run, the next days recompute only the children whose inputs
    changed; a full pass afterwards finds nothing left to change."""
    from care.daily import run_daily

    today = timezone.localdate()
    made = varied_city(city, today)
    first = run_daily(on=today)
    assert (first["incremental"], first["children"]) == (False, len(made))
    tomorrow = today + dt.timedelta(days=1)
    nothing = run_daily(on=tomorrow)
    # Only the few children touched during the first run are looked at again; nothing changes.
    assert nothing["incremental"] is True and nothing["children"] < len(made) and nothing["changed"] == 0
    # Changes of the day: a visit, a file closed without the services, a new flag, a disability.
    Visit.objects.create(
        child=made[1], kind="上门走访", visited_on=tomorrow, outcome="reached", notes="入户了解情况"
    )
    Child.objects.filter(pk=made[0].pk).update(closed_at=tomorrow, close_reason="moved_away")
    RiskFlag.objects.create(
        child=made[5], category_id=_category_id("dropout"), source="manual", raised_on=tomorrow
    )
    Child.objects.filter(pk=made[4].pk).update(closed_at=None, updated_at=timezone.now())
    Child.objects.filter(pk=made[1].pk).update(health="残疾", updated_at=timezone.now())
    CareStatus.objects.filter(child=made[3]).delete()
    day_two = today + dt.timedelta(days=2)
    daily = run_daily(on=day_two)
    assert daily["incremental"] is True
    assert daily["flagged"] == 1
    assert daily["changed"] == 5  # made[0], [1], [3], [4], [5]
    after = rows()
    assert refresh_all(on=day_two)["changed"] == 0
    assert rows() == after


def test_a_changed_cadence_makes_the_daily_run_a_full_pass(city):
    from care.daily import run_daily
    from care.services import cadence_change

    today = timezone.localdate()
    made = varied_city(city, today)
    run_daily(on=today)
    cadence_change(
        actor=city.admin, code="home_visit", interval_months=2, effective_from=today + dt.timedelta(days=30)
    )
    again = run_daily(on=today)
    assert (again["incremental"], again["children"]) == (False, len(made))


def test_only_visits_with_an_outcome_and_content_count_in_both_refreshes(city):
    """Not reached, empty and outcome-less records leave the dates alone, in the per-child and the
    set-based refresh alike (both read care.models.counts_toward_cadence)."""
    today = timezone.localdate()
    made = varied_city(city, today)
    refresh_children([c.pk for c in made], on=today)
    bulk = rows()
    assert bulk[made[0].pk][4:6] == (today - dt.timedelta(days=40), today - dt.timedelta(days=10))
    assert bulk[made[1].pk][4:6] == (None, None)  # reached, but nothing written
    assert bulk[made[5].pk][4:6] == (None, None)  # no outcome recorded
    for child in made:
        refresh_child(child.pk, on=today)
    assert rows() == bulk
