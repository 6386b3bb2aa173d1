"""Background work: an uploaded feed is imported by a task, the page polls its counts."""

from __future__ import annotations

from pathlib import Path

from django_tasks import task


@task()
def import_uploaded_feed(batch_id: int, columns: dict | None = None) -> int:
    from common.tabular import TableError
    from exchange.models import FeedBatch
    from exchange.services import feed_import

    batch = FeedBatch.objects.select_related("source", "uploaded_by").get(pk=batch_id)
    path = Path(batch.stored_file)
    try:
        feed_import(
            actor=batch.uploaded_by, source=batch.source, file=path, file_name=batch.file_name,
            columns=columns or None, batch=batch,
        )  # fmt: skip
    except TableError:
        # Recorded on the batch (status "mapping" or "failed"); the file is kept for the mapping step.
        return batch_id
    path.unlink(missing_ok=True)
    FeedBatch.objects.filter(pk=batch_id).update(stored_file="")
    return batch_id
