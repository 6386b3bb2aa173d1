"""Maintenance of the summary tables (see stats/models.py for why they exist).

``refresh_aggregates`` rebuilds the rows of some townships (or all) with a few GROUP BY
queries on ``registry.Child``; nothing loops over children in Python. It is run by the
daily task, after imports (``stats.tasks.refresh_townships``) and on demand from the
dashboard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Case, CharField, Count, Q, Sum, Value, When
from django.utils import timezone

from audit.services import record
from stats.models import (
    AggregateRefresh,
    ChildAggregate,
    EntitlementAggregate,
    OriginAggregate,
    TownshipSnapshot,
)

# (label, lowest age, highest age + 1) — the plan's age groups; 16+ only for files not yet closed.
AGE_GROUPS: tuple[tuple[str, int, int], ...] = (
    ("0-2岁", 0, 3),
    ("3-5岁", 3, 6),
    ("6-11岁", 6, 12),
    ("12-14岁", 12, 15),
    ("15岁", 15, 16),
)
AGE_16_PLUS = "16岁及以上"
AGE_UNKNOWN = "出生日期晚于基准日"
TREND_MONTHS = 12
# Files closed for these reasons were never migrant children, so the trend ignores them.
NEVER_MIGRANT_REASONS = ("local_hukou", "duplicate")
# The columns of ChildAggregate, grouped by.
CHILD_GROUPS = (
    "township_id",
    "village_id",
    "sex",
    "age_group",
    "school_stage",
    "migrant_status",
    "pending_verification",
)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February → 28 February).

    A child is at least ``n`` years old on ``day`` exactly when born on or before
    ``years_before(day, n)`` (registry.status.birthday puts a 29 February birthday on
    1 March, which agrees).
    """
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_group_expression(on: dt.date) -> Case:
    """The age group of a child on ``on``, as SQL (date thresholds on the indexed birth_date)."""
    whens = [When(birth_date__gt=on, then=Value(AGE_UNKNOWN))]
    for label, _low, high in AGE_GROUPS:
        whens.append(When(birth_date__gt=years_before(on, high), then=Value(label)))
    return Case(*whens, default=Value(AGE_16_PLUS), output_field=CharField())


def month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def trend_month_ends(on: dt.date, months: int = TREND_MONTHS) -> list[dt.date]:
    """The ends of the ``months`` months up to and including ``on``'s month (that one ends at ``on``)."""
    ends = []
    year, month = on.year, on.month
    for _ in range(months):
        ends.append(min(month_end(year, month), on))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(ends))


def migrant_on_q(day: dt.date) -> Q:
    """Whether a file was that of a migrant child on ``day``, from its dates alone.

    Used only for days before the system kept snapshots: migrant from ``migrant_from``
    (residence reached six months; the record's creation when unknown) until the file
    was closed or the child turned 16.
    """
    became = Q(migrant_from__lte=day) | Q(migrant_from__isnull=True, created_at__date__lte=day)
    ever = Q(migrant_status="migrant") | (
        Q(closed_at__isnull=False) & ~Q(close_reason__in=NEVER_MIGRANT_REASONS)
    )
    still = Q(closed_at__isnull=True) | Q(closed_at__gt=day)
    return ever & became & still & Q(birth_date__gt=years_before(day, 16)) & Q(birth_date__lte=day)


def _township_ids(township_ids: Iterable[int] | None) -> list[int]:
    from places.models import Unit

    qs = Unit.objects.filter(level=Unit.Level.TOWNSHIP)
    if township_ids is not None:
        qs = qs.filter(pk__in=list(township_ids))
    return list(qs.values_list("pk", flat=True))


@transaction.atomic
def refresh_aggregates(
    *, actor, township_ids: Iterable[int] | None = None, on: dt.date | None = None
) -> dt.datetime:
    """Rebuild the summary rows of the townships (all when None) as of ``on``; returns the time."""
    from registry.models import Child

    on = on or timezone.localdate()
    now = timezone.now()
    townships = _township_ids(township_ids)
    children = Child.objects.filter(closed_at__isnull=True)
    if township_ids is not None:
        children = children.filter(township_id__in=townships)

    ChildAggregate.objects.filter(township_id__in=townships).delete()
    OriginAggregate.objects.filter(township_id__in=townships).delete()
    # The rows are written by the database itself (INSERT … SELECT … GROUP BY): no row of the
    # grouping travels through Python.
    # Grouped by sex first: led by township_id, the GROUP BY makes SQLite walk the township
    # index and fetch every row out of order (a third slower than reading the table through).
    grouped = (
        children.annotate(age_group=age_group_expression(on))
        .values("sex", *(column for column in CHILD_GROUPS if column != "sex"))
        .annotate(n=Count("id"))
        .order_by()
    )
    _insert_select(ChildAggregate, on, grouped, CHILD_GROUPS)
    origins = (
        children.filter(migrant_status="migrant")
        .values("township_id", "hukou_county_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    _insert_select(OriginAggregate, on, origins, ("township_id", "hukou_county_id"))
    migrant: dict[int, int] = dict.fromkeys(townships, 0)
    pending: dict[int, int] = dict.fromkeys(townships, 0)
    totals = (
        ChildAggregate.objects.filter(township_id__in=townships, migrant_status__in=["migrant", "pending"])
        .values_list("township_id", "migrant_status")
        .annotate(n=Sum("count"))
        .order_by()
    )
    for township_id, status, n in totals:
        (migrant if status == "migrant" else pending)[township_id] = n

    _refresh_entitlements(townships=townships, all_townships=township_ids is None, on=on)

    for township_id in townships:
        AggregateRefresh.objects.update_or_create(
            township_id=township_id, defaults={"on": on, "refreshed_at": now}
        )
        TownshipSnapshot.objects.update_or_create(
            day=on,
            township_id=township_id,
            defaults={
                "migrant_count": migrant.get(township_id, 0),
                "pending_count": pending.get(township_id, 0),
                "reconstructed": False,
            },
        )
    _reconstruct_missing_months(townships=townships, on=on)
    record(
        actor=actor,
        action="system",
        object_type="stats.childaggregate",
        object_id="all" if township_ids is None else ",".join(map(str, townships))[:64],
        summary=f"更新统计汇总：{len(townships)} 个乡镇（基准日 {on.isoformat()}）",
    )
    return now


def _refresh_entitlements(*, townships: list[int], all_townships: bool, on: dt.date) -> None:
    """Entitlements per township × service × status for the list in force (when the service
    list app is installed): the same children as servicelist.selectors.gap_entitlements."""
    from django.apps import apps

    EntitlementAggregate.objects.filter(township_id__in=townships).delete()
    try:
        entitlement = apps.get_model("servicelist", "Entitlement")
        from servicelist.selectors import list_in_force
    except (LookupError, ImportError):
        return
    version = list_in_force(on)
    if version is None or not townships:
        return
    from registry.models import Child

    # Read child by child: the open files (the covering index child_township_open), then each
    # file's rows of the version in the covering index (child, version, no, status), never the
    # entitlement table itself. CROSS JOIN keeps SQLite to that order (without statistics it
    # would start from the version's millions of rows and look up each row and its child);
    # PostgreSQL plans a CROSS JOIN with a WHERE like any join.
    quote = connection.ops.quote_name
    child = quote(Child._meta.db_table)
    rows = quote(entitlement._meta.db_table)
    where = [
        f"e.{quote('child_id')} = c.{quote('id')}",
        f"c.{quote('closed_at')} IS NULL",
        f"c.{quote('migrant_status')} <> %s",
        f"e.{quote('version_id')} = %s",
    ]
    params: list = [on, version.pk, "not_migrant", version.pk]
    if not all_townships:
        where.append(f"c.{quote('township_id')} IN ({', '.join(['%s'] * len(townships))})")
        params += townships
    table = quote(EntitlementAggregate._meta.db_table)
    columns = ", ".join(quote(c) for c in ("on", "township_id", "version_id", "no", "status", "count"))
    township, no, status = quote("township_id"), quote("no"), quote("status")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) "  # noqa: S608 - fixed identifiers
            f"SELECT %s, c.{township}, %s, e.{no}, e.{status}, COUNT(*) "
            f"FROM {child} c CROSS JOIN {rows} e WHERE {' AND '.join(where)} "
            f"GROUP BY c.{township}, e.{no}, e.{status}",
            params,
        )


def _insert_select(model, on: dt.date, grouped, aliases: tuple[str, ...]) -> None:
    """INSERT INTO ``model`` (on, <its other columns>, count) SELECT on, ``aliases``…, n FROM
    ``grouped``: a values(*aliases).annotate(n=Count(…)) queryset whose columns, in the order of
    ``aliases``, are the model's columns between ``on`` and ``count``."""
    names = [f.column for f in model._meta.concrete_fields if f.column not in ("id", "on", "count")]
    if len(aliases) != len(names):
        raise ValueError(f"{model.__name__}: {aliases} do not match {names}")
    sql, params = grouped.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in ["on", *names, "count"])
    picked = ", ".join(f"grouped.{quote(a)}" for a in [*aliases, "n"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608 - fixed identifiers
            f"SELECT %s, {picked} FROM ({sql}) grouped",
            [on, *params],
        )


def _reconstruct_missing_months(*, townships: list[int], on: dt.date) -> None:
    """Fill, from the files' dates, the past months that have no snapshot (one query for all)."""
    from registry.models import Child

    ends = trend_month_ends(on)[:-1]  # the current month has today's real snapshot
    if not ends or not townships:
        return
    have = set(
        TownshipSnapshot.objects.filter(
            township_id__in=townships, day__gte=ends[0].replace(day=1), day__lte=ends[-1]
        ).values_list("township_id", "day__year", "day__month")
    )
    missing = [end for end in ends if any((t, end.year, end.month) not in have for t in townships)]
    if not missing:
        return
    counts = (
        Child.objects.filter(township_id__in=townships)
        .values("township_id")
        .annotate(**{f"m{i}": Count("id", filter=migrant_on_q(end)) for i, end in enumerate(missing)})
        .order_by()
    )
    by_township = {row["township_id"]: row for row in counts}
    rows = []
    for township_id in townships:
        found = by_township.get(township_id, {})
        for i, end in enumerate(missing):
            if (township_id, end.year, end.month) in have:
                continue
            rows.append(
                TownshipSnapshot(
                    day=end,
                    township_id=township_id,
                    migrant_count=found.get(f"m{i}", 0),
                    reconstructed=True,
                )
            )
    TownshipSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
