"""Reads of key attention and visits. Every function takes the user and starts from the
access layer (``access.policy``): a view never filters by township itself."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from access.policy import (
    children_visible,
    has_capability,
    scope_of,
    scoped_by_child,
    stats_scope,
)
from care import cadence
from care.models import (
    CareStatus,
    EscalationStep,
    ExitRequest,
    HelpRequest,
    Notification,
    RiskCategory,
    RiskFlag,
    Visit,
)
from care.status import load_policy

WORKLISTS = {
    "overdue": "逾期未走访",
    "week": "本周应走访",
    "never": "从未走访",
    "contacts": "重点关注联系到期",
}


def care_status_visible(user) -> QuerySet:
    """The summary rows of the user's children, scoped by the rows' own copies of the child's
    township, village and school (kept in step by care.status), so that a village's or
    township's work lists are ranges of this table's indexes, with no join on the children.
    A closed file needs no filter here: its row is refreshed when it closes (registry.hooks),
    and ``needs_visit`` and ``key_attention``, which every work list requires, are then false."""
    return scoped_by_child(user, CareStatus.objects.all(), local=True)


def worklist(user, *, which: str, on: dt.date) -> QuerySet:
    """One of the work lists, most urgent first (earliest due date first)."""
    qs = care_status_visible(user).select_related("child", "child__village", "child__township")
    end = cadence.week_end(on)
    if which == "overdue":
        return qs.filter(needs_visit=True, next_visit_due__lt=on).order_by("next_visit_due", "child_id")
    if which == "week":
        return qs.filter(needs_visit=True, next_visit_due__gte=on, next_visit_due__lte=end).order_by(
            "next_visit_due", "child_id"
        )
    if which == "never":
        return qs.filter(needs_visit=True, last_home_visit_on__isnull=True).order_by(
            "next_visit_due", "child_id"
        )
    if which == "contacts":
        return qs.filter(key_attention=True, next_contact_due__lte=end).order_by(
            "next_contact_due", "child_id"
        )
    raise Http404("没有这个工作清单")


def worklist_counts(user, *, on: dt.date) -> dict[str, int]:
    """The four counts (home cards, the work list tabs): the visit lists in one query and the
    contacts in another, each an index-only count over the scope's visit or contact index."""
    end = cadence.week_end(on)
    rows = care_status_visible(user)
    visits = rows.filter(needs_visit=True).aggregate(
        overdue=Count("pk", filter=Q(next_visit_due__lt=on)),
        week=Count("pk", filter=Q(next_visit_due__gte=on, next_visit_due__lte=end)),
        never=Count("pk", filter=Q(last_home_visit_on__isnull=True)),
    )
    visits["contacts"] = rows.filter(key_attention=True, next_contact_due__lte=end).count()
    return {k: visits[k] or 0 for k in WORKLISTS}


# ---------------------------------------------------------------- the register


def flags_visible(user) -> QuerySet:
    return scoped_by_child(user, RiskFlag.objects.all())


def register(user, *, category: str = "", pending_only: bool = False) -> QuerySet:
    """The key-attention register: children of the user's scope with an active flag, each with
    their active categories (prefetched) and the current escalation step."""
    # Start from the flags (about 5% of children), not from every child of the scope.
    flags = RiskFlag.objects.filter(status=RiskFlag.Status.ACTIVE)
    if category:
        flags = flags.filter(category__code=category)
    if pending_only:
        flags = flags.filter(approved_by__isnull=True)
    return (
        children_visible(user, include_closed=False)
        .filter(pk__in=flags.values("child_id"))
        .select_related("village", "township", "care_status")
        .order_by("township__code", "village__code", "file_no")
    )


def active_flags_by_child(child_ids) -> dict[int, list[RiskFlag]]:
    out: dict[int, list[RiskFlag]] = defaultdict(list)
    for flag in (
        RiskFlag.objects.filter(child_id__in=child_ids, status=RiskFlag.Status.ACTIVE)
        .select_related("category")
        .order_by("category__order")
    ):
        out[flag.child_id].append(flag)
    return out


def current_steps(child_ids) -> dict[int, EscalationStep]:
    """The latest escalation step of each child (by date, then by the chain's order)."""
    out: dict[int, EscalationStep] = {}
    for step in (
        EscalationStep.objects.filter(child_id__in=child_ids)
        .select_related("step_type")
        .order_by("child_id", "taken_on", "step_type__order", "id")
    ):
        out[step.child_id] = step
    return out


def pending_flags(user) -> QuerySet:
    return (
        flags_visible(user)
        .filter(status=RiskFlag.Status.ACTIVE, approved_by__isnull=True, child__closed_at__isnull=True)
        .select_related("child", "category", "child__village")
        .order_by("raised_on", "id")
    )


def pending_exits(user) -> QuerySet:
    return (
        scoped_by_child(user, ExitRequest.objects.filter(status=ExitRequest.Status.PENDING))
        .select_related("child", "flag__category", "requested_by", "child__village")
        .order_by("requested_at")
    )


def categories(on: dt.date) -> QuerySet:
    return RiskCategory.objects.in_force(on).filter(active=True)


# ---------------------------------------------------------------- one child's care record


@dataclass
class CareRecord:
    child: object
    status: CareStatus | None
    flags: list
    closed_flags: list
    visits: list
    assessments: list
    steps: list
    exits: list
    follow_ups: list
    help_requests: list
    overdue_visit: bool = False
    overdue_contact: bool = False
    extra: dict = field(default_factory=dict)


def care_record(user, child, *, on: dt.date) -> CareRecord:
    """Everything of care about one child the user may open (the child came from get_child_or_404)."""
    status = CareStatus.objects.filter(child=child).first()
    flags = list(
        child.risk_flags.select_related("category", "raised_by", "approved_by").order_by("-raised_on")
    )
    return CareRecord(
        child=child,
        status=status,
        flags=[f for f in flags if f.status == RiskFlag.Status.ACTIVE],
        closed_flags=[f for f in flags if f.status != RiskFlag.Status.ACTIVE],
        visits=list(child.care_visits.select_related("recorded_by")[:20]),
        assessments=list(child.care_assessments.select_related("form", "assessed_by")[:10]),
        steps=list(
            child.care_escalations.select_related("step_type", "recorded_by").order_by("taken_on", "id")
        ),
        exits=list(
            child.care_exit_requests.select_related("flag__category", "requested_by", "decided_by")[:10]
        ),
        follow_ups=list(child.care_follow_ups.filter(done_on__isnull=True).order_by("due_on")),
        help_requests=list(child.care_help_requests.all()[:10]),
        overdue_visit=bool(status and status.needs_visit and cadence.is_overdue(status.next_visit_due, on)),
        overdue_contact=bool(
            status and status.key_attention and cadence.is_overdue(status.next_contact_due, on)
        ),
    )


def visit_visible(user, pk) -> Visit:
    qs = scoped_by_child(user, Visit.objects.select_related("child", "checklist_version", "recorded_by"))
    try:
        return qs.get(pk=pk)
    except (Visit.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该走访记录，或您无权查看") from None


def visit_history(visit: Visit) -> QuerySet:
    """The visit's edit history: its audit rows (creation and every change, with the diff)."""
    from audit.models import AuditEvent

    return (
        AuditEvent.objects.filter(
            object_type="care.visit", object_id=str(visit.pk), action__in=["create", "update"]
        )
        .select_related("actor")
        .order_by("seq")
    )


def is_last_active_flag(flag: RiskFlag) -> bool:
    return not (
        RiskFlag.objects.filter(child_id=flag.child_id, status=RiskFlag.Status.ACTIVE)
        .exclude(pk=flag.pk)
        .exists()
    )


def object_visible(user, model, pk):
    """A child-related row (flag, exit request, escalation step, follow-up) in the user's scope, or 404."""
    qs = scoped_by_child(user, model.objects.all())
    try:
        return qs.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到，或您无权查看") from None


# ---------------------------------------------------------------- help requests


def help_requests_visible(user) -> QuerySet:
    """Help requests of the townships the user supervises (the city sees all)."""
    if not has_capability(user, "care.intake"):
        return HelpRequest.objects.none()
    scope = scope_of(user)
    qs = HelpRequest.objects.select_related("township", "child")
    if scope.city:
        return qs
    return qs.filter(township_id__in=scope.township_ids)


def help_request_or_404(user, pk) -> HelpRequest:
    try:
        return help_requests_visible(user).get(pk=pk)
    except (HelpRequest.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该求助，或您无权查看") from None


def children_matching(user, query: str, *, limit: int = 20) -> list:
    """Search the user's children by file number or name (for linking a help request)."""
    query = (query or "").strip()
    if not query:
        return []
    qs = children_visible(user, include_closed=False)
    qs = qs.filter(Q(file_no__icontains=query) | Q(name__contains=query) | Q(name_pinyin__icontains=query))
    return list(qs.select_related("village", "township").order_by("file_no")[:limit])


# ---------------------------------------------------------------- notifications


def notifications(user) -> QuerySet:
    return Notification.objects.filter(user=user)


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# ---------------------------------------------------------------- compliance


@dataclass
class ComplianceRow:
    key: int
    label: str
    visit_due: int = 0
    visit_done: int = 0
    contact_due: int = 0
    contact_done: int = 0

    @property
    def visit_pct(self) -> float | None:
        return round(100 * self.visit_done / self.visit_due, 1) if self.visit_due else None

    @property
    def contact_pct(self) -> float | None:
        return round(100 * self.contact_done / self.contact_due, 1) if self.contact_due else None


def _compliance_base(user) -> QuerySet:
    """Personal-data roles read their scope; statistics-only roles read aggregates of their area."""
    qs = CareStatus.objects.filter(child__closed_at__isnull=True)
    if has_capability(user, "care.view") or has_capability(user, "registry.view"):
        return scoped_by_child(user, qs)
    city, township_ids = stats_scope(user)
    if city:
        return qs
    return qs.filter(child__township_id__in=township_ids)


def compliance(user, start: dt.date, end: dt.date, by: str = "township") -> list[ComplianceRow]:
    """Visit and contact compliance for the period [start, end], grouped by township, village or worker.

    * children due: those under the duty (every migrant child for home visits, key-attention
      children for contacts) whose duty began on or before ``start`` — they owed a visit
      within the period;
    * children visited within cadence: those of them with at least one qualifying visit
      (a home visit; for contacts any channel, home visits included) dated in the period.

    Choose a period as long as the cadence (a quarter for home visits, a month for
    contacts) for the plan's own measure. The worker is the child director assigned to the
    village (a village with two directors counts for both).
    """
    return compliance_periods(user, [(start, end)], by=by)[(start, end)]


def compliance_periods(
    user, periods: list[tuple[dt.date, dt.date]], by: str = "township"
) -> dict[tuple[dt.date, dt.date], list[ComplianceRow]]:
    """``compliance`` for several periods at once: one grouped pass over the care rows for the
    visits and one for the contacts (each period a filtered count), not one pass per period."""
    if by not in ("township", "village", "worker"):
        raise ValueError(by)
    periods = list(dict.fromkeys(periods))
    if not periods:
        return {}
    group = "child__township_id" if by == "township" else "child__village_id"
    visit_counts, contact_counts = {}, {}
    for index, (start, end) in enumerate(periods):
        policy = load_policy(end)
        home_visit = Visit.objects.filter(
            child_id=OuterRef("child_id"),
            kind__in=policy.home_kinds,
            visited_on__gte=start,
            visited_on__lte=end,
        )
        contact = Visit.objects.filter(
            child_id=OuterRef("child_id"),
            kind__in=policy.contact_kinds,
            visited_on__gte=start,
            visited_on__lte=end,
        )
        visit_due = Q(visit_basis_on__isnull=True) | Q(visit_basis_on__lte=start)
        visit_counts[f"due{index}"] = Count("pk", filter=visit_due)
        visit_counts[f"ok{index}"] = Count("pk", filter=visit_due & Q(Exists(home_visit)))
        contact_due = Q(key_attention_since__lte=start)
        contact_counts[f"due{index}"] = Count("pk", filter=contact_due)
        contact_counts[f"ok{index}"] = Count("pk", filter=contact_due & Q(Exists(contact)))
    base = _compliance_base(user)
    visit_rows = base.filter(needs_visit=True).values(group).annotate(**visit_counts).order_by()
    latest_start = max(start for start, _end in periods)
    # The key-attention rows (a few percent) named first, so that the pass starts from them.
    key_attention = CareStatus.objects.filter(key_attention=True, key_attention_since__lte=latest_start)
    contact_rows = (
        base.filter(key_attention=True, key_attention_since__lte=latest_start)
        .filter(child_id__in=key_attention.values("child_id"))
        .values(group)
        .annotate(**contact_counts)
        .order_by()
    )
    per_period: dict[int, dict[int, ComplianceRow]] = {index: {} for index in range(len(periods))}
    for rows, kind in ((visit_rows, "visit"), (contact_rows, "contact")):
        for row in rows:
            unit_id = row[group]
            if unit_id is None:
                continue
            for index, by_unit in per_period.items():
                if not row[f"due{index}"]:
                    continue  # no child due in this period: the unit is not listed for it
                item = by_unit.setdefault(unit_id, ComplianceRow(unit_id, ""))
                setattr(item, f"{kind}_due", row[f"due{index}"])
                setattr(item, f"{kind}_done", row[f"ok{index}"])
    return {period: _compliance_rows(per_period[index], by) for index, period in enumerate(periods)}


def _compliance_rows(by_unit: dict[int, ComplianceRow], by: str) -> list[ComplianceRow]:
    from places.models import Unit

    names = dict(Unit.objects.filter(pk__in=by_unit).values_list("pk", "name"))
    parents = dict(Unit.objects.filter(pk__in=by_unit).values_list("pk", "parent__name"))
    for unit_id, item in by_unit.items():
        item.label = (
            names.get(unit_id, "")
            if by == "township"
            else f"{parents.get(unit_id, '')}{names.get(unit_id, '')}"
        )
    if by != "worker":
        return sorted(by_unit.values(), key=lambda r: r.label)
    from accounts.models import Assignment
    from accounts.roles import Role

    workers: dict[int, ComplianceRow] = {}
    for user_id, username, full_name, unit_id in Assignment.objects.filter(
        role=Role.DIRECTOR, active=True, unit_id__in=by_unit
    ).values_list("user_id", "user__username", "user__full_name", "unit_id"):
        src = by_unit[unit_id]
        item = workers.setdefault(user_id, ComplianceRow(user_id, full_name or username))
        item.visit_due += src.visit_due
        item.visit_done += src.visit_done
        item.contact_due += src.contact_due
        item.contact_done += src.contact_done
    return sorted(workers.values(), key=lambda r: (r.visit_pct if r.visit_pct is not None else 101, r.label))


def compliance_total(rows: list[ComplianceRow]) -> ComplianceRow:
    total = ComplianceRow(0, "合计")
    for r in rows:
        total.visit_due += r.visit_due
        total.visit_done += r.visit_done
        total.contact_due += r.contact_due
        total.contact_done += r.contact_done
    return total
