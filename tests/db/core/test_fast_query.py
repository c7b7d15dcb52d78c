"""core.fast_query: a compiled read gives what values_list() gives, and whoever watches the
connection's statements (execute wrappers, the query log) still sees it."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from core.fast_query import CompiledQuery
from tenants.models import ApiKey, hash_api_key
from tenants.services import api_key_create

pytestmark = pytest.mark.django_db

COLUMNS = ["id", "tenant_id", "name", "scopes", "created_at", "revoked_at", "tenant__updated_at"]


def _query() -> CompiledQuery:
    return CompiledQuery(
        lambda key_hash: ApiKey.objects.filter(key_hash=key_hash).values_list(*COLUMNS),
        "(the key hash)",
        using="default",
    )


def _expected(key_hash: str) -> list[tuple]:
    return list(ApiKey.objects.filter(key_hash=key_hash).values_list(*COLUMNS))


def test_the_rows_and_their_types_are_values_lists(tenant_a):
    _, raw = api_key_create(tenant=tenant_a, scopes=["requests:read"])
    key_hash = hash_api_key(raw)
    query = _query()

    rows = query.rows(key_hash)
    assert rows == _expected(key_hash)
    assert [type(value) for value in rows[0]] == [type(value) for value in _expected(key_hash)[0]]
    assert rows[0][3] == ["requests:read"]  # JSON, converted
    assert query.rows("no such hash") == []


def test_an_execute_wrapper_sees_the_statement(tenant_a):
    _, raw = api_key_create(tenant=tenant_a)
    key_hash = hash_api_key(raw)
    query = _query()
    query.rows(key_hash)  # compiled
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(params)
        return execute(sql, params, many, context)

    expected = _expected(key_hash)
    with connection.execute_wrapper(wrapper):
        assert query.rows(key_hash) == expected
    assert seen == [[key_hash]]


def test_the_query_log_counts_the_statement(tenant_a, django_assert_num_queries):
    _, raw = api_key_create(tenant=tenant_a)
    key_hash = hash_api_key(raw)
    query = _query()
    query.rows(key_hash)
    with CaptureQueriesContext(connection) as captured:
        query.rows(key_hash)
    assert len(captured) == 1
    assert key_hash in captured[0]["sql"]
    with django_assert_num_queries(1):
        query.rows(key_hash)


def test_database_errors_arrive_as_djangos(tenant_a):
    by_id = CompiledQuery(
        lambda pk: ApiKey.objects.filter(pk=pk).values_list("id"), 123456789, using="default"
    )
    assert by_id.rows(123456789) == []
    compiler, _, converters = by_id._compiled[connections["default"]]
    by_id._compiled[connections["default"]] = (
        compiler,
        "SELECT id FROM no_such_table WHERE id = %s",
        converters,
    )
    with pytest.raises(DatabaseError) as raised, transaction.atomic():
        by_id.rows(1)
    assert type(raised.value).__module__ == "django.db.utils"  # translated from the driver's
    assert ApiKey.objects.count() == 0  # the connection is still usable


def test_a_datetime_parameter_compares_as_the_orm_compares_it(tenant_a):
    """SQLite stores datetimes as text: the compiled statement gets the value as the ORM would
    pass it, so "created since" finds exactly the keys the ORM finds, on either database."""
    from datetime import UTC, datetime, timedelta

    api_key_create(tenant=tenant_a, scopes=["requests:read"])
    created = ApiKey.objects.get(tenant=tenant_a).created_at
    since = CompiledQuery(
        lambda at: ApiKey.objects.filter(created_at__gte=at).values_list("id"),
        datetime(2000, 1, 1, tzinfo=UTC),
        using="default",
    )
    assert since.rows(created - timedelta(seconds=1)) == list(
        ApiKey.objects.filter(created_at__gte=created - timedelta(seconds=1)).values_list("id")
    )
    assert len(since.rows(created)) == 1
    assert since.rows(created + timedelta(microseconds=1)) == []
