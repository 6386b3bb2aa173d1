"""The import commits through the registry's bulk path with the outcomes of the single services:
the same ledger, imported and re-imported with edits, gives the same report, registry and audit
whether the chunk goes through children_*_many or through child_register / child_update row by
row (the way the import worked before)."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.db import transaction

import ledger.services
from audit.models import AuditEvent
from ledger.testing import write_ledger
from registry.services import RegistryError, child_register, child_update
from registry.tests.test_bulk import _state

ON = dt.date(2026, 11, 29)


def _register_one_by_one(*, actor, items, batch="", on=None):
    results = []
    for data in items:
        try:
            results.append(child_register(actor=actor, data=data, batch=batch, on=on))
        except RegistryError as exc:
            results.append(exc)
    return results


def _update_one_by_one(*, actor, pairs, batch="", expected_versions=None):
    results = []
    for child, data in pairs:
        try:
            child_update(actor=actor, child=child, data=data, batch=batch)
            results.append(child)
        except RegistryError as exc:
            results.append(exc)
    return results


def _edit(source, target):
    """The same ledger a month later: new addresses and phones, a hukou moved to Tianmen, a
    child moved to another township (refused: that is a transfer), a bad phone."""
    with open(source, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[1]
    col = {h: i for i, h in enumerate(header)}
    for n, row in enumerate(rows[2:]):
        if n % 5 == 0:
            row[col["现居住地址"]] += "（新）"
        if n % 7 == 0:
            row[col["监护人联系电话"]] = f"139{n:08d}"
        if n % 11 == 0:
            row[col["户籍地区划代码"]] = "429006"
        if n % 13 == 0:
            row[col["居住乡镇（街道）"]] = "多宝镇"
            row[col["居住村（社区）"]] = ""
        if n % 17 == 0:
            row[col["监护人姓名"]] = "新监护人"
    with open(target, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _import(path, report, batch_size):
    call_command(
        "import_children",
        str(path),
        "--report",
        str(report),
        "--on",
        ON.isoformat(),
        "--quiet",
        "--batch-size",
        str(batch_size),
    )
    data = json.loads(report.read_text(encoding="utf-8"))
    return data["rows"], {
        k: v for k, v in data["summary"].items() if k in ("registered", "updated", "rejected")
    }


class _Rollback(Exception):
    pass


def _run(tmp_path, first, second, tag, batch_size):
    since = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    try:
        with transaction.atomic():
            reports = [
                _import(first, tmp_path / f"{tag}-1.json", batch_size),
                _import(second, tmp_path / f"{tag}-2.json", batch_size),
            ]
            state = _state(since)
            # The import's batch names its LedgerImport id, which PostgreSQL's sequences do not
            # give back on rollback: compare the batches by order of appearance.
            batches: dict[str, int] = {}
            state["audit"] = [(*e[:4], batches.setdefault(e[4], len(batches))) for e in state["audit"]]
            raise _Rollback
    except _Rollback:
        pass
    return reports, state


@pytest.mark.parametrize("batch_size", [1000, 7])
def test_bulk_import_matches_row_by_row_import(city, tmp_path, monkeypatch, batch_size):
    first, second = tmp_path / "ledger.csv", tmp_path / "ledger-edited.csv"
    write_ledger(first, rows=160, seed=5, bad_share=0.05, on=ON)
    _edit(first, second)
    bulk_reports, bulk_state = _run(tmp_path, first, second, "bulk", batch_size)
    monkeypatch.setattr(ledger.services, "children_register_many", _register_one_by_one)
    monkeypatch.setattr(ledger.services, "children_update_many", _update_one_by_one)
    single_reports, single_state = _run(tmp_path, first, second, "single", batch_size)

    (rows_1, summary_1), (rows_2, summary_2) = bulk_reports
    assert summary_1["registered"] > 100 and summary_1["rejected"] > 0
    assert summary_2["registered"] <= 2 and summary_2["updated"] > 100  # a fixed bad row may register
    assert any("转移" in r["reason"] for r in rows_2)
    assert any(r["outcome"] == "updated" and r["migrant_status"] == "not_migrant" for r in rows_2)
    assert bulk_reports == single_reports
    for key in single_state:
        assert bulk_state[key] == single_state[key], key
    closes = [e for e in bulk_state["audit"] if e[0] == "close"]
    assert closes and all("档案状态" in e[3] for e in closes)
