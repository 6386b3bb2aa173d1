"""Connection settings the deployment relies on, on whichever database the suite runs."""

import pytest
from django.db import connection

# The setting each backend's connections must have: (statement, expected first column).
EXPECTED = {
    # PostgreSQL: no JIT (it compiled the nightly compliance query for longer than it ran).
    "postgresql": ("SHOW jit", "off"),
    # SQLite: foreign keys enforced (off by default in SQLite).
    "sqlite": ("PRAGMA foreign_keys", 1),
}


@pytest.mark.django_db
def test_connections_have_the_settings_the_deployment_relies_on():
    statement, expected = EXPECTED[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(statement)
        assert cursor.fetchone()[0] == expected
