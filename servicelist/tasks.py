"""Background work: recomputing every child's entitlements (daily, and after a list is published)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task


@task()
def recompute_entitlements_task(on: str | None = None) -> dict:
    """Bring the whole registry up to date on ``on`` (ISO date; today by default): every child
    after a new version comes into force, else the children whose facts changed since the last run."""
    from servicelist.services import entitlements_daily

    result = entitlements_daily(on=dt.date.fromisoformat(on) if on else None)
    return {
        "version": result.version,
        "children": result.children,
        "created": result.created,
        "reopened": result.reopened,
        "closed": result.closed,
        "moved": result.moved,
        "skipped": len(result.skipped),
    }
