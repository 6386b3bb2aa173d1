"""registry.bulk builds its new children without the model's __init__, with the same result."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.bulk import _blank, _new_child
from registry.choices import MigrantStatus
from registry.models import Child, Household


@pytest.fixture
def values(city):
    return {
        "household": Household(address="岳口镇新街1号", township=city.yuekou, village=None),
        "created_by": city.admin,
        "last_verified_on": dt.date(2026, 11, 29),
        "name": "张小明",
        "name_pinyin": "zhang xiao ming",
        "sex": "男",
        "birth_date": dt.date(2016, 3, 4),
        "township_id": city.yuekou.pk,
        "village_id": None,
        "security": ["低保"],
        "migrant_status": MigrantStatus.MIGRANT,
        "status_computed_on": dt.date(2026, 11, 29),
    }


def test_new_child_has_the_fields_and_cached_relations_of_the_model_init(values):
    made, expected = _new_child(**values), Child(**values)
    fields = [f.attname for f in Child._meta.concrete_fields]
    assert {n: getattr(made, n) for n in fields} == {n: getattr(expected, n) for n in fields}
    assert made.household is values["household"] and made.created_by is values["created_by"]
    assert made._state.adding and made._state.db is None
    assert Child().security == _new_child(household=None).security == []  # callable default per child
    assert _new_child(household=None).security is not _new_child(household=None).security


def test_new_child_refuses_unknown_fields(values):
    with pytest.raises(TypeError):
        _new_child(**values, nickname="明明")


def test_blank_is_empty_text_or_none_without_evaluating_lazy_labels():
    assert _blank("") and _blank(None)
    assert not _blank("x") and not _blank(0) and not _blank(False)
    assert not _blank(MigrantStatus.MIGRANT.label)
