"""``insert_new``: INSERT new model instances with SQL compiled once per model, for hot write paths.

``Model.save()`` compiles its INSERT afresh on every call (a query object, the compiler, a
placeholder and a prepared value per field) and sends the pre/post-save signals; on intake,
which saves five rows per API request, that is a large share of a web worker's CPU (figures in
benchmarks/README.md). Here the statement is compiled by Django's own compiler once per model and
database, and each call only prepares the values and runs it.

Preparing the values is what ``save()`` does, ``field.get_db_prep_save(field.pre_save(obj,
True), connection)`` per field, made cheap where that is provably the identity: for each model a
row function is generated once, which reads a plain field's value straight from the instance and
passes it on when its type is one the field hands to the driver unchanged (a ``str`` for a
``CharField`` or ``TextField``, an ``int`` for an integer field or a foreign key, a ``bool``, an
aware ``datetime`` or a ``date`` where the backend's own adapter is the identity, and ``None``
for each). Any other value, and every other field (JSON, phone numbers, a subclass that changes
how a value is prepared, ``auto_now``), goes through Django's own two calls. The rules are read
off the field's class and the backend's operations, never assumed: a class that overrides any of
the methods involved is prepared the full way (``field_rule``).

The statements of one thread reuse one cursor while nothing records queries (a cursor per
statement was a measurable share of the SQL's client side); with ``DEBUG``, or under
``CaptureQueriesContext``, each gets a fresh cursor from the connection as usual, so every
statement is logged.

It sends no model signals (the project registers none for the models that use it) and handles
only plain values: no expressions (``F()``, ``Now()``) as field values.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from django.db import connections, router
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    Field,
    ForeignKey,
    IntegerField,
    Model,
    TextField,
)
from django.db.models.fields import AutoFieldMixin
from django.db.models.sql import InsertQuery


@dataclass(frozen=True)
class _Statement:
    fields: tuple[Any, ...]  # in statement order
    sql: str
    returns_pk: bool
    row: Callable[[Model, Any], list[Any]]  # (instance, connection) -> its values, in order
    related: tuple[Any, ...] | None  # what _related_ready checks; None: always Django's check


# (model, database alias, RETURNING available, rows) -> the compiled statement
_statements: dict[tuple[type[Model], str, bool, int], _Statement] = {}


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
    params: list[Any] = []
    row = statement.row
    for obj in objs:
        if not _related_ready(obj, statement.related):
            obj._prepare_related_fields_for_save(operation_name="save")
        params += row(obj, connection)
    meta = model._meta
    cursor = _cursor(connection)
    try:
        cursor.execute(statement.sql, params)
        if statement.returns_pk:
            pks = [row[0] for row in cursor.fetchall()]
        else:  # one row: _compile compiles several only where the keys come back
            pks = [connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)]
    finally:
        if cursor is not _reusable(connection):
            cursor.close()
    for obj, pk in zip(objs, pks, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = alias


# --- One cursor per connection ----------------------------------------------------------------


def _reusable(connection: Any) -> Any:
    return connection.__dict__.get("_fast_insert_cursor")


def _cursor(connection: Any) -> Any:
    """The connection's reusable cursor for these INSERTs, or a fresh one while queries are
    logged (then the caller closes it).

    A reused cursor is Django's own ``CursorWrapper`` (errors wrapped, ``execute_wrapper``s
    applied on every statement), made by ``connection.cursor()`` on the same database
    connection; a reconnect (or a health check that closes the connection) makes a new one.
    Only a driver whose cursors say whether they are closed (psycopg's) gets one kept: an
    sqlite3 cursor cannot tell, and SQLite is the demo's database, not a hot path."""
    if connection.queries_logged:
        return connection.cursor()
    connection.close_if_health_check_failed()
    cursor = _reusable(connection)
    if (
        cursor is not None
        and connection.connection is not None
        and cursor.cursor.connection is connection.connection
        and not cursor.cursor.closed
    ):
        return cursor
    cursor = connection.cursor()
    if hasattr(cursor.cursor, "closed"):
        connection.__dict__["_fast_insert_cursor"] = cursor
    return cursor


# --- Related objects ---------------------------------------------------------------------------


def _related_ready(obj: Model, related: tuple[Any, ...] | None) -> bool:
    """True when ``_prepare_related_fields_for_save`` would do nothing: every cached related
    object is saved and its key is the one in the row. Otherwise (or for a model with private
    fields, ``related`` None) the caller runs Django's own check, which fixes or refuses."""
    if related is None:
        return False
    cache = obj._state.fields_cache
    values = obj.__dict__
    for field in related:
        other = cache.get(field.cache_name)
        if not other:
            continue
        value = values.get(field.attname)
        if (
            not other._is_pk_set()
            or value in field.empty_values
            or getattr(other, field.target_field.attname) != value
        ):
            return False
    return True


# --- Values --------------------------------------------------------------------------------


def _own(field: Field, name: str, owner: type) -> bool:
    """``field``'s class takes method ``name`` from ``owner`` (Django's), not an override."""
    return getattr(type(field), name) is getattr(owner, name)


def _identity(adapt: Callable[[Any], Any], sample: Any) -> bool:
    try:
        return adapt(sample) is sample
    except Exception:  # a backend that refuses the sample: not the identity
        return False


_AWARE = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
_DAY = datetime.date(2000, 1, 1)


def field_rule(field: Any, connection: Any) -> str | None:
    """Which values of ``field`` need no preparation on this connection, or None (every value
    is prepared the full way).

    "str", "int", "bool", "date": that exact type or None; "datetime": an aware ``datetime``
    (exact type) or None. Each holds only where the field's class takes every method on the
    path (``pre_save``, ``get_db_prep_save``, ``get_db_prep_value``, ``get_prep_value``) from
    the Django class whose code was checked, and the backend's adapter, where one is called, is
    the identity."""
    if getattr(field, "generated", False) or not _own(field, "get_db_prep_save", Field):
        if isinstance(field, ForeignKey):
            return _foreign_key_rule(field, connection)
        return None
    ops = type(connection.ops)
    if isinstance(field, DateTimeField):
        plain = (
            _own(field, "pre_save", DateTimeField)
            and not (field.auto_now or field.auto_now_add)
            and _own(field, "get_db_prep_value", DateTimeField)
            and _own(field, "get_prep_value", DateTimeField)
            and _own(field, "to_python", DateTimeField)
        )
        return (
            "datetime"
            if plain and _identity(connection.ops.adapt_datetimefield_value, _AWARE)
            else None
        )
    if isinstance(field, DateField):
        plain = (
            _own(field, "pre_save", DateField)
            and not (field.auto_now or field.auto_now_add)
            and _own(field, "get_db_prep_value", DateField)
            and _own(field, "get_prep_value", DateField)
            and _own(field, "to_python", DateField)
        )
        return "date" if plain and _identity(connection.ops.adapt_datefield_value, _DAY) else None
    if not _own(field, "pre_save", Field):
        return None
    if isinstance(field, CharField | TextField):
        owner = CharField if isinstance(field, CharField) else TextField
        plain = (
            _own(field, "get_db_prep_value", Field)
            and _own(field, "get_prep_value", owner)
            and _own(field, "to_python", owner)
        )
        return "str" if plain else None
    if isinstance(field, BooleanField):
        plain = _own(field, "get_db_prep_value", Field) and _own(
            field, "get_prep_value", BooleanField
        )
        return "bool" if plain and _own(field, "to_python", BooleanField) else None
    if isinstance(field, IntegerField):
        return _integer_rule(field, ops)
    return None


def _integer_rule(field: Any, ops: type) -> str | None:
    if not _own(field, "get_prep_value", IntegerField):
        return None
    if isinstance(field, AutoFieldMixin):
        plain = _own(field, "get_db_prep_value", AutoFieldMixin) and (
            ops.validate_autopk_value is BaseDatabaseOperations.validate_autopk_value
        )
    else:
        plain = _own(field, "get_db_prep_value", IntegerField) and (
            ops.adapt_integerfield_value is BaseDatabaseOperations.adapt_integerfield_value
        )
    return "int" if plain else None


def _foreign_key_rule(field: Any, connection: Any) -> str | None:
    # ForeignKey.get_db_prep_save: None stays None, anything else is the target field's.
    if not (_own(field, "get_db_prep_save", ForeignKey) and _own(field, "pre_save", Field)):
        return None
    target = field.target_field
    if not _own(target, "get_db_prep_save", Field):
        return None
    return "int" if field_rule(target, connection) == "int" else None


_TESTS = {
    "str": "{v}.__class__ is str or {v} is None",
    "int": "{v}.__class__ is int or {v} is None",
    "bool": "{v}.__class__ is bool or {v} is None",
    "date": "{v}.__class__ is date or {v} is None",
    "datetime": "{v} is None or ({v}.__class__ is datetime and {v}.utcoffset() is not None)",
}


def _row_function(
    model: type[Model], fields: Sequence[Any], connection: Any
) -> Callable[[Model, Any], list[Any]]:
    """Generate ``row(obj, connection)``: the values ``save()`` would send, in field order."""
    namespace: dict[str, Any] = {"date": datetime.date, "datetime": datetime.datetime}
    reads, items = [], []
    for i, field in enumerate(fields):
        namespace[f"prep{i}"] = field.get_db_prep_save
        rule = field_rule(field, connection)
        if rule is None:
            namespace[f"pre{i}"] = field.pre_save
            items.append(f"prep{i}(pre{i}(obj, True), connection)")
            continue
        reads.append(f"v{i} = values[{field.attname!r}]")
        test = _TESTS[rule].format(v=f"v{i}")
        items.append(f"v{i} if {test} else prep{i}(v{i}, connection)")

    def full(obj: Model, connection: Any) -> list[Any]:
        return [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]

    namespace["full"] = full
    lines = ["def row(obj, connection):"]
    if reads:
        lines += [
            "    values = obj.__dict__",
            "    try:",
            *(f"        {read}" for read in reads),
            "    except KeyError:  # a deferred field: read it the full way",
            "        return full(obj, connection)",
        ]
    lines += [
        "    return [",
        *(f"        {item}," for item in items),
        "    ]",
    ]
    source = "\n".join(lines)
    exec(compile(source, f"<fast_insert row of {model._meta.label}>", "exec"), namespace)  # noqa: S102 - our own source, from field names
    return namespace["row"]


# --- Compiling --------------------------------------------------------------------------------


def _compile(model: type[Model], obj: Model, connection: Any, rows: int) -> _Statement:
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
    related = (
        None
        if meta.private_fields
        else tuple(field for field in meta.concrete_fields if field.is_relation)
    )
    return _Statement(
        tuple(fields), sql, returns_pks, _row_function(model, fields, connection), related
    )


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
