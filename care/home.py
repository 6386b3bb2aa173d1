"""The care app's menu entries and home-page cards."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from access.policy import has_capability
from care import selectors
from web.cards import Card, Inbox, NavItem

NAV = [
    NavItem("工作清单", "care:worklist", "care.view", 20),
    NavItem("重点关注台账", "care:register", "care.view", 21),
    NavItem("走访合规率", "care:compliance", "care.view", 22),
    NavItem("求助受理", "care:intake", "care.intake", 23),
]


def home_cards(user) -> list[Card]:
    cards: list[Card] = []
    if has_capability(user, "care.view"):
        counts = selectors.worklist_counts(user, on=timezone.localdate())
        url = reverse("care:worklist")
        cards += [
            Card("逾期未走访", counts["overdue"], f"{url}?list=overdue", "超过走访期限", "danger", 20),
            Card("本周应走访", counts["week"], f"{url}?list=week", "本周内到期", "warning", 21),
            Card("从未走访", counts["never"], f"{url}?list=never", "尚无上门走访记录", "secondary", 22),
            Card(
                "重点关注联系到期",
                counts["contacts"],
                f"{url}?list=contacts",
                "每月至少联系一次",
                "primary",
                23,
            ),
        ]
    if has_capability(user, "care.approve"):
        pending = selectors.pending_exits(user).count() + selectors.pending_flags(user).count()
        if pending:
            cards.append(
                Card("重点关注待审批", pending, reverse("care:register"), "列入确认与退出申请", "warning", 24)
            )
    if has_capability(user, "care.intake"):
        new = selectors.help_requests_visible(user).filter(status="new").count()
        cards.append(
            Card("待受理求助", new, reverse("care:intake"), "主动求助", "danger" if new else "success", 25)
        )
    unread = selectors.unread_count(user)
    if unread:
        cards.append(Card("未读消息", unread, reverse("care:notifications"), "", "primary", 90))
    return cards


def inbox(user) -> Inbox:
    """The messages slot of the menu bar (web/nav.py)."""
    return Inbox("消息", reverse("care:notifications"), selectors.unread_count(user))
