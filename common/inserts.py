"""Inserting many rows fast, on SQLite and PostgreSQL.

``QuerySet.bulk_create`` compiles a multi-row INSERT with the ORM for every batch, and SQLite's
999-parameter limit makes a batch some twenty rows of a wide table: the compiling costs more
than the database. ``insert_many`` prepares each value once (the model fields' own
``pre_save`` / ``get_db_prep_save``: encryption, JSON, dates, auto_now) and sends one
single-row INSERT with ``executemany`` (SQLite) or streams the rows with ``COPY``
(PostgreSQL). Primary keys, when wanted, are taken beforehand from the table's sequence
(PostgreSQL) or after the table's highest id (SQLite, whose IMMEDIATE transactions hold the
write lock), so the objects have their ids as with ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, connections, models

BATCH = 2000


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys for ``model`` (call inside the transaction that inserts)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        if not connection.in_atomic_block:
            raise RuntimeError("allocate_ids must run inside a transaction")
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT MAX({connection.ops.quote_name(column)}) FROM {quoted}")  # noqa: S608
        last = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        last = max(last, row[0] if row else 0)
    return list(range(last + 1, last + 1 + count))


def insert_many(objs: Iterable[models.Model], *, with_ids: bool = True, batch_size: int = BATCH) -> list:
    """INSERT the (new, same-model) objects; with ``with_ids`` each gets its primary key."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if not getattr(f, "generated", False)]
    if with_ids:
        missing = [obj for obj in objs if obj.pk is None]
        for obj, new_id in zip(missing, allocate_ids(model, len(missing)), strict=True):
            obj.pk = new_id
    else:
        fields = [f for f in fields if f is not pk]
    for obj in objs:
        # Foreign keys to objects saved since they were assigned get their ids now.
        obj._prepare_related_fields_for_save(operation_name="insert_many")
    wrapper = connections[connection.alias]  # the wrapper itself, not the per-thread proxy
    prepare = [_preparer(f, wrapper) for f in fields]
    quote = wrapper.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with wrapper.cursor() as cursor:
        if wrapper.vendor == "postgresql":
            # COPY: executemany costs a statement per row on the server (~0.5 ms a row for a
            # wide, indexed table such as the registry's); COPY streams the rows in one.
            # Django's error classes (IntegrityError for a duplicate) as with executemany.
            columns = ", ".join(quote(f.column) for f in fields)
            copy_sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
            with wrapper.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
                for obj in objs:
                    copy.write_row([prep(obj) for prep in prepare])
        else:
            for start in range(0, len(objs), batch_size):
                chunk = objs[start : start + batch_size]
                cursor.executemany(sql, [[prep(obj) for prep in prepare] for obj in chunk])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = wrapper.alias
    return objs


def update_many(objs: Iterable[models.Model], names: Iterable[str]) -> None:
    """UPDATE the ``names`` columns of each (saved, same-model) object by primary key, with the
    values as the objects hold them (``get_db_prep_save``; no ``pre_save``: set ``auto_now``
    values yourself). An object listed twice is written as it is the last time.

    PostgreSQL: one ``UPDATE … FROM (VALUES …)`` per thousand rows (executemany costs a
    statement per row on the server); SQLite: one single-row UPDATE with ``executemany``."""
    objs = list({obj.pk: obj for obj in objs}.values())
    if not objs:
        return
    meta = objs[0]._meta
    fields = [meta.get_field(name) for name in names]
    wrapper = connections[connection.alias]
    quote = wrapper.ops.quote_name
    table, pk = quote(meta.db_table), meta.pk
    rows = [[*(f.get_db_prep_save(getattr(obj, f.attname), wrapper) for f in fields), obj.pk] for obj in objs]
    with wrapper.cursor() as cursor:
        if wrapper.vendor != "postgresql":
            assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {quote(pk.column)} = %s", rows)  # noqa: S608
            return
        columns = [*fields, pk]
        # Every value cast to its column's type: a VALUES column of NULLs would otherwise be text.
        row_sql = "(" + ", ".join(f"%s::{f.cast_db_type(wrapper)}" for f in columns) + ")"
        names_sql = ", ".join(f"c{i}" for i in range(len(columns)))
        assignments = ", ".join(f"{quote(f.column)} = v.c{i}" for i, f in enumerate(fields))
        size = min(1000, 60000 // len(columns))
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row_sql] * len(chunk))}) "  # noqa: S608
                f"AS v({names_sql}) WHERE {table}.{quote(pk.column)} = v.c{len(fields)}",
                [value for row in chunk for value in row],
            )


def _plain_type(field) -> type | None:
    """The Python type whose values the field stores unchanged on every backend, if any."""
    if type(field).pre_save is not models.Field.pre_save:  # auto_now and the like
        return None
    target = field.target_field if field.is_relation else field
    for kind, python_type in (
        (models.BooleanField, bool),
        (models.AutoField, int),
        (models.BigAutoField, int),
        (models.IntegerField, int),
        (models.CharField, str),
    ):
        if type(target) is kind or (
            type(target).__module__.startswith("django.") and isinstance(target, kind)
        ):
            return python_type
    return None


def _preparer(field, wrapper):
    """A function obj -> database value: ``field.get_db_prep_save(field.pre_save(obj, True))``.

    Plain values of plain fields (a str in a CharField, an int in an IntegerField or a key)
    are that value already; the generic path costs most of an import's inserting time.
    """
    attname = field.attname

    def generic(obj):
        return field.get_db_prep_save(field.pre_save(obj, True), wrapper)

    python_type = _plain_type(field)
    if python_type is None:
        return generic

    def fast(obj):
        value = obj.__dict__.get(attname, generic)
        if value is None or type(value) is python_type:
            return value
        return generic(obj)

    return fast


def analyze(labels: Iterable[str], *, never_analysed_only: bool = False) -> list[str]:
    """PostgreSQL: ``ANALYZE`` the tables of the models named ``app_label.Model`` (those whose
    app is installed); with ``never_analysed_only``, only the tables without statistics yet.
    Returns the tables analysed; does nothing on SQLite.

    Without statistics the planner guesses: ``child_id IN (1,000 ids)`` on the entitlements of a
    never-analysed registry became a sequential scan of every row (0.7 s a chunk, half an
    import's time), and nothing else analyses the tables when autovacuum is off. Imports call
    this before their first chunk for the never-analysed tables (once in a database's life).
    Analysing again after a big import was measured not to speed up the next one (the planner
    scales the row counts it has with the tables' size) and costs seconds."""
    if connection.vendor != "postgresql":
        return []
    from django.apps import apps

    tables = []
    for label in labels:
        app_label, _dot, name = label.partition(".")
        if app_label in apps.app_configs:
            tables.append(apps.get_model(app_label, name)._meta.db_table)
    with connection.cursor() as cursor:
        if never_analysed_only and tables:
            cursor.execute(
                "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema() "
                "AND tablename = ANY(%s)",
                [tables],
            )
            analysed = {row[0] for row in cursor.fetchall()}
            tables = [t for t in tables if t not in analysed]
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return tables
