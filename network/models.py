"""The grassroots network: departments, protection workstations and institutions."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("简称"), max_length=50)
    full_name = models.CharField(_("全称"), max_length=100)
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("责任部门")
        verbose_name_plural = _("责任部门")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Workstation(models.Model):
    """乡镇（街道）未成年人保护工作站, or the city rescue-and-protection institution."""

    class Kind(models.TextChoices):
        WORKSTATION = "workstation", _("未成年人保护工作站")
        INSTITUTION = "institution", _("未成年人救助保护机构")
        WELFARE = "welfare", _("儿童福利机构")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.WORKSTATION)
    unit = models.ForeignKey("places.Unit", verbose_name=_("所在单元"), on_delete=models.PROTECT)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("工作站与机构")
        verbose_name_plural = _("工作站与机构")
        ordering = ["unit__code", "name"]

    def __str__(self) -> str:
        return self.name


class TrainingRecord(models.Model):
    """One course attended by a child supervisor or director (the plan wants every one of them trained)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("参训人员"),
        on_delete=models.PROTECT,
        related_name="trainings",
    )
    course = models.CharField(_("培训名称"), max_length=100)
    organiser = models.CharField(_("举办单位"), max_length=100, blank=True)
    date = models.DateField(_("培训日期"), db_index=True)
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1)
    certificate_no = models.CharField(_("证书编号"), max_length=50, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("培训记录")
        verbose_name_plural = _("培训记录")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="training_positive_hours"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.course}"
