"""seed_demo ends with planner statistics, so the work measured on a fresh city is planned on its data."""

import datetime as dt

from django.core.management import call_command
from django.db import connection


def _statistics_rows(table: str) -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT COUNT(*) FROM pg_stats WHERE tablename = %s", [table])
        else:
            cursor.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if not cursor.fetchone()[0]:
                return 0
            cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = %s", [table])
        return cursor.fetchone()[0]


def test_seed_demo_leaves_planner_statistics_of_the_children(db):
    if connection.vendor == "sqlite":  # PostgreSQL's autovacuum may have analyzed the test tables
        assert _statistics_rows("registry_child") == 0
    call_command("seed_demo", children=40, seed=3, on=dt.date(2025, 9, 1), quiet=True)
    assert _statistics_rows("registry_child") > 0
    assert _statistics_rows("servicelist_entitlement") > 0
