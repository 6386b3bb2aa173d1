"""Measures of the work done: key attention, visits, census, referrals, services, schools, training.

Each reads another app's models, imported inside the function so that this module loads
even where that app is missing; ``installed(...)`` tells the catalogue whether to offer the
measure at all. Counts only, grouped in SQL.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module

from django.apps import apps
from django.db.models import Count, Q, Sum
from django.utils import timezone

from stats.measure import Measure, Period, StatsScope, default_period, pct, small_cell, unit_names


def installed(model: str, function: str = "") -> bool:
    """Whether ``app.Model`` is installed (and ``module:function`` exists, when named)."""
    try:
        apps.get_model(model)
    except (LookupError, ValueError):
        return False
    if function:
        module_name, _sep, name = function.partition(":")
        try:
            return hasattr(import_module(module_name), name)
        except ImportError:
            return False
    return True


def _by_child_township(qs, scope: StatsScope, prefix: str = "child__"):
    if scope.townships is not None:
        qs = qs.filter(**{f"{prefix}township_id__in": scope.townships})
    return qs


# ---------------------------------------------------------------- key attention


def measure_key_attention(*, scope: StatsScope, on: dt.date, period: Period | None = None) -> Measure:
    from care.models import RiskCategory, RiskFlag

    flags = _by_child_township(
        RiskFlag.objects.filter(status=RiskFlag.Status.ACTIVE, child__closed_at__isnull=True), scope
    )
    by_category = {
        r["category_id"]: r["n"]
        for r in flags.values("category_id").annotate(n=Count("child_id", distinct=True)).order_by()
    }
    unconfirmed = {
        r["category_id"]: r["n"]
        for r in flags.filter(approved_by__isnull=True)
        .values("category_id")
        .annotate(n=Count("child_id", distinct=True))
        .order_by()
    }
    children = flags.values("child_id").distinct().count()
    unconfirmed_children = flags.filter(approved_by__isnull=True).values("child_id").distinct().count()
    rows = []
    for category in RiskCategory.objects.order_by("order", "code"):
        n = by_category.get(category.pk, 0)
        if n or (category.active and category.effective_from <= on):
            rows.append([category.name, n, unconfirmed.get(category.pk, 0)])
    return Measure(
        name="key_attention",
        title="重点关注儿童（按风险类别）",
        columns=["风险类别", "儿童数", "其中待确认"],
        rows=rows,
        chart_kind="hbar",
        count_columns=(1, 2),
        total=["重点关注儿童（不重复）", children, unconfirmed_children],
        note="有效风险标记的在档儿童；一名儿童可属多个类别，合计为不重复人数。",
    )


def card_key_attention(measure: Measure) -> tuple:
    return small_cell(measure.total[1]), "有效风险标记的在档儿童", "danger"


# ---------------------------------------------------------------- visits and contacts


def _compliance_rows(scope: StatsScope, periods: list[Period]):
    """The care rows of each period (one grouped pass for all), kept to the scope's units."""
    from care.selectors import compliance_periods

    by = "village" if scope.single_township is not None else "township"
    found = compliance_periods(scope.user, [(p.start, p.end) for p in periods], by=by)
    if scope.townships is None:
        return [found[(p.start, p.end)] for p in periods], by
    from places.models import Unit

    if by == "township":
        allowed = set(scope.townships)
    else:
        allowed = set(Unit.objects.filter(parent_id__in=scope.townships).values_list("pk", flat=True))
    return [[r for r in found[(p.start, p.end)] if r.key in allowed] for p in periods], by


def measure_compliance(*, scope: StatsScope, on: dt.date, period: Period | None = None) -> Measure:
    period = period or default_period(on)
    return measure_compliance_periods(scope=scope, on=on, periods=[period])[0]


def measure_compliance_periods(*, scope: StatsScope, on: dt.date, periods: list[Period]) -> list[Measure]:
    """``measure_compliance`` of several periods, the care rows read in one pass (the nightly warm-up)."""
    found, by = _compliance_rows(scope, periods)
    return [_compliance_measure(rows_, by, period) for rows_, period in zip(found, periods, strict=True)]


def _compliance_measure(rows_, by: str, period: Period) -> Measure:
    rows = [
        [
            r.label,
            r.visit_due,
            r.visit_done,
            pct(r.visit_done, r.visit_due),
            r.contact_due,
            r.contact_done,
            pct(r.contact_done, r.contact_due),
        ]
        for r in rows_
    ]
    rows.sort(key=lambda row: (row[3] if row[3] is not None else 101, row[0]))  # the lowest first
    totals = [sum(r[i] for r in rows) for i in (1, 2, 4, 5)]
    total = [
        "合计",
        totals[0],
        totals[1],
        pct(totals[1], totals[0]),
        totals[2],
        totals[3],
        pct(totals[3], totals[2]),
    ]
    return Measure(
        name="compliance",
        title="走访与联系按期完成情况",
        columns=[
            "村（社区）" if by == "village" else "乡镇（街道）",
            "应走访",
            "已走访",
            "走访率（%）",
            "应联系（重点关注）",
            "已联系",
            "联系率（%）",
        ],
        rows=rows,
        chart_kind="hbar",
        count_columns=(1, 2, 4, 5),
        rate_columns={3: (1, 2), 6: (4, 5)},
        chart_columns=(3, 6),
        total=total,
        note=(
            f"统计期 {period.label}：统计期开始前已负有走访（联系）责任的儿童中，统计期内至少走访（联系）一次的比例。"
            "按走访率从低到高排列。按走访周期统计时，请把统计期设为一个季度（联系为一个月）。"
        ),
    )


def quarter_to_date(on: dt.date) -> Period:
    return Period(start=dt.date(on.year, 3 * ((on.month - 1) // 3) + 1, 1), end=on)


def card_compliance(measure: Measure) -> tuple:
    _label, due, done, *_rest = measure.total
    value = f"{pct(done, due)}%" if due >= 5 else "—"  # a rate of fewer than five children singles one out
    return value, "本季度走访完成率", "success"


# ---------------------------------------------------------------- census


def measure_census(*, scope: StatsScope, on: dt.date, period: Period | None = None) -> Measure:
    from registry.models import CensusRound, CensusTask

    census = (
        CensusRound.objects.filter(status=CensusRound.Status.OPEN).order_by("-id").first()
        or CensusRound.objects.order_by("-period_start", "-id").first()
    )
    if census is None:
        return Measure(
            name="census",
            title="摸排进度",
            columns=["乡镇（街道）", "任务数", "已核实", "待核实", "完成率（%）"],
            rows=[],
            chart_kind="table",
            count_columns=(1, 2, 3),
            note="尚未开展摸排。",
        )
    tasks = _by_child_township(CensusTask.objects.filter(round=census), scope)
    single = scope.single_township
    key = "child__village_id" if single is not None else "child__township_id"
    grouped = (
        tasks.values(key)
        .annotate(total=Count("id"), pending=Count("id", filter=Q(status=CensusTask.Status.PENDING)))
        .order_by()
    )
    names = unit_names([r[key] for r in grouped])
    rows = []
    for r in grouped:
        done = r["total"] - r["pending"]
        rows.append(
            [names.get(r[key], "未填写村（社区）"), r["total"], done, r["pending"], pct(done, r["total"])]
        )
    rows.sort(key=lambda row: (row[4] if row[4] is not None else 101, row[0]))
    totals = [sum(row[i] for row in rows) for i in (1, 2, 3)]
    overdue = on > census.deadline and totals[2] > 0
    return Measure(
        name="census",
        title=f"摸排进度：{census.name}",
        columns=[
            "村（社区）" if single is not None else "乡镇（街道）",
            "任务数",
            "已核实",
            "待核实",
            "完成率（%）",
        ],
        rows=rows,
        chart_kind="hbar",
        count_columns=(1, 2, 3),
        rate_columns={4: (1, 2, 3)},
        chart_columns=(4,),
        total=["合计", *totals, pct(totals[1], totals[0])],
        note=(
            f"{census.period_start.isoformat()} 至 {census.period_end.isoformat()}，完成期限 {census.deadline.isoformat()}"
            + ("；已过期限，仍有待核实任务。" if overdue else "。")
            + "按完成率从低到高排列。"
        ),
    )


# ---------------------------------------------------------------- referrals


def _referrals(scope: StatsScope):
    from servicelist.models import Referral

    qs = Referral.objects.all()
    if scope.has_area:
        return _by_child_township(qs, scope)
    return qs.filter(department_id__in=scope.department_ids)


ONE_DAY = dt.timedelta(days=1)


def _day_start(day: dt.date) -> dt.datetime:
    """The first instant of ``day`` in the current time zone (what ``__date`` compares in)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def measure_referrals(*, scope: StatsScope, on: dt.date, period: Period | None = None) -> Measure:
    from servicelist.models import Referral

    period = period or default_period(on)
    # The local days as a range of instants: sent_at__date would convert every row's time
    # (on SQLite in a Python function called per row).
    sent = _referrals(scope).filter(
        sent_at__gte=_day_start(period.start), sent_at__lt=_day_start(period.end + ONE_DAY)
    )
    statuses = list(Referral.Status)
    grouped: dict[int, dict[str, int]] = {}
    for r in sent.values("department_id", "status").annotate(n=Count("id")).order_by():
        grouped.setdefault(r["department_id"], {})[r["status"]] = r["n"]
    overdue = {
        r["department_id"]: r["n"]
        for r in _referrals(scope)
        .filter(status__in=Referral.OPEN_STATUSES, deadline__lt=on)
        .values("department_id")
        .annotate(n=Count("id"))
        .order_by()
    }
    from network.models import Department

    names = dict(Department.objects.filter(pk__in=set(grouped) | set(overdue)).values_list("pk", "name"))
    rows = []
    for department_id in sorted(set(grouped) | set(overdue), key=lambda pk: names.get(pk, "")):
        counts = grouped.get(department_id, {})
        row = [names.get(department_id, "")] + [counts.get(s.value, 0) for s in statuses]
        row += [sum(counts.values()), overdue.get(department_id, 0)]
        rows.append(row)
    width = len(statuses) + 2
    total = ["合计"] + [sum(row[i] for row in rows) for i in range(1, width + 1)]
    return Measure(
        name="referrals",
        title="转介办理情况（按部门）",
        columns=["接收部门", *[str(s.label) for s in statuses], "期内转介合计", "当前逾期未办结"],
        rows=rows,
        chart_kind="stacked",
        count_columns=tuple(range(1, width + 1)),
        chart_columns=tuple(range(1, len(statuses) + 1)),
        total=total,
        note=(
            f"按状态统计统计期内（{period.label}）发出的转介；逾期为现在仍未办结且已过办理期限的转介（不限发出日期）。"
        ),
    )


# ---------------------------------------------------------------- entitlements


def measure_entitlements(*, scope: StatsScope, on: dt.date, period: Period | None = None) -> Measure:
    """From the summary (stats.EntitlementAggregate): every child's entitlements are millions of rows."""
    from servicelist.models import Entitlement, ServiceListVersion
    from stats.models import EntitlementAggregate

    columns = ["服务项目", "应享人数", "正在享受", "已转介", "家庭放弃", "未开展（缺口）", "覆盖率（%）"]
    qs = EntitlementAggregate.objects.exclude(status=Entitlement.Status.NOT_APPLICABLE)
    if scope.townships is not None:
        qs = qs.filter(township_id__in=scope.townships)
    version_id = qs.order_by("-version_id").values_list("version_id", flat=True).first()
    version = ServiceListVersion.objects.filter(pk=version_id).first() if version_id else None
    if version is None:
        return Measure(
            name="entitlements",
            title="基本服务覆盖缺口（按服务项目）",
            columns=columns,
            rows=[],
            chart_kind="table",
            count_columns=(1, 2, 3, 4, 5),
            note="暂无服务享有数据（没有生效的基本服务清单，或尚未汇总）。",
        )
    grouped: dict[int, dict[str, int]] = {}
    for r in qs.filter(version_id=version.pk).values("no", "status").annotate(n=Sum("count")).order_by():
        grouped.setdefault(r["no"], {})[r["status"]] = r["n"]
    names = dict(version.services.values_list("no", "name"))
    rows = []
    S = Entitlement.Status
    for no in sorted(grouped):
        c = grouped[no]
        entitled = sum(c.values())
        rows.append(
            [
                f"{no}. {names.get(no, '')}",
                entitled,
                c.get(S.RECEIVING, 0),
                c.get(S.REFERRED, 0),
                c.get(S.DECLINED, 0),
                c.get(S.NOT_STARTED, 0),
                pct(c.get(S.RECEIVING, 0), entitled),
            ]
        )
    rows.sort(key=lambda row: (-row[5], row[0]))
    totals = [sum(row[i] for row in rows) for i in range(1, 6)]
    return Measure(
        name="entitlements",
        title="基本服务覆盖缺口（按服务项目）",
        columns=columns,
        rows=rows,
        chart_kind="hbar",
        count_columns=(1, 2, 3, 4, 5),
        rate_columns={6: (1, 2)},
        chart_columns=(5,),
        total=["合计（人次）", *totals, pct(totals[1], totals[0])],
        note=f"按{version}，在档的流动儿童和待满6个月儿童；按缺口从多到少排列。",
    )


# ---------------------------------------------------------------- schools


def measure_school_obligations(*, scope: StatsScope, on: dt.date, period: Period | None = None) -> Measure:
    from schools.compliance import SEMESTER, Tally, picture
    from schools.models import School

    schools = School.objects.filter(active=True)
    if scope.townships is not None:
        schools = schools.filter(township_id__in=scope.townships)
    result = picture(schools, on=on, span=SEMESTER)
    tallies: dict[str, Tally] = {o.code: Tally() for o in result.obligations}
    for line in result.lines:
        tallies[line.obligation.code].add(line)
    rows = []
    for obligation in result.obligations:
        t = tallies[obligation.code]
        # The rate reads off the row's own counts (schools × periods begun); a duty owed to
        # each pupil (家访, 心理测评) adds the share of its pupils reached beside it.
        rate = pct(t.done, t.begun)
        pupils = pct(t.pupils_done, t.pupils_required)
        rows.append([obligation.name, t.lines, t.done, t.due, t.overdue, t.upcoming, rate, pupils])
    return Measure(
        name="school_obligations",
        title="学校工作要求完成情况（本学期）",
        columns=[
            "工作要求",
            "应完成（校次）",
            "已完成（校次）",
            "待完成",
            "逾期未完成",
            "未开始",
            "完成率（%）",
            "学生完成比例（%）",
        ],
        rows=rows,
        chart_kind="hbar",
        count_columns=(),  # counts of schools' duties, not of children
        chart_columns=(6,),
        note=(
            "有流动儿童在读的学校；完成率为已开始的校次中已完成的比例。"
            "家访、心理测评要求每名流动学生都完成：一所学校全部完成才算该校完成，"
            "学生完成比例为已完成的学生占应完成学生的比例。"
            + (f"{len(result.without_calendar)} 所学校未设校历，未计入。" if result.without_calendar else "")
        ),
    )


# ---------------------------------------------------------------- training


def measure_training(*, scope: StatsScope, on: dt.date, period: Period | None = None) -> Measure:
    from accounts.models import Assignment
    from accounts.roles import Role
    from network.models import TrainingRecord

    period = period or default_period(on)
    staff = Assignment.objects.filter(
        active=True, role__in=[Role.SUPERVISOR, Role.DIRECTOR], user__is_active=True
    )
    if scope.townships is not None:
        staff = staff.filter(
            Q(role=Role.SUPERVISOR, unit_id__in=scope.townships)
            | Q(role=Role.DIRECTOR, unit__parent_id__in=scope.townships)
        )
    trained = TrainingRecord.objects.filter(date__gte=period.start, date__lte=period.end).values("user_id")
    rows = []
    for role in (Role.SUPERVISOR, Role.DIRECTOR):
        people = staff.filter(role=role).values("user_id").distinct()
        total = people.count()
        done = people.filter(user_id__in=trained).count()
        rows.append([str(role.label), total, done, total - done, pct(done, total)])
    totals = [sum(r[i] for r in rows) for i in (1, 2, 3)]
    return Measure(
        name="training",
        title="儿童督导员、儿童主任培训覆盖",
        columns=["人员", "在岗人数", "期内参加培训", "未参加培训", "覆盖率（%）"],
        rows=rows,
        chart_kind="bar",
        count_columns=(),  # counts of staff, not of children
        chart_columns=(4,),
        total=["合计", *totals, pct(totals[1], totals[0])],
        note=f"统计期 {period.label} 内至少有一条培训记录的在岗人员。",
    )
