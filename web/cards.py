"""What apps contribute to the home page and the navigation.

Each app may define, in ``<app>/home.py``:
* ``NAV: list[NavItem]`` — menu entries, shown to users holding the capability;
* ``home_cards(user) -> list[Card]`` — counts and links for the home page;
* ``inbox(user) -> Inbox | None`` — the messages slot at the right of the menu bar (the first
  app that defines it fills it).

``web/nav.py`` arranges the menu entries into groups per role.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, get_urlconf, reverse

from access.policy import scope_of
from common.modules import app_modules
from web import nav


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    capability: str
    order: int = 100
    icon: str = ""


@dataclass(frozen=True)
class Inbox:
    label: str
    url: str
    unread: int


@dataclass
class Card:
    title: str
    value: str | int
    url: str = ""
    note: str = ""
    tone: str = "primary"  # bootstrap contextual colour: primary, danger, warning, success, secondary
    order: int = 100


def _home_modules():
    return app_modules("home")


# (capabilities, roles, URLconf) -> the menu: the same for everyone holding the same roles,
# and built on every page otherwise (a reverse() per entry).
_NAV_CACHE: dict[tuple, list[dict]] = {}


def _nav_entries(capabilities) -> list[tuple[int, str, str, str]]:
    entries = []
    for module in _home_modules():
        for item in getattr(module, "NAV", []):
            if item.capability in capabilities:
                try:
                    url = reverse(item.url_name)
                except NoReverseMatch:
                    continue
                entries.append((item.order, item.label, url, item.url_name))
    return entries


def nav_groups(user) -> list[dict]:
    """The user's menu: groups of entries (``web.nav.arrange``), a fresh copy per call."""
    scope = scope_of(user)
    key = (scope.capabilities, frozenset(scope.roles), get_urlconf())
    cached = _NAV_CACHE.get(key)
    if cached is None:
        cached = _NAV_CACHE[key] = nav.arrange(_nav_entries(scope.capabilities), scope.roles)
    return [dict(group, items=[dict(item) for item in group["items"]]) for group in cached]


def nav_items(user) -> list[dict]:
    """Every menu entry of the user, flat, in menu order."""
    return [item for group in nav_groups(user) for item in group["items"]]


def inbox(user) -> Inbox | None:
    for module in _home_modules():
        builder = getattr(module, "inbox", None)
        if builder is not None:
            found = builder(user)
            if found is not None:
                return found
    return None


def home_cards(user) -> list[Card]:
    cards: list[Card] = []
    for module in _home_modules():
        builder = getattr(module, "home_cards", None)
        if builder is not None:
            cards.extend(builder(user))
    return sorted(cards, key=lambda c: c.order)
