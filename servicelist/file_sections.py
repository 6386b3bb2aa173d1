"""The child's file page (registry) shows the entitlements and referrals through this hook."""

from __future__ import annotations

from django.db.models import Exists
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


def entitlements_with_services(*, user, child, **annotations) -> list:
    """``selectors.entitlements_of`` as a list, the services (and their departments) attached
    from the list version's services; ``annotations`` are added to each row."""
    rows = list(selectors.entitlement_rows_of(user=user, child=child).annotate(**annotations))
    services: dict[int, dict] = {}
    for row in rows:
        if row.version_id not in services:
            services[row.version_id] = _services_of(row.version)
        service = services[row.version_id].get(row.service_id)
        if service is None:  # not a service of the row's version: read it as the selector would
            return list(selectors.entitlements_of(user=user, child=child).annotate(**annotations))
        row.service = service
    return rows


def sections(user, child) -> list:
    from registry.sections import Section

    if not has_capability(user, "services.view"):
        return []
    today = timezone.localdate()
    referrals_qs = selectors.referrals_of(user=user, child=child)
    # Few children have a referral: the entitlements' query says whether this one has any (every
    # child with a file has entitlements once they are computed; without rows, read and see).
    entitlements = entitlements_with_services(user=user, child=child, child_referred=Exists(referrals_qs))
    referred = entitlements[0].child_referred if entitlements else True
    referrals = list(referrals_qs) if referred else []
    for referral in referrals:
        referral.overdue = referral.is_overdue(today)
    return [
        Section(
            title="基本服务与转介",
            template="servicelist/file_section.html",
            context={
                "child": child,
                "entitlements": entitlements,
                "referrals": referrals,
                "can_refer": False,
            },
            order=40,
        )
    ]
