"""The set-based daily status run gives each child the status ``compute_status`` gives it, and
the children whose status changed reach the other apps at once (registry.hooks)."""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.utils import timezone

from common.testing import make_child
from registry.models import Child
from registry.services import status_recompute
from registry.status import compute_status


def test_set_based_run_equals_compute_status_per_child_on_a_varied_city(city):
    """Births around the 16th birthday (leap days too), arrivals around six months, local and
    unknown hukou: after the run, every open file's status is the per-child result."""
    rng = random.Random(11)
    on = dt.date(2026, 9, 1)
    made = []
    for i in range(40):
        birth = (
            dt.date(2010, 8, 25) + dt.timedelta(days=rng.randrange(0, 14)) if i % 2 else dt.date(2015, 5, 5)
        )
        arrival = on - dt.timedelta(days=rng.choice([150, 180, 182, 184, 200, 400]))
        made.append(
            make_child(
                village=city.yuekou_community,
                birth_date=birth,
                arrival_date=arrival,
                on=on - dt.timedelta(days=20),
            )
        )
    Child.objects.filter(pk=made[0].pk).update(hukou_county_id="429006")
    Child.objects.filter(pk=made[2].pk).update(hukou_county_id=None)
    Child.objects.filter(pk=made[4].pk).update(birth_date=dt.date(2010, 2, 28))
    Child.objects.filter(pk=made[6].pk).update(status_computed_on=None)
    status_recompute(on=on)
    for child in Child.objects.filter(pk__in=[c.pk for c in made]):
        expected = compute_status(
            birth_date=child.birth_date,
            hukou_county_code=child.hukou_county_id,
            arrival_date=child.arrival_date,
            home_county_codes=settings.HOME_COUNTY_CODES,
            on=on,
        )
        if child.closed_at is not None:
            assert expected.close_reason == child.close_reason and child.migrant_status == "not_migrant"
        elif child.pk != made[2].pk:  # unknown hukou: left as it was
            assert child.migrant_status == expected.status, child.pk
            if expected.status != "not_migrant":  # a settled not-migrant file keeps its reason
                assert child.status_reason == expected.reason, child.pk


def test_status_changes_reach_care_and_entitlements_at_once(city):
    from care.models import CareStatus
    from servicelist.models import Entitlement
    from servicelist.services import entitlements_recompute

    on = timezone.localdate()
    closing = make_child(
        village=city.yuekou_community,
        birth_date=on.replace(year=on.year - 16) - dt.timedelta(days=1),
        arrival_date=on - dt.timedelta(days=900),
        on=on - dt.timedelta(days=5),
    )
    pending = make_child(
        village=city.yuekou_community, arrival_date=on - dt.timedelta(days=190), on=on - dt.timedelta(days=30)
    )
    assert pending.migrant_status == "pending"
    entitlements_recompute(on=on)
    before = timezone.now()
    counts = status_recompute(on=on)
    assert counts["turned_16"] == 1 and counts["became_migrant"] == 1
    assert set(Entitlement.objects.filter(child=closing).values_list("status", flat=True)) == {
        "not_applicable"
    }
    assert CareStatus.objects.get(child=pending).needs_visit is True
    assert CareStatus.objects.get(child=closing).needs_visit is False
    assert Child.objects.filter(pk__in=[closing.pk, pending.pk], updated_at__gte=before).count() == 2
