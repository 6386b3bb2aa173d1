"""Writes of the ledger app: staged imports (upload → preview → commit) and the one-pass import
of the command line. Every child is registered or updated through the registry's bulk services
(``children_register_many`` / ``children_update_many``: the rules and outcomes of
``child_register`` / ``child_update``, a fixed number of queries per chunk) with the import's
audit batch; valid rows are committed in one transaction per chunk of rows."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from access.policy import children_visible, has_capability, scope_of
from audit.services import record
from common.inserts import analyze, insert_many, update_many
from common.tabular import Table, TableError, TableRow, open_table
from ledger.models import LedgerImport, LedgerImportRow
from ledger.rows import FIELDS, PlaceIndex, RowResult, parse_row, text
from registry import identity
from registry.bulk import BATCH_TABLES, children_register_many, children_update_many
from registry.models import Child
from registry.services import DuplicateChild, RegistryError

CHUNK = 1000
#: The tables an import reads by the chunk's ids (PostgreSQL statistics, ``analyze``).
IMPORT_TABLES = (
    *BATCH_TABLES,
    "ledger.LedgerImportRow",
)
logger = logging.getLogger(__name__)
SYSTEM_USERNAME = "system_import"
_SENSITIVE_FIELDS = ("id_number", "guardian_id_number", "guardian_phone")

OUT_OF_SCOPE_TOWNSHIP = (
    "该行的居住乡镇（街道）不在您的管辖范围内，本行未导入；请由该乡镇（街道）的督导员或市级管理员导入"
)
OUT_OF_SCOPE_CHILD = (
    "该身份证号的儿童已在其他乡镇（街道）建档，本行未导入；如该儿童已迁入，请联系原乡镇（街道）督导员办理转移"
)


class ImportRefused(ValueError):
    """The file or the request cannot be imported; ``str(exc)`` is a Chinese message."""


@dataclass
class RowOutcome:
    number: int
    outcome: str  # registered / updated / rejected
    id_number: str
    file_no: str | None = None
    migrant_status: str | None = None
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    child_id: int | None = None

    def as_report(self) -> dict:
        return {
            "row": self.number,
            "outcome": self.outcome,
            "file_no": self.file_no,
            "id_number": self.id_number,
            "migrant_status": self.migrant_status,
            "reason": self.reason,
        }


@dataclass
class _Checked:
    number: int
    values: dict[str, Any]
    extras: dict[str, Any]
    result: RowResult
    id_hash: str
    errors: list[str]


def system_user():
    """The actor of command-line imports (no password: it cannot log in)."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": True, "first_name": "台账导入（命令行）"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def _pack(values: dict, extras: dict) -> str:
    return json.dumps(
        {
            "v": {k: _json_value(v) for k, v in values.items() if v is not None},
            "x": {k: _json_value(v) for k, v in extras.items()},
        },
        ensure_ascii=False,
    )


def _unpack(packed: str) -> tuple[dict, dict]:
    data = json.loads(packed or "{}")
    values = {f.name: None for f in FIELDS}
    values.update(data.get("v", {}))
    return values, data.get("x", {})


def _masked(value: Any) -> str:
    from common.idnumber import mask_text

    return mask_text(text(value))


def _shown(table_mapping: dict[str, str], values: dict, extras: dict) -> dict[str, str]:
    """A row for the preview: headers as in the file, ID and phone numbers masked."""
    shown: dict[str, str] = {}
    for name, header in table_mapping.items():
        value = values.get(name)
        if value is None:
            continue
        shown[header] = _masked(value)
    for header, value in extras.items():
        if value is not None:
            shown[header] = _masked(value)
    return shown


class _Run:
    """The rules shared by the staged import and the command: check, look up, commit."""

    def __init__(self, *, actor, ledger_import: LedgerImport, trusted: bool = False) -> None:
        self.actor = actor
        self.ledger_import = ledger_import
        self.on = ledger_import.on
        self.places = PlaceIndex.load()
        scope = scope_of(actor)
        self.city = trusted or scope.city
        self.township_ids = scope.township_ids
        self.seen: dict[str, int] = {}
        self.touched: set[int] = set()  # townships whose children changed (for the statistics)

    def check(self, number: int, values: dict, extras: dict) -> _Checked:
        result = parse_row(values, on=self.on, places=self.places, extras=extras)
        errors = list(result.errors)
        id_hash = identity.id_hash(result.id_number) if result.data is not None else ""
        if result.data is not None and not self.city and result.township_id not in self.township_ids:
            errors.append(OUT_OF_SCOPE_TOWNSHIP)
        if id_hash:
            first = self.seen.get(id_hash)
            if first is not None:
                errors.append(
                    f"与本表第 {first} 行的公民身份号码相同（同一儿童重复填写），本行未导入；请合并为一行后再导入"
                )
            elif not errors:
                self.seen[id_hash] = number
        return _Checked(number, values, extras, result, id_hash if not errors else "", errors)

    def existing(self, items: Iterable[_Checked]) -> dict[str, tuple[int, bool]]:
        """id_hash -> (child pk, within the importer's scope), one query per chunk."""
        hashes = [c.id_hash for c in items if c.id_hash]
        if not hashes:
            return {}
        found = dict(Child.objects.filter(id_hash__in=hashes).values_list("id_hash", "pk"))
        if self.city:
            return {h: (pk, True) for h, pk in found.items()}
        visible = set(children_visible(self.actor).filter(id_hash__in=hashes).values_list("pk", flat=True))
        return {h: (pk, pk in visible) for h, pk in found.items()}

    def plan(self, chunk: list[_Checked]) -> dict[str, tuple[int, bool]]:
        """Reject rows of children filed out of scope; mark the others register or update."""
        existing = self.existing(chunk)
        for item in chunk:
            hit = existing.get(item.id_hash)
            if hit is not None and not hit[1]:
                item.errors.append(OUT_OF_SCOPE_CHILD)
                item.id_hash = ""
        return existing

    def commit(self, chunk: list[_Checked]) -> list[RowOutcome]:
        """Register or update the valid rows of a chunk in one transaction, through the registry's
        bulk path (the outcomes of child_update / child_register applied row by row)."""
        outcomes: list[RowOutcome] = []
        registering: list[tuple[_Checked, RowOutcome]] = []
        updating: list[tuple[_Checked, RowOutcome, int]] = []
        with transaction.atomic():
            existing = self.plan(chunk)
            for item in chunk:
                outcome = RowOutcome(
                    item.number, "rejected", item.result.id_number, warnings=item.result.warnings
                )
                outcomes.append(outcome)
                if item.errors:
                    outcome.reason = "；".join(item.errors)
                    continue
                hit = existing.get(item.id_hash)
                if hit is None:
                    registering.append((item, outcome))
                else:
                    updating.append((item, outcome, hit[0]))
            updated = children_update_many(
                actor=self.actor,
                pairs=[(Child(pk=pk), item.result.data) for item, _outcome, pk in updating],
                batch=self.ledger_import.batch,
            )
            for (_item, outcome, _pk), result in zip(updating, updated, strict=True):
                self._settle(outcome, result, "updated")
            registered = children_register_many(
                actor=self.actor,
                items=[item.result.data for item, _outcome in registering],
                batch=self.ledger_import.batch,
                on=self.on,
            )
            for (_item, outcome), result in zip(registering, registered, strict=True):
                self._settle(outcome, result, "registered")
        return outcomes

    def _settle(self, outcome: RowOutcome, result: Child | RegistryError, done: str) -> None:
        if isinstance(result, DuplicateChild):
            outcome.reason = OUT_OF_SCOPE_CHILD if not self.city else "该身份证号已有儿童档案，本行未导入"
            return
        if isinstance(result, RegistryError):
            outcome.reason = str(result)
            return
        child = result
        outcome.outcome = done
        self.touched.add(child.township_id)
        outcome.file_no = child.file_no
        outcome.migrant_status = str(child.migrant_status)
        outcome.child_id = child.pk
        outcome.reason = "" if outcome.migrant_status == "migrant" else child.status_reason


def _chunks(rows: Iterator[TableRow], size: int) -> Iterator[list[TableRow]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _sha256(source: str | Path | BinaryIO) -> str:
    digest = hashlib.sha256()
    if isinstance(source, str | Path):
        try:
            with open(source, "rb") as handle:
                while block := handle.read(1024 * 1024):
                    digest.update(block)
        except OSError:
            return ""
        return digest.hexdigest()
    try:
        source.seek(0)
        while block := source.read(1024 * 1024):
            digest.update(block)
        source.seek(0)
    except (OSError, AttributeError, ValueError):
        return ""
    return digest.hexdigest()


def _open(source, *, filename: str, columns: dict | None) -> Table:
    try:
        return open_table(
            source, filename=filename, fields=FIELDS, columns=columns, max_bytes=settings.IMPORT_MAX_BYTES
        )
    except TableError as exc:
        raise ImportRefused(str(exc)) from exc


def _headers(table: Table) -> list[str]:
    mapped = [table.mapping[f.name] for f in FIELDS if f.name in table.mapping]
    return mapped + [h for h in table.unmapped_headers if h not in mapped]


def _import_scope(actor):
    scope = scope_of(actor)
    if scope.city or len(scope.township_ids) != 1:
        return None
    from places.models import Unit

    return Unit.objects.get(pk=next(iter(scope.township_ids)))


# ---------------------------------------------------------------------------
# Staged import (the web pages)


def ledger_upload(
    *,
    actor,
    file: BinaryIO,
    filename: str,
    columns: dict | None = None,
    on: dt.date | None = None,
) -> LedgerImport:
    """Read every row, store it (encrypted) with its problems and the planned outcome.

    Raises ImportRefused for a file that cannot be read. Nothing is registered yet.
    """
    if not has_capability(actor, "registry.import"):
        raise PermissionDenied("您的角色无权导入台账")
    digest = _sha256(file)
    table = _open(file, filename=filename, columns=columns)
    ledger_import = LedgerImport.objects.create(
        file_name=(filename or "台账")[:200],
        sha256=digest,
        uploaded_by=actor,
        township=_import_scope(actor),
        source="web",
        on=on or timezone.localdate(),
        mapping=table.mapping,
    )
    run = _Run(actor=actor, ledger_import=ledger_import)
    total = valid = 0
    try:
        with table:
            for chunk in _chunks(table.rows(), CHUNK):
                checked = [run.check(r.number, r.values, r.extras) for r in chunk]
                existing = run.plan(checked)
                stored = []
                for item in checked:
                    ok = not item.errors
                    valid += ok
                    stored.append(
                        LedgerImportRow(
                            ledger_import=ledger_import,
                            number=item.number,
                            cells=_pack(item.values, item.extras),
                            shown=_shown(table.mapping, item.values, item.extras),
                            id_hash=item.id_hash,
                            id_masked=_masked(item.result.id_number)[:40],
                            valid=ok,
                            planned=("update" if item.id_hash in existing else "register") if ok else "",
                            outcome="" if ok else LedgerImportRow.Outcome.REJECTED,
                            reason="；".join(item.errors),
                            warnings=item.result.warnings,
                        )
                    )
                insert_many(stored, with_ids=False)
                total += len(chunk)
            warnings = list(table.warnings)
            headers = _headers(table)
    except TableError as exc:
        LedgerImportRow.objects.filter(ledger_import=ledger_import).delete()
        ledger_import.status = LedgerImport.Status.FAILED
        ledger_import.error = str(exc)
        ledger_import.save(update_fields=["status", "error"])
        raise ImportRefused(str(exc)) from exc
    if total == 0:
        ledger_import.status = LedgerImport.Status.FAILED
        ledger_import.error = "表头下面没有数据行，请检查文件"
        ledger_import.save(update_fields=["status", "error"])
        raise ImportRefused(ledger_import.error)
    earlier = (
        LedgerImport.objects.filter(sha256=digest, status=LedgerImport.Status.COMMITTED)
        .exclude(pk=ledger_import.pk)
        .order_by("-committed_at")
        .first()
        if digest
        else None
    )
    if earlier is not None:
        when = timezone.localtime(earlier.committed_at).strftime("%Y-%m-%d %H:%M")
        warnings.insert(0, f"同一文件已于 {when} 导入过：再次导入会更新已有档案，不会重复建档")
    ledger_import.headers = headers
    ledger_import.warnings = warnings
    ledger_import.total_rows = total
    ledger_import.valid_rows = valid
    ledger_import.rejected_rows = total - valid
    ledger_import.status = LedgerImport.Status.PREVIEWED
    ledger_import.save()
    record(
        actor=actor,
        action="import",
        obj=ledger_import,
        summary=f"上传台账待确认：共 {total} 行，可导入 {valid} 行，退回 {total - valid} 行",
        batch=ledger_import.batch,
    )
    return ledger_import


def ledger_commit_claim(*, actor, ledger_import: LedgerImport) -> None:
    """Mark a previewed import as being committed: a second click (or a second worker) does nothing."""
    if not has_capability(actor, "registry.import"):
        raise PermissionDenied("您的角色无权导入台账")
    updated = LedgerImport.objects.filter(pk=ledger_import.pk, status=LedgerImport.Status.PREVIEWED).update(
        status=LedgerImport.Status.COMMITTING
    )
    if updated != 1:
        raise ImportRefused("该批次已经导入或正在导入，不能重复确认")
    ledger_import.status = LedgerImport.Status.COMMITTING


def ledger_commit(
    *, actor, ledger_import: LedgerImport, batch_size: int = CHUNK, claimed: bool = False
) -> LedgerImport:
    """Commit the valid rows of a previewed import, one transaction per chunk of rows.

    ``claimed``: ``ledger_commit_claim`` was called already (the background task).
    """
    if not claimed:
        ledger_commit_claim(actor=actor, ledger_import=ledger_import)
    elif ledger_import.status != LedgerImport.Status.COMMITTING:
        raise ImportRefused("该批次不在待导入状态")
    run = _Run(actor=actor, ledger_import=ledger_import)
    last = 0
    analyze(IMPORT_TABLES, never_analysed_only=True)
    try:
        while True:
            rows = list(
                LedgerImportRow.objects.filter(
                    ledger_import=ledger_import, valid=True, number__gt=last, outcome=""
                ).order_by("number")[:batch_size]
            )
            if not rows:
                break
            last = rows[-1].number
            _commit_stored(run, rows)
    except Exception as exc:
        # Batches already committed stay committed (their rows say so); the rest is not imported.
        logger.exception("ledger import %s failed", ledger_import.pk)
        LedgerImport.objects.filter(pk=ledger_import.pk).update(
            status=LedgerImport.Status.FAILED, error=f"导入在第 {last} 行附近中断，之前的批次已导入"
        )
        raise ImportRefused(
            "导入中途出错而中断：已完成的批次已经导入，其余行未导入。请刷新查看结果，并联系管理员"
        ) from exc
    _refresh_statistics(run.touched)
    counts = _count(ledger_import)
    ledger_import.registered = counts.get("registered", 0)
    ledger_import.updated = counts.get("updated", 0)
    ledger_import.rejected_rows = counts.get("rejected", 0)
    ledger_import.status = LedgerImport.Status.COMMITTED
    ledger_import.committed_at = timezone.now()
    ledger_import.save()
    record(
        actor=actor,
        action="import",
        obj=ledger_import,
        summary=(
            f"台账导入完成：新建 {ledger_import.registered} 份，更新 {ledger_import.updated} 份，"
            f"退回 {ledger_import.rejected_rows} 行"
        ),
        batch=ledger_import.batch,
    )
    return ledger_import


def _refresh_statistics(township_ids: set[int]) -> None:
    """Ask the statistics to rebuild the touched townships (a background task)."""
    if not township_ids:
        return
    from stats.tasks import refresh_townships

    transaction.on_commit(lambda: refresh_townships.enqueue(sorted(township_ids)))


def _commit_stored(run: _Run, rows: list[LedgerImportRow]) -> None:
    """Commit a chunk of stored rows; the registry writes and the row outcomes in one transaction."""
    by_number = {r.number: r for r in rows}
    checked = []
    for row in rows:
        values, extras = _unpack(row.cells)
        checked.append(run.check(row.number, values, extras))
    with transaction.atomic():
        for outcome in run.commit(checked):
            row = by_number[outcome.number]
            row.outcome = outcome.outcome
            row.file_no = outcome.file_no or ""
            row.migrant_status = outcome.migrant_status or ""
            row.reason = outcome.reason
            row.child_id = outcome.child_id
            if outcome.outcome != "rejected":
                row.cells = ""  # the registry holds the data now; keep no second copy
        update_many(rows, ["outcome", "file_no", "migrant_status", "reason", "child", "cells"])


def _count(ledger_import: LedgerImport) -> dict[str, int]:
    from django.db.models import Count

    return dict(
        LedgerImportRow.objects.filter(ledger_import=ledger_import)
        .values_list("outcome")
        .annotate(n=Count("pk"))
        .values_list("outcome", "n")
    )


# ---------------------------------------------------------------------------
# One pass (the command line)

# Young collections every 50,000 net allocations instead of 700 while a ledger is imported.
_IMPORT_GC_THRESHOLD = (50_000, 20, 100)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """An import allocates millions of objects that live for one chunk (cells, inputs, model
    objects, audit entries); at the collector's default thresholds some 15% of the import's CPU
    went to walking them again and again. Cycles are still collected, less often; the
    previous thresholds are restored afterwards."""
    previous = gc.get_threshold()
    gc.set_threshold(*_IMPORT_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


@_fewer_collections()
def ledger_import_file(
    *,
    actor,
    source: str | Path | BinaryIO,
    filename: str | None = None,
    columns: dict | None = None,
    on: dt.date | None = None,
    trusted: bool = False,
    progress: Callable[[int], None] | None = None,
    batch_size: int = CHUNK,
) -> tuple[LedgerImport, list[RowOutcome]]:
    """Check and commit a ledger in one pass, chunk by chunk; returns every row's outcome.

    ``trusted`` (the command line) imports city-wide whatever the actor's assignments.
    """
    filename = filename or Path(str(source)).name
    digest = _sha256(source)
    table = _open(source, filename=filename, columns=columns)
    ledger_import = LedgerImport.objects.create(
        file_name=filename[:200],
        sha256=digest,
        uploaded_by=actor,
        township=None if trusted else _import_scope(actor),
        source="command",
        on=on or timezone.localdate(),
        mapping=table.mapping,
    )
    run = _Run(actor=actor, ledger_import=ledger_import, trusted=trusted)
    outcomes: list[RowOutcome] = []
    analyze(IMPORT_TABLES, never_analysed_only=True)
    try:
        with table:
            for chunk in _chunks(table.rows(), batch_size):
                checked = [run.check(r.number, r.values, r.extras) for r in chunk]
                with transaction.atomic():
                    results = run.commit(checked)
                    by_number = {c.number: c for c in checked}
                    insert_many(
                        [
                            LedgerImportRow(
                                ledger_import=ledger_import,
                                number=o.number,
                                # Rejected rows keep their cells (encrypted) for the correction file.
                                cells=_pack(by_number[o.number].values, by_number[o.number].extras)
                                if o.outcome == "rejected"
                                else "",
                                shown={},
                                id_hash=by_number[o.number].id_hash,
                                id_masked=_masked(o.id_number)[:40],
                                valid=o.outcome != "rejected",
                                outcome=o.outcome,
                                file_no=o.file_no or "",
                                migrant_status=o.migrant_status or "",
                                reason=o.reason,
                                warnings=o.warnings,
                                child_id=o.child_id,
                            )
                            for o in results
                        ],
                        with_ids=False,
                    )
                outcomes.extend(results)
                if progress is not None:
                    progress(len(chunk))
            warnings = list(table.warnings)
            headers = _headers(table)
    except TableError as exc:
        ledger_import.status = LedgerImport.Status.FAILED
        ledger_import.error = str(exc)
        ledger_import.save(update_fields=["status", "error"])
        raise ImportRefused(str(exc)) from exc
    _refresh_statistics(run.touched)
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.outcome] = counts.get(o.outcome, 0) + 1
    ledger_import.headers = headers
    ledger_import.warnings = warnings
    ledger_import.total_rows = len(outcomes)
    ledger_import.valid_rows = len(outcomes) - counts.get("rejected", 0)
    ledger_import.rejected_rows = counts.get("rejected", 0)
    ledger_import.registered = counts.get("registered", 0)
    ledger_import.updated = counts.get("updated", 0)
    ledger_import.status = LedgerImport.Status.COMMITTED
    ledger_import.committed_at = timezone.now()
    ledger_import.save()
    record(
        actor=actor,
        action="import",
        obj=ledger_import,
        summary=(
            f"命令行导入台账：共 {len(outcomes)} 行，新建 {ledger_import.registered} 份，"
            f"更新 {ledger_import.updated} 份，退回 {ledger_import.rejected_rows} 行"
        ),
        batch=ledger_import.batch,
    )
    return ledger_import, outcomes


# ---------------------------------------------------------------------------
# Rejected rows, handed back for correction


def rejected_rows(ledger_import: LedgerImport) -> tuple[list[str], Iterator[list[Any]]]:
    """(headers + 错误原因, rows) of the rejected rows, with their original cell values."""
    headers = list(ledger_import.headers)
    field_of = {header: name for name, header in ledger_import.mapping.items()}

    def rows() -> Iterator[list[Any]]:
        queryset = LedgerImportRow.objects.filter(
            ledger_import=ledger_import, outcome=LedgerImportRow.Outcome.REJECTED
        ).order_by("number")
        for row in queryset.iterator(chunk_size=1000):
            values, extras = _unpack(row.cells)
            line = []
            for header in headers:
                name = field_of.get(header)
                line.append(values.get(name) if name else extras.get(header))
            yield [*line, row.reason]

    return [*headers, "错误原因"], rows()


def record_rejected_download(*, actor, ledger_import: LedgerImport) -> None:
    record(
        actor=actor,
        action="export",
        obj=ledger_import,
        summary=f"下载台账导入退回行 {ledger_import.rejected_rows} 行",
        batch=ledger_import.batch,
    )


def record_export(*, actor, count: int, full_ids: bool, scope_text: str) -> None:
    record(
        actor=actor,
        action="export",
        object_type="registry.child",
        summary=f"导出儿童台账 {count} 份（{scope_text}）"
        + ("，含完整证件号" if full_ids else "，证件号脱敏"),
        changes={"count": count, "full_ids": full_ids},
    )
