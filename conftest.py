import pytest


@pytest.fixture
def city(db):
    """The demo city's places and the eight personas (see common/testing.py)."""
    from common.testing import build_city

    return build_city()


@pytest.fixture
def login(client):
    """Log a persona in (second factor marked as verified for roles that need it)."""

    def _login(user):
        client.force_login(user)
        session = client.session
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(user=user, name="测试令牌", defaults={"confirmed": True})
        session["otp_device_id"] = device.persistent_id
        session.save()
        return client

    return _login


_SERIALIZED: dict[str, str] = {}


def _keep_serialized_contents(request) -> None:
    """Serialized rollback reloads the rows the test database was created with from an
    attribute of the connection object. A test that swaps the connection (to reach a file
    copy of the database from threads, say) leaves a new object without it, and every later
    serialized rollback would silently restore nothing: put it back."""
    request.getfixturevalue("django_db_setup")
    from django.db import connections

    for alias in connections:
        connection = connections[alias]
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents is not None:
            _SERIALIZED.setdefault(alias, contents)
        elif alias in _SERIALIZED:
            connection._test_serialized_contents = _SERIALIZED[alias]


@pytest.fixture(autouse=True)
def _audit_log_flushable(request):
    """Transactional tests end with a flush (DELETE on SQLite), which the audit log's
    append-only triggers refuse: lift them for the flush and put them back for the next test."""
    if not {"transactional_db", "live_server"} & set(request.fixturenames):
        yield
        return
    _keep_serialized_contents(request)
    request.getfixturevalue("transactional_db")
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    from importlib import import_module

    triggers = import_module("audit.migrations.0002_append_only_triggers")
    with connection.cursor() as cursor:
        for sql in triggers.SQLITE:
            cursor.execute(sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS"))
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")


def pytest_collection_modifyitems(items):
    """Every transactional test restores the data migrations' rows (counties, policy tables,
    the service list…) that the flush at its end removes: serialized rollback for all of them,
    so that no test depends on running before or after another."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
            {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
        )
        if transactional:
            kwargs = {**(marker.kwargs if marker else {}), "transaction": True, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)
