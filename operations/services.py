"""The daily run: the steps named in settings.DAILY_STEPS, once per business day.

django-tasks has no scheduler, so the operating system starts `manage.py run_daily` (a systemd
timer or cron line in deploy/). It may be started more often than daily — a day already done is
skipped — and a failed step does not stop the others; the run records each step's outcome and
time, and the city administrator's home page shows the last run.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable

from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from operations.models import DailyRun

# A run still marked "running" after this long was killed (machine restart): it may be taken over.
STALE_AFTER = dt.timedelta(hours=6)


class AlreadyRunning(Exception):
    pass


def _claim(on: dt.date, *, force: bool) -> DailyRun | None:
    """The run row for the day, claimed for this process; None when the day is already done."""
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                return DailyRun.objects.create(on=on, started_at=now)
        except IntegrityError:
            pass
        run = DailyRun.objects.select_for_update().get(on=on)
        if run.status == DailyRun.Status.RUNNING and now - run.started_at < STALE_AFTER:
            raise AlreadyRunning(
                f"{on} 的每日任务正在运行（开始于 {timezone.localtime(run.started_at):%H:%M}）"
            )
        if run.status == DailyRun.Status.SUCCEEDED and not force:
            return None
        run.status, run.started_at, run.finished_at, run.steps = DailyRun.Status.RUNNING, now, None, []
        run.save()
        return run


def run_daily(
    *, on: dt.date, force: bool = False, progress: Callable[[str, dict], None] | None = None
) -> DailyRun | None:
    """Run every daily step for the day; None when the day had already succeeded."""
    run = _claim(on, force=force)
    if run is None:
        return None
    for command, label in settings.DAILY_STEPS:
        started = time.perf_counter()
        outcome = {"step": command, "label": label, "ok": True, "error": ""}
        try:
            call_command(command, "--on", on.isoformat(), stdout=io.StringIO(), stderr=io.StringIO())
        except Exception as exc:  # noqa: BLE001 - one failed step must not stop the others
            outcome.update(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
        outcome["seconds"] = round(time.perf_counter() - started, 2)
        run.steps = [*run.steps, outcome]
        run.save(update_fields=["steps"])
        if progress:
            progress(command, outcome)
    _planner_statistics()
    run.finished_at = timezone.now()
    run.status = DailyRun.Status.SUCCEEDED if all(s["ok"] for s in run.steps) else DailyRun.Status.FAILED
    run.save(update_fields=["finished_at", "status"])
    return run


def _planner_statistics() -> None:
    """SQLite has no autovacuum: after the day's writes, let it re-analyse the tables this run
    read whose size has changed much since their last ANALYZE (bounded by analysis_limit).
    PostgreSQL's autovacuum keeps its own statistics."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA analysis_limit=2000")
            cursor.execute("PRAGMA optimize")


def last_run() -> DailyRun | None:
    return DailyRun.objects.order_by("-on").first()
