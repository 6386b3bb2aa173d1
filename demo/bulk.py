"""The one writer of the demo seeders: "insert these tuples into this model's table".

Building the 1,000,000-child city through ``bulk_create`` spends most of its time in Django's
per-object value preparation. The seeders therefore generate plain tuples of database-ready
values and hand them here: SQLite gets ``executemany`` on the raw DB-API cursor, PostgreSQL a
``COPY … FROM STDIN`` through psycopg 3. Columns the caller leaves out get the model field's
default (``auto_now``/``auto_now_add`` fields: the load's timestamp), computed once per call.

Database-ready means: dates as ``datetime.date``, datetimes through :func:`stamp`, JSON through
:func:`as_json`, encrypted fields through ``common.crypto.encrypt``, foreign keys as ids.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence

from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone


def stamp(value):
    """A datetime as the database driver expects it (SQLite stores text, PostgreSQL takes the object)."""
    return connection.ops.adapt_datetimefield_value(value)


def as_json(value) -> str:
    """A JSONField value: the same text ``JSONField`` would store (its encoder's defaults)."""
    return json.dumps(value)


def next_id(model: type[models.Model]) -> int:
    """The first free primary key, for seeders that link rows by ids they assign themselves
    (one writer at a time: the demo build). Call :func:`reset_sequence` after the inserts."""
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX({pk}) FROM {table}")  # noqa: S608 - fixed identifiers
        (largest,) = cursor.fetchone()
    return (largest or 0) + 1


def reset_sequence(*models_: type[models.Model]) -> None:
    """After inserting explicit ids, let the database's own id generator continue above them
    (PostgreSQL sequences; SQLite's AUTOINCREMENT table follows explicit ids by itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    if not statements:
        return
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _defaults(model: type[models.Model], given: Sequence[str]) -> tuple[list[str], tuple]:
    """Columns the caller did not give and their constant, database-ready values."""
    now = timezone.now()
    names, values = [], []
    fields = {f.attname: f for f in model._meta.concrete_fields}
    unknown = set(given) - set(fields)
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
    for attname, field in fields.items():
        if attname in given or field.primary_key:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = stamp(now) if isinstance(field, models.DateTimeField) else now.date()
        elif isinstance(field, models.JSONField):
            value = as_json(field.get_default())
        elif field.has_default() or field.null or field.blank:
            default = field.get_default()
            value = None if default is None else field.get_db_prep_save(default, connection)
        else:
            raise ValueError(f"{model.__name__}.{attname} has no default: give it")
        names.append(field.column)
        values.append(value)
    return names, tuple(values)


def insert(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert ``rows`` (tuples in the order of ``columns``, by attname such as ``child_id``)
    into ``model``'s table. Runs in the caller's transaction; returns the number of rows."""
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return 0
    opts = model._meta
    by_attname = {f.attname: f.column for f in opts.concrete_fields}
    extra_columns, extra = _defaults(model, columns)
    column_names = [by_attname[c] for c in columns] + extra_columns
    if extra:
        rows = [row + extra for row in rows]
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    column_list = ", ".join(quote(c) for c in column_names)
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        placeholders = ", ".join(["?" if connection.vendor == "sqlite" else "%s"] * len(column_names))
        cursor = raw.cursor()
        try:
            cursor.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})", rows)  # noqa: S608
        finally:
            cursor.close()
    return len(rows)


def _secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the table's non-unique indexes, from the catalogue."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [table],
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s",
                [table],
            )
        else:
            return []
        rows = cursor.fetchall()
    return [(name, sql) for name, sql in rows if not sql.upper().startswith("CREATE UNIQUE")]


@contextlib.contextmanager
def without_indexes(*models_: type[models.Model]):
    """Drop the tables' non-unique indexes for a load and build them again afterwards (sorting
    a million keys once beats updating nineteen B-trees a million times). Unique indexes stay,
    so that constraints are still checked row by row. Each index is recreated from the exact
    statement the database catalogue holds, also when the load fails."""
    dropped: list[str] = []
    try:
        _settle()
        for model in models_:
            for name, sql in _secondary_indexes(model._meta.db_table):
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                dropped.append(sql)
        yield
    finally:
        _settle()
        with connection.cursor() as cursor:
            for sql in dropped:
                cursor.execute(sql)


def _settle() -> None:
    """PostgreSQL refuses index DDL on a table with deferred foreign-key checks pending (rows
    inserted earlier in the same transaction, as in tests): run those checks now."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextlib.contextmanager
def loading():
    """Settings for one big load. SQLite: ``synchronous=OFF`` (a demo build that a crash would
    simply rerun; the journal stays WAL) and a 256 MiB page cache, so that index pages of a
    million rows stay in memory. PostgreSQL: asynchronous commit for this session. Inside an
    outer transaction (tests) nothing changes: SQLite refuses to change ``synchronous`` there."""
    connection.ensure_connection()
    if connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous")
            (synchronous,) = cursor.fetchone()
            cursor.execute("PRAGMA cache_size")
            (cache_size,) = cursor.fetchone()
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")
        elif connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"PRAGMA synchronous={int(synchronous)}")
                cursor.execute(f"PRAGMA cache_size={int(cache_size)}")
            elif connection.vendor == "postgresql":
                cursor.execute("SET synchronous_commit = DEFAULT")
