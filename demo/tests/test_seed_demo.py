import datetime as dt

from django.core.management import call_command

from accounts.models import User
from common import idnumber
from registry.models import Child


def _city(seed=7):
    call_command("seed_demo", children=120, seed=seed, on=dt.date(2025, 9, 1), quiet=True)
    return list(
        Child.objects.order_by("file_no").values_list("name", "birth_date", "id_hash", "township__name")
    )


def test_seed_demo_builds_valid_children_and_personas(db):
    rows = _city()
    assert len(rows) == 120
    for child in Child.objects.all():
        facts = idnumber.parse(child.id_number)
        assert facts.birth_date == child.birth_date
        assert (facts.sex == "M") == (child.sex == "男")
        assert child.hukou_county_id and child.township_id and child.village.parent_id == child.township_id
    for username in [
        "demo_admin",
        "yuekou_supervisor",
        "yuekou_director",
        "duobao_supervisor",
        "edu_liaison",
        "yuekou_teacher",
        "leader",
        "demo_auditor",
    ]:
        assert User.objects.get(username=username).assignments.exists()


def test_seed_demo_is_idempotent(db):
    _city()
    call_command("seed_demo", children=120, seed=7, on=dt.date(2025, 9, 1), quiet=True)
    assert Child.objects.count() == 120


def test_seed_demo_is_deterministic(db):
    first = [(n, b, t) for n, b, _h, t in _city(seed=11)]
    Child.objects.all().delete()
    from registry.models import Guardian, Household

    Guardian.objects.all().delete()
    Household.objects.all().delete()
    second = [(n, b, t) for n, b, _h, t in _city(seed=11)]
    assert first == second
