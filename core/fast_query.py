"""``CompiledQuery``: a read the ORM builds once, compiled once per database connection, then run
with new parameter values, for the hottest reads (the API key lookup on every API call).

Building and compiling a small SELECT costs more than running it (benchmarks/README.md). Here the
queryset is built with placeholder values, compiled by Django's own compiler once per connection
(a compiler belongs to the connection it compiled for; a connection to one thread), and each call
runs the SQL with the real values and converts the rows with that same compiler, exactly as
``QuerySet.values_list()`` would.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
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
        self._compiled: weakref.WeakKeyDictionary[BaseDatabaseWrapper, tuple[SQLCompiler, str]] = (
            weakref.WeakKeyDictionary()
        )

    def _compile(self, connection: BaseDatabaseWrapper) -> tuple[SQLCompiler, str]:
        compiled = self._compiled.get(connection)
        if compiled is None:
            query = self.build(*self.placeholders).query
            compiler = query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            if list(params) != self.placeholders:
                raise RuntimeError(f"The compiled query takes unexpected parameters: {params!r}")
            compiled = self._compiled[connection] = (compiler, sql)
        return compiled

    def rows(self, *values: Any) -> list[Sequence[Any]]:
        """The rows for these values, converted as ``values_list`` converts them."""
        connection = connections[self.using]
        compiler, sql = self._compile(connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, list(values))
            fetched = cursor.fetchall()
        return list(compiler.results_iter(results=[fetched], tuple_expected=True))
