"""Fixtures for the consumer portal tests (opt in with ``pytest.mark.usefixtures("portal")``)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.helpers import Api


@pytest.fixture
def portal(settings, tmp_path: Path) -> Path:
    """Fresh rate-limit counters (a key prefix of their own: the cache may be the Redis that
    also carries Celery's queues, so it is never flushed), generous limits, and uploads kept in
    a temporary MEDIA_ROOT."""
    settings.PORTAL_RATE_LIMIT_PREFIX = f"portal-rate-test-{uuid.uuid4().hex}"
    settings.PORTAL_RATE_LIMITS = {"ip": (1000, 600), "email": (1000, 3600)}
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def api_a(api_key_a) -> Api:
    """Business A's API client (its API key)."""
    return Api(api_key_a)


@pytest.fixture
def api_b(api_key_b) -> Api:
    """Business B's API client (its API key)."""
    return Api(api_key_b)
