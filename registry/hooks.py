"""What follows, in other apps, a change of a child's facts.

Registry services call ``child_changed`` inside their transaction after registering,
updating, closing, reopening or transferring a file. The receivers are named in
``settings.CHILD_CHANGED_HOOKS`` (dotted paths to ``fn(*, child, actor)``): explicit calls in a
known order, instead of signals, so that a reader of the registry sees what a change sets off.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


@cache
def _receivers(paths: tuple[str, ...]):
    return [import_string(path) for path in paths]


def child_changed(*, child, actor) -> None:
    for receiver in _receivers(tuple(getattr(settings, "CHILD_CHANGED_HOOKS", ()))):
        receiver(child=child, actor=actor)
