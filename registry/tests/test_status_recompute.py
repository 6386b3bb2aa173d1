import datetime as dt

from audit.models import AuditEvent
from common.testing import make_child
from registry.models import Child
from registry.services import _birth_threshold, status_recompute
from registry.status import age_on


def test_sixteenth_birthday_closes_the_file_on_the_day(city):
    on = dt.date(2026, 6, 10)
    birthday_tomorrow = make_child(
        village=city.yuekou_community,
        birth_date=dt.date(2010, 6, 11),
        on=on,
        arrival_date=dt.date(2020, 1, 1),
    )
    birthday_today = make_child(
        village=city.yuekou_community,
        birth_date=dt.date(2010, 6, 10),
        on=on - dt.timedelta(days=1),
        arrival_date=dt.date(2020, 1, 1),
    )
    counts = status_recompute(on=on)
    birthday_today.refresh_from_db()
    birthday_tomorrow.refresh_from_db()
    assert counts["turned_16"] == 1
    assert birthday_today.closed_at == on and birthday_today.close_reason == "turned_16"
    assert birthday_today.migrant_status == "not_migrant" and "16" in birthday_today.status_reason
    assert birthday_tomorrow.closed_at is None and birthday_tomorrow.migrant_status == "migrant"
    assert AuditEvent.objects.filter(action="close", object_id=str(birthday_today.pk)).exists()


def test_pending_becomes_migrant_on_its_date(city):
    arrival = dt.date(2026, 1, 15)
    child = make_child(village=city.yuekou_community, arrival_date=arrival, on=dt.date(2026, 3, 1))
    assert child.migrant_status == "pending"
    status_recompute(on=dt.date(2026, 7, 14))
    child.refresh_from_db()
    assert child.migrant_status == "pending"
    counts = status_recompute(on=dt.date(2026, 7, 15))
    child.refresh_from_db()
    assert counts["became_migrant"] == 1 and child.migrant_status == "migrant" and child.status_reason == ""


def test_local_hukou_closes_an_open_migrant_file(city):
    child = make_child(village=city.yuekou_community)
    Child.objects.filter(pk=child.pk).update(hukou_county_id="429006")
    counts = status_recompute(on=dt.date.today())
    child.refresh_from_db()
    assert counts["local_hukou"] == 1 and child.close_reason == "local_hukou"


def test_a_future_arrival_date_resolves_when_the_day_comes(city):
    on = dt.date(2026, 3, 1)
    child = make_child(village=city.yuekou_community, arrival_date=dt.date(2026, 3, 10), on=on)
    assert child.migrant_status == "not_migrant"
    counts = status_recompute(on=dt.date(2026, 3, 10))
    child.refresh_from_db()
    assert counts["recomputed"] == 1 and child.migrant_status == "pending"
    assert child.migrant_from == dt.date(2026, 9, 10) and child.status_computed_on == dt.date(2026, 3, 10)
    status_recompute(on=dt.date(2026, 9, 10))
    child.refresh_from_db()
    assert child.migrant_status == "migrant"


def test_never_computed_rows_are_computed(city):
    child = make_child(village=city.yuekou_community)
    Child.objects.filter(pk=child.pk).update(
        migrant_status="pending", migrant_from=None, status_computed_on=None
    )
    status_recompute(on=dt.date.today())
    child.refresh_from_db()
    assert child.migrant_status == "migrant" and child.status_computed_on == dt.date.today()


def test_unknown_hukou_stays_not_migrant_and_open(city):
    child = make_child(village=city.yuekou_community)
    Child.objects.filter(pk=child.pk).update(
        hukou_county_id=None, migrant_status="not_migrant", status_reason="户籍地未知，无法认定"
    )
    counts = status_recompute(on=dt.date.today())
    child.refresh_from_db()
    assert counts["recomputed"] == 0 and child.closed_at is None and child.migrant_status == "not_migrant"


def test_birth_threshold_matches_age_including_leap_days():
    day = dt.date(2023, 2, 27)
    while day < dt.date(2029, 3, 3):
        threshold = _birth_threshold(day, 16)
        assert age_on(threshold, day) >= 16
        assert age_on(threshold + dt.timedelta(days=1), day) < 16
        day += dt.timedelta(days=1)
