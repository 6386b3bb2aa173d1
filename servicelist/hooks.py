"""The service list's reaction to a change of a child's registry facts (registry.hooks)."""

from __future__ import annotations

from collections.abc import Iterable

from servicelist.services import entitlements_recompute, entitlements_recompute_children


def child_changed(*, child, actor) -> None:
    entitlements_recompute(child=child, actor=actor)


def children_changed(*, children: Iterable, actor) -> None:
    """The set-based ``child_changed`` for many children (bulk imports, feeds, daily changes)."""
    values = getattr(children, "values_list", None)
    ids = list(values("pk", flat=True)) if values is not None else [getattr(c, "pk", c) for c in children]
    entitlements_recompute_children(child_ids=ids, actor=actor)
