"""Redis down (issue 11, item 3): the portal's forms and the API still take requests.

The cache is pointed at a closed port: what a stopped Redis looks like to a web process. Before
issue 11 every portal form post answered 500 there (the rate limiter needs the cache).
"""

from __future__ import annotations

import logging
import socket
import time

import pytest

from requests_app.models import PrivacyRequest
from tenants import ratelimit
from tests.helpers import REQUESTS, Api, create_body
from tests.portal_helpers import KNOW, rows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal")]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends: nothing listens


@pytest.fixture
def redis_down(settings):
    """The default cache is a Redis nobody answers on; the limiter's state is fresh."""
    ratelimit.reset_local_state()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "retry": None},
        }
    }
    yield
    ratelimit.reset_local_state()


@pytest.mark.usefixtures("redis_down")
def test_a_portal_request_is_taken_while_redis_is_down(client, tenant_a):
    response = client.post("/acme/know/", {**KNOW, "email": "during-outage@example.com"})
    assert response.status_code == 302
    assert rows(tenant_a)["PrivacyRequest"] == 1
    assert (
        PrivacyRequest.objects.for_tenant(tenant_a)
        .filter(requester_email="during-outage@example.com")
        .exists()
    )


@pytest.mark.usefixtures("redis_down")
def test_the_rate_limit_degrades_to_in_process_counts_and_says_so_in_the_log(
    client, tenant_a, settings, caplog
):
    settings.PORTAL_RATE_LIMITS = {"ip": (2, 600), "email": (1000, 3600)}
    with caplog.at_level(logging.WARNING, logger="tenants.ratelimit"):
        for number in range(2):
            response = client.post("/acme/know/", {**KNOW, "email": f"p{number}@example.com"})
            assert response.status_code == 302
        # Still limited, by this process's own count, never a 500.
        response = client.post("/acme/know/", {**KNOW, "email": "third@example.com"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert rows(tenant_a)["PrivacyRequest"] == 2
    degraded = [r for r in caplog.records if "degraded" in r.getMessage()]
    assert len(degraded) == 1  # said once per outage, not once per request
    assert "cache is unreachable" in degraded[0].getMessage()


@pytest.mark.usefixtures("redis_down")
def test_an_api_create_is_taken_quickly_while_redis_is_down(tenant_a, api_key_a):
    api = Api(api_key_a)
    timings = []
    for number in range(5):
        started = time.perf_counter()
        response = api.post(
            REQUESTS,
            create_body(requester={"name": "C", "email": f"c{number}@example.com", "state": "CA"}),
        )
        timings.append(time.perf_counter() - started)
        assert response.status_code == 201, response.content
    assert rows(tenant_a)["PrivacyRequest"] == 5
    # After the first call finds the cache gone, no call waits on it again.
    assert max(timings[1:]) < 0.5
