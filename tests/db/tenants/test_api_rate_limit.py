"""Rate limits per API key (issue 11, item 4): 429 in the API's error format, with Retry-After."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import caches
from redis.connection import AbstractConnection

from requests_app.models import PrivacyRequest
from tenants import ratelimit
from tenants.services import api_key_create
from tests.helpers import REQUESTS, Api, create_body, error_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counts(settings):
    settings.PORTAL_RATE_LIMIT_PREFIX = f"api-rate-test-{uuid.uuid4().hex}"
    ratelimit.reset_local_state()
    yield
    ratelimit.reset_local_state()


def test_a_key_over_its_limit_gets_429_with_retry_after_and_other_keys_do_not(
    settings, tenant_a, api_key_a
):
    settings.PORTAL_API_RATE_LIMIT = (3, 60)
    api = Api(api_key_a)
    for _ in range(3):
        assert api.get(REQUESTS).status_code == 200
    response = api.get(REQUESTS)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert error_of(response)["code"] == "throttled"
    # The limit is the key's: another key of the same business still gets through.
    other_key = api_key_create(tenant=tenant_a)[1]
    assert Api(other_key).get(REQUESTS).status_code == 200


def test_a_throttled_create_creates_nothing(settings, tenant_a, api_key_a):
    settings.PORTAL_API_RATE_LIMIT = (1, 60)
    api = Api(api_key_a)
    assert api.post(REQUESTS, create_body()).status_code == 201
    response = api.post(REQUESTS, create_body())
    assert response.status_code == 429
    assert api.get(REQUESTS).status_code == 429
    assert PrivacyRequest.objects.for_tenant(tenant_a).count() == 1


def _redis_round_trips(monkeypatch, count_calls):
    """How many times the count writes to Redis while ``count_calls()`` runs."""
    cache = caches["default"]
    if not hasattr(cache, "_cache") or "Redis" not in type(cache).__name__:
        pytest.skip("the test cache is not Redis")
    cache.set("api-rate-test-warm", 1)  # a connection's own setup commands are not counts
    sent: list[bytes] = []
    original = AbstractConnection.send_packed_command

    def recording(connection, command, *args, **kwargs):
        sent.append(command)
        return original(connection, command, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(AbstractConnection, "send_packed_command", recording)
        count_calls()
    return len(sent)


@pytest.mark.usefixtures("api_key_a")
def test_a_key_near_a_small_limit_is_counted_in_redis_on_every_call_in_one_round_trip(
    settings, monkeypatch, tenant_a
):
    settings.PORTAL_API_RATE_LIMIT = (100, 60)
    api_key = tenant_a.api_keys.get()
    assert _redis_round_trips(monkeypatch, lambda: ratelimit.api_key_hit(api_key)) == 1
    assert _redis_round_trips(monkeypatch, lambda: ratelimit.api_key_hit(api_key)) == 1


@pytest.mark.usefixtures("api_key_a")
def test_a_key_far_below_a_large_limit_costs_a_round_trip_per_batch_only(
    settings, monkeypatch, tenant_a
):
    settings.PORTAL_API_RATE_LIMIT = (10_000, 60)  # batches of 50
    api_key = tenant_a.api_keys.get()

    def calls():
        for _ in range(120):
            assert ratelimit.api_key_hit(api_key) is None

    assert _redis_round_trips(monkeypatch, calls) == 2  # the 50th and the 100th call


def test_processes_counting_in_batches_refuse_a_key_once_their_shared_count_is_over(
    settings, tenant_a, api_key_a
):
    """Three web processes (three counters, one cache) share a key's limit of 1,000 a minute:
    together they admit at most the limit plus what the others had not yet added (issue 11)."""
    settings.PORTAL_API_RATE_LIMIT = (1_000, 60)  # batches of 10
    limit = ratelimit.api_key_limit()
    processes = [ratelimit.ApiKeyCounts() for _ in range(3)]
    admitted = 0
    for call in range(3_000):
        if not processes[call % 3].hit(f"{tenant_a.pk}:key:test", limit, window=1):
            admitted += 1
    assert 1_000 <= admitted <= 1_000 + 2 * (ratelimit.api_key_batch(limit) - 1)
    # Once over, each process refuses without asking the cache again.
    assert all(process.hit(f"{tenant_a.pk}:key:test", limit, window=1) for process in processes)
