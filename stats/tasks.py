"""Background tasks of the statistics: the daily rebuild and the rebuild after an import.

django-tasks has no scheduler of its own: production runs ``manage.py stats_refresh``
once a night (cron / systemd timer), which does the same as ``refresh_daily``.
An importer that changed children enqueues ``refresh_townships`` with their townships.
"""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from stats.services import refresh_aggregates


@task()
def refresh_daily() -> str:
    """Rebuild every township's summary rows, write today's snapshot, compute the slow measures."""
    from stats.selectors import warm_cache

    refreshed = refresh_aggregates(actor=None)
    warm_cache(on=timezone.localdate())
    return refreshed.isoformat()


@task()
def refresh_townships(township_ids: list[int]) -> str:
    """Rebuild the summary rows of the townships touched by an import or a batch of changes."""
    refreshed = refresh_aggregates(actor=None, township_ids=township_ids)
    return refreshed.isoformat()
