"""``insert_new``: INSERT new model instances with SQL compiled once per model, for hot write paths.

``Model.save()`` compiles its INSERT afresh on every call (a query object, the compiler, a
placeholder and a prepared value per field) and sends the pre/post-save signals; on intake,
which saves five rows per API request, that is a large share of a web worker's CPU (figures in
benchmarks/README.md). Here the statement is compiled by Django's own compiler once per model and database, and each
call only prepares the values (``get_db_prep_save``, as ``save()`` does) and runs it.

It sends no model signals (the project registers none for the models that use it) and handles
only plain values: no expressions (``F()``, ``Now()``) as field values.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.db import connections, router
from django.db.models import Model
from django.db.models.sql import InsertQuery

# (model, database alias, RETURNING available, rows) -> (fields in statement order, SQL, returns pk)
_statements: dict[tuple[type[Model], str, bool, int], tuple[list[Any], str, bool]] = {}


def insert_new(*objs: Model) -> None:
    """Save new model instances and set their primary keys, like ``save()`` on each.

    Consecutive instances of one model go in one multi-row INSERT where the database returns
    the new keys of several rows in order (PostgreSQL, SQLite ≥ 3.35: Django's own
    ``can_return_rows_from_bulk_insert``), otherwise one INSERT each.
    """
    for (model, alias), group in groupby(
        objs, key=lambda obj: (type(obj), router.db_for_write(type(obj), instance=obj))
    ):
        rows = list(group)
        connection = connections[alias]
        features = connection.features
        if (
            len(rows) > 1
            and features.can_return_columns_from_insert
            and features.can_return_rows_from_bulk_insert
        ):
            _insert(model, alias, rows)
        else:
            for obj in rows:
                _insert(model, alias, [obj])


def _insert(model: type[Model], alias: str, objs: list[Model]) -> None:
    connection = connections[alias]
    key = (model, alias, connection.features.can_return_columns_from_insert, len(objs))
    statement = _statements.get(key)
    if statement is None:
        statement = _statements[key] = _compile(model, objs[0], connection, len(objs))
    fields, sql, returns_pk = statement
    params = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="save")
        params += [
            field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields
        ]
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returns_pk:
            pks = [row[0] for row in cursor.fetchall()]
        else:  # one row: _compile compiles several only where the keys come back
            pks = [connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)]
    for obj, pk in zip(objs, pks, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = alias


def _compile(
    model: type[Model], obj: Model, connection: Any, rows: int
) -> tuple[list[Any], str, bool]:
    meta = model._meta
    if meta.auto_field is None:
        raise TypeError(f"{meta.label} has no auto primary key: insert_new cannot set it")
    fields = [
        field
        for field in meta.local_concrete_fields
        if field is not meta.auto_field and not getattr(field, "generated", False)
    ]
    query = InsertQuery(model)
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(connection=connection)
    returns_pks = connection.features.can_return_columns_from_insert
    compiler.returning_fields = [meta.pk] if returns_pks else None
    (sql, _params), *rest = compiler.as_sql()
    if rest:
        raise RuntimeError(f"Django compiled more than one INSERT for one {meta.label}")
    if sql.count("%s") != len(fields):
        raise RuntimeError(f"The INSERT for {meta.label} does not take one value per field")
    if rows > 1:
        # Django compiles PostgreSQL's multi-row INSERT with arrays (UNNEST), which changes
        # with the row count anyway; the one-row statement's VALUES group, repeated, is the
        # plain SQL form both databases take.
        head, values, tail = _split_values(sql, meta.label)
        sql = head + ", ".join([values] * rows) + tail
    return fields, sql, returns_pks


def _split_values(sql: str, label: str) -> tuple[str, str, str]:
    """``INSERT … VALUES (…) RETURNING …`` -> ("INSERT … VALUES ", "(…)", " RETURNING …")."""
    marker = " VALUES ("
    if sql.count(marker) != 1:
        raise RuntimeError(f"Unexpected INSERT for {label}: {sql[:80]}")
    start = sql.index(marker) + len(marker) - 1
    depth = 0
    for end in range(start, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[end], 0)
        if depth == 0:
            break
    values = sql[start : end + 1]
    if values.count("%s") != sql.count("%s"):
        raise RuntimeError(f"Unexpected INSERT for {label}: {sql[:80]}")
    return sql[:start], values, sql[end + 1 :]
