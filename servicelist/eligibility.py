"""Eligibility against the registry: a child's facts, and rules as SQL where they allow.

``servicelist.rules`` is the one definition of what a rule means; this module
feeds it registry data (``child_facts``) and, for counting over a large
registry, translates a rule into a ``Q`` with exactly the same meaning
(``rule_q``). A rule over facts a database backend cannot compare (the JSON
list of 保障类别 outside PostgreSQL and SQLite) raises ``Untranslatable`` and is
counted in Python, chunk by chunk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from servicelist import rules

# Children the list applies to: open files of migrant children (and those whose
# 6 months are still running, who are served while their status settles).
ELIGIBLE_CHILDREN = Q(closed_at__isnull=True) & ~Q(migrant_status="not_migrant")

CHILD_FIELDS = (
    "pk",
    "birth_date",
    "school_stage",
    "health",
    "disability_category",
    "security",
    "housing_difficulty",
)


class Untranslatable(Exception):
    """The rule uses a fact that is evaluated in Python only."""


def risk_flag_model():
    """care.RiskFlag when the care app provides it (it is built separately), else None."""
    try:
        model = apps.get_model("care", "RiskFlag")
    except LookupError:
        return None
    field_names = {f.name for f in model._meta.get_fields()}
    return model if {"child", "status"} <= field_names else None


def key_attention_ids(child_ids: Iterable[int]) -> set[int]:
    model = risk_flag_model()
    if model is None:
        return set()
    return set(
        model.objects.filter(child_id__in=list(child_ids), status="active").values_list("child_id", flat=True)
    )


def need_kinds(child_ids: Iterable[int]) -> dict[int, set[str]]:
    from servicelist.models import NeedFlag

    kinds: dict[int, set[str]] = {}
    rows = NeedFlag.objects.filter(child_id__in=list(child_ids), active=True).values_list("child_id", "kind")
    for child_id, kind in rows:
        kinds.setdefault(child_id, set()).add(kind)
    return kinds


def facts_from_row(
    row: Mapping[str, Any], on: dt.date, *, key_attention: bool, needs: set[str]
) -> dict[str, Any]:
    """Facts from a child's values (a dict of CHILD_FIELDS). Raises rules.ProfileError."""
    return rules.facts_from_profile(
        birth_date=row["birth_date"],
        on_date=on,
        school_stage=row["school_stage"] or None,
        health=row["health"] or None,
        security=row["security"] or [],
        housing_difficulty=bool(row["housing_difficulty"]),
        emergency_hardship="emergency_hardship" in needs,
        legal_aid_need="legal_aid_need" in needs,
        disability_category=row["disability_category"] or None,
        key_attention=key_attention,
    )


def child_facts(child, on: dt.date) -> dict[str, Any]:
    """The facts of one registered child on a date. Raises rules.ProfileError on unusable data."""
    row = {name: getattr(child, name) for name in CHILD_FIELDS}
    return facts_from_row(
        row,
        on,
        key_attention=child.pk in key_attention_ids([child.pk]),
        needs=need_kinds([child.pk]).get(child.pk, set()),
    )


def iter_fact_chunks(
    queryset: QuerySet, on: dt.date, *, chunk: int = 2000
) -> Iterator[list[tuple[int, Any]]]:
    """(child id, facts or ProfileError) for the children of ``queryset``, streamed by primary key."""
    last = 0
    base = queryset.order_by("pk").values(*CHILD_FIELDS)
    while True:
        rows = list(base.filter(pk__gt=last)[:chunk])
        if not rows:
            return
        ids = [r["pk"] for r in rows]
        key = key_attention_ids(ids)
        needs = need_kinds(ids)
        out: list[tuple[int, Any]] = []
        for row in rows:
            try:
                facts = facts_from_row(
                    row, on, key_attention=row["pk"] in key, needs=needs.get(row["pk"], set())
                )
            except rules.ProfileError as error:
                out.append((row["pk"], error))
            else:
                out.append((row["pk"], facts))
        yield out
        last = ids[-1]


# ---------------------------------------------------------------------------
# Rules as SQL


def latest_birth_for(months: int, on: dt.date) -> dt.date:
    """The latest birth date of a child who has completed ``months`` months on ``on``."""
    candidate = rules._add_months(on, -months) if months else on
    # 29/30/31 births reach a month on the last day of a shorter month, so later days may qualify.
    while rules.completed_months(candidate + dt.timedelta(days=1), on) >= months:
        candidate += dt.timedelta(days=1)
    return candidate


def _at_least(months: int, on: dt.date) -> Q:
    if months <= 0:
        return Q(pk__isnull=False)
    if months > 12 * 200:
        return Q(pk__in=[])
    return Q(birth_date__lte=latest_birth_for(months, on))


def _int_q(op: str, value: Any, unit: int, on: dt.date) -> Q:
    def eq(n: int) -> Q:
        return _at_least(n * unit, on) & ~_at_least((n + 1) * unit, on)

    if op == "gte":
        return _at_least(value * unit, on)
    if op == "gt":
        return _at_least((value + 1) * unit, on)
    if op == "lt":
        return ~_at_least(value * unit, on)
    if op == "lte":
        return ~_at_least((value + 1) * unit, on)
    if op == "between":
        return _at_least(value[0] * unit, on) & ~_at_least((value[1] + 1) * unit, on)
    if op == "eq":
        return eq(value)
    if op == "ne":
        return ~eq(value)
    if op in ("in", "not_in"):
        q = Q(pk__in=[])
        for n in value:
            q |= eq(n)
        return q if op == "in" else ~q
    raise Untranslatable(op)


def _enum_q(field: str, known: Iterable[str], op: str, value: Any) -> Q:
    # An unknown (blank) value matches no comparison, as in rules._leaf_holds.
    is_known = Q(**{f"{field}__in": list(known)})
    if op == "eq":
        return Q(**{field: value})
    if op == "ne":
        return is_known & ~Q(**{field: value})
    if op == "in":
        return Q(**{f"{field}__in": value})
    if op == "not_in":
        return is_known & ~Q(**{f"{field}__in": value})
    raise Untranslatable(op)


def _bool_fact_q(name: str) -> Q:
    from servicelist.models import NeedFlag

    if name == "compulsory_stage":
        return Q(school_stage__in=sorted(rules.COMPULSORY_STAGES))
    if name == "disabled":
        return Q(health="残疾") | ~Q(disability_category="")
    if name == "housing_difficulty":
        return Q(housing_difficulty=True)
    if name == "living_at_home":
        return Q(pk__isnull=False)  # the registry has no such column; facts default it to true
    if name == "key_attention":
        model = risk_flag_model()
        if model is None:
            return Q(pk__in=[])
        return Q(Exists(model.objects.filter(child_id=OuterRef("pk"), status="active")))
    if name in ("emergency_hardship", "legal_aid_need"):
        return Q(Exists(NeedFlag.objects.filter(child_id=OuterRef("pk"), kind=name, active=True)))
    raise Untranslatable(name)


def _security_q(category: str) -> Q:
    """Children whose 保障类别 list holds ``category`` (an exact element, so 低保 is not 低保边缘)."""
    if connection.vendor == "postgresql":
        return Q(security__contains=[category])
    if connection.vendor == "sqlite":
        # JSON1 decodes the stored text (Django writes it with \u escapes) element by element.
        from registry.models import Child

        table = connection.ops.quote_name(Child._meta.db_table)
        sql = f"SELECT c.id FROM {table} c, json_each(c.security) j WHERE j.value = %s"  # noqa: S608
        return Q(pk__in=RawSQL(sql, (category,)))  # noqa: S611 - fixed identifiers, value as parameter
    raise Untranslatable("security")


def rule_q(rule: Any, on: dt.date) -> Q:
    """A condition on registry.Child equivalent to the (valid) rule on ``on``. Raises Untranslatable."""
    if rule is True:
        return Q(pk__isnull=False)
    if rule is False:
        return Q(pk__in=[])
    if "all" in rule:
        q = Q(pk__isnull=False)
        for item in rule["all"]:
            q &= rule_q(item, on)
        return q
    if "any" in rule:
        q = Q(pk__in=[])
        for item in rule["any"]:
            q |= rule_q(item, on)
        return q
    if "not" in rule:
        return ~rule_q(rule["not"], on)
    name, op, value = rule["fact"], rule["op"], rule.get("value")
    fact = rules.FACTS[name]
    if name == "age_years":
        return _int_q(op, value, 12, on)
    if name == "age_months":
        return _int_q(op, value, 1, on)
    if name == "school_stage":
        return _enum_q("school_stage", rules.SCHOOL_STAGES, op, value)
    if name == "health":
        return _enum_q("health", rules.HEALTH_STATES, op, value)
    if name == "security" and op in ("contains", "contains_any"):
        q = Q(pk__in=[])
        for category in [value] if op == "contains" else value:
            q |= _security_q(category)
        return q
    if fact.type == "bool":
        q = _bool_fact_q(name)
        if op == "is_true" or (op == "eq" and value is True) or (op == "ne" and value is False):
            return q
        return ~q
    raise Untranslatable(name)


def count_matching(
    rules_by_no: Mapping[int, Any], children: QuerySet, on: dt.date, *, chunk: int = 2000
) -> dict[int, int]:
    """How many of ``children`` each (valid) rule holds for on ``on``: in SQL where possible."""
    # Children born after the date have no facts; they match nothing, as in recompute.
    base = children.filter(birth_date__lte=on)
    counts: dict[int, int] = {}
    in_python: dict[int, Any] = {}
    for no, rule in rules_by_no.items():
        try:
            q = rule_q(rule, on)
        except Untranslatable:
            in_python[no] = rule
            continue
        counts[no] = base.filter(q).count()
    if in_python:
        totals = dict.fromkeys(in_python, 0)
        for batch in iter_fact_chunks(base, on, chunk=chunk):
            for _child_id, facts in batch:
                if isinstance(facts, rules.ProfileError):
                    continue
                for no, rule in in_python.items():
                    if rules.holds(rule, facts):
                        totals[no] += 1
        counts.update(totals)
    return {no: counts[no] for no in rules_by_no}
