"""Inputs for the registry's tests."""

from __future__ import annotations

import datetime as dt

from common.testing import make_id
from registry.inputs import ChildInput, GuardianInput


def child_input(village, *, on: dt.date | None = None, **overrides) -> ChildInput:
    on = on or dt.date.today()
    birth = overrides.pop("birth_date", dt.date(on.year - 9, 5, 17))
    male = overrides.pop("male", True)
    guardians = overrides.pop(
        "guardians",
        [GuardianInput(name="李建国", relationship="父亲", phone="13900001111")],
    )
    values = dict(
        name="李浩宇",
        sex="男" if male else "女",
        birth_date=birth,
        township_id=village.parent_id,
        village_id=village.pk,
        id_number=make_id(birth, male=male, county="421122"),
        hukou_county_code="421122",
        arrival_date=on.replace(year=on.year - 2),
        address="岳口镇测试路8号",
        school_stage="小学",
        health="健康",
        guardians=guardians,
    )
    values.update(overrides)
    return ChildInput(**values)
