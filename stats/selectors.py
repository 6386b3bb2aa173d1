"""The measures of the plan, each defined once and reused by the page, the workbook and the API.

A measure is ``measure_<name>(*, scope, on, period=None) -> Measure``: a title, column
headings and rows of labels and counts — never a child's name, number or id. Counts of
the children's register come from the maintained summary tables (stats/models.py); the
measures of other apps (care, services, schools, network) import their models lazily so
that a missing app never breaks this module.

Who sees what (``scope_for``):
* city administrators and city leaders: the whole city, or one township they choose;
* supervisors: their township; child directors: the aggregates of their village's
  township (access.policy.stats_scope) — counts only, like everyone here;
* county-level liaisons (a department, no area): only the referrals sent to their
  department, city-wide counts; nothing of the register.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

from django.db.models import Count, Max, Min, Sum
from django.http import Http404
from django.utils import timezone

from access.policy import scope_of, stats_scope
from places.models import county_full_name
from stats import work_measures as work
from stats.measure import (
    SMALL_CELL_TEXT,
    Measure,
    Period,
    StatsScope,
    default_period,
    pct,
    small_cell,
)
from stats.models import AggregateRefresh, ChildAggregate, MeasureCache, OriginAggregate, TownshipSnapshot
from stats.services import AGE_16_PLUS, AGE_GROUPS, AGE_UNKNOWN, trend_month_ends

TOP_ORIGINS = 20
OTHERS = "其他"


def scope_for(user, *, township_id: int | None = None) -> StatsScope:
    """The user's statistics scope, narrowed to one township; a township outside it is a 404."""
    city_wide, township_ids = stats_scope(user)
    departments = frozenset()
    if "stats.view" in scope_of(user).capabilities:
        departments = scope_of(user).department_ids
    scope = StatsScope(city_wide=city_wide, township_ids=township_ids, department_ids=departments, user=user)
    if township_id is not None:
        from places.models import Unit

        allowed = Unit.objects.filter(level=Unit.Level.TOWNSHIP, pk=township_id)
        if not city_wide:
            allowed = allowed.filter(pk__in=township_ids)
        if not allowed.exists():
            raise Http404("未找到该乡镇，或不在您的统计范围内")
        scope = replace(scope, township_id=township_id)
    return scope


def townships_for(scope: StatsScope):
    """The townships a scope may choose from (for the filter)."""
    from places.models import Unit

    qs = Unit.objects.filter(level=Unit.Level.TOWNSHIP).order_by("code")
    if scope.city_wide:
        return qs
    return qs.filter(pk__in=scope.township_ids)


# ---------------------------------------------------------------- measures of the register


def _with_shares(rows: list[tuple[str, int]]) -> tuple[list[list], list]:
    total = sum(n for _label, n in rows)
    return [[label, n, pct(n, total)] for label, n in rows], ["合计", total, 100.0 if total else None]


def _aggregates(scope: StatsScope):
    qs = ChildAggregate.objects.all()
    if scope.townships is not None:
        qs = qs.filter(township_id__in=scope.townships)
    return qs


def _sum_by(qs, column: str) -> dict:
    return {
        row[column]: row["n"] for row in qs.values(column).annotate(n=Sum("count")).order_by() if row["n"]
    }


def _migrant(scope: StatsScope):
    return _aggregates(scope).filter(migrant_status="migrant")


def data_as_of(scope: StatsScope) -> dt.datetime | None:
    """When the oldest of the scope's summary rows was rebuilt (the "数据更新于" note)."""
    qs = AggregateRefresh.objects.all()
    if scope.townships is not None:
        qs = qs.filter(township_id__in=scope.townships)
    return qs.aggregate(oldest=Min("refreshed_at"))["oldest"]


def measure_overview(*, scope: StatsScope, on: dt.date, period: Period | None = None) -> Measure:
    by_status = _sum_by(_aggregates(scope), "migrant_status")
    unverified = _aggregates(scope).filter(pending_verification=True).aggregate(n=Sum("count"))["n"] or 0
    rows = [
        ["流动儿童（已认定）", by_status.get("migrant", 0)],
        ["待满6个月", by_status.get("pending", 0)],
        ["非流动儿童（档案未关闭）", by_status.get("not_migrant", 0)],
        ["其中：部门数据发现、待核实", unverified],
    ]
    return Measure(
        name="overview",
        title="流动儿童人数",
        columns=["类别", "人数"],
        rows=rows,
        chart_kind="table",
        note="在档（未关闭）的儿童档案，按认定状态统计。",
    )


def measure_trend(*, scope: StatsScope, on: dt.date, period: Period | None = None) -> Measure:
    end = min(period.end, on) if period else on
    ends = trend_month_ends(end)
    snapshots = TownshipSnapshot.objects.filter(day__gte=ends[0].replace(day=1), day__lte=end)
    if scope.townships is not None:
        snapshots = snapshots.filter(township_id__in=scope.townships)
    # The last snapshot of each township in each month.
    latest = snapshots.values("township_id", "day__year", "day__month").annotate(last=Max("day")).order_by()
    wanted = {(r["township_id"], r["last"]) for r in latest}
    totals: dict[tuple[int, int], int] = {}
    reconstructed: set[tuple[int, int]] = set()
    for township_id, day, count, guessed in snapshots.values_list(
        "township_id", "day", "migrant_count", "reconstructed"
    ):
        if (township_id, day) in wanted:
            key = (day.year, day.month)
            totals[key] = totals.get(key, 0) + count
            if guessed:
                reconstructed.add(key)
    rows = []
    for month_end in ends:
        key = (month_end.year, month_end.month)
        source = "推算" if key in reconstructed else ("快照" if key in totals else "无数据")
        rows.append([f"{month_end.year}年{month_end.month}月", totals.get(key, 0), source])
    return Measure(
        name="trend",
        title="流动儿童人数月度趋势（近12个月）",
        columns=["月份", "流动儿童人数", "来源"],
        rows=rows,
        chart_kind="line",
        note="每月取月末（本月取最近一次）的每日快照；“推算”为系统启用前的月份，按认定日期、关闭日期和出生日期推算。",
    )


def measure_age_groups(*, scope: StatsScope, on: dt.date, period: Period | None = None) -> Measure:
    counts = _sum_by(_migrant(scope), "age_group")
    labels = [label for label, _low, _high in AGE_GROUPS]
    extra = [label for label in (AGE_16_PLUS, AGE_UNKNOWN) if counts.get(label)]
    rows, total = _with_shares([(label, counts.get(label, 0)) for label in labels + extra])
    return Measure(
        name="age_groups",
        title="流动儿童年龄结构",
        columns=["年龄组", "人数", "占比（%）"],
        rows=rows,
        chart_kind="bar",
        rate_columns={2: (1,)},
        total=total,
        note="周岁，按统计基准日计算。",
    )


def measure_sex(*, scope: StatsScope, on: dt.date, period: Period | None = None) -> Measure:
    counts = _sum_by(_migrant(scope), "sex")
    rows, total = _with_shares([("男", counts.get("男", 0)), ("女", counts.get("女", 0))])
    return Measure(
        name="sex",
        title="流动儿童性别",
        columns=["性别", "人数", "占比（%）"],
        rows=rows,
        chart_kind="pie",
        rate_columns={2: (1,)},
        total=total,
    )


def measure_school_stage(*, scope: StatsScope, on: dt.date, period: Period | None = None) -> Measure:
    from registry.choices import SchoolStage

    counts = _sum_by(_migrant(scope), "school_stage")
    pairs = [(label, counts.get(value, 0)) for value, label in SchoolStage.choices]
    if counts.get(""):
        pairs.append(("未填写", counts[""]))
    rows, total = _with_shares([(str(label), n) for label, n in pairs])
    return Measure(
        name="school_stage",
        title="流动儿童就学状态",
        columns=["就学状态", "人数", "占比（%）"],
        rows=rows,
        chart_kind="bar",
        rate_columns={2: (1,)},
        total=total,
    )


def measure_townships(*, scope: StatsScope, on: dt.date, period: Period | None = None) -> Measure:
    counts = _sum_by(_migrant(scope), "township_id")
    townships = townships_for(scope)
    if scope.township_id is not None:
        townships = townships.filter(pk=scope.township_id)
    pairs = sorted(((t.name, counts.get(t.pk, 0)) for t in townships), key=lambda p: (-p[1], p[0]))
    rows, total = _with_shares(pairs)
    return Measure(
        name="townships",
        title="流动儿童分布（乡镇、街道）",
        columns=["乡镇（街道）", "人数", "占比（%）"],
        rows=rows,
        chart_kind="hbar",
        rate_columns={2: (1,)},
        total=total,
        note="按人数从多到少排列。",
    )


def measure_villages(*, scope: StatsScope, on: dt.date, period: Period | None = None) -> Measure:
    from places.models import Unit

    township_id = scope.single_township
    counts = _sum_by(_migrant(scope), "village_id")
    names = dict(Unit.objects.filter(parent_id=township_id).values_list("pk", "name"))
    pairs = [(names.get(pk, "未填写村（社区）") if pk else "未填写村（社区）", n) for pk, n in counts.items()]
    pairs += [(name, 0) for pk, name in names.items() if pk not in counts]
    rows, total = _with_shares(sorted(pairs, key=lambda p: (-p[1], p[0])))
    return Measure(
        name="villages",
        title="流动儿童分布（村、社区）",
        columns=["村（社区）", "人数", "占比（%）"],
        rows=rows,
        chart_kind="hbar",
        rate_columns={2: (1,)},
        total=total,
        note="按人数从多到少排列。",
    )


def _top(pairs: list[tuple[str, int]], limit: int = TOP_ORIGINS) -> list[tuple[str, int]]:
    ranked = sorted(pairs, key=lambda p: (-p[1], p[0]))
    if len(ranked) <= limit:
        return ranked
    return ranked[:limit] + [(OTHERS, sum(n for _label, n in ranked[limit:]))]


def _origins(scope: StatsScope):
    qs = OriginAggregate.objects.all()
    if scope.townships is not None:
        qs = qs.filter(township_id__in=scope.townships)
    return qs


def measure_origin_provinces(*, scope: StatsScope, on: dt.date, period: Period | None = None) -> Measure:
    rows_ = _origins(scope).values("hukou_county__province_name").annotate(n=Sum("count")).order_by()
    pairs = [(r["hukou_county__province_name"] or "户籍地未知", r["n"]) for r in rows_ if r["n"]]
    rows, total = _with_shares(_top(pairs))
    return Measure(
        name="origin_provinces",
        title="流动儿童户籍地（省份）",
        columns=["户籍省份", "人数", "占比（%）"],
        rows=rows,
        chart_kind="hbar",
        rate_columns={2: (1,)},
        total=total,
        note=f"前{TOP_ORIGINS}个省份，其余合并为“{OTHERS}”。",
    )


def measure_origin_counties(*, scope: StatsScope, on: dt.date, period: Period | None = None) -> Measure:
    rows_ = (
        _origins(scope)
        .values("hukou_county__province_name", "hukou_county__prefecture_name", "hukou_county__name")
        .annotate(n=Sum("count"))
        .order_by()
    )
    pairs = []
    for r in rows_:
        if not r["n"]:
            continue
        if r["hukou_county__name"] is None:
            pairs.append(("户籍地未知", r["n"]))
            continue
        name = county_full_name(
            r["hukou_county__province_name"], r["hukou_county__prefecture_name"], r["hukou_county__name"]
        )
        pairs.append((name, r["n"]))
    rows, total = _with_shares(_top(pairs))
    return Measure(
        name="origin_counties",
        title="流动儿童户籍地（县、市、区）",
        columns=["户籍县（市、区）", "人数", "占比（%）"],
        rows=rows,
        chart_kind="hbar",
        rate_columns={2: (1,)},
        total=total,
        note=f"前{TOP_ORIGINS}个县（市、区），其余合并为“{OTHERS}”。",
    )


def measure_files(*, scope: StatsScope, on: dt.date, period: Period | None = None) -> Measure:
    from registry.choices import CloseReason
    from registry.models import Child

    period = period or default_period(on)
    by_status = _sum_by(_aggregates(scope), "migrant_status")
    unverified = _aggregates(scope).filter(pending_verification=True).aggregate(n=Sum("count"))["n"] or 0
    closed = Child.objects.filter(closed_at__gte=period.start, closed_at__lte=period.end)
    if scope.townships is not None:
        closed = closed.filter(township_id__in=scope.townships)
    reasons = {
        r["close_reason"]: r["n"] for r in closed.values("close_reason").annotate(n=Count("id")).order_by()
    }
    rows = [
        ["待定", "居住未满6个月（待满6个月）", by_status.get("pending", 0)],
        ["待定", "部门数据发现、待儿童主任核实", unverified],
    ]
    for value, label in CloseReason.choices:
        rows.append(["期内关闭", str(label), reasons.get(value, 0)])
    if reasons.get(""):
        rows.append(["期内关闭", "未注明原因", reasons[""]])
    return Measure(
        name="files",
        title="待定与关闭档案及原因",
        columns=["类别", "档案数"],
        rows=[[f"{kind}：{reason}", n] for kind, reason, n in rows],
        chart_kind="hbar",
        note=f"待定为当前在档数；关闭为统计期内（{period.label}）关闭的档案数。",
    )


# ---------------------------------------------------------------- home cards


def card_migrant_count(measure: Measure) -> tuple:
    return small_cell(measure.rows[0][1]), "已认定、档案在册", "primary"


# ---------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class MeasureSpec:
    name: str
    function: Callable[..., Measure]
    for_departments: bool = False  # also shown, restricted to the department, to liaisons
    available: Callable[[StatsScope], bool] = lambda scope: True
    home_title: str = ""  # a home-page card of leaders and city administrators
    home_card: Callable[[Measure], tuple] | None = None  # the measure -> (value, note, tone)
    home_period: Callable[[dt.date], Period] = default_period
    # Slow at a million children (every child's visits or entitlements): kept for the day in
    # MeasureCache until a summary of the scope is rebuilt.
    cached: bool = False
    uses_period: bool = True  # False: one cached result a day, whatever the period
    # (scope, on, periods) -> one Measure per period, computed together (the nightly warm-up).
    batch: Callable[..., list[Measure]] | None = None


MEASURES: dict[str, MeasureSpec] = {
    spec.name: spec
    for spec in (
        MeasureSpec("overview", measure_overview, home_title="流动儿童", home_card=card_migrant_count),
        MeasureSpec("trend", measure_trend),
        MeasureSpec("age_groups", measure_age_groups),
        MeasureSpec("sex", measure_sex),
        MeasureSpec("school_stage", measure_school_stage),
        MeasureSpec("townships", measure_townships, available=lambda s: s.single_township is None),
        MeasureSpec("villages", measure_villages, available=lambda s: s.single_township is not None),
        MeasureSpec("origin_provinces", measure_origin_provinces),
        MeasureSpec("origin_counties", measure_origin_counties),
        MeasureSpec("files", measure_files, cached=True),
        MeasureSpec(
            "key_attention",
            work.measure_key_attention,
            available=lambda s: work.installed("care.RiskFlag"),
            home_title="重点关注儿童",
            home_card=work.card_key_attention,
            cached=True,
            uses_period=False,
        ),
        MeasureSpec(
            "compliance",
            work.measure_compliance,
            available=lambda s: (
                s.user is not None and work.installed("care.CareStatus", "care.selectors:compliance")
            ),
            home_title="走访完成率",
            home_card=work.card_compliance,
            home_period=work.quarter_to_date,
            cached=True,
            batch=work.measure_compliance_periods,
        ),
        MeasureSpec(
            "census",
            work.measure_census,
            available=lambda s: work.installed("registry.CensusTask"),
            cached=True,
            uses_period=False,
        ),
        MeasureSpec(
            "referrals",
            work.measure_referrals,
            for_departments=True,
            cached=True,
            available=lambda s: work.installed("servicelist.Referral"),
        ),
        MeasureSpec(
            "entitlements",
            work.measure_entitlements,
            available=lambda s: work.installed(
                "servicelist.Entitlement", "servicelist.selectors:list_in_force"
            ),
        ),
        MeasureSpec(
            "school_obligations",
            work.measure_school_obligations,
            available=lambda s: work.installed("schools.Obligation", "schools.compliance:picture"),
            cached=True,
            uses_period=False,
        ),
        MeasureSpec(
            "training", work.measure_training, available=lambda s: work.installed("network.TrainingRecord")
        ),
    )
}


def measures_for(scope: StatsScope) -> list[MeasureSpec]:
    """The measures a scope may read, in the page's order."""
    specs = []
    for spec in MEASURES.values():
        if scope.has_area:
            allowed = True
        else:  # a liaison: only what concerns the department
            allowed = spec.for_departments and bool(scope.department_ids)
        if allowed and spec.available(scope):
            specs.append(spec)
    return specs


def compute(name: str, *, scope: StatsScope, on: dt.date | None = None, period: Period | None = None):
    """One measure by name for a scope (KeyError if unknown or not allowed for the scope)."""
    on = on or timezone.localdate()
    allowed = {spec.name: spec for spec in measures_for(scope)}
    return run(allowed[name], scope=scope, on=on, period=period or default_period(on))


def compute_all(*, scope: StatsScope, on: dt.date | None = None, period: Period | None = None):
    on = on or timezone.localdate()
    period = period or default_period(on)
    specs = measures_for(scope)
    if not scope.has_area:
        return [run(spec, scope=scope, on=on, period=period) for spec in specs]
    newest = _newest_refresh(scope)
    return [_from_process_cache(spec, scope=scope, on=on, period=period, newest=newest) for spec in specs]


# Measures drawn from the summary tables (and the day's MeasureCache, itself valid until the
# next summary rebuild) are kept in the process, keyed by the newest rebuild of the scope's
# summary: every summary write (stats.services.refresh_aggregates) moves that time on, so one
# small query per page tells whether a kept result still holds. Measures of live tables are
# computed on every request.
LIVE_MEASURES = frozenset({"training"})
_PROCESS_CACHE_SIZE = 2000
_process_cache: dict[tuple, Measure] = {}
_process_cache_lock = threading.Lock()


def _newest_refresh(scope: StatsScope) -> dt.datetime | None:
    refreshed = AggregateRefresh.objects.all()
    if scope.townships is not None:
        refreshed = refreshed.filter(township_id__in=scope.townships)
    return refreshed.aggregate(newest=Max("refreshed_at"))["newest"]


def _from_process_cache(
    spec: MeasureSpec, *, scope: StatsScope, on: dt.date, period: Period, newest: dt.datetime | None
) -> Measure:
    if spec.name in LIVE_MEASURES or newest is None:  # live, or no summary built yet
        return run(spec, scope=scope, on=on, period=period, newest=newest)
    key = (spec.name, cache_key(scope), period.start, period.end, on, newest)
    hit = _process_cache.get(key)
    if hit is None:
        hit = run(spec, scope=scope, on=on, period=period, newest=newest)
        with _process_cache_lock:
            if len(_process_cache) >= _PROCESS_CACHE_SIZE:
                _process_cache.clear()
            _process_cache[key] = hit
    return hit  # shared between requests: Measure is frozen, and no reader changes its rows


def clear_process_cache() -> None:
    with _process_cache_lock:
        _process_cache.clear()


def cache_key(scope: StatsScope) -> str:
    """What a cached result depends on: the townships, and the villages of a director (care's
    compliance counts a director's own villages)."""
    parts = ["city" if scope.townships is None else "t:" + ",".join(map(str, scope.townships))]
    if scope.department_only:
        parts.append("d:" + ",".join(map(str, sorted(scope.department_ids))))
    if scope.user is not None and scope_of(scope.user).village_ids and not scope_of(scope.user).city:
        parts.append("v:" + ",".join(map(str, sorted(scope_of(scope.user).village_ids))))
    return "|".join(parts)[:250]


def _pack(measure: Measure) -> dict:
    data = asdict(measure)
    data["rate_columns"] = [[k, list(v)] for k, v in measure.rate_columns.items()]
    return data


def _unpack(data: dict) -> Measure:
    data = dict(data)
    data["rate_columns"] = {int(k): tuple(v) for k, v in data["rate_columns"]}
    data["count_columns"] = tuple(data["count_columns"])
    data["chart_columns"] = tuple(data["chart_columns"])
    return Measure(**data)


_UNKNOWN = object()


def _cache_key(spec: MeasureSpec, *, scope: StatsScope, on: dt.date, period: Period) -> dict:
    start, end = (period.start, period.end) if spec.uses_period else (on, on)
    return dict(name=spec.name, scope_key=cache_key(scope), period_start=start, period_end=end, on=on)


def _cached(key: dict, newest) -> Measure | None:
    hit = MeasureCache.objects.filter(**key).first()
    if hit is not None and (newest is None or hit.computed_at >= newest):
        return _unpack(hit.payload)
    return None


def _store(key: dict, measure: Measure) -> None:
    MeasureCache.objects.update_or_create(
        **key, defaults={"computed_at": timezone.now(), "payload": _pack(measure)}
    )


def run(spec: MeasureSpec, *, scope: StatsScope, on: dt.date, period: Period, newest=_UNKNOWN) -> Measure:
    """Compute a measure, or take it from today's cache when the spec is marked ``cached``.
    ``newest``: the scope's newest summary rebuild, when the caller has read it already."""
    if not spec.cached or not scope.has_area:
        return spec.function(scope=scope, on=on, period=period)
    key = _cache_key(spec, scope=scope, on=on, period=period)
    if newest is _UNKNOWN:
        newest = _newest_refresh(scope)
    hit = _cached(key, newest)
    if hit is not None:
        return hit
    measure = spec.function(scope=scope, on=on, period=period)
    _store(key, measure)
    return measure


def _run_batch(spec: MeasureSpec, *, scope: StatsScope, on: dt.date, periods: list[Period]) -> int:
    """Cache ``spec`` for every period not cached yet, computed together; returns how many periods."""
    newest = _newest_refresh(scope)
    missing = [p for p in periods if _cached(_cache_key(spec, scope=scope, on=on, period=p), newest) is None]
    if missing:
        for period, measure in zip(missing, spec.batch(scope=scope, on=on, periods=missing), strict=True):
            _store(_cache_key(spec, scope=scope, on=on, period=period), measure)
    return len(periods)


def warm_cache(*, on: dt.date) -> int:
    """Compute the slow measures of the whole city for the offered periods (the nightly task),
    as seen by a city-level leader or administrator; returns how many were computed."""
    from accounts.models import Assignment
    from accounts.roles import Role
    from stats.measure import quick_periods

    assignment = (
        Assignment.objects.filter(
            active=True, role__in=[Role.LEADER, Role.CITY_ADMIN], unit__level="city", user__is_active=True
        )
        .select_related("user")
        .order_by("role", "id")
        .first()
    )
    if assignment is None:
        return 0
    scope = scope_for(assignment.user)
    done = 0
    periods = [period for _label, period in quick_periods(on)]
    specs = [spec for spec in measures_for(scope) if spec.cached]
    for spec in specs:
        if spec.batch is not None and spec.uses_period:
            done += _run_batch(spec, scope=scope, on=on, periods=periods)
    for period in periods:
        for spec in specs:
            if spec.batch is None or not spec.uses_period:
                run(spec, scope=scope, on=on, period=period)
                done += 1
    return done


# ---------------------------------------------------------------- small cells


def suppress(measure: Measure) -> Measure:
    """The measure as shown to anyone: small counts as "<5", and the rates that would reveal them hidden."""

    def row_out(row: list | None) -> list | None:
        if row is None:
            return None
        out = list(row)
        for index in measure.count_columns:
            if index < len(out):
                out[index] = small_cell(out[index])
        for index, sources in measure.rate_columns.items():
            if index < len(out) and any(
                s < len(row) and small_cell(row[s]) == SMALL_CELL_TEXT for s in sources
            ):
                out[index] = "—"
        return out

    return replace(measure, rows=[row_out(r) for r in measure.rows], total=row_out(measure.total))


def chart_payload(measure: Measure) -> dict:
    """What the ECharts script draws: drawn from the suppressed table, small cells as labels only."""
    shown = suppress(measure)
    series = []
    for index in measure.chart_columns:
        values, labels = [], []
        for row in shown.rows:
            value = row[index]
            labels.append("" if value is None else str(value))
            values.append(value if isinstance(value, int | float) else None)
        series.append({"name": measure.columns[index], "data": values, "labels": labels})
    return {
        "kind": measure.chart_kind,
        "title": measure.title,
        "categories": [str(row[0]) for row in shown.rows],
        "series": series,
    }


def as_dict(measure: Measure) -> dict:
    """The measure for the API: suppressed, with its chart kind."""
    shown = suppress(measure)
    return {
        "name": measure.name,
        "title": measure.title,
        "columns": measure.columns,
        "rows": shown.rows,
        "total": shown.total,
        "chart_kind": measure.chart_kind,
        "note": measure.note,
    }
