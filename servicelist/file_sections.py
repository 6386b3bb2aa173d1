"""The child's file page (registry) shows the entitlements and referrals through this hook."""

from __future__ import annotations

from django.utils import timezone

from access.policy import has_capability
from servicelist import selectors


def sections(user, child) -> list:
    from registry.sections import Section

    if not has_capability(user, "services.view"):
        return []
    today = timezone.localdate()
    referrals = list(selectors.referrals_of(user=user, child=child))
    for referral in referrals:
        referral.overdue = referral.is_overdue(today)
    return [
        Section(
            title="基本服务与转介",
            template="servicelist/file_section.html",
            context={
                "child": child,
                "entitlements": list(selectors.entitlements_of(user=user, child=child)),
                "referrals": referrals,
                "can_refer": False,
            },
            order=40,
        )
    ]
