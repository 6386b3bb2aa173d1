"""Menu entries and home-page counts of the service list app."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from access.policy import has_capability
from web.cards import Card, NavItem

NAV = [
    NavItem("转介收件箱", "servicelist:inbox", "services.inbox", 30),
    NavItem("转介", "servicelist:referrals", "services.view", 40),
    NavItem("服务覆盖缺口", "servicelist:gaps", "stats.view", 60),
    NavItem("服务清单", "servicelist:versions", "services.view", 70),
]


def home_cards(user) -> list[Card]:
    from servicelist import selectors

    today = timezone.localdate()
    cards: list[Card] = []
    if has_capability(user, "services.inbox"):
        inbox = selectors.inbox(user)
        open_count = inbox.filter(status__in=("sent", "accepted")).count()
        overdue = inbox.filter(selectors.open_overdue_q(today)).count()
        cards.append(Card("待办转介", open_count, reverse("servicelist:inbox"), order=20))
        if overdue:
            cards.append(
                Card(
                    "逾期转介",
                    overdue,
                    reverse("servicelist:inbox") + "?status=overdue",
                    tone="danger",
                    order=21,
                )
            )
    if has_capability(user, "services.view"):
        overdue = selectors.referrals_visible(user).filter(selectors.open_overdue_q(today)).count()
        if overdue:
            cards.append(
                Card(
                    "部门逾期未办结的转介",
                    overdue,
                    reverse("servicelist:referrals") + "?status=overdue",
                    tone="danger",
                    order=45,
                )
            )
    return cards
