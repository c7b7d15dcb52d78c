"""The API key lookup: one slim query per call, the tenant from a per-process copy kept current."""

from __future__ import annotations

import copy
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from tenants import selectors
from tenants.models import ApiKey, Tenant
from tenants.selectors import api_key_lookup
from tenants.services import api_key_create, api_key_revoke, tenant_create

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/requests/"


def _create(raw_key: str, **body: object):
    payload = {"type": "delete", "requester": {"name": "Casey", "email": "casey@example.com"}}
    payload.update(body)
    return Client().post(
        REQUESTS,
        data=payload,
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw_key}"},
    )


def test_the_key_comes_back_complete_with_its_tenant(tenant_a):
    api_key, raw = api_key_create(tenant=tenant_a, name="CRM")

    found = api_key_lookup(raw)

    assert isinstance(found, ApiKey)
    assert found == api_key
    assert (found.pk, found.name, found.hint, found.key_hash, found.tenant_id) == (
        api_key.pk,
        "CRM",
        api_key.hint,
        api_key.key_hash,
        tenant_a.pk,
    )
    assert found.created_at == api_key.created_at
    assert found.revoked_at is None
    assert found.tenant == tenant_a
    assert found.tenant.legal_name == tenant_a.legal_name


def test_a_cached_tenant_costs_one_query_per_call(tenant_a, django_assert_num_queries):
    _, raw = api_key_create(tenant=tenant_a)
    with django_assert_num_queries(2):  # the key, then the tenant once
        api_key_lookup(raw)
    with django_assert_num_queries(1):
        assert api_key_lookup(raw).tenant == tenant_a


def test_revoking_a_key_takes_effect_on_the_very_next_call(tenant_a):
    api_key, raw = api_key_create(tenant=tenant_a)
    assert _create(raw).status_code == 201  # the tenant is now cached

    api_key_revoke(api_key=api_key)

    response = _create(raw)
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]
    assert api_key_lookup(raw) is None


def test_a_change_to_the_business_is_seen_on_the_next_api_call(tenant_a):
    _, raw = api_key_create(tenant=tenant_a)
    assert _create(raw).json()["reference"].startswith("AC-")

    tenant = Tenant.objects.get(pk=tenant_a.pk)
    tenant.reference_prefix = "ZZ"
    tenant.time_zone = "America/New_York"
    tenant.save()

    assert api_key_lookup(raw).tenant.time_zone == "America/New_York"
    assert _create(raw).json()["reference"].startswith("ZZ-")


def test_a_bulk_update_of_the_business_is_seen_on_the_next_api_call(tenant_a):
    _, raw = api_key_create(tenant=tenant_a)
    assert _create(raw).json()["reference"].startswith("AC-")

    Tenant.objects.filter(pk=tenant_a.pk).update(reference_prefix="QQ")

    assert _create(raw).json()["reference"].startswith("QQ-")


def test_saving_some_fields_of_the_business_is_seen_on_the_next_api_call(tenant_a):
    _, raw = api_key_create(tenant=tenant_a)
    assert _create(raw).json()["reference"].startswith("AC-")

    tenant = Tenant.objects.get(pk=tenant_a.pk)
    tenant.reference_prefix = "YY"
    tenant.save(update_fields=["reference_prefix"])

    assert _create(raw).json()["reference"].startswith("YY-")


def test_saving_a_business_moves_its_updated_at(tenant_a):
    before = tenant_a.updated_at
    tenant_a.legal_name = "ACME Corporation"
    tenant_a.save()
    assert tenant_a.updated_at > before
    assert Tenant.objects.get(pk=tenant_a.pk).updated_at == tenant_a.updated_at


def test_each_business_gets_its_own_tenant(tenant_a, tenant_b):
    _, raw_a = api_key_create(tenant=tenant_a)
    _, raw_b = api_key_create(tenant=tenant_b)
    for _ in range(2):  # uncached, then cached
        assert api_key_lookup(raw_a).tenant == tenant_a
        assert api_key_lookup(raw_b).tenant == tenant_b
    assert _create(raw_b).json()["reference"].startswith("BR-")


def test_changing_one_calls_tenant_object_does_not_change_the_next_calls(tenant_a):
    _, raw = api_key_create(tenant=tenant_a)
    first = api_key_lookup(raw)
    first.tenant.legal_name = "Changed in memory, never saved"
    first.tenant.languages.append("xx")

    again = api_key_lookup(raw).tenant
    assert again.legal_name == "ACME Corp."
    assert again is not first.tenant


def test_each_calls_tenant_is_a_copy_like_copy_copy_gives(tenant_a):
    _, raw = api_key_create(tenant=tenant_a)
    first = api_key_lookup(raw).tenant
    cached = selectors._api_tenants[tenant_a.pk][1]
    reference = copy.copy(cached)

    assert type(first) is Tenant
    values = {k: v for k, v in first.__dict__.items() if k != "_state"}
    expected = {
        k: v for k, v in reference.__dict__.items() if k not in ("_state", "_django_version")
    }
    assert values == expected
    assert (first._state.db, first._state.adding) == (cached._state.db, cached._state.adding)
    # Its own state and field cache: caching a relation on one call's copy touches no other.
    assert first._state is not cached._state
    first._state.fields_cache["probe"] = object()
    assert "probe" not in cached._state.fields_cache
    assert "probe" not in api_key_lookup(raw).tenant._state.fields_cache


def test_a_deleted_business_key_is_refused(tenant_a):
    _, raw = api_key_create(tenant=tenant_a)
    api_key_lookup(raw)
    ApiKey.objects.filter(tenant=tenant_a).delete()
    assert api_key_lookup(raw) is None


def test_the_cache_starts_over_when_full(tenant_a, tenant_b, monkeypatch):
    monkeypatch.setattr(selectors, "API_TENANT_CACHE_SIZE", 1)
    _, raw_a = api_key_create(tenant=tenant_a)
    _, raw_b = api_key_create(tenant=tenant_b)
    api_key_lookup(raw_a)
    api_key_lookup(raw_b)
    assert set(selectors._api_tenants) == {tenant_b.pk}
    assert api_key_lookup(raw_a).tenant == tenant_a


@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="the in-memory SQLite test database is one thread's"
)
def test_each_thread_runs_the_lookup_on_its_own_connection(transactional_db):
    tenant = tenant_create(
        slug="threads",
        legal_name="Threads Inc.",
        contact_email="privacy@threads.example",
        request_methods=["email"],
        online_only=True,
    )
    _, raw = api_key_create(tenant=tenant)
    assert api_key_lookup(raw).tenant == tenant
    found: list[object] = []

    def in_a_thread() -> None:
        try:
            found.append(api_key_lookup(raw))
            found.append(connections["default"] in selectors._live_key._compiled)
        finally:
            connection.close()

    worker = threading.Thread(target=in_a_thread)
    worker.start()
    worker.join()
    assert found[0].tenant == tenant
    assert found[1] is True
    assert len(selectors._live_key._compiled) >= 2
