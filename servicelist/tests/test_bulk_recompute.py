"""Entitlements recomputed for a set of children (bulk hooks, daily run) equal the per-child results."""

from __future__ import annotations

import datetime as dt

from audit.models import AuditEvent
from common.testing import make_child
from registry.models import Child
from servicelist import hooks, rules, services
from servicelist.models import Entitlement, NeedFlag

TODAY = dt.date.today()


def years_ago(years: int, days: int = 0) -> dt.date:
    return rules._add_months(TODAY, -12 * years) + dt.timedelta(days=days)


def table() -> set[tuple]:
    return set(Entitlement.objects.values_list("child_id", "no", "status", "reason", "service_id"))


def varied_children(city) -> list[Child]:
    """Ages at the rules' edges, stages, health, disability, security, need flags, a closed file,
    a pending child and a child born after the day (no facts)."""
    specs = [
        (years_ago(2), "托育", "健康", "", []),
        (years_ago(3, days=1), "幼儿园", "", "", ["低保边缘"]),
        (years_ago(6), "幼儿园", "残疾", "肢体", ["低保", "特困"]),
        (years_ago(7, days=1), "小学", "慢性病", "", ["特困", "孤儿"]),
        (years_ago(10), "失学辍学", "健康", "", []),
        (years_ago(13), "", "严重精神障碍", "", []),
        (years_ago(15), "中职", "健康", "", []),
        (years_ago(12), "初中", "健康", "", []),
        (years_ago(9), "小学", "健康", "", []),
    ]
    made = [
        make_child(
            village=city.yuekou_community, birth_date=b, school_stage=s, health=h, disability_category=d
        )
        for b, s, h, d, _security in specs
    ]
    for child, spec in zip(made, specs, strict=True):
        Child.objects.filter(pk=child.pk).update(security=spec[4])
    Child.objects.filter(pk=made[8].pk).update(migrant_status="pending")
    NeedFlag.objects.create(child=made[0], kind="emergency_hardship", set_by=city.yuekou_supervisor)
    NeedFlag.objects.create(child=made[4], kind="legal_aid_need", set_by=city.yuekou_supervisor)
    return made


def test_set_recompute_equals_the_per_child_recompute(city):
    made = varied_children(city)

    def start():
        # Rows of an earlier day: a worker's status on one, then a file closed since.
        Entitlement.objects.all().delete()
        services.entitlements_recompute(child=made[7])
        Entitlement.objects.filter(child=made[7], no=6).update(status="receiving")
        Child.objects.filter(pk=made[7].pk).update(closed_at=TODAY, close_reason="moved_away")

    start()
    for child in made:
        services.entitlements_recompute(child=child)
    one_by_one = table()
    Child.objects.filter(pk=made[7].pk).update(closed_at=None)
    start()
    result = services.entitlements_recompute_children(child_ids=[c.pk for c in made], chunk=3)
    assert result.children == len(made) - 1  # the closed file has no facts to evaluate
    assert result.closed > 0
    assert table() == one_by_one


def test_set_recompute_equals_the_whole_registry_pass(city):
    made = varied_children(city)
    services.entitlements_recompute_children(child_ids=[c.pk for c in made])
    by_set = table()
    Entitlement.objects.all().delete()
    services.entitlements_recompute()
    assert table() == by_set


def test_children_changed_hook_takes_objects_ids_and_querysets_and_audits_once(city):
    made = varied_children(city)
    before = AuditEvent.objects.filter(object_type="servicelist.entitlement").count()
    hooks.children_changed(children=made[:3], actor=city.admin)
    assert set(Entitlement.objects.values_list("child_id", flat=True)) == {c.pk for c in made[:3]}
    assert AuditEvent.objects.filter(object_type="servicelist.entitlement").count() == before + 1
    hooks.children_changed(children=[c.pk for c in made], actor=None)
    hooks.children_changed(children=Child.objects.filter(pk__in=[c.pk for c in made]), actor=None)
    # Nothing changed the second time: no further audit row.
    assert AuditEvent.objects.filter(object_type="servicelist.entitlement").count() == before + 2


def test_nothing_to_do_without_children(city):
    assert services.entitlements_recompute_children(child_ids=[]).changed == 0


# --- the daily run: only the children whose facts may have changed -------------------------


def test_daily_run_equals_a_full_pass_after_days_and_changes(city):
    """Ages crossing the rules' thresholds, edited facts, a closed file, flags: the daily run
    leaves nothing for a full pass of the same day to change."""
    from django.utils import timezone

    from care.models import RiskCategory, RiskFlag

    made = varied_children(city)
    # Children about to cross the age limits of the rules (3, 6, 16 years) in the coming days.
    for years in (3, 6, 16):
        made.append(make_child(village=city.yuekou_community, birth_date=years_ago(years, days=5)))
    first = services.entitlements_daily(on=TODAY)  # no watermark yet: the full pass
    assert first.children == len(made)
    later = TODAY + dt.timedelta(days=12)
    now = timezone.now()
    Child.objects.filter(pk=made[8].pk).update(school_stage="失学辍学", updated_at=now)
    Child.objects.filter(pk=made[7].pk).update(closed_at=later, close_reason="moved_away")
    NeedFlag.objects.filter(child=made[0]).update(active=False, cleared_at=now)
    RiskFlag.objects.create(
        child=made[5], category=RiskCategory.objects.first(), source="manual", raised_on=TODAY
    )
    daily = services.entitlements_daily(on=later)
    assert 0 < daily.children < len(made)  # not everyone
    assert daily.changed > 0
    after_daily = table()
    assert services.entitlements_recompute(on=later).changed == 0
    assert table() == after_daily
    # The next day with nothing changed: nobody to recompute but those whose age moved.
    assert services.entitlements_daily(on=later).changed == 0


def test_daily_run_is_a_full_pass_for_a_new_version_or_an_earlier_day(city):
    made = varied_children(city)
    assert services.entitlements_daily(on=TODAY).children == len(made)
    assert services.entitlements_daily(on=TODAY + dt.timedelta(days=1)).children < len(made)
    assert services.entitlements_daily(on=TODAY).children == len(made)  # earlier than the last run
    draft = services.version_create_draft(actor=city.admin, code="tianmen-2026", title="修订版")
    services.version_publish(actor=city.admin, version=draft, effective_from=TODAY + dt.timedelta(days=3))
    result = services.entitlements_daily(on=TODAY + dt.timedelta(days=3))
    assert (result.version, result.children, result.moved > 0) == ("tianmen-2026", len(made), True)


def test_age_months_the_rules_compare_with():
    found: set[int] = set()
    rule = {
        "any": [
            {"fact": "age_years", "op": "between", "value": [3, 5]},
            {"not": {"fact": "age_months", "op": "lt", "value": 30}},
            {"fact": "health", "op": "eq", "value": "残疾"},
        ]
    }
    assert services._age_months_that_matter(rule, found)
    assert found == {36, 48, 60, 72, 30, 31}
    assert not services._age_months_that_matter({"fact": "age_years", "op": "gte", "value": "x"}, set())
