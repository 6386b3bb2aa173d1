"""The hash of an audit row: SHA-256 over the previous hash and the row's canonical form."""

import hashlib
import json

GENESIS = "0" * 64


def canonical(event) -> str:
    return json.dumps(
        [
            event.seq,
            event.at.isoformat(),
            event.actor_id,
            event.actor_name,
            event.ip,
            event.action,
            event.object_type,
            event.object_id,
            event.summary,
            event.changes,
            event.batch,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )


def row_hash(prev_hash: str, event) -> str:
    return hashlib.sha256((prev_hash + canonical(event)).encode()).hexdigest()
