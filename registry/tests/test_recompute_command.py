import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from common.testing import make_child
from registry.tasks import recompute_status_daily


def test_command_recomputes_for_the_given_day(city, capsys):
    child = make_child(village=city.yuekou_community, birth_date=dt.date(2010, 6, 10), on=dt.date(2026, 6, 1))
    call_command("recompute_status", "--on", "2026-06-10")
    child.refresh_from_db()
    assert child.close_reason == "turned_16"
    assert "满16周岁关闭 1" in capsys.readouterr().out


def test_bad_date_is_a_chinese_error(db):
    with pytest.raises(CommandError):
        call_command("recompute_status", "--on", "2026-02-30")


def test_task_runs_the_service(city):
    arrival = dt.date(2026, 1, 15)
    child = make_child(village=city.yuekou_community, arrival_date=arrival, on=dt.date(2026, 3, 1))
    result = recompute_status_daily.enqueue("2026-07-15")
    child.refresh_from_db()
    assert child.migrant_status == "migrant"
    assert result.return_value["became_migrant"] == 1
