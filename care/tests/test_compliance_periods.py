"""compliance_periods (every period in one grouped pass) gives what compliance gave period by period."""

import datetime as dt
import random

from django.db.models import Count, Exists, OuterRef, Q

from care import selectors, services
from care.models import Visit
from care.status import load_policy, refresh_all
from common.testing import make_child
from registry.models import Child
from registry.status import add_months
from stats.measure import quick_periods


def _reference(user, start, end, by):
    """The former implementation: one pass per period, an EXISTS per care row."""
    policy = load_policy(end)
    group = "child__township_id" if by == "township" else "child__village_id"
    home_visit = Visit.objects.filter(
        child_id=OuterRef("child_id"), kind__in=policy.home_kinds, visited_on__gte=start, visited_on__lte=end
    )
    contact = Visit.objects.filter(
        child_id=OuterRef("child_id"),
        kind__in=policy.contact_kinds,
        visited_on__gte=start,
        visited_on__lte=end,
    )
    base = selectors._compliance_base(user)
    visit_rows = (
        base.filter(needs_visit=True)
        .filter(Q(visit_basis_on__isnull=True) | Q(visit_basis_on__lte=start))
        .annotate(done=Exists(home_visit))
        .values(group)
        .annotate(due=Count("pk"), ok=Count("pk", filter=Q(done=True)))
    )
    contact_rows = (
        base.filter(key_attention=True, key_attention_since__lte=start)
        .annotate(done=Exists(contact))
        .values(group)
        .annotate(due=Count("pk"), ok=Count("pk", filter=Q(done=True)))
    )
    by_unit = {}
    for rows, kind in ((visit_rows, "visit"), (contact_rows, "contact")):
        for row in rows:
            if row[group] is None:
                continue
            item = by_unit.setdefault(row[group], selectors.ComplianceRow(row[group], ""))
            setattr(item, f"{kind}_due", row["due"])
            setattr(item, f"{kind}_done", row["ok"])
    return selectors._compliance_rows(by_unit, by)


def _varied_city(city, today):
    rng = random.Random(10)
    villages = [city.yuekou_community, city.yuekou_other_village, city.duobao_village]
    kinds = ["上门走访", "电话", "视频", "在校", "工作站"]
    children = []
    for i in range(18):
        arrival = today - dt.timedelta(days=rng.choice([30, 200, 260, 400, 800]))
        child = make_child(village=villages[i % 3], name=f"王小{i}", arrival_date=arrival)
        children.append(child)
        for _ in range(rng.randrange(4)):
            services.visit_create(
                outcome="reached",
                notes="入户了解情况",
                actor=city.admin,
                child=child,
                kind=rng.choice(kinds),
                visited_on=today - dt.timedelta(days=rng.randrange(400)),
            )
        if i % 4 == 0:
            services.flag_raise(
                actor=city.admin,
                child=child,
                category="dropout",
                source="manual",
                raised_on=today - dt.timedelta(days=rng.choice([3, 20, 45, 100, 300])),
            )
    Child.objects.filter(pk=children[5].pk).update(closed_at=today - dt.timedelta(days=2))
    refresh_all(on=today)


def test_all_periods_in_one_pass_match_period_by_period(city, today):
    _varied_city(city, today)
    periods = [(p.start, p.end) for _label, p in quick_periods(today)]
    periods += [
        (add_months(today, -3), today),
        (today - dt.timedelta(days=400), today - dt.timedelta(days=200)),
    ]
    users = [city.admin, city.leader, city.yuekou_supervisor, city.yuekou_director, city.duobao_supervisor]
    compared = 0
    for user in users:
        for by in ("township", "village", "worker"):
            together = selectors.compliance_periods(user, periods, by=by)
            for start, end in periods:
                expected = _reference(user, start, end, by)
                assert together[(start, end)] == expected
                assert selectors.compliance(user, start, end, by=by) == expected
                compared += bool(expected)
    assert compared > 20  # the comparisons were not of empty lists only


def test_compliance_periods_edge_cases(city, today):
    assert selectors.compliance_periods(city.admin, []) == {}
    period = (today.replace(day=1), today)
    assert list(selectors.compliance_periods(city.admin, [period, period])) == [period]
    try:
        selectors.compliance_periods(city.admin, [period], by="county")
    except ValueError:
        pass
    else:
        raise AssertionError("an unknown grouping must be refused")
