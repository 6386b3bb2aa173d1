"""Maintained summary tables behind the dashboard.

Why summary tables and not GROUP BY on ``registry.Child`` at request time: at 1,000,000
children a scan per measure (sex, school stage and age are not indexed together with the
township) takes about a second on SQLite, and the dashboard has a dozen of them. The
daily task (``stats.tasks.refresh_daily`` / ``manage.py stats_refresh``), the end of an
import and the "立即更新" button rebuild the rows of a township with a few GROUP BY
queries; the page then reads some hundred rows and shows "数据更新于 HH:MM".

Only counts live here — never a child id, name or number.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChildAggregate(models.Model):
    """Open files per township × village × sex × age group × school stage × status."""

    on = models.DateField(_("统计基准日"))
    township = models.ForeignKey("places.Unit", on_delete=models.CASCADE, related_name="+")
    village = models.ForeignKey("places.Unit", on_delete=models.CASCADE, related_name="+", null=True)
    sex = models.CharField(_("性别"), max_length=1, blank=True)
    age_group = models.CharField(_("年龄组"), max_length=8)
    school_stage = models.CharField(_("就学状态"), max_length=10, blank=True)
    migrant_status = models.CharField(_("认定状态"), max_length=12)
    pending_verification = models.BooleanField(_("待核实"), default=False)
    count = models.PositiveIntegerField(_("人数"))

    class Meta:
        verbose_name = _("儿童汇总")
        verbose_name_plural = _("儿童汇总")
        indexes = [models.Index(fields=["township", "migrant_status"], name="stats_agg_township_status")]


class OriginAggregate(models.Model):
    """Open migrant files per township × hukou county (origin)."""

    on = models.DateField(_("统计基准日"))
    township = models.ForeignKey("places.Unit", on_delete=models.CASCADE, related_name="+")
    hukou_county = models.ForeignKey("places.County", on_delete=models.CASCADE, related_name="+", null=True)
    count = models.PositiveIntegerField(_("人数"))

    class Meta:
        verbose_name = _("户籍地汇总")
        verbose_name_plural = _("户籍地汇总")
        indexes = [models.Index(fields=["township"], name="stats_origin_township")]


class AggregateRefresh(models.Model):
    """When a township's summary rows were last rebuilt."""

    township = models.OneToOneField("places.Unit", on_delete=models.CASCADE, related_name="+")
    on = models.DateField(_("统计基准日"))
    refreshed_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("汇总更新记录")
        verbose_name_plural = _("汇总更新记录")


class TownshipSnapshot(models.Model):
    """The number of migrant children of a township on a day (the trend line's points).

    The daily task writes today's row; months before the system existed are filled once
    from the files' dates (``reconstructed``), so the page never scans the children.
    """

    day = models.DateField(_("日期"))
    township = models.ForeignKey("places.Unit", on_delete=models.CASCADE, related_name="+")
    migrant_count = models.PositiveIntegerField(_("流动儿童数"))
    pending_count = models.PositiveIntegerField(_("待满6个月人数"), default=0)
    reconstructed = models.BooleanField(_("按档案日期推算"), default=False)

    class Meta:
        verbose_name = _("乡镇每日快照")
        verbose_name_plural = _("乡镇每日快照")
        constraints = [models.UniqueConstraint(fields=["day", "township"], name="stats_snapshot_unique")]
        indexes = [models.Index(fields=["township", "day"], name="stats_snapshot_township_day")]


class MeasureCache(models.Model):
    """A computed measure kept for the day (the slow ones: compliance over every child's visits,
    entitlements of every child). Valid while no summary of its townships was rebuilt since."""

    name = models.CharField(_("指标"), max_length=40)
    scope_key = models.CharField(_("统计范围"), max_length=250)
    period_start = models.DateField(_("统计期开始"))
    period_end = models.DateField(_("统计期结束"))
    on = models.DateField(_("统计基准日"))
    computed_at = models.DateTimeField(_("计算时间"))
    payload = models.JSONField(_("结果"))

    class Meta:
        verbose_name = _("指标缓存")
        verbose_name_plural = _("指标缓存")
        constraints = [
            models.UniqueConstraint(
                fields=["name", "scope_key", "period_start", "period_end", "on"], name="stats_cache_unique"
            )
        ]


class EntitlementAggregate(models.Model):
    """Entitlements of open files per township × service number × status, for the list in force."""

    on = models.DateField(_("统计基准日"))
    township = models.ForeignKey("places.Unit", on_delete=models.CASCADE, related_name="+")
    version_id = models.PositiveIntegerField(_("服务清单版本"))
    no = models.PositiveSmallIntegerField(_("服务序号"))
    status = models.CharField(_("状态"), max_length=16)
    count = models.PositiveIntegerField(_("人数"))

    class Meta:
        verbose_name = _("服务享有汇总")
        verbose_name_plural = _("服务享有汇总")
        indexes = [models.Index(fields=["township"], name="stats_entitlement_township")]
