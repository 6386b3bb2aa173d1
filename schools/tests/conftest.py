import datetime as dt

import pytest

from schools.models import School, SchoolYear

D = dt.date


def make_year(name="2025-2026", school=None, **overrides):
    start = int(name[:4])
    fields = dict(
        semester1_start=D(start, 9, 1),
        semester1_end=D(start + 1, 1, 23),
        winter_start=D(start + 1, 1, 24),
        winter_end=D(start + 1, 2, 28),
        semester2_start=D(start + 1, 3, 1),
        semester2_end=D(start + 1, 7, 3),
        summer_start=D(start + 1, 7, 4),
        summer_end=D(start + 1, 8, 31),
    )
    fields.update(overrides)
    return SchoolYear.objects.create(name=name, school=school, **fields)


@pytest.fixture
def year(db):
    return make_year()


@pytest.fixture
def school(city):
    """The teacher persona's school (a primary school in 岳口镇)."""
    return city.teacher.assignments.get().school


@pytest.fixture
def duobao_school(city):
    return School.objects.filter(township=city.duobao, kind=School.Kind.PRIMARY).order_by("name").first()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Attachments written by the tests land in a temporary directory."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path
