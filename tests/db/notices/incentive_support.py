"""Shared pieces of the financial incentive tests (issue 15 item 5)."""

from __future__ import annotations

import re
import uuid

import pytest

from notices.inventory import inventory_category_save
from notices.models import IncentiveProgram, InventoryCategory
from tests.factories import incentive_program_build


def inventory(tenant, *codes: str) -> None:
    """``tenant``'s data inventory with ``codes`` (the program's categories must be in it)."""
    for code in codes:
        inventory_category_save(
            inventory_category=InventoryCategory(
                tenant=tenant,
                category=code,
                sources=["Directly from you"],
                purposes=["Loyalty program"],
                retention="Two years after your last purchase",
            )
        )


def program(tenant, slug: str = "rewards", label: str = "Acme", **overrides) -> IncentiveProgram:
    """A complete program of ``tenant`` (published unless ``publish=False``)."""
    if not InventoryCategory.objects.for_tenant(tenant).filter(category="A").exists():
        inventory(tenant, "A")
    return incentive_program_build(tenant, slug=slug, label=label, **overrides)


@pytest.fixture
def fresh_rate_limits(settings):
    """Rate-limit counters of this test's own, and room for its posts."""
    settings.PORTAL_RATE_LIMIT_PREFIX = f"incentive-rate-test-{uuid.uuid4().hex}"
    settings.PORTAL_RATE_LIMITS = {"ip": (1000, 600), "email": (1000, 3600)}


# What would run in a browser: a script element, an event-handler attribute inside a tag, a
# javascript: link. (Escaped text, "&lt;script&gt;", is harmless and allowed.)
LIVE_SCRIPT = re.compile(
    r"<script|<[a-z][^<>]*\son\w+\s*=|<[a-z][^<>]*\shref\s*=\s*[\"']?\s*javascript:", re.I
)
