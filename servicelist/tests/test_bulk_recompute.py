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
