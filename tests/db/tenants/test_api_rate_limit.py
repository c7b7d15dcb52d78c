"""Rate limits per API key (issue 11, item 4): 429 in the API's error format, with Retry-After."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import caches

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


@pytest.mark.usefixtures("api_key_a")
def test_counting_a_call_is_one_redis_round_trip(tenant_a):
    cache = caches["default"]
    if not hasattr(cache, "_cache") or "Redis" not in type(cache).__name__:
        pytest.skip("the test cache is not Redis")
    client = cache._cache.get_client(write=True)
    pool = client.connection_pool
    sent: list[int] = []
    original = pool.get_connection

    def counting(*args, **kwargs):
        connection = original(*args, **kwargs)
        send = connection.send_packed_command

        def recording(command, *a, **k):
            sent.append(1)
            return send(command, *a, **k)

        connection.send_packed_command = recording
        return connection

    api_key = tenant_a.api_keys.get()
    pool.get_connection = counting
    try:
        assert ratelimit.api_key_hit(api_key) is None
    finally:
        pool.get_connection = original
    assert len(sent) == 1
