"""The care app's reaction to a change of a child's registry facts (registry.hooks)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from care.services import flags_sync_all, flags_sync_from_child
from care.status import CHUNK, refresh_child, refresh_children


def child_changed(*, child, actor) -> None:
    # A disability recorded on the file raises 自身残疾 at once, not at the next daily run;
    # the work-list summary follows status, closing and flags.
    flags_sync_from_child(child=child, actor=actor)
    refresh_child(child.pk)


def child_ids(children: Iterable) -> list[int]:
    """Ids from children given as model instances, ids, or a queryset."""
    values = getattr(children, "values_list", None)
    if values is not None:
        return list(values("pk", flat=True))
    return [getattr(child, "pk", child) for child in children]


def children_changed(*, children: Iterable, actor) -> None:
    """The set-based ``child_changed`` for many children (bulk imports, feeds, the daily status
    changes): the disability flags in batches, then the summary rows chunk by chunk."""
    ids = sorted(set(child_ids(children)))
    on = timezone.localdate()
    for start in range(0, len(ids), CHUNK):
        flags_sync_all(on=on, child_ids=ids[start : start + CHUNK], actor=actor)
    refresh_children(ids, on=on)
