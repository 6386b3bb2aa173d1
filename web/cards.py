"""What apps contribute to the home page and the navigation.

Each app may define, in ``<app>/home.py``:
* ``NAV: list[NavItem]`` — menu entries, shown to users holding the capability;
* ``home_cards(user) -> list[Card]`` — counts and links for the home page.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from django.apps import apps
from django.urls import NoReverseMatch, reverse

from access.policy import has_capability


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    capability: str
    order: int = 100
    icon: str = ""


@dataclass
class Card:
    title: str
    value: str | int
    url: str = ""
    note: str = ""
    tone: str = "primary"  # bootstrap contextual colour: primary, danger, warning, success, secondary
    order: int = 100


def _home_modules():
    for config in apps.get_app_configs():
        try:
            yield import_module(f"{config.name}.home")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.home":
                raise


def nav_items(user) -> list[dict]:
    items = []
    for module in _home_modules():
        for item in getattr(module, "NAV", []):
            if has_capability(user, item.capability):
                try:
                    url = reverse(item.url_name)
                except NoReverseMatch:
                    continue
                items.append((item.order, item.label, url))
    return [{"label": label, "url": url} for _o, label, url in sorted(items)]


def home_cards(user) -> list[Card]:
    cards: list[Card] = []
    for module in _home_modules():
        builder = getattr(module, "home_cards", None)
        if builder is not None:
            cards.extend(builder(user))
    return sorted(cards, key=lambda c: c.order)
