"""Menu entries and home-page cards of the schools app."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from access.policy import may_use_psych, scope_of
from web.cards import Card, NavItem

NAV = [
    NavItem("学校与活动", "schools:index", "schools.view", 50),
    NavItem("落实情况", "schools:compliance", "schools.view", 51),
    NavItem("心理健康档案", "schools:psych_list", "schools.psych", 53),
]


def home_cards(user) -> list[Card]:
    cards: list[Card] = []
    scope = scope_of(user)
    if scope.school_ids and "schools.view" in scope.capabilities:
        from schools.compliance import SEMESTER, picture
        from schools.models import School
        from schools.obligations import DUE, OVERDUE

        result = picture(
            School.objects.filter(pk__in=scope.school_ids), on=timezone.localdate(), span=SEMESTER
        )
        overdue = result.count(OVERDUE)
        cards.append(
            Card(
                title="本学期待完成工作要求",
                value=result.count(DUE) + overdue,
                url=reverse("schools:compliance"),
                note=f"其中逾期 {overdue} 项"
                if overdue
                else "家庭教育指导、家访、心理测评、法治教育、安全讲堂",
                tone="danger" if overdue else "warning",
                order=30,
            )
        )
        if scope.psych_school_ids and "schools.psych" not in scope.capabilities and may_use_psych(user):
            # Designated school staff have no menu entry (the menu is by role): a card leads them in.
            cards.append(
                Card(
                    title="心理健康档案",
                    value="查看",
                    url=reverse("schools:psych_list"),
                    tone="secondary",
                    order=31,
                )
            )
    return cards
