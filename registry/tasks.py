"""Background tasks of the registry.

django-tasks has no scheduler of its own: production runs ``manage.py recompute_status``
once a night (cron / systemd timer) or enqueues ``recompute_status_daily`` from its
scheduler; both call the same service.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from registry.services import status_recompute


@task()
def recompute_status_daily(on: str | None = None) -> dict:
    """Recompute every open child's migrant status for ``on`` (ISO date; default today)."""
    day = dt.date.fromisoformat(on) if on else timezone.localdate()
    return status_recompute(on=day)
