"""What apps contribute to the home page and the navigation.

Each app may define, in ``<app>/home.py``:
* ``NAV: list[NavItem]`` — menu entries, shown to users holding the capability;
* ``home_cards(user) -> list[Card]`` — counts and links for the home page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, get_urlconf, reverse

from access.policy import scope_of
from common.modules import app_modules


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
    return app_modules("home")


# (capabilities, URLconf) -> the menu: the same for everyone holding the same capabilities,
# and built on every page otherwise (a reverse() per entry).
_NAV_CACHE: dict[tuple, list[dict]] = {}


def nav_items(user) -> list[dict]:
    capabilities = scope_of(user).capabilities
    key = (capabilities, get_urlconf())
    cached = _NAV_CACHE.get(key)
    if cached is None:
        items = []
        for module in _home_modules():
            for item in getattr(module, "NAV", []):
                if item.capability in capabilities:
                    try:
                        url = reverse(item.url_name)
                    except NoReverseMatch:
                        continue
                    items.append((item.order, item.label, url))
        cached = _NAV_CACHE[key] = [{"label": label, "url": url} for _o, label, url in sorted(items)]
    return [dict(item) for item in cached]


def home_cards(user) -> list[Card]:
    cards: list[Card] = []
    for module in _home_modules():
        builder = getattr(module, "home_cards", None)
        if builder is not None:
            cards.extend(builder(user))
    return sorted(cards, key=lambda c: c.order)
