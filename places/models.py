"""Places: hukou counties of all China (GB/T 2260) and Tianmen's own units."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# GB/T 2260's prefecture-level placeholders: the county sits directly under the province.
NO_PREFECTURE = frozenset({"市辖区", "县", "省直辖县级行政单位", "自治区直辖县级行政单位", "省直辖行政单位"})


def county_full_name(province: str, prefecture: str, name: str) -> str:
    """See ``County.full_name``; for rows read as values (statistics)."""
    prefecture = "" if prefecture in NO_PREFECTURE else prefecture or ""
    return f"{province}{prefecture}{name.split(',')[-1]}"


class County(models.Model):
    """A county-level code of GB/T 2260, current or historical (a hukou place)."""

    code = models.CharField(_("区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=200, help_text=_("历史名称以逗号分隔，最新的在最后"))
    province_code = models.CharField(_("省级代码"), max_length=2, db_index=True)
    province_name = models.CharField(_("省份"), max_length=50)
    prefecture_name = models.CharField(_("地市"), max_length=100, blank=True)
    current = models.BooleanField(_("现行代码"), default=True)

    class Meta:
        verbose_name = _("户籍县（区）")
        verbose_name_plural = _("户籍县（区）")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.full_name}（{self.code}）"

    @property
    def current_name(self) -> str:
        return self.name.split(",")[-1]

    @property
    def full_name(self) -> str:
        """Province, prefecture and county as people write a place: 广东省广州市天河区,
        北京市东城区, 湖北省天门市 (GB/T 2260's placeholders for 'no prefecture' left out)."""
        return county_full_name(self.province_name, self.prefecture_name, self.name)


class Unit(models.Model):
    """An administrative unit of the deployment: city > township > village/community."""

    class Level(models.TextChoices):
        CITY = "city", _("市")
        TOWNSHIP = "township", _("乡镇（街道）")
        VILLAGE = "village", _("村（社区）")

    class Kind(models.TextChoices):
        CITY = "city", _("市")
        STREET = "street", _("街道")
        TOWN = "town", _("镇")
        XIANG = "xiang", _("乡")
        FARM = "farm", _("农场")
        ZONE = "zone", _("管委会")
        VILLAGE = "village", _("村")
        COMMUNITY = "community", _("社区")

    code = models.CharField(_("代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices, db_index=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    former_names = models.JSONField(_("曾用名及常见写法"), default=list, blank=True)
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("行政单元")
        verbose_name_plural = _("行政单元")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unit_unique_name_under_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def township_id(self) -> int | None:
        """The township a unit belongs to (itself for a township)."""
        if self.level == self.Level.TOWNSHIP:
            return self.pk
        if self.level == self.Level.VILLAGE:
            return self.parent_id
        return None
