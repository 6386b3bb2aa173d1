"""The national export: active migrant children in the layout of the national child welfare
information system's registration (全国儿童福利信息系统), versioned. docs/national-export.md
describes version 1; a change of layout is a new version, never an edit of an old one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from access.policy import children_visible, has_capability
from audit.services import record
from common.excel import write_xlsx

LAYOUT_VERSION = 1

# (group, header) in the order of the national registration form.
COLUMNS: list[tuple[str, str]] = [
    ("基本信息", "档案编号"),
    ("基本信息", "姓名"),
    ("基本信息", "性别"),
    ("基本信息", "民族"),
    ("基本信息", "出生日期"),
    ("基本信息", "公民身份号码"),
    ("基本信息", "户籍地区划代码"),
    ("基本信息", "户籍地址"),
    ("基本信息", "居住地区划代码"),
    ("基本信息", "居住乡镇（街道）"),
    ("基本信息", "居住村（社区）"),
    ("基本信息", "现居住地址"),
    ("基本信息", "到达居住地日期"),
    ("监护情况", "随迁情况"),
    ("监护情况", "监护人姓名"),
    ("监护情况", "监护人与儿童关系"),
    ("监护情况", "监护人公民身份号码"),
    ("监护情况", "监护人联系电话"),
    ("就学情况", "就学状态"),
    ("就学情况", "学校名称"),
    ("就学情况", "年级"),
    ("健康及残疾", "健康状况"),
    ("健康及残疾", "残疾类别"),
    ("健康及残疾", "残疾等级"),
    ("健康及残疾", "预防接种"),
    ("生活保障", "保障类别"),
    ("生活保障", "居住证"),
    ("生活保障", "医保参保地"),
    ("生活保障", "住房困难"),
    ("系统信息", "认定为流动儿童日期"),
    ("系统信息", "最近核实日期"),
    ("系统信息", "数据格式版本"),
]
HEADERS = [header for _group, header in COLUMNS]


def _rows(queryset) -> Iterator[list[Any]]:
    from exchange.models import HealthRecord
    from registry.models import Guardian

    last = 0
    while True:
        chunk = list(
            queryset.filter(pk__gt=last).order_by("pk").select_related("township", "village", "school")[:2000]
        )
        if not chunk:
            return
        last = chunk[-1].pk
        guardians: dict[int, Guardian] = {}
        for g in Guardian.objects.filter(household_id__in={c.household_id for c in chunk}).order_by(
            "household_id", "-is_primary", "id"
        ):
            guardians.setdefault(g.household_id, g)
        vaccination: dict[int, str] = {}
        for child_id, text in (
            HealthRecord.objects.filter(child_id__in=[c.pk for c in chunk])
            .order_by("child_id", "-managed_on", "-id")
            .values_list("child_id", "vaccination")
        ):
            vaccination.setdefault(child_id, text)
        for c in chunk:
            g = guardians.get(c.household_id)
            yield [
                c.file_no, c.name, c.sex, c.ethnicity, c.birth_date, c.id_number, c.hukou_county_id or "",
                c.hukou_address, c.village.code if c.village_id else c.township.code, c.township.name,
                c.village.name if c.village_id else "", c.address, c.arrival_date,
                c.moved_with, g.name if g else "", g.relationship if g else "", g.id_number if g else "",
                g.phone if g else "",
                c.school_stage, c.school_name or (c.school.name if c.school_id else ""), c.grade,
                c.health, c.disability_category,
                f"{'一二三四'[c.disability_level - 1]}级" if c.disability_level else "",
                vaccination.get(c.pk, ""),
                "、".join(c.security or []) or "无",
                {True: "有", False: "无"}.get(c.residence_permit, ""),
                c.insurance_place, "是" if c.housing_difficulty else "否",
                c.migrant_from, c.last_verified_on, LAYOUT_VERSION,
            ]  # fmt: skip


def active_migrants(user):
    return children_visible(user).filter(closed_at__isnull=True, migrant_status="migrant")


@transaction.atomic
def national_export(*, actor, target) -> int:
    """Write the export to ``target`` (a file object or path); returns the number of children.
    Only for roles with exchange.national_export (ID numbers in full), audited."""
    if not has_capability(actor, "exchange.national_export"):
        raise PermissionError("无权导出全国系统数据")
    queryset = active_migrants(actor)
    count = queryset.count()
    write_xlsx(target, [(f"流动儿童登记（格式第{LAYOUT_VERSION}版）", HEADERS, _rows(queryset))])
    record(
        actor=actor,
        action="export",
        object_type="exchange.national_export",
        object_id=f"v{LAYOUT_VERSION}",
        summary=f"导出全国儿童福利信息系统登记数据（格式第{LAYOUT_VERSION}版）：{count} 名儿童，含完整证件号",
        changes={"count": count, "layout_version": LAYOUT_VERSION, "on": timezone.localdate().isoformat()},
    )
    return count
