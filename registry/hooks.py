"""What follows, in other apps, a change of a child's facts.

Registry services call ``child_changed`` inside their transaction after registering,
updating, closing, reopening or transferring a file. The receivers are named in
``settings.CHILD_CHANGED_HOOKS`` (dotted paths to ``fn(*, child, actor)``): explicit calls in a
known order, instead of signals, so that a reader of the registry sees what a change sets off.

Bulk writes (registry/bulk.py: ledger imports, department feeds) call ``children_changed`` once
per batch instead. A receiver module may define the set-based sibling
``children_changed(*, children, actor)`` next to its ``child_changed``; when it does not, the
single-child function is called for each child.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from importlib import import_module

from django.conf import settings
from django.utils.module_loading import import_string


def _paths() -> tuple[str, ...]:
    return tuple(getattr(settings, "CHILD_CHANGED_HOOKS", ()))


@cache
def _receivers(paths: tuple[str, ...]):
    return [import_string(path) for path in paths]


@cache
def _batch_receivers(paths: tuple[str, ...]) -> list[tuple[Callable, Callable | None]]:
    """(child_changed, children_changed or None) for each configured hook."""
    receivers = []
    for path in paths:
        single = import_string(path)
        module_path, _dot, _name = path.rpartition(".")
        many = getattr(import_module(module_path), "children_changed", None)
        receivers.append((single, many if callable(many) else None))
    return receivers


def child_changed(*, child, actor) -> None:
    for receiver in _receivers(_paths()):
        receiver(child=child, actor=actor)


def children_changed(*, children: Sequence, actor) -> None:
    """The batch form of ``child_changed``: each hook once with the whole list when it can."""
    children = list(children)
    if not children:
        return
    for single, many in _batch_receivers(_paths()):
        if many is not None:
            many(children=children, actor=actor)
        else:
            for child in children:
                single(child=child, actor=actor)
