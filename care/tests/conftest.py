import datetime as dt

import pytest
from django.utils import timezone

from common.testing import make_child


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def kids(city, today):
    """A migrant child in the director's community, one in another 岳口镇 village, one in 多宝镇."""
    arrival = today - dt.timedelta(days=800)
    return {
        "own": make_child(village=city.yuekou_community, name="王小一", arrival_date=arrival),
        "other": make_child(village=city.yuekou_other_village, name="李小二", arrival_date=arrival),
        "duobao": make_child(village=city.duobao_village, name="赵小三", arrival_date=arrival),
    }
