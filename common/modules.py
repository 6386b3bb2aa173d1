"""The apps' optional contribution modules (``<app>.home``, ``<app>.file_sections``), looked
up once per process: the menu, the home page and the child's file ask on every request."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from django.apps import apps

_FOUND: dict[tuple[str, str], ModuleType | None] = {}


def app_modules(submodule: str):
    """Each installed app's ``<app>.<submodule>`` module, in app order; apps without one are skipped."""
    for config in apps.get_app_configs():
        key = (config.name, submodule)
        if key not in _FOUND:
            try:
                _FOUND[key] = import_module(f"{config.name}.{submodule}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.{submodule}":
                    raise
                _FOUND[key] = None
        if _FOUND[key] is not None:
            yield _FOUND[key]
