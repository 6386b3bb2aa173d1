"""Background work: recomputing every child's entitlements (daily, and after a list is published)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task


@task()
def recompute_entitlements_task(on: str | None = None) -> dict:
    """Recompute for the whole registry on ``on`` (ISO date; today by default)."""
    from servicelist.services import entitlements_recompute

    result = entitlements_recompute(on=dt.date.fromisoformat(on) if on else None)
    return {
        "version": result.version,
        "children": result.children,
        "created": result.created,
        "reopened": result.reopened,
        "closed": result.closed,
        "moved": result.moved,
        "skipped": len(result.skipped),
    }
