"""Writes of the data exchange: import a feed (file, API push), decide a review, roll a batch
back, export for the national system. Keyword-only, the acting user required, audited.

The import streams the table in chunks: each chunk is parsed, linked against the registry
(exchange.linkage) and written in one transaction — rows, review items, effects,
registrations — so a long import shows its progress and a failure keeps what was done
(which the rollback can then remove)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit.services import Entry, record, record_many
from common import idnumber
from common.inserts import analyze, insert_many, update_many
from common.tabular import TableError, normalise_header, open_table
from exchange import discovered, effects
from exchange.linkage import Link, RegistryLinker
from exchange.matching import LINKED, NEW, REJECTED, REVIEW
from exchange.matching.model import FIELD_ZH, LEVEL_ZH
from exchange.models import (
    ChildEffect,
    Effect,
    FeedBatch,
    FeedRow,
    FeedSource,
    HealthRecord,
    Outcome,
    ReviewItem,
    VerificationTask,
)
from exchange.places import PlaceResolver
from exchange.rows import COMPULSORY_STAGES, RECEIVED, ParsedRow, date_columns, parse_row, scrub
from exchange.rows import REJECTED as DEPARTMENT_REJECTED
from exchange.sources import field_specs
from registry.bulk import BATCH_TABLES

CHUNK_ROWS = 1000
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_PUSH_ROWS = 5000
#: The tables a feed reads by the chunk's ids (PostgreSQL statistics, ``analyze``).
IMPORT_TABLES = (
    *BATCH_TABLES,
    "exchange.FeedRow",
    "exchange.ReviewItem",
    "exchange.ChildEffect",
)

Progress = Callable[[FeedBatch], None]


class ExchangeError(ValueError):
    """A refused request; ``str(exc)`` is a Chinese message."""


# ---------------------------------------------------------------- batches


def batch_create(
    *,
    actor,
    source: FeedSource,
    via: str,
    file_name: str = "",
    sha256: str = "",
    stored_file: str = "",
    is_complete_list: bool = False,
) -> FeedBatch:
    if not source.active:
        raise ExchangeError(f"数据来源“{source.name}”已停用")
    return FeedBatch.objects.create(
        source=source,
        via=via,
        file_name=file_name[:200],
        sha256=sha256,
        stored_file=stored_file,
        uploaded_by=actor,
        is_complete_list=is_complete_list and source.effect == Effect.EDUCATION,
    )


def file_sha256(file: str | Path | BinaryIO) -> str:
    digest = hashlib.sha256()
    if isinstance(file, str | Path):
        with open(file, "rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
        return digest.hexdigest()
    position = file.tell()
    while chunk := file.read(1024 * 1024):
        digest.update(chunk)
    file.seek(position)
    return digest.hexdigest()


def feed_import(
    *,
    actor,
    source: FeedSource,
    file: str | Path | BinaryIO,
    file_name: str,
    columns: Mapping[str, str] | None = None,
    via: str = FeedBatch.Via.COMMAND,
    is_complete_list: bool = False,
    batch: FeedBatch | None = None,
    progress: Progress | None = None,
) -> FeedBatch:
    """Read a department's file and run every row through the pipeline.

    Raises TableError (Chinese message) when the file cannot be read or required fields
    cannot be mapped; the batch then records the error (status "mapping" when a column
    mapping would help)."""
    if batch is None:
        batch = batch_create(
            actor=actor, source=source, via=via, file_name=file_name, sha256=file_sha256(file),
            is_complete_list=is_complete_list,
        )  # fmt: skip
    mapping = {**(source.column_mapping or {}), **(columns or {})}
    try:
        table = open_table(
            file,
            filename=file_name,
            fields=field_specs(source.fields),
            columns=mapping,
            max_bytes=MAX_FILE_BYTES,
        )
    except TableError as exc:
        batch.status = FeedBatch.Status.MAPPING if exc.missing else FeedBatch.Status.FAILED
        batch.error = str(exc)
        batch.warnings = [h for h in exc.headers if h][:80]
        batch.save(update_fields=["status", "error", "warnings"])
        raise
    with table:
        batch.columns = table.mapping
        batch.warnings = list(table.warnings)
        earlier = (
            FeedBatch.objects.filter(source=source, sha256=batch.sha256, status=FeedBatch.Status.DONE)
            .exclude(pk=batch.pk)
            .order_by("-created_at")
            .first()
        )
        if batch.sha256 and earlier is not None:
            when = timezone.localtime(earlier.created_at).strftime("%Y-%m-%d %H:%M")
            batch.warnings.insert(0, f"同一文件已于 {when} 导入过（第{earlier.pk}批）；重复的行会再次比对")
        batch.save(update_fields=["columns", "warnings"])
        rows = ((row.number, row.values, row.extras) for row in table.rows())
        return _run(actor=actor, batch=batch, rows=rows, progress=progress)


def _push_keys(source: FeedSource) -> dict[str, str]:
    """Every accepted key of a pushed row (field name, label, synonyms) -> field name."""
    keys: dict[str, str] = {}
    for f in source.fields:
        for key in (f["name"], f["label"], *f.get("synonyms", ())):
            keys.setdefault(normalise_header(key), f["name"])
    return keys


def feed_push(
    *, actor, source: FeedSource, rows: list[dict[str, Any]], is_complete_list: bool = False
) -> FeedBatch:
    """Rows pushed as JSON by a department (same pipeline as a file)."""
    if not isinstance(rows, list) or not rows:
        raise ExchangeError("rows 应为非空列表，每项是一行数据（字段名或表头: 值）")
    if len(rows) > MAX_PUSH_ROWS:
        raise ExchangeError(f"每次最多推送 {MAX_PUSH_ROWS} 行，请分批推送")
    keys = _push_keys(source)
    fields = [f["name"] for f in source.fields]
    used: dict[str, str] = {}  # field -> the key it was first sent under (named in messages)
    parsed: list[tuple[int, dict, dict]] = []
    for number, item in enumerate(rows, start=1):
        if not isinstance(item, dict):
            raise ExchangeError(f"第 {number} 行不是对象（字段名: 值）")
        values: dict[str, Any] = dict.fromkeys(fields)
        extras: dict[str, Any] = {}
        for key, value in item.items():
            if isinstance(value, dict | list):
                raise ExchangeError(f"第 {number} 行“{key}”的值应为文字、数字或日期")
            name = keys.get(normalise_header(key))
            if isinstance(value, str):
                value = value.strip() or None
            if name:
                values[name] = value
                used.setdefault(name, str(key)[:100])
            else:
                extras[str(key)] = value
        parsed.append((number, values, extras))
    missing = [
        f["label"]
        for f in source.fields
        if f.get("required") and all(v[f["name"]] is None for _n, v, _e in parsed)
    ]
    if missing:
        raise ExchangeError(f"推送的数据缺少必填字段：{'、'.join(missing)}")
    digest = hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()
    batch = batch_create(
        actor=actor, source=source, via=FeedBatch.Via.API, file_name=f"接口推送 {len(rows)} 行", sha256=digest,
        is_complete_list=is_complete_list,
    )  # fmt: skip
    batch.columns = used
    batch.save(update_fields=["columns"])
    return _run(actor=actor, batch=batch, rows=parsed, total=len(parsed))


# ---------------------------------------------------------------- the pipeline


def _run(
    *,
    actor,
    batch: FeedBatch,
    rows: Iterable[tuple[int, dict, dict]],
    progress: Progress | None = None,
    total: int | None = None,
) -> FeedBatch:
    """Run the rows through the pipeline chunk by chunk (``rows`` is streamed: a file's rows are
    never held whole). ``total``: the number of rows when known in advance, for the progress."""
    batch.status = FeedBatch.Status.RUNNING
    batch.total_rows = total or 0
    batch.save(update_fields=["status", "total_rows"])
    linker = RegistryLinker()
    context = _Context(places=PlaceResolver(), lookups=discovered.Lookups())
    seen_rows = 0
    dates = date_columns(batch.source.fields, batch.columns)
    analyze(IMPORT_TABLES, never_analysed_only=True)
    try:
        for chunk in _chunked(rows, CHUNK_ROWS):
            # A streamed file's row count is known at its end: until then total_rows stays 0
            # and the progress shows the rows done without a bar.
            seen_rows += len(chunk)
            parsed = [parse_row(n, v, e, dates=dates) for n, v, e in chunk]
            _process_chunk(actor=actor, batch=batch, parsed=parsed, linker=linker, context=context)
            if progress:
                progress(batch)
        if batch.total_rows != seen_rows:
            batch.total_rows = seen_rows
            FeedBatch.objects.filter(pk=batch.pk).update(total_rows=seen_rows)
        if batch.is_complete_list and batch.source.effect == Effect.EDUCATION:
            _flag_absent_pupils(actor=actor, batch=batch)
    except Exception as exc:
        FeedBatch.objects.filter(pk=batch.pk).update(status=FeedBatch.Status.FAILED, error=str(exc)[:2000])
        raise
    batch.status = FeedBatch.Status.DONE
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "finished_at"])
    record(
        actor=actor,
        action="import",
        obj=batch,
        summary=(
            f"导入{batch.source.name}（{batch.get_via_display()}）：{batch.total_rows} 行，关联 {batch.linked}，"
            f"待确认 {batch.review}，新发现 {batch.new}，未采用 {batch.rejected}"
        ),
        batch=batch.label,
    )
    return batch


def _chunked(rows: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class _Context:
    """What an import reads once for all its chunks."""

    places: PlaceResolver
    lookups: discovered.Lookups


def contributions_json(contributions) -> list[list]:
    """Compact per-field contributions as stored: [[field, level, weight], …]."""
    return [[f, lv, w] for f, lv, w in contributions]


def contributions_shown(stored) -> list[dict]:
    """Stored contributions with their Chinese labels, for reviewers."""
    shown = []
    for f, lv, w in stored or []:
        shown.append(
            {
                "field": f,
                "label": FIELD_ZH.get(f, f),
                "level": lv,
                "level_label": LEVEL_ZH.get(f, {}).get(lv, lv),
                "weight": w,
            }
        )
    return shown


def _prior_decisions(hashes: Iterable[str]) -> dict[str, ReviewItem]:
    hashes = sorted(set(hashes))
    found: dict[str, ReviewItem] = {}
    for i in range(0, len(hashes), 500):
        items = (
            ReviewItem.objects.filter(content_hash__in=hashes[i : i + 500], status=ReviewItem.Status.DECIDED)
            .select_related("row__batch")
            .order_by("decided_at")
        )
        for item in items:
            found[item.content_hash] = item  # the latest decision wins
    return found


def _outcome_row(batch: FeedBatch, p: ParsedRow, link: Link | None, prior: dict[str, ReviewItem]) -> FeedRow:
    """The row with its outcome and reason, as decided by the engine or a reviewer's earlier decision."""
    row = FeedRow(
        batch=batch, number=p.number, values=p.stored, id_hash=p.id_hash, content_hash=p.content_hash,
        reply=p.reply,
    )  # fmt: skip
    if link is None:
        row.outcome, row.reason = Outcome.REJECTED, p.reject
    else:
        d = link.decision
        row.score = d.score
        row.contributions = contributions_json(d.contributions)
        row.outcome = Outcome.REJECTED if d.outcome == REJECTED else d.outcome
        row.reason = d.explain_zh()
        if d.outcome == LINKED:
            row.child_id = int(d.best_key)
        reused = prior.get(p.content_hash) if d.outcome != LINKED else None
        if reused is not None:
            where = f"第{reused.row.batch_id}批第{reused.row.number}行"
            if reused.decision == ReviewItem.Decision.CHILD and reused.child_id:
                row.outcome, row.child_id = Outcome.LINKED, reused.child_id
                row.reason = f"沿用此前的人工确认（{where}）：为已登记儿童"
            elif reused.decision == ReviewItem.Decision.NEW:
                row.outcome = Outcome.NEW
                row.reason = f"沿用此前的人工确认（{where}）：不是已登记儿童"
    if p.notes:
        row.reason = (row.reason + "；" + "；".join(p.notes)) if row.reason else "；".join(p.notes)
    if row.outcome == Outcome.REVIEW:
        # What a reviewer's "new child" needs to register it; cleared once decided.
        row.id_number = p.id_number if p.id_valid else ""
        row.phone = p.phone
        row.values = {**row.values, "_facts": {k: scrub(v) for k, v in p.facts.items()}}
    if row.outcome == Outcome.NEW and not batch.source.registers_new:
        row.reason += "；本数据来源不自动登记新儿童，请核实后手工登记"
    row.reason = row.reason[:300]
    return row


def _process_chunk(
    *, actor, batch: FeedBatch, parsed: list[ParsedRow], linker: RegistryLinker, context: _Context
) -> None:
    """One chunk in one transaction, with a fixed number of queries: rows, review items, effects
    and registrations written in bulk, the audit in one ``record_many`` per kind of write."""
    links = linker.link(parsed)
    prior = _prior_decisions(
        p.content_hash
        for p, link in zip(parsed, links, strict=True)
        if link and link.decision.outcome != LINKED
    )
    rows = [_outcome_row(batch, p, link, prior) for p, link in zip(parsed, links, strict=True)]
    counts = Counter(row.outcome for row in rows)
    with transaction.atomic():
        insert_many(rows)
        insert_many(
            [
                _review_item(batch=batch, row=row, link=link)
                for row, link in zip(rows, links, strict=True)
                if row.outcome == Outcome.REVIEW
            ]
        )
        before = {row.pk: (row.reason, row.child_id) for row in rows}
        entries: list[Entry] = []
        effects.apply_many(
            actor=actor, batch=batch, entries=entries, schools=context.lookups.schools,
            items=[(row, p.facts) for row, p in zip(rows, parsed, strict=True) if row.outcome == Outcome.LINKED],
        )  # fmt: skip
        if batch.source.registers_new:
            found = [
                discovered.Found(
                    row=row, facts=p.facts, phone=p.phone, id_number=p.id_number if p.id_valid else ""
                )
                for row, p in zip(rows, parsed, strict=True)
                if row.outcome == Outcome.NEW
            ]
            discovered.register(
                actor=actor, batch=batch, found=found, places=context.places, lookups=context.lookups, seen={}
            )
            for f in found:
                f.row.reason = (f.row.reason + "；" + f.note)[:300]
                f.row.child_id = f.child.pk if f.child is not None else None
        record_many(actor=actor, entries=entries, batch=batch.label)
        _save_rows(
            [
                row
                for row in rows
                if row.effect or row.created_child or before[row.pk] != (row.reason, row.child_id)
            ]
        )
        FeedBatch.objects.filter(pk=batch.pk).update(
            processed_rows=F("processed_rows") + len(parsed),
            linked=F("linked") + counts[Outcome.LINKED],
            review=F("review") + counts[Outcome.REVIEW],
            new=F("new") + counts[Outcome.NEW],
            rejected=F("rejected") + counts[Outcome.REJECTED],
        )
    batch.refresh_from_db(fields=["processed_rows", "linked", "review", "new", "rejected"])


def _save_rows(rows: list[FeedRow]) -> None:
    """What the effects and registrations changed on the rows."""
    update_many(rows, ("reason", "child", "created_child", "effect"))


def _apply_effects(*, actor, batch: FeedBatch, row: FeedRow, facts: dict, entries: list[Entry]) -> None:
    """The effect of one linked row (a reviewer's decision), saved on the row."""
    effects.apply_many(actor=actor, batch=batch, items=[(row, facts)], entries=entries)
    _save_rows([row])


def _review_item(*, batch: FeedBatch, row: FeedRow, link: Link | None) -> ReviewItem:
    candidates = []
    township = None
    for child_id, score, contributions in link.ranked if link else []:
        cand = link.candidates.get(child_id)
        if cand is not None and township is None:
            township = cand.township_id
        candidates.append(
            {"child_id": child_id, "score": score, "contributions": contributions_shown(contributions)}
        )
    return ReviewItem(
        row=row,
        content_hash=row.content_hash,
        source=batch.source,
        candidates=candidates,
        township_id=township,
    )


def register_from_row(
    *, actor, batch, row, parsed_facts: dict, phone: str, id_number: str, places, seen: dict
):
    """(child or None, note): the child of one row (a reviewer's "new child")."""
    found = discovered.Found(row=row, facts=parsed_facts, phone=phone, id_number=id_number)
    discovered.register(
        actor=actor, batch=batch, found=[found], places=places, lookups=discovered.Lookups(), seen=seen
    )
    return found.child, found.note


def _flag_absent_pupils(*, actor, batch: FeedBatch) -> int:
    """A complete education list: registered children of compulsory-school age (6-15) who are
    at 小学/初中/未入学/失学辍学 and absent from the list are possible drop-outs to verify."""
    from registry.models import Child

    today = timezone.localdate()
    oldest = _years_before(today, 16) + dt.timedelta(days=1)
    youngest = _years_before(today, 6)
    present = set(FeedRow.objects.filter(batch=batch, child__isnull=False).values_list("child_id", flat=True))
    for candidates in ReviewItem.objects.filter(row__batch=batch).values_list("candidates", flat=True):
        present.update(c["child_id"] for c in candidates)
    flagged = 0
    last = 0
    while True:
        ids = list(
            Child.objects.filter(
                pk__gt=last, closed_at__isnull=True, birth_date__gte=oldest, birth_date__lte=youngest,
                school_stage__in=COMPULSORY_STAGES,
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:2000]
        )  # fmt: skip
        if not ids:
            break
        last = ids[-1]
        absent = [pk for pk in ids if pk not in present]
        entries = []
        with transaction.atomic():
            for child in Child.objects.filter(pk__in=absent):
                effect = effects.raise_finding(
                    actor=actor, batch=batch, row=None, child=child, kind=VerificationTask.Kind.DROPOUT,
                    reason=f"义务教育阶段儿童（{child.school_stage}）未出现在教育局完整名单（{batch}）中，可能失学辍学",
                )  # fmt: skip
                entries.append(
                    Entry("create", "registry.child", str(child.pk), f"疑似失辍学待核实：档案 {child.file_no}",
                          {"effect": effect.pk})
                )  # fmt: skip
                flagged += 1
            record_many(actor=actor, entries=entries, batch=batch.label)
    return flagged


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# ---------------------------------------------------------------- review


@transaction.atomic
def review_decide(*, actor, item: ReviewItem, child_id: int | None, note: str = "") -> ReviewItem:
    """Accept one of the candidates (``child_id``) or mark the row as a new child (None).

    The decision is audited and re-used when the same row comes again."""
    item = ReviewItem.objects.select_for_update().select_related("row__batch__source").get(pk=item.pk)
    if item.status != ReviewItem.Status.OPEN:
        raise ExchangeError("该条目已经处理过了")
    row = item.row
    batch = row.batch
    if batch.status == FeedBatch.Status.ROLLED_BACK:
        raise ExchangeError("该批次已撤销，无需再确认")
    from registry.models import Child

    if child_id is not None:
        allowed = {c["child_id"] for c in item.candidates}
        if int(child_id) not in allowed:
            raise ExchangeError("所选儿童不在候选名单中")
        child = Child.objects.get(pk=child_id)
        item.decision, item.child = ReviewItem.Decision.CHILD, child
        row.outcome, row.child = Outcome.LINKED, child
        row.reason = f"人工确认为已登记儿童（档案 {child.file_no}）"
    else:
        item.decision, item.child = ReviewItem.Decision.NEW, None
        row.outcome = Outcome.NEW
        row.reason = "人工确认不是已登记儿童"
    item.status = ReviewItem.Status.DECIDED
    item.decided_by = actor
    item.decided_at = timezone.now()
    item.note = note[:200]
    item.save()
    facts = row.values.get("_facts") or _facts_from_row(row)
    id_number, phone = row.id_number, row.phone
    row.id_number = row.phone = ""
    row.save(update_fields=["outcome", "child", "reason", "id_number", "phone"])
    counts = {"review": F("review") - 1}
    counts["linked" if child_id is not None else "new"] = F("linked" if child_id is not None else "new") + 1
    FeedBatch.objects.filter(pk=batch.pk).update(**counts)
    entries: list[Entry] = []
    if child_id is not None:
        _apply_effects(actor=actor, batch=batch, row=row, facts=facts, entries=entries)
    elif batch.source.registers_new:
        child, message = register_from_row(
            actor=actor, batch=batch, row=row, parsed_facts=facts, phone=phone, id_number=id_number,
            places=PlaceResolver(), seen={},
        )  # fmt: skip
        row.reason = f"{row.reason}；{message}"[:300]
        row.child = child
        row.save(update_fields=["reason", "child", "created_child"])
    record(
        actor=actor,
        action="approve",
        obj=item,
        summary=(
            f"人工确认部门数据（{batch} 第{row.number}行）："
            + (f"为已登记儿童 档案 {item.child.file_no}" if item.child else "为新儿童")
        ),
        changes={"decision": item.decision, "child": item.child_id},
        batch=batch.label,
    )
    record_many(actor=actor, entries=entries, batch=batch.label)
    return item


def _facts_from_row(row: FeedRow) -> dict:
    """The effect facts of a stored row (identifiers are masked there, but the effects need none)."""
    facts = dict(row.values)
    facts.pop("其他列", None)
    return facts


# ---------------------------------------------------------------- rollback

ROLLBACK_CHUNK = 2000


@transaction.atomic
def feed_rollback(*, actor, batch: FeedBatch) -> dict:
    """Undo a batch: effects reversed from their stored before-values (unless the file has been
    changed since), pending children it registered removed when untouched since, review items
    cancelled. Audited. Returns counts and notes.

    Worked through in chunks of effects, newest first, with the registry's bulk update and
    set-based deletes: a batch of 100,000 rows is not undone one row at a time."""
    batch = FeedBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status == FeedBatch.Status.ROLLED_BACK:
        raise ExchangeError("该批次已经撤销过了")
    if batch.status in (FeedBatch.Status.RUNNING, FeedBatch.Status.PENDING):
        raise ExchangeError("该批次还在处理中，请完成后再撤销")
    notes: list[str] = []
    undone = 0
    pending = ChildEffect.objects.filter(batch=batch, undone_at__isnull=True).exclude(
        kind=ChildEffect.Kind.REGISTERED
    )
    last = None
    while True:
        qs = pending if last is None else pending.filter(pk__lt=last)
        chunk = list(qs.order_by("-id")[:ROLLBACK_CHUNK])
        if not chunk:
            break
        last = chunk[-1].pk
        count, chunk_notes = effects.undo_many(actor=actor, batch=batch, effects=chunk)
        undone += count
        notes.extend(chunk_notes)
    removed = 0
    registered = ChildEffect.objects.filter(
        batch=batch, kind=ChildEffect.Kind.REGISTERED, undone_at__isnull=True
    )
    last = 0
    while True:
        chunk = list(
            registered.filter(pk__gt=last)
            .order_by("id")
            .values_list("id", "child_id", "after")[:ROLLBACK_CHUNK]
        )
        if not chunk:
            break
        last = chunk[-1][0]
        count, chunk_notes = _remove_registered(actor=actor, batch=batch, effects=chunk)
        removed += count
        notes.extend(chunk_notes)
    ReviewItem.objects.filter(row__batch=batch, status=ReviewItem.Status.OPEN).update(
        status=ReviewItem.Status.CANCELLED
    )
    batch.status = FeedBatch.Status.ROLLED_BACK
    batch.rolled_back_at = timezone.now()
    batch.rolled_back_by = actor
    batch.save(update_fields=["status", "rolled_back_at", "rolled_back_by"])
    record(
        actor=actor,
        action="delete",
        obj=batch,
        summary=f"撤销{batch.source.name}第{batch.pk}批：还原 {undone} 项处理，删除 {removed} 份待核实档案",
        changes={"notes": notes[:50]},
        batch=batch.label,
    )
    return {"undone": undone, "removed": removed, "notes": notes}


def _remove_registered(
    *, actor, batch: FeedBatch, effects: list[tuple[int, int, dict]]
) -> tuple[int, list[str]]:
    """Remove the pending children the batch registered (``effects``: the REGISTERED effects' id,
    child id and after-values) unless verified or changed since; returns (removed, notes)."""
    from registry.models import Child

    child_ids = sorted({child_id for _id, child_id, _after in effects})
    children = {
        pk: (version, pending, file_no)
        for pk, version, pending, file_no in Child.objects.filter(pk__in=child_ids).values_list(
            "pk", "version", "pending_verification", "file_no"
        )
    }
    elsewhere = set(
        ChildEffect.objects.filter(child_id__in=child_ids, undone_at__isnull=True)
        .exclude(batch=batch)
        .values_list("child_id", flat=True)
    )
    notes: list[str] = []
    kept: list[int] = []
    removable: list[int] = []
    for effect_id, child_id, after in effects:
        if child_id not in children or child_id in removable:
            continue
        version, pending, file_no = children[child_id]
        if version == after.get("version") and pending and child_id not in elsewhere:
            removable.append(child_id)
        else:
            notes.append(f"档案 {file_no} 登记后已被核实或修改，保留")
            kept.append(effect_id)
    if kept:
        ChildEffect.objects.filter(pk__in=kept).update(undone_at=timezone.now())
    if not removable:
        return 0, notes
    from django.db.models.deletion import ProtectedError

    try:
        _delete_children(
            actor=actor, batch=batch, ids=removable, file_nos={pk: children[pk][2] for pk in removable}
        )
        return len(removable), notes
    except ProtectedError:
        pass
    removed = 0
    for pk in removable:  # one of them is referenced elsewhere: find which, one by one
        try:
            _delete_children(actor=actor, batch=batch, ids=[pk], file_nos={pk: children[pk][2]})
            removed += 1
        except ProtectedError:
            notes.append(f"档案 {children[pk][2]} 已有其他记录关联，保留")
    return removed, notes


def _delete_children(*, actor, batch: FeedBatch, ids: list[int], file_nos: dict[int, str]) -> None:
    """Delete the files (audited), their feed records and their households left without a child,
    in one savepoint: all or nothing (ProtectedError when one is referenced elsewhere)."""
    from registry.models import Child, Guardian, Household

    with transaction.atomic():
        record_many(
            actor=actor,
            entries=[
                Entry(
                    "delete",
                    "registry.child",
                    str(pk),
                    f"撤销部门数据批次，删除其登记的待核实档案 {file_nos[pk]}",
                )
                for pk in ids
            ],
            batch=batch.label,
        )
        households = set(Child.objects.filter(pk__in=ids).values_list("household_id", flat=True))
        FeedRow.objects.filter(child_id__in=ids).update(child=None)
        ChildEffect.objects.filter(child_id__in=ids).delete()
        VerificationTask.objects.filter(child_id__in=ids).delete()
        HealthRecord.objects.filter(child_id__in=ids).delete()
        Child.objects.filter(pk__in=ids).delete()
        empty = households - set(
            Child.objects.filter(household_id__in=households).values_list("household_id", flat=True)
        )
        if empty:
            Guardian.objects.filter(household_id__in=empty).delete()
            Household.objects.filter(pk__in=empty).delete()


# ---------------------------------------------------------------- sources


@transaction.atomic
def source_save_mapping(*, actor, source: FeedSource, mapping: dict[str, str]) -> FeedSource:
    """Remember a column mapping (field -> header) for the source's next files."""
    known = {f["name"] for f in source.fields}
    clean = {k: str(v).strip()[:100] for k, v in mapping.items() if k in known and str(v).strip()}
    before = dict(source.column_mapping or {})
    source.column_mapping = {**before, **clean}
    source.save(update_fields=["column_mapping"])
    record(
        actor=actor, action="update", obj=source, summary=f"保存“{source.name}”的列对应",
        changes={"column_mapping": [before, source.column_mapping]},
    )  # fmt: skip
    return source


def report_rows(batch: FeedBatch, *, full_ids: bool) -> Iterator[dict]:
    """The contract rows of a batch. ``full_ids``: the linked child's ID number in full (the
    command line, a city administrator); otherwise only when the row itself carried it
    (a department learns nothing it did not send)."""
    qs = (
        FeedRow.objects.filter(batch=batch)
        .order_by("number")
        .values_list("number", "outcome", "child_id", "score", "reason", "id_hash")
    )
    from registry.models import Child

    for chunk in _by_number(qs):
        linked = {c for _n, o, c, _s, _r, _h in chunk if o == Outcome.LINKED and c}
        ids = {
            pk: (number, h)
            for pk, number, h in Child.objects.filter(pk__in=linked).values_list("pk", "id_number", "id_hash")
        }
        for number, outcome, child_id, score, reason, row_hash in chunk:
            child_number = None
            if outcome == Outcome.LINKED and child_id in ids:
                value, child_hash = ids[child_id]
                if full_ids or (row_hash and row_hash == child_hash):
                    child_number = idnumber.normalise(value) or None
            yield {
                "row": number,
                "outcome": outcome,
                "child_id_number": child_number,
                "score": score,
                "reason": reason,
            }


def department_reply_rows(batch: FeedBatch) -> Iterator[dict]:
    """Per row what the sending department is told: the row number, received or rejected, and
    the problems of the row's own data. Never whether or to whom the row was linked, nor any
    fact of a registered child: the reply was worked out from the row alone (``exchange.rows``),
    so a row naming a registered child gets the same answer as one naming nobody."""
    qs = FeedRow.objects.filter(batch=batch).order_by("number").values_list("number", "reply")
    for chunk in _by_number(qs):
        for number, reply in chunk:
            reply = reply or {}
            yield {
                "row": number,
                "outcome": reply.get("outcome", RECEIVED),
                "errors": list(reply.get("errors", [])),
            }


def _by_number(qs) -> Iterator[list[tuple]]:
    """A batch's rows (``values_list`` ordered by and starting with the row number) 2,000 at a time."""
    last = 0
    while True:
        chunk = list(qs.filter(number__gt=last)[:2000])
        if not chunk:
            return
        last = chunk[-1][0]
        yield chunk


def department_report(batch: FeedBatch) -> dict:
    """The report of the department API (a push's answer and its batch's report)."""
    batch.refresh_from_db()
    rows = list(department_reply_rows(batch))
    rejected = sum(r["outcome"] == DEPARTMENT_REJECTED for r in rows)
    return {
        "rows": rows,
        "summary": {
            "batch": batch.pk,
            "source": batch.source.code,
            "status": batch.status,
            "rows": batch.total_rows,
            "received": len(rows) - rejected,
            "rejected": rejected,
            "warnings": batch.warnings,
        },
    }


def report(batch: FeedBatch, *, full_ids: bool) -> dict:
    batch.refresh_from_db()
    return {
        "rows": list(report_rows(batch, full_ids=full_ids)),
        "summary": {
            "batch": batch.pk,
            "source": batch.source.code,
            "status": batch.status,
            "rows": batch.total_rows,
            "linked": batch.linked,
            "review": batch.review,
            "new": batch.new,
            "rejected": batch.rejected,
            "warnings": batch.warnings,
        },
    }


__all__ = [
    "NEW",
    "REVIEW",
    "ExchangeError",
    "batch_create",
    "department_report",
    "feed_import",
    "feed_push",
    "feed_rollback",
    "report",
    "review_decide",
    "source_save_mapping",
]


SYSTEM_USERNAME = "exchange_cli"


def system_user():
    """The actor of command-line imports (no password: it cannot log in)."""
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": True, "full_name": "部门数据导入（命令行）"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
