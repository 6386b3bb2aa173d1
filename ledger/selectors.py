"""Reads of the ledger app: the user's imports and the export of children as ledger rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from access.policy import children_visible, has_capability, scope_of
from ledger.models import LedgerImport, LedgerImportRow
from ledger.rows import HEADERS
from places.models import Unit
from registry.models import Child, Guardian

EXPORT_CHUNK = 2000
LEVELS = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}


def imports_visible(user) -> QuerySet:
    """The city administrator sees every import; others only their own uploads."""
    if not has_capability(user, "registry.import"):
        return LedgerImport.objects.none()
    if scope_of(user).city:
        return LedgerImport.objects.all()
    return LedgerImport.objects.filter(uploaded_by=user)


def rejected_preview(ledger_import: LedgerImport, limit: int = 50) -> list[LedgerImportRow]:
    """The first rejected rows, each with ``label``: the child's name and place as written."""
    rows = list(
        LedgerImportRow.objects.filter(ledger_import=ledger_import, outcome=LedgerImportRow.Outcome.REJECTED)
        .defer("cells")
        .order_by("number")[:limit]
    )
    headers = [ledger_import.mapping.get(name) for name in ("name", "township", "village")]
    for row in rows:
        row.label = " · ".join(str(row.shown[h]) for h in headers if h and row.shown.get(h))
    return rows


def warning_summary(ledger_import: LedgerImport, limit: int = 20) -> list[tuple[str, int]]:
    """The row warnings of an import, most frequent first (the row-specific text folded)."""
    counts: dict[str, int] = {}
    rows = LedgerImportRow.objects.filter(ledger_import=ledger_import).exclude(warnings=[])
    for warnings in rows.values_list("warnings", flat=True).iterator(chunk_size=2000):
        for warning in warnings or []:
            counts[warning] = counts.get(warning, 0) + 1
    return sorted(counts.items(), key=lambda item: -item[1])[:limit]


def children_for_export(user, *, township_id: int | None = None, include_closed: bool = False) -> QuerySet:
    queryset = children_visible(user, include_closed=include_closed)
    if township_id:
        queryset = queryset.filter(township_id=township_id)
    return queryset


def ledger_rows(queryset: QuerySet, *, full_ids: bool) -> tuple[list[str], Iterator[list[Any]]]:
    """The standard ledger's headers and one row per child, streamed in chunks.

    ID and phone numbers are masked unless ``full_ids`` (the caller has checked the
    capability and audits the export).
    """
    units = dict(Unit.objects.values_list("pk", "name"))

    def rows() -> Iterator[list[Any]]:
        last = 0
        base = queryset.order_by("pk").select_related("school")
        while True:
            chunk = list(base.filter(pk__gt=last)[:EXPORT_CHUNK])
            if not chunk:
                return
            last = chunk[-1].pk
            guardians: dict[int, Guardian] = {}
            household_ids = {c.household_id for c in chunk}
            for guardian in Guardian.objects.filter(household_id__in=household_ids).order_by(
                "-is_primary", "id"
            ):
                guardians.setdefault(guardian.household_id, guardian)
            for child in chunk:
                guardian = guardians.get(child.household_id)
                yield _row(child, guardian, units, full_ids=full_ids)

    return list(HEADERS), rows()


def _row(child: Child, guardian: Guardian | None, units: dict, *, full_ids: bool) -> list[Any]:
    def ident(full: str, masked: str) -> str:
        return (full or masked) if full_ids else masked

    residence_permit = {True: "有", False: "无"}.get(child.residence_permit, "")
    values = {
        "档案编号": child.file_no,
        "姓名": child.name,
        "性别": child.sex,
        "出生日期": child.birth_date,
        "公民身份号码": ident(child.id_number, child.id_masked),
        "民族": child.ethnicity,
        "户籍地址": child.hukou_address,
        "户籍地区划代码": child.hukou_county_id or "",
        "到达本地日期": child.arrival_date,
        "居住乡镇（街道）": units.get(child.township_id, ""),
        "居住村（社区）": units.get(child.village_id, ""),
        "现居住地址": child.address,
        "随迁情况": child.moved_with,
        "监护人姓名": guardian.name if guardian else "",
        "监护人与儿童关系": guardian.relationship if guardian else "",
        "监护人公民身份号码": ident(guardian.id_number, guardian.id_masked) if guardian else "",
        "监护人联系电话": ident(guardian.phone, guardian.phone_masked) if guardian else "",
        "就学状态": child.school_stage,
        "学校名称": child.school_name or (child.school.name if child.school_id else ""),
        "年级": child.grade,
        "健康状况": child.health,
        "残疾类别": child.disability_category,
        "残疾等级": LEVELS.get(child.disability_level, ""),
        "保障类别": "、".join(child.security or []) or "无",
        "居住证": residence_permit,
        "医保参保地": child.insurance_place,
        "住房困难": "是" if child.housing_difficulty else "否",
        "备注": child.remarks,
    }
    return [values[h] for h in HEADERS]


def planned_counts(ledger_import: LedgerImport) -> dict[str, int]:
    """How many valid rows will register a new file and how many update one."""
    from django.db.models import Count

    rows = LedgerImportRow.objects.filter(ledger_import=ledger_import, valid=True)
    return dict(rows.values_list("planned").annotate(n=Count("pk")).values_list("planned", "n"))


def committed_count(ledger_import: LedgerImport) -> int:
    """Rows of a committing import that have an outcome already (the progress shown)."""
    return LedgerImportRow.objects.filter(ledger_import=ledger_import, valid=True).exclude(outcome="").count()
