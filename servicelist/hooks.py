"""The service list's reaction to a change of a child's registry facts (registry.hooks)."""

from servicelist.services import entitlements_recompute


def child_changed(*, child, actor) -> None:
    entitlements_recompute(child=child, actor=actor)
