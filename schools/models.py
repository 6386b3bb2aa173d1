"""Schools; calendars, obligations and activities are added by the schools issue."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class School(models.Model):
    class Kind(models.TextChoices):
        KINDERGARTEN = "kindergarten", _("幼儿园")
        PRIMARY = "primary", _("小学")
        JUNIOR = "junior", _("初中")
        NINE_YEAR = "nine_year", _("九年一贯制学校")
        SENIOR = "senior", _("普通高中")
        VOCATIONAL = "vocational", _("中等职业学校")
        SPECIAL = "special", _("特殊教育学校")

    name = models.CharField(_("学校名称"), max_length=100, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    township = models.ForeignKey(
        "places.Unit", verbose_name=_("所在乡镇（街道）"), on_delete=models.PROTECT, related_name="schools"
    )
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("学校")
        verbose_name_plural = _("学校")
        ordering = ["township__code", "name"]

    def __str__(self) -> str:
        return self.name
