"""``CompiledQuery``: a read the ORM builds once, compiled once per database connection, then run
with new parameter values, for the hottest reads (the API key lookup on every API call).

Building and compiling a small SELECT costs more than running it (benchmarks/README.md). Here the
queryset is built with placeholder values, compiled by Django's own compiler once per connection
(a compiler belongs to the connection it compiled for; a connection to one thread), and each call
runs the SQL with the real values and converts the rows with that same compiler and the
converters it chose, exactly as ``QuerySet.values_list()`` would. While nothing watches the
connection's statements (no execute wrapper, no query log), the statement runs on the backend's
own cursor, with Django's checks and error translation but without its wrapper objects.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler


class CompiledQuery:
    """``build(*placeholders)`` returns a ``values_list`` queryset; ``rows(*values)`` runs it.

    The placeholders must be distinct values that reach the SQL as parameters in order (checked
    when the query is compiled).
    """

    def __init__(self, build: Callable[..., QuerySet], *placeholders: Any, using: str) -> None:
        self.build = build
        self.placeholders = list(placeholders)
        self.using = using
        self._compiled: weakref.WeakKeyDictionary[
            BaseDatabaseWrapper, tuple[SQLCompiler, str, dict]
        ] = weakref.WeakKeyDictionary()

    def _compile(self, connection: BaseDatabaseWrapper) -> tuple[SQLCompiler, str, dict]:
        compiled = self._compiled.get(connection)
        if compiled is None:
            query = self.build(*self.placeholders).query
            compiler = query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            if list(params) != self._adapted(connection, self.placeholders):
                raise RuntimeError(f"The compiled query takes unexpected parameters: {params!r}")
            # What results_iter() works out on every call: the columns' converters.
            fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
            converters = compiler.get_converters(fields)
            compiled = self._compiled[connection] = (compiler, sql, converters)
        return compiled

    def _adapted(self, connection: BaseDatabaseWrapper, values: Sequence[Any]) -> list[Any]:
        """The values as the query's compiler passes them: a datetime placeholder becomes what
        the backend stores (SQLite: text), as ``DateTimeField.get_db_prep_value`` does."""
        return [
            connection.ops.adapt_datetimefield_value(value)
            if isinstance(placeholder, datetime) and isinstance(value, datetime)
            else value
            for placeholder, value in zip(self.placeholders, values, strict=True)
        ]

    def rows(self, *values: Any) -> list[Sequence[Any]]:
        """The rows for these values, converted as ``values_list`` converts them."""
        connection = connections[self.using]
        compiler, sql, converters = self._compile(connection)
        values = self._adapted(connection, values)
        if connection.execute_wrappers or connection.queries_logged:
            # Through Django's cursor, so every execute wrapper and the query log see it.
            with connection.cursor() as cursor:
                cursor.execute(sql, list(values))
                fetched = cursor.fetchall()
        else:
            fetched = _fetch_all(connection, sql, list(values))
        if not converters:
            return list(fetched)
        return list(map(tuple, compiler.apply_converters(fetched, converters)))


def _fetch_all(connection: BaseDatabaseWrapper, sql: str, params: list[Any]) -> list[Any]:
    """``connection.cursor()``, ``execute()``, ``fetchall()``: the same checks and the same error
    translation (``DatabaseWrapper._cursor``, ``CursorWrapper._execute``), without building the
    cursor wrapper and its executor chain for a statement no wrapper or log is watching."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        cursor = connection.create_cursor()
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            with contextlib.suppress(connection.Database.Error):  # as CursorWrapper.__exit__
                cursor.close()
