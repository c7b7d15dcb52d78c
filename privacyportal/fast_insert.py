"""``insert_new``: INSERT new model instances with SQL compiled once per model, for hot write paths.

``Model.save()`` compiles its INSERT afresh on every call (a query object, the compiler, a
placeholder and a prepared value per field) and sends the pre/post-save signals. For intake,
which saves four rows per API request, that machinery was about a third of a web worker's CPU.
Here the statement is compiled by Django's own compiler once per model and database, and each
call only prepares the values (``get_db_prep_save``, as ``save()`` does) and runs it.

It sends no model signals (the project registers none for the models that use it) and handles
only plain values: no expressions (``F()``, ``Now()``) as field values.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, router
from django.db.models import Model
from django.db.models.sql import InsertQuery

# (model, database alias, RETURNING available) -> (fields in statement order, SQL, returns pk)
_statements: dict[tuple[type[Model], str, bool], tuple[list[Any], str, bool]] = {}


def insert_new(*objs: Model) -> None:
    """Save new model instances, one INSERT each, and set their primary keys, like ``save()``.

    One row per statement: the statement stays the same whatever the count (PostgreSQL's
    multi-row INSERT is compiled differently, with arrays), and intake saves one or two rows.
    """
    for obj in objs:
        _insert(obj)


def _insert(obj: Model) -> None:
    model = type(obj)
    alias = router.db_for_write(model, instance=obj)
    connection = connections[alias]
    key = (model, alias, connection.features.can_return_columns_from_insert)
    statement = _statements.get(key)
    if statement is None:
        statement = _statements[key] = _compile(model, obj, connection)
    fields, sql, returns_pk = statement
    obj._prepare_related_fields_for_save(operation_name="save")
    params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returns_pk:
            pk = cursor.fetchone()[0]
        else:
            pk = connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = alias


def _compile(model: type[Model], obj: Model, connection: Any) -> tuple[list[Any], str, bool]:
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
    return fields, sql, returns_pks
