"""Reads of the service list, entitlements, referrals and coverage gaps.

The list itself is public; everything about a child starts from access.policy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from access.policy import scope_of, scoped_by_child, stats_scope
from servicelist.models import Entitlement, Referral, Service, ServiceDepartment, ServiceListVersion

# ---------------------------------------------------------------- the list


def list_in_force(on: dt.date | None = None) -> ServiceListVersion | None:
    """The published version in force on ``on`` (today by default), or None before the first."""
    on = on or timezone.localdate()
    return (
        ServiceListVersion.objects.filter(status=ServiceListVersion.Status.PUBLISHED, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .order_by("-effective_from", "-id")
        .first()
    )


def services_of(version: ServiceListVersion) -> QuerySet:
    """The services of a version, in list order, with group and ordered departments loaded."""
    return (
        Service.objects.filter(version=version)
        .select_related("group")
        .prefetch_related(
            Prefetch(
                "department_links",
                queryset=ServiceDepartment.objects.select_related("department").order_by("position"),
            )
        )
        .order_by("no")
    )


def grouped_services(version: ServiceListVersion) -> list[dict]:
    """[{"group": ServiceGroup, "services": [Service, ...]}, ...] in list order."""
    groups: dict[int, dict] = {}
    for service in services_of(version):
        groups.setdefault(service.group_id, {"group": service.group, "services": []})["services"].append(
            service
        )
    return sorted(groups.values(), key=lambda g: g["group"].no)


def versions() -> QuerySet:
    return ServiceListVersion.objects.select_related("published_by", "created_by", "based_on").order_by(
        "-effective_from", "-id"
    )


# ---------------------------------------------------------------- a child


def entitlement_rows_of(*, user, child) -> QuerySet:
    """A child's entitlements with their list version, without the services (for a caller that
    takes the services from the published list, e.g. the file page)."""
    qs = Entitlement.objects.filter(child=child).select_related("version").order_by("no")
    return scoped_by_child(user, qs)


def entitlements_of(*, user, child) -> QuerySet:
    """A child's entitlements (the child was fetched with get_child_or_404, so is in scope)."""
    return (
        entitlement_rows_of(user=user, child=child)
        .select_related("service")
        .prefetch_related(
            Prefetch(
                "service__department_links",
                queryset=ServiceDepartment.objects.select_related("department").order_by("position"),
            )
        )
    )


def referrals_of(*, user, child) -> QuerySet:
    qs = Referral.objects.filter(child=child).select_related("department", "service")
    return scoped_by_child(user, qs)


# ---------------------------------------------------------------- referrals


def open_overdue_q(on: dt.date) -> Q:
    return Q(status__in=Referral.OPEN_STATUSES, deadline__lt=on)


def referrals_visible(user) -> QuerySet:
    """Referrals of the children the user may see (supervisors, directors, administrators)."""
    return scoped_by_child(user, Referral.objects.select_related("department", "service", "child"))


def inbox(user) -> QuerySet:
    """A liaison's department inbox: only referrals addressed to the user's departments."""
    scope = scope_of(user)
    if "services.inbox" not in scope.capabilities or not scope.department_ids:
        return Referral.objects.none()
    return (
        Referral.objects.filter(department_id__in=scope.department_ids)
        .select_related("department", "service", "child", "child__township", "child__household")
        .prefetch_related("child__household__guardians")
    )


def inbox_referral_or_404(user, pk) -> Referral:
    try:
        return inbox(user).get(pk=pk)
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该转介，或它不是发给您所在部门的") from None


def referral_or_404(user, pk) -> Referral:
    try:
        return referrals_visible(user).get(pk=pk)
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该转介，或您无权查看") from None


@dataclass(frozen=True)
class InboxRow:
    """The minimum a department needs to act on a referral (no ID number, no address)."""

    pk: int
    name: str
    sex: str
    age: int
    township: str
    service: str
    reason: str
    deadline: dt.date
    status: str
    status_label: str
    overdue: bool
    guardian_phone: str
    phone_is_full: bool
    rejection_reason: str
    feedback: str
    sent_at: dt.datetime


def inbox_row(referral: Referral, on: dt.date | None = None) -> InboxRow:
    from servicelist.rules import completed_years

    on = on or timezone.localdate()
    child = referral.child
    guardians = sorted(child.household.guardians.all(), key=lambda g: (not g.is_primary, g.pk))
    guardian = guardians[0] if guardians else None
    phone, full = "", False
    if guardian is not None:
        # The full number only while the department works on a referral the family agreed to share.
        if referral.share_contact and referral.is_open:
            phone, full = guardian.phone, True
        else:
            phone = guardian.phone_masked
    return InboxRow(
        pk=referral.pk,
        name=child.name,
        sex=child.sex,
        age=completed_years(child.birth_date, on) if child.birth_date <= on else 0,
        township=child.township.name,
        service=f"{referral.service.no}. {referral.service.name}" if referral.service else "（风险处置）",
        reason=referral.reason,
        deadline=referral.deadline,
        status=referral.status,
        status_label=referral.get_status_display(),
        overdue=referral.is_overdue(on),
        guardian_phone=phone,
        phone_is_full=full,
        rejection_reason=referral.rejection_reason,
        feedback=referral.feedback,
        sent_at=referral.sent_at,
    )


# ---------------------------------------------------------------- coverage gaps


def gap_entitlements(user) -> QuerySet:
    """Entitlements not started for open children, restricted to what the user may count."""
    version = list_in_force()
    if version is None:
        return Entitlement.objects.none()
    # The children the list applies to (servicelist.eligibility.ELIGIBLE_CHILDREN, through the relation).
    qs = Entitlement.objects.filter(
        Q(status=Entitlement.Status.NOT_STARTED, version=version, child__closed_at__isnull=True)
        & ~Q(child__migrant_status="not_migrant")
    )
    city, townships = stats_scope(user)
    if city:
        return qs
    return qs.filter(child__township_id__in=townships)


def gap_counts(user, *, service_no: int | None = None, department_id: int | None = None) -> list[dict]:
    """Rows {no, service, department, township, count}: entitled but not started.

    Counted once per service and township in SQL; the departments of each service are added
    afterwards, so a service with eight departments does not multiply the rows the database groups.
    """
    from places.models import Unit

    version = list_in_force()
    if version is None:
        return []
    qs = gap_entitlements(user)
    if service_no:
        qs = qs.filter(no=service_no)
    counts = qs.values_list("no", "child__township_id").annotate(count=Count("id"))
    grouped = [(no, township_id, count) for no, township_id, count in counts]
    townships = {
        u.pk: u for u in Unit.objects.filter(pk__in={t for _n, t, _c in grouped}).only("pk", "name", "code")
    }
    services = {s.no: s for s in services_of(version)}
    out = []
    for no, township_id, count in grouped:
        service = services.get(no)
        township = townships.get(township_id)
        if service is None or township is None:
            continue
        for position, department in enumerate(service.department_list()):
            if department_id and department.pk != department_id:
                continue
            out.append(
                {
                    "no": no,
                    "service": service.name,
                    "department": department.name,
                    "department_position": position,
                    "township": township.name,
                    "township_code": township.code,
                    "count": count,
                }
            )
    return sorted(out, key=lambda r: (r["no"], r["department_position"], r["township_code"]))


def gap_children(user, *, service_no: int | None = None) -> QuerySet:
    """The children behind the counts, for roles that may see children (scoped by access.policy)."""
    qs = (
        scoped_by_child(user, gap_entitlements(user))
        .select_related("child", "child__township", "service")
        # Only what the list shows: loading whole children would decrypt every ID number.
        .only("no", "child__file_no", "child__name", "child__township__name", "service__name")
    )
    if service_no:
        qs = qs.filter(no=service_no)
    return qs.order_by("child__township__code", "child__file_no", "no")
