"""Writing the audit log. Call inside the business transaction so both commit or neither."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.utils import timezone

from audit.chain import GENESIS, row_hash
from audit.context import current_ip
from audit.models import Action, AuditEvent, AuditHead
from common.inserts import insert_many


@dataclass
class Entry:
    action: str
    object_type: str = ""
    object_id: str = ""
    summary: str = ""
    changes: dict = field(default_factory=dict)


def _plain(value) -> dict:
    # Store what the JSON column gives back, so that the hash verifies after a round trip.
    return json.loads(json.dumps(value or {}, ensure_ascii=False, default=str, sort_keys=True))


def _describe(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


def record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    summary: str = "",
    changes: dict | None = None,
    batch: str = "",
    ip: str | None = None,
) -> AuditEvent:
    """Append one audit row. ``obj`` or ``object_type``/``object_id`` name what was touched."""
    if obj is not None:
        object_type, object_id = _describe(obj)
    return record_many(
        actor=actor,
        entries=[Entry(action, object_type, str(object_id), summary, changes or {})],
        batch=batch,
        ip=ip,
    )[0]


def _lock_head() -> tuple[int, str]:
    """Take the chain's write lock and read its head in one statement.

    ``UPDATE … RETURNING`` takes the row lock on PostgreSQL and the database's write lock on
    SQLite before anything is read, so concurrent writers queue here instead of forking the
    chain; the head row is created on the very first write.
    """
    table = connection.ops.quote_name(AuditHead._meta.db_table)
    sql = f"UPDATE {table} SET seq = seq WHERE id = 1 RETURNING seq, hash"  # noqa: S608 - fixed names
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
        if row is None:
            AuditHead.objects.get_or_create(pk=1)
            cursor.execute(sql)
            row = cursor.fetchone()
    return row[0], row[1]


@transaction.atomic
def record_many(
    *, actor, entries: Iterable[Entry], batch: str = "", ip: str | None = None
) -> list[AuditEvent]:
    entries = list(entries)
    if not entries:
        return []
    # Three statements whatever the number of entries: lock and read the head, insert the
    # rows, move the head. A file read (one entry) is on every child's page: keep it cheap.
    seq, prev = _lock_head()
    now = timezone.now()
    actor_id = getattr(actor, "pk", None)
    actor_name = getattr(actor, "username", "") if actor is not None else ""
    ip = current_ip.get() if ip is None else ip
    events = []
    # One JSON round trip for the whole batch (what _plain does to each entry's changes).
    changes = json.loads(
        json.dumps([e.changes or {} for e in entries], ensure_ascii=False, default=str, sort_keys=True)
    )
    for entry, entry_changes in zip(entries, changes, strict=True):
        seq += 1
        event = AuditEvent(
            seq=seq,
            at=now,
            actor_id=actor_id,
            actor_name=actor_name or "",
            ip=ip or "",
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            summary=entry.summary[:300],
            changes=entry_changes,
            batch=batch,
            prev_hash=prev,
        )
        event.hash = row_hash(prev, event)
        prev = event.hash
        events.append(event)
    if len(events) >= 20:
        insert_many(events)  # big batches (imports): executemany instead of the ORM's compiled INSERTs
    else:
        AuditEvent.objects.bulk_create(events, batch_size=1000)
    AuditHead.objects.filter(pk=1).update(seq=seq, hash=prev)
    return events


def diff(before: dict, after: dict) -> dict:
    """{"field": [before, after]} for the fields that changed."""
    return {
        k: [before.get(k), after.get(k)]
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    }


def verify_chain(*, chunk: int = 5000) -> tuple[int, AuditEvent | None, str]:
    """Walk the chain; return (rows checked, first broken row or None, reason)."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gt=last_seq).order_by("seq")[:chunk])
        if not batch:
            break
        for event in batch:
            if event.seq != expected_seq:
                return checked, event, f"序号不连续：应为 {expected_seq}，实际为 {event.seq}（有记录被删除）"
            if event.prev_hash != prev:
                return checked, event, "前一条记录的哈希不一致（前一条记录被篡改或删除）"
            if row_hash(prev, event) != event.hash:
                return checked, event, "本条记录内容与其哈希不一致（本条记录被篡改）"
            prev = event.hash
            expected_seq += 1
            checked += 1
            last_seq = event.seq
    head = AuditHead.objects.filter(pk=1).first()
    if head and head.seq != last_seq:
        return checked, None, f"链尾缺失：登记的最后序号为 {head.seq}，实际为 {last_seq}（末尾记录被删除）"
    return checked, None, ""


__all__ = ["Action", "Entry", "diff", "record", "record_many", "verify_chain"]
