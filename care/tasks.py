"""Background tasks of key attention (django-tasks): the daily run."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from care.daily import run_daily


@task()
def care_daily(on: str | None = None) -> dict:
    """Refresh automatic flags and the cadence summary, then send the work-list reminders."""
    day = dt.date.fromisoformat(on) if on else timezone.localdate()
    return run_daily(on=day)
