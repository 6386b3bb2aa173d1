import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.services import record, verify_chain


def _disable_triggers():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")
        else:
            # Fire the test transaction's deferred foreign-key checks first: PostgreSQL will not
            # alter a table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_change")


@pytest.fixture
def events(db):
    return [
        record(
            actor=None,
            action="system",
            object_type="t",
            object_id=str(i),
            summary=f"第{i}条",
            changes={"名称": ["旧", "新"], "n": i},
        )
        for i in range(1, 6)
    ]


def test_chain_links_each_row_to_the_previous(events):
    rows = list(AuditEvent.objects.order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 5))
    assert verify_chain() == (5, None, "")
    call_command("verify_audit")


def test_database_refuses_update_and_delete(events):
    for statement in ("UPDATE audit_auditevent SET summary = 'x'", "DELETE FROM audit_auditevent"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement)


def test_tampering_with_a_row_is_detected_and_reported(events):
    _disable_triggers()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET summary = '被改写' WHERE seq = 3")
    checked, broken, reason = verify_chain()
    assert checked == 2 and broken.seq == 3 and "篡改" in reason
    with pytest.raises(CommandError, match="第 3 条"):
        call_command("verify_audit")


def test_deleting_a_row_is_detected(events):
    _disable_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 2")
    _checked, broken, reason = verify_chain()
    assert broken.seq == 3 and "删除" in reason


def test_deleting_the_last_row_is_detected(events):
    _disable_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 5")
    _checked, broken, reason = verify_chain()
    assert broken is None and "链尾" in reason
