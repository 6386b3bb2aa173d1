"""The registry's menu entries and home-page counts."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse

from access.policy import children_visible, has_capability, scope_of
from registry import selectors
from registry.models import CensusTask
from web.cards import Card, NavItem

NAV = [
    NavItem("儿童档案", "registry:list", "registry.view", order=10),
    NavItem("登记儿童", "registry:create", "registry.edit", order=11),
    NavItem("摸排核实", "registry:census", "census.verify", order=12),
    NavItem("档案转移", "registry:transfers", "registry.transfer", order=13),
    NavItem("关闭审批", "registry:closures", "registry.close", order=14),
]


def home_cards(user) -> list[Card]:
    roles = scope_of(user).roles
    if not (roles & {"city_admin", "supervisor", "director"}) or not has_capability(user, "registry.view"):
        return []
    stale_date = selectors.stale_before()
    counts = (
        children_visible(user)
        .filter(closed_at__isnull=True)
        .aggregate(
            open=Count("id"),
            pending=Count("id", filter=Q(migrant_status="pending")),
            stale=Count("id", filter=Q(last_verified_on__lt=stale_date) | Q(last_verified_on__isnull=True)),
        )
    )
    base = reverse("registry:list")
    cards = [
        Card("在档儿童", counts["open"], base, order=10),
        Card(
            "待满6个月",
            counts["pending"],
            f"{base}?status=pending",
            note="满6个月后自动认定",
            tone="warning",
            order=11,
        ),
        Card(
            "超6个月未核实",
            counts["stale"],
            f"{base}?stale=1",
            tone="danger" if counts["stale"] else "success",
            order=12,
        ),
    ]
    census = selectors.current_round()
    if census is not None and has_capability(user, "census.verify"):
        pending = selectors.census_tasks(user, census).filter(status=CensusTask.Status.PENDING).count()
        cards.append(
            Card(
                "摸排待核实",
                pending,
                reverse("registry:census_worklist", args=[census.pk]),
                note=f"期限 {census.deadline:%Y-%m-%d}",
                tone="danger" if pending else "success",
                order=13,
            )
        )
    if has_capability(user, "registry.transfer"):
        incoming = selectors.transfers_incoming(user).count()
        if incoming:
            cards.append(
                Card("待接收转移", incoming, reverse("registry:transfers"), tone="warning", order=14)
            )
    if has_capability(user, "registry.close"):
        proposals = selectors.closures_pending(user).count()
        if proposals:
            cards.append(
                Card(
                    "待审批关闭档案",
                    proposals,
                    reverse("registry:closures"),
                    note="摸排已迁离、查无此人等",
                    tone="warning",
                    order=15,
                )
            )
    return cards
