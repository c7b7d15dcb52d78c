"""Shared fixtures of the fulfilment tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

# 09:00 in Los Angeles (the businesses' zone), a Monday.
START = datetime(2026, 2, 2, 17, 0, tzinfo=UTC)


@pytest.fixture
def started(freeze):
    freeze(START)
    return START
