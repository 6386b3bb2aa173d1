"""Background work: a large confirmed import is committed by a task; the page shows progress."""

from __future__ import annotations

from django_tasks import task


@task()
def commit_ledger_import(import_id: int, actor_id: int) -> int:
    from django.contrib.auth import get_user_model

    from ledger.models import LedgerImport
    from ledger.services import ImportRefused, ledger_commit

    ledger_import = LedgerImport.objects.get(pk=import_id)
    actor = get_user_model().objects.get(pk=actor_id)
    try:
        ledger_commit(actor=actor, ledger_import=ledger_import, claimed=True)
    except ImportRefused:
        pass  # recorded on the import (status "failed" with the reason)
    return import_id
