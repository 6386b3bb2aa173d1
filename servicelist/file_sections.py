"""The child's file page (registry) shows the entitlements and referrals through this hook."""

from __future__ import annotations

from django.utils import timezone

from access.policy import has_capability
from servicelist import selectors
from servicelist.rules import RuleError


def _services_of(version) -> dict:
    """The version's services by id, with their ordered departments. A published list is
    immutable and kept per process by the public check (``api.services_with_checked_rules``,
    cleared on every save in the process, at most a minute old elsewhere): the file page reads
    it from there instead of joining the services and querying their departments per child."""
    from servicelist.api import services_with_checked_rules

    if version.status == version.Status.PUBLISHED:
        try:
            return {s.pk: s for s in services_with_checked_rules(version)}
        except RuleError:  # an invalid rule is the check's concern, not the file's
            pass
    return {s.pk: s for s in selectors.services_of(version)}


def entitlements_with_services(*, user, child) -> list:
    """``selectors.entitlements_of`` as a list, the services (and their departments) attached
    from the list version's services."""
    rows = list(selectors.entitlement_rows_of(user=user, child=child))
    services: dict[int, dict] = {}
    for row in rows:
        if row.version_id not in services:
            services[row.version_id] = _services_of(row.version)
        service = services[row.version_id].get(row.service_id)
        if service is None:  # not a service of the row's version: read it as the selector would
            return list(selectors.entitlements_of(user=user, child=child))
        row.service = service
    return rows


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
                "entitlements": entitlements_with_services(user=user, child=child),
                "referrals": referrals,
                "can_refer": False,
            },
            order=40,
        )
    ]
