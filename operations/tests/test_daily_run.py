"""The daily run: every step once per day, failures recorded without stopping the rest."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from common.testing import make_child
from operations.home import home_cards
from operations.models import DailyRun
from operations.services import AlreadyRunning, run_daily

DAY = dt.date(2026, 9, 1)


def test_runs_every_step_once_per_day(city):
    make_child(village=city.yuekou_community)  # the steps have a child to work on
    run = run_daily(on=DAY)
    assert run.status == DailyRun.Status.SUCCEEDED, run.steps
    assert [s["step"] for s in run.steps] == [
        "recompute_status",
        "care_daily",
        "recompute_entitlements",
        "stats_refresh",
    ]
    assert all(s["ok"] and s["seconds"] >= 0 for s in run.steps)
    # Started again the same day (an hourly cron): nothing runs; --force runs it again.
    assert run_daily(on=DAY) is None
    again = run_daily(on=DAY, force=True)
    assert again.pk == run.pk and again.status == DailyRun.Status.SUCCEEDED


def test_sqlite_gets_planner_statistics_after_the_run(city):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps its statistics with autovacuum")
    make_child(village=city.yuekou_community)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone()[0]:
            cursor.execute("DELETE FROM sqlite_stat1")
    run_daily(on=DAY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'registry_child'")
        assert cursor.fetchone()[0] > 0


def test_a_failed_step_is_recorded_and_the_others_still_run(city, settings):
    settings.DAILY_STEPS = [
        ("recompute_status", "认定状态"),
        ("no_such_command_here", "坏步骤"),
        ("stats_refresh", "统计"),
    ]
    run = run_daily(on=DAY)
    assert run.status == DailyRun.Status.FAILED
    assert [s["ok"] for s in run.steps] == [True, False, True]
    assert "no_such_command_here" in run.steps[1]["error"]
    # A failed day is not "done": the next start tries again.
    settings.DAILY_STEPS = [("stats_refresh", "统计")]
    assert run_daily(on=DAY).status == DailyRun.Status.SUCCEEDED


def test_a_run_in_progress_is_not_started_twice_unless_stale(city):
    DailyRun.objects.create(on=DAY, started_at=timezone.now())
    with pytest.raises(AlreadyRunning):
        run_daily(on=DAY)
    DailyRun.objects.filter(on=DAY).update(started_at=timezone.now() - dt.timedelta(hours=7))
    assert run_daily(on=DAY).status == DailyRun.Status.SUCCEEDED


def test_command_reports_and_refuses_bad_dates(city, capsys):
    call_command("run_daily", "--on", "2026-09-01")
    out = capsys.readouterr().out
    assert "流动儿童认定状态" in out and "全部完成" in out
    call_command("run_daily", "--on", "2026-09-01")
    assert "已经成功运行过" in capsys.readouterr().out
    with pytest.raises(CommandError, match="业务日期"):
        call_command("run_daily", "--on", "2026-02-30")


def test_home_card_for_city_admin_only(city):
    assert home_cards(city.yuekou_supervisor) == []
    assert home_cards(city.admin)[0].value == "尚未运行"
    run_daily(on=timezone.localdate())
    card = home_cards(city.admin)[0]
    assert card.value == "正常" and card.tone == "success"
    DailyRun.objects.all().update(on=timezone.localdate() - dt.timedelta(days=3))
    card = home_cards(city.admin)[0]
    assert card.tone == "warning" and "超过一天" in card.note
