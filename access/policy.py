"""The one place that decides what a user may see and do.

* ``scope_of(user)`` — the user's active assignments, folded into one Scope.
* ``children_visible(user)`` — the children the user may open; every query of
  personal data starts here. Deny by default: no assignment, nothing visible.
  A township grant covers its villages. There is no switch that turns scoping
  off (a Django superuser flag grants nothing here).
* ``can(user, capability, obj=None)`` — capabilities per role (data below) and,
  for an object, whether it lies in the user's scope.
* ``get_child_or_404(user, pk)`` — out-of-scope objects answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.roles import Role

# Capabilities per role. Adding a capability is adding a word here and a check where it is used.
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.CITY_ADMIN: frozenset(
        {
            "registry.view",
            "registry.edit",
            "registry.reveal",
            "registry.import",
            "registry.export",
            "registry.transfer",
            "registry.close",
            "census.manage",
            "census.verify",
            "care.view",
            "care.edit",
            "care.approve",
            "care.intake",
            "services.view",
            "services.refer",
            "services.manage",
            "exchange.import",
            "exchange.review",
            "exchange.national_export",
            "schools.view",
            "schools.edit",
            "schools.psych",
            "schools.calendar",
            "network.manage",
            "network.view",
            "stats.view",
            "stats.export",
            "places.manage",
            "home",
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            "registry.view",
            "registry.edit",
            "registry.reveal",
            "registry.import",
            "registry.export",
            "registry.transfer",
            "registry.close",
            "census.verify",
            "care.view",
            "care.edit",
            "care.approve",
            "care.intake",
            "services.view",
            "services.refer",
            "exchange.review",
            "schools.view",
            "schools.edit",
            "schools.psych",
            "network.view",
            "stats.view",
            "stats.export",
            "home",
        }
    ),
    Role.DIRECTOR: frozenset(
        {
            "registry.view",
            "registry.edit",
            "registry.reveal",
            # Closing a file is the supervisor's; a director proposes it (registry.closing).
            "registry.close_propose",
            "census.verify",
            "care.view",
            "care.edit",
            "services.view",
            "schools.view",
            "schools.edit",
            "stats.view",
            "home",
        }
    ),
    # schools.view: liaisons read school compliance as aggregates (children_visible stays limited);
    # schools.calendar: the education bureau sets the school calendar (checked against the department).
    Role.LIAISON: frozenset(
        {"services.inbox", "exchange.push", "stats.view", "schools.view", "schools.calendar", "home"}
    ),
    Role.SCHOOL_STAFF: frozenset({"registry.view", "schools.view", "schools.edit", "home"}),
    Role.LEADER: frozenset({"stats.view", "stats.export", "home"}),
    Role.AUDITOR: frozenset({"audit.view", "home"}),
}


@dataclass(frozen=True)
class Scope:
    roles: frozenset[str] = frozenset()
    city: bool = False
    township_ids: frozenset[int] = frozenset()
    village_ids: frozenset[int] = frozenset()
    department_ids: frozenset[int] = frozenset()
    school_ids: frozenset[int] = frozenset()
    psych_school_ids: frozenset[int] = frozenset()
    # Units whose aggregates the user may read (leaders, and everyone for their own area).
    stats_city: bool = False
    stats_township_ids: frozenset[int] = frozenset()
    capabilities: frozenset[str] = field(default=frozenset())

    @property
    def empty(self) -> bool:
        return not self.roles


EMPTY = Scope()


def scope_of(user) -> Scope:
    """Fold the user's active assignments into one Scope (cached on the user object)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return EMPTY
    cached = getattr(user, "_access_scope", None)
    if cached is not None:
        return cached
    from accounts.models import Assignment

    roles: set[str] = set()
    city = stats_city = False
    townships: set[int] = set()
    villages: set[int] = set()
    departments: set[int] = set()
    schools: set[int] = set()
    psych_schools: set[int] = set()
    stats_townships: set[int] = set()
    capabilities: set[str] = set()
    rows = Assignment.objects.filter(user=user, active=True).select_related("unit")
    for a in rows:
        roles.add(a.role)
        capabilities |= ROLE_CAPABILITIES.get(a.role, frozenset())
        unit = a.unit
        if a.role == Role.CITY_ADMIN and unit is not None and unit.level == "city":
            city = stats_city = True
        elif a.role == Role.SUPERVISOR and unit is not None and unit.level == "township":
            townships.add(unit.pk)
            stats_townships.add(unit.pk)
        elif a.role == Role.DIRECTOR and unit is not None and unit.level == "village":
            villages.add(unit.pk)
            stats_townships.add(unit.parent_id)
        elif a.role == Role.LIAISON and a.department_id:
            departments.add(a.department_id)
        elif a.role == Role.SCHOOL_STAFF and a.school_id:
            schools.add(a.school_id)
            if a.psych_designated:
                psych_schools.add(a.school_id)
        elif a.role == Role.LEADER and unit is not None:
            if unit.level == "city":
                stats_city = True
            elif unit.level == "township":
                stats_townships.add(unit.pk)
    scope = Scope(
        roles=frozenset(roles),
        city=city,
        township_ids=frozenset(townships),
        village_ids=frozenset(villages),
        department_ids=frozenset(departments),
        school_ids=frozenset(schools),
        psych_school_ids=frozenset(psych_schools),
        stats_city=stats_city,
        stats_township_ids=frozenset(stats_townships),
        capabilities=frozenset(capabilities),
    )
    user._access_scope = scope
    return scope


def has_capability(user, capability: str) -> bool:
    return capability in scope_of(user).capabilities


# ---------------------------------------------------------------- children


def child_scope_q(scope: Scope, *, prefix: str = "", child_id: str = "") -> Q | None:
    """The condition on a child (reached through ``prefix``, e.g. "child__") for a scope.

    None means "everything" (city-wide); an empty Q that matches nothing is returned
    as ``Q(pk__in=[])`` so that callers never fail open. ``child_id`` names the child's id
    (default ``{prefix}pk``), for rows that keep their own copies of the child's
    ``township_id``, ``village_id`` and ``school_id`` (then ``prefix`` is "").
    """
    if scope.city:
        return None
    pk = child_id or f"{prefix}pk"
    q = Q(**{f"{pk}__in": []})
    if scope.township_ids:
        q |= Q(**{f"{prefix}township_id__in": scope.township_ids})
    if scope.village_ids:
        q |= Q(**{f"{prefix}village_id__in": scope.village_ids})
    if scope.school_ids:
        q |= Q(**{f"{prefix}school_id__in": scope.school_ids})
    if scope.department_ids:
        q |= Q(**{f"{pk}__in": department_shared_child_ids(scope.department_ids)})
    return q


def department_shared_child_ids(department_ids) -> QuerySet | list:
    """Children a department's liaison may see: those referred or shared to the department.

    The referrals of the service list are the only channel; the query lives here so that
    the rule stays in one place.
    """
    try:
        from servicelist.models import Referral
    except ImportError:  # the referrals model is not installed in this deployment
        return []
    # A referral the department turned down no longer opens the child to it.
    return (
        Referral.objects.filter(department_id__in=department_ids)
        .exclude(status="rejected")
        .values("child_id")
    )


def children_visible(user, *, include_closed: bool = True) -> QuerySet:
    from registry.models import Child

    scope = scope_of(user)
    if "registry.view" not in scope.capabilities and "services.inbox" not in scope.capabilities:
        return Child.objects.none()
    qs = Child.objects.all()
    q = child_scope_q(scope)
    if q is not None:
        qs = qs.filter(q)
    if not include_closed:
        qs = qs.filter(closed_at__isnull=True)
    return qs


def child_in_scope(user, child) -> bool:
    """Whether ``children_visible(user)`` holds this child, decided from the child's own
    township, village and school — the same rule as ``child_scope_q`` without a query, for the
    several checks a file page makes on the child it has just opened. A liaison's children
    (shared through referrals) are still looked up."""
    scope = scope_of(user)
    if child.pk is None:
        return False
    if "registry.view" not in scope.capabilities and "services.inbox" not in scope.capabilities:
        return False
    if scope.city:
        return True
    if (
        child.township_id in scope.township_ids
        or child.village_id in scope.village_ids
        or (child.school_id is not None and child.school_id in scope.school_ids)
    ):
        return True
    if scope.department_ids:
        return children_visible(user).filter(pk=child.pk).exists()
    return False


def get_child_or_404(user, pk, *, queryset: QuerySet | None = None):
    qs = queryset if queryset is not None else children_visible(user)
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("未找到该儿童档案，或您无权查看") from None


def scoped_by_child(user, queryset: QuerySet, *, child_field: str = "child", local: bool = False) -> QuerySet:
    """Restrict any queryset of child-related rows (visits, flags, referrals…) to the user's children.

    ``local=True`` is for a model that keeps its own copy of the child's ``township_id``,
    ``village_id`` and ``school_id`` (kept in step with the child by its app): the same rule
    is applied to those columns, without a join on the child, so that the model's own
    indexes can serve the scope. A department's children still go through the child's id.
    """
    scope = scope_of(user)
    if "registry.view" not in scope.capabilities and "services.inbox" not in scope.capabilities:
        return queryset.none()
    if local:
        q = child_scope_q(scope, child_id=f"{child_field}_id")
    else:
        q = child_scope_q(scope, prefix=f"{child_field}__")
    return queryset if q is None else queryset.filter(q)


# ---------------------------------------------------------------- places


def townships_visible(user) -> QuerySet:
    """Townships the user works in or reads aggregates of."""
    from places.models import Unit

    scope = scope_of(user)
    qs = Unit.objects.filter(level=Unit.Level.TOWNSHIP)
    if scope.city or scope.stats_city:
        return qs
    ids = set(scope.township_ids) | set(scope.stats_township_ids)
    return qs.filter(pk__in=ids)


def villages_visible(user) -> QuerySet:
    from places.models import Unit

    scope = scope_of(user)
    qs = Unit.objects.filter(level=Unit.Level.VILLAGE)
    if scope.city:
        return qs
    return qs.filter(Q(parent_id__in=scope.township_ids) | Q(pk__in=scope.village_ids))


def unit_in_scope(user, unit) -> bool:
    scope = scope_of(user)
    if scope.city:
        return True
    if unit.level == "township":
        return unit.pk in scope.township_ids
    if unit.level == "village":
        return unit.pk in scope.village_ids or unit.parent_id in scope.township_ids
    return False


# ---------------------------------------------------------------- objects


def can(user, capability: str, obj=None) -> bool:
    """Whether the user holds the capability, and (for an object) whether it is in scope."""
    scope = scope_of(user)
    if capability not in scope.capabilities:
        return False
    if obj is None:
        return True
    from registry.models import Child

    if isinstance(obj, Child):
        return child_in_scope(user, obj)
    child_id = getattr(obj, "child_id", None)
    if child_id is not None:
        return children_visible(user).filter(pk=child_id).exists()
    unit_level = getattr(obj, "level", None)
    if unit_level in ("township", "village"):
        return unit_in_scope(user, obj)
    return False


def can_reveal(user, child) -> bool:
    """Full ID and phone numbers: only roles that work with the family, and only in scope."""
    return can(user, "registry.reveal", child)


def psych_visible(user) -> QuerySet:
    """Children whose psychological file (心理健康档案) the user may read: the city administrator,
    the supervisor of the child's township and the designated staff of the child's school.
    No one else — a director, a teacher without the designation or a liaison sees nothing."""
    from registry.models import Child

    scope = scope_of(user)
    psych = "schools.psych" in scope.capabilities
    if psych and scope.city:
        return Child.objects.all()
    q = Q(pk__in=[])
    if psych and scope.township_ids:
        q |= Q(township_id__in=scope.township_ids)
    if scope.psych_school_ids:
        q |= Q(school_id__in=scope.psych_school_ids)
    return Child.objects.filter(q)


def may_use_psych(user) -> bool:
    """Whether the user holds any right to psychological files (else 403, not 404)."""
    scope = scope_of(user)
    return ("schools.psych" in scope.capabilities and (scope.city or bool(scope.township_ids))) or bool(
        scope.psych_school_ids
    )


def can_view_psych(user, child) -> bool:
    return psych_visible(user).filter(pk=child.pk).exists()


def stats_scope(user) -> tuple[bool, frozenset[int]]:
    """(city-wide?, township ids) whose aggregates the user may read."""
    scope = scope_of(user)
    if "stats.view" not in scope.capabilities:
        return False, frozenset()
    if scope.city or scope.stats_city:
        return True, frozenset()
    return False, frozenset(scope.township_ids | scope.stats_township_ids)
