"""The care app's reaction to a change of a child's registry facts (registry.hooks)."""

from care.services import flags_sync_from_child
from care.status import refresh_child


def child_changed(*, child, actor) -> None:
    # A disability recorded on the file raises 自身残疾 at once, not at the next daily run;
    # the work-list summary follows status, closing and flags.
    flags_sync_from_child(child=child, actor=actor)
    refresh_child(child.pk)
