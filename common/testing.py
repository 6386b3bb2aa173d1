"""Test personas and factories (healthchecks' alice/bob/charlie; Zulip's hamlet/iago).

* ``admin`` 市级管理员, ``yuekou_supervisor`` 岳口镇督导员, ``yuekou_director`` 岳口镇一个社区的儿童主任,
  ``duobao_supervisor`` 多宝镇督导员 (the "charlie" who must see nothing of 岳口镇),
  ``edu_liaison`` 教育局联络员, ``teacher`` 岳口镇一所小学的教师, ``leader`` 领导, ``auditor`` 审计员.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass

from common import idnumber
from places.models import Unit
from registry import identity
from registry.models import Child, Guardian, Household
from registry.services import reserve_file_numbers
from registry.status import compute_status

PASSWORD = "Demo-2026!"  # noqa: S105
_sequence = itertools.count(1)


@dataclass
class City:
    personas: dict
    yuekou: Unit
    duobao: Unit
    yuekou_community: Unit
    yuekou_other_village: Unit
    duobao_village: Unit

    def __getattr__(self, name):
        try:
            return self.__dict__["personas"][name]
        except KeyError:
            raise AttributeError(name) from None


def ensure_reference_data() -> None:
    """Data migrations load counties, townships and departments; a transactional test's
    flush removes them, so load them again when they are missing."""
    from network.departments import DEPARTMENTS
    from network.models import Department
    from places.loading import load_counties, load_home_units
    from places.models import County

    if not County.objects.exists():
        load_counties(County)
    load_home_units(Unit)
    for code, name, full_name in DEPARTMENTS:
        Department.objects.get_or_create(code=code, defaults={"name": name, "full_name": full_name})
    _reload_policy_migrations()


# (migration module, a model whose emptiness means the migration's rows are gone)
POLICY_MIGRATIONS = [
    ("care.migrations.0002_load_policy", "care.RiskCategory"),
    ("exchange.migrations.0002_load_sources", "exchange.FeedSource"),
    ("schools.migrations.0003_load_obligations", "schools.Obligation"),
    ("servicelist.migrations.0002_load_basic_list_2025", "servicelist.ServiceListVersion"),
]


def _reload_policy_migrations() -> None:
    """Run the policy data migrations again when a flush has emptied their tables."""
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection, migrations

    for module_name, label in POLICY_MIGRATIONS:
        if apps.get_model(label).objects.exists():
            continue
        module = import_module(module_name)
        for operation in module.Migration.operations:
            if isinstance(operation, migrations.RunPython):
                # The loaders use only the model registry (and at most the connection).
                operation.code(apps, SimpleNamespace(connection=connection))


def build_city() -> City:
    from demo.people import seed_network, seed_personas, seed_schools
    from demo.places import seed_villages

    ensure_reference_data()
    seed_villages(random.Random(1))
    seed_network()
    seed_schools(random.Random(1))
    personas = seed_personas()
    yuekou = Unit.objects.get(code="429006107")
    duobao = Unit.objects.get(code="429006100")
    community = personas["yuekou_director"].assignments.get().unit
    other = yuekou.children.exclude(pk=community.pk).order_by("code").first()
    return City(
        personas=personas,
        yuekou=yuekou,
        duobao=duobao,
        yuekou_community=community,
        yuekou_other_village=other,
        duobao_village=duobao.children.order_by("code").first(),
    )


def make_id(birth_date: dt.date, *, male: bool = True, county: str = "420881") -> str:
    seq = next(_sequence) % 500 * 2 + (1 if male else 0)
    return idnumber.make(county, birth_date, seq)


def make_child(
    *,
    village: Unit,
    name: str = "张小明",
    birth_date: dt.date | None = None,
    male: bool = True,
    hukou_county: str = "420881",
    arrival_date: dt.date | None = None,
    on: dt.date | None = None,
    guardian_phone: str = "13812345678",
    registered_on: dt.date | None = None,
    **fields,
) -> Child:
    """A child with a valid ID number, a household and one guardian, status computed. The file
    counts as registered on ``registered_on`` (default: the day the child arrived, as for a
    file that has long been kept; the first home visit is due from registration)."""
    from django.conf import settings

    on = on or dt.date.today()
    birth_date = birth_date or on.replace(year=on.year - 8) - dt.timedelta(days=3)
    arrival_date = arrival_date or on.replace(year=on.year - 2)
    household = Household.objects.create(address="测试地址1号", township=village.parent, village=village)
    Guardian.objects.create(
        household=household,
        name="张大明",
        relationship="父亲",
        **identity.phone_columns(guardian_phone),
        **identity.id_columns(make_id(birth_date.replace(year=birth_date.year - 30), county=hukou_county)),
    )
    status = compute_status(
        birth_date=birth_date,
        hukou_county_code=hukou_county,
        arrival_date=arrival_date,
        home_county_codes=settings.HOME_COUNTY_CODES,
        on=on,
    )
    defaults = dict(
        file_no=reserve_file_numbers(1)[0],
        name=name,
        name_pinyin=identity.name_pinyin(name),
        sex="男" if male else "女",
        birth_date=birth_date,
        household=household,
        hukou_county_id=hukou_county,
        arrival_date=arrival_date,
        township=village.parent,
        village=village,
        migrant_status=status.status,
        status_reason=status.reason,
        migrant_from=status.migrant_from,
        status_computed_on=on,
        last_verified_on=on,
        **identity.id_columns(
            fields.pop("id_number", None) or make_id(birth_date, male=male, county=hukou_county)
        ),
    )
    defaults.update(fields)
    child = Child.objects.create(**defaults)
    registered = dt.datetime.combine(registered_on or arrival_date, dt.time(12), tzinfo=dt.UTC)
    Child.objects.filter(pk=child.pk).update(created_at=registered)
    child.created_at = registered
    return child
