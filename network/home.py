"""Menu entries and home-page cards of the network."""

from __future__ import annotations

from django.urls import reverse

from access.policy import has_capability
from web.cards import Card, NavItem

NAV = [
    NavItem("工作网络", "network:index", "network.view", 80),
    NavItem("培训覆盖", "network:training", "network.view", 81),
]


def home_cards(user) -> list[Card]:
    if not has_capability(user, "network.manage"):
        return []
    from network.selectors import coverage

    result = coverage(user)
    if result["percent"] is None:
        return []
    return [
        Card(
            title="儿童督导员、儿童主任培训覆盖率",
            value=f"{result['percent']}%",
            url=reverse("network:training"),
            note=f"已培训 {result['trained']} / {result['staff']} 人"
            + ("" if result["full"] else "，未实现全覆盖"),
            tone="success" if result["full"] else "warning",
            order=70,
        )
    ]
