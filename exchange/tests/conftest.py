import datetime as dt

import pytest

from common.testing import make_child


@pytest.fixture
def registry(city):
    """A few registered children in 岳口镇 with the hard cases: twins, a same-name child of the
    same age in another family, homophone-named children."""
    on = dt.date.today()
    birth = on.replace(year=on.year - 9) - dt.timedelta(days=40)
    kids = {
        "zhangwei": make_child(
            village=city.yuekou_community, name="张伟", birth_date=birth, guardian_phone="13800000001"
        ),
        "li_a": make_child(
            village=city.yuekou_community,
            name="李思雨",
            birth_date=birth,
            male=False,
            guardian_phone="13800000002",
        ),
        "wang": make_child(
            village=city.yuekou_other_village,
            name="王浩然",
            birth_date=birth - dt.timedelta(days=400),
            guardian_phone="13800000003",
        ),
        "duobao": make_child(
            village=city.duobao_village,
            name="陈晨",
            birth_date=birth - dt.timedelta(days=800),
            guardian_phone="13800000004",
        ),
    }
    # Twins: same household (same guardian phone), same birth date, different names and IDs.
    twin_a = make_child(
        village=city.yuekou_community, name="刘一鸣", birth_date=birth, guardian_phone="13800000005"
    )
    twin_b = make_child(
        village=city.yuekou_community, name="刘一鸿", birth_date=birth, guardian_phone="13800000005"
    )
    twin_b.household = twin_a.household
    twin_b.save(update_fields=["household"])
    kids["twin_a"], kids["twin_b"] = twin_a, twin_b
    for child in kids.values():
        child.refresh_from_db()
    kids["zhangwei"].school_stage = "小学"
    kids["zhangwei"].save(update_fields=["school_stage"])
    return kids
