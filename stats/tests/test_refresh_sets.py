"""The summary rows written by INSERT … SELECT equal the grouping read back row by row."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count

from common.testing import make_child
from registry.models import Child
from servicelist.models import Entitlement
from servicelist.services import entitlements_recompute
from stats.models import ChildAggregate, EntitlementAggregate, OriginAggregate, TownshipSnapshot
from stats.services import CHILD_GROUPS, age_group_expression, refresh_aggregates


def test_summary_rows_equal_the_grouping_of_the_registry(city):
    on = dt.date.today()
    villages = [city.yuekou_community, city.yuekou_other_village, city.duobao_village]
    for i in range(12):
        make_child(
            village=villages[i % 3],
            birth_date=on.replace(year=on.year - 1 - i),
            male=bool(i % 2),
            hukou_county=["420881", "420104", "110101"][i % 3],
            school_stage=["", "小学", "初中"][i % 3],
        )
    first = Child.objects.order_by("pk").first()
    Child.objects.filter(pk=first.pk).update(migrant_status="pending")
    entitlements_recompute(on=on)
    refresh_aggregates(actor=None, on=on)

    expected = {
        tuple(row[k] for k in CHILD_GROUPS) + (row["n"],)
        for row in Child.objects.filter(closed_at__isnull=True)
        .annotate(age_group=age_group_expression(on))
        .values(*CHILD_GROUPS)
        .annotate(n=Count("id"))
    }
    got = set(ChildAggregate.objects.values_list(*CHILD_GROUPS, "count"))
    assert got == expected
    assert set(OriginAggregate.objects.values_list("township_id", "hukou_county_id", "count")) == {
        (r["township_id"], r["hukou_county_id"], r["n"])
        for r in Child.objects.filter(closed_at__isnull=True, migrant_status="migrant")
        .values("township_id", "hukou_county_id")
        .annotate(n=Count("id"))
    }
    assert set(EntitlementAggregate.objects.values_list("township_id", "no", "status", "count")) == {
        (r["child__township_id"], r["no"], r["status"], r["n"])
        for r in Entitlement.objects.filter(child__closed_at__isnull=True)
        .exclude(child__migrant_status="not_migrant")
        .values("child__township_id", "no", "status")
        .annotate(n=Count("id"))
    }
    snapshot = TownshipSnapshot.objects.get(day=on, township=city.yuekou)
    assert (snapshot.migrant_count, snapshot.pending_count) == (
        Child.objects.filter(township=city.yuekou, migrant_status="migrant", closed_at__isnull=True).count(),
        1,
    )
    # One township again: the same rows for it.
    before = set(ChildAggregate.objects.filter(township=city.yuekou).values_list(*CHILD_GROUPS, "count"))
    entitlements = EntitlementAggregate.objects.filter(township=city.yuekou)
    entitlements_before = set(entitlements.values_list("version_id", "no", "status", "count"))
    assert entitlements_before
    refresh_aggregates(actor=None, on=on, township_ids=[city.yuekou.pk])
    assert (
        set(ChildAggregate.objects.filter(township=city.yuekou).values_list(*CHILD_GROUPS, "count")) == before
    )
    assert set(entitlements.values_list("version_id", "no", "status", "count")) == entitlements_before
