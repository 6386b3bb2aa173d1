"""The statistics' menu entry and the home-page cards of leaders and city administrators."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from access.policy import scope_of
from accounts.roles import Role
from web.cards import Card, NavItem

NAV = [NavItem("统计分析", "stats:dashboard", "stats.view", order=80)]

CARD_ROLES = {Role.LEADER, Role.CITY_ADMIN}


def home_cards(user) -> list[Card]:
    from stats import selectors

    if not (scope_of(user).roles & CARD_ROLES) or "stats.view" not in scope_of(user).capabilities:
        return []
    scope = selectors.scope_for(user)
    if not scope.has_area:
        return []
    on = timezone.localdate()
    url = reverse("stats:dashboard")
    cards = []
    for spec in selectors.measures_for(scope):
        if spec.home_card is None:
            continue
        measure = selectors.run(spec, scope=scope, on=on, period=spec.home_period(on))
        value, note, tone = spec.home_card(measure)
        cards.append(Card(title=spec.home_title, value=value, url=url, note=note, tone=tone, order=20))
    return cards
