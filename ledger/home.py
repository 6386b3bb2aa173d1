"""The ledger's menu entries and the home-page card of imports waiting for confirmation."""

from __future__ import annotations

from django.urls import reverse

from web.cards import Card, NavItem

NAV = [
    NavItem("台账导入", "ledger:upload", "registry.import", order=30),
    NavItem("台账导出", "ledger:export", "registry.export", order=31),
]


def home_cards(user) -> list[Card]:
    from ledger.models import LedgerImport
    from ledger.selectors import imports_visible

    waiting = imports_visible(user).filter(uploaded_by=user, status=LedgerImport.Status.PREVIEWED).count()
    if not waiting:
        return []
    return [
        Card(
            title="待确认的台账导入",
            value=waiting,
            url=reverse("ledger:upload"),
            note="已上传检查，尚未确认导入",
            tone="warning",
            order=40,
        )
    ]
