"""Shared fixtures: two businesses (A and B) with their own staff, admins and API keys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import django.test.client
import pytest
import time_machine
from django.test import Client
from django.utils import translation

from optout.api.fast import fast_lookup_forget
from optout.consent_cache import consent_cache_forget
from outbox.services import outbox_relay_poke_forget
from requests_app.services.message_shapes import shapes_forget
from tenants.api_key_cache import api_key_cache_forget
from tenants.models import Role, Tenant
from tenants.selectors import api_tenant_cache_clear
from tenants.services import api_key_create, staff_create, tenant_create
from tests.helpers import PASSWORD, RoutedClientHandler, login


@pytest.fixture(autouse=True)
def _english_unless_a_test_says_otherwise() -> Iterator[None]:
    # A test client request in Spanish leaves Spanish active in the thread (LocaleMiddleware
    # activates, nothing deactivates): the next test's services would speak Spanish.
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _isolated_clock_file(settings, tmp_path: Path) -> None:
    # Each test gets its own clock file, so a moved clock never leaks between tests.
    settings.CLOCK_FILE = tmp_path / "clock.json"


@pytest.fixture(autouse=True)
def _client_takes_production_chains(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every test Client picks the middleware chain per request as the WSGI entry does: API key
    # calls without cookies through settings.API_MIDDLEWARE (privacyportal.handlers).
    monkeypatch.setattr(django.test.client, "ClientHandler", RoutedClientHandler)


@pytest.fixture(autouse=True)
def _fresh_api_tenant_cache() -> None:
    # The API key lookup keeps tenants per process, checked by id and updated_at. On SQLite a
    # new test's tenant can reuse an id, and under a frozen clock its updated_at too: start empty.
    api_tenant_cache_clear()


@pytest.fixture(autouse=True)
def _no_pending_relay_poke() -> None:
    # Outbox pokes are coalesced per thread; a poke an earlier test made (or a purged broker
    # lost) must not stand in for this test's.
    outbox_relay_poke_forget()


@pytest.fixture(autouse=True)
def _no_compiled_message_shapes() -> None:
    # Message shapes are kept per process, keyed by the business's values; on SQLite a new
    # test's business can reuse an id and every value: start empty, so each test renders its
    # templates itself (the consumer-template walk counts what was rendered).
    shapes_forget()


@pytest.fixture(autouse=True)
def _no_cached_consent() -> None:
    # Consent answers are cached per business id and subject hash; ids repeat between test
    # databases (and on SQLite between tests), so each test starts with none. The same for the
    # lookup's cached key checks, in the cache and in this process (optout.api.fast).
    consent_cache_forget()
    api_key_cache_forget()
    fast_lookup_forget()


@pytest.fixture
def freeze() -> Iterator[object]:
    """``freeze(datetime)`` pins now (clock.now() and timezone.now()) for the rest of the test."""
    travellers: list[time_machine.travel] = []

    def _freeze(when: datetime) -> None:
        traveller = time_machine.travel(when, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield _freeze
    for traveller in reversed(travellers):
        traveller.stop()


def _tenant(slug: str, name: str, prefix: str) -> Tenant:
    return tenant_create(
        slug=slug,
        legal_name=name,
        reference_prefix=prefix,
        contact_email=f"privacy@{slug}.example",
        toll_free_number="+18005550100",
        request_methods=["webform", "toll_free_phone", "email"],
        sells_or_shares=True,
        uses_sensitive_beyond_7027m=True,
    )


@pytest.fixture
def tenant_a(db) -> Tenant:
    return _tenant("acme", "ACME Corp.", "AC")


@pytest.fixture
def tenant_b(db) -> Tenant:
    return _tenant("bravo", "Bravo LLC", "BR")


def _user(tenant: Tenant, username: str, role: str):
    user, _ = staff_create(
        tenant=tenant,
        username=username,
        role=role,
        email=f"{username}@staff.example",
        password=PASSWORD,
    )
    return user


@pytest.fixture
def staff_a(tenant_a):
    return _user(tenant_a, "staff_a", Role.STAFF)


@pytest.fixture
def staff_b(tenant_b):
    return _user(tenant_b, "staff_b", Role.STAFF)


@pytest.fixture
def admin_a(tenant_a):
    return _user(tenant_a, "admin_a", Role.ADMIN)


@pytest.fixture
def admin_b(tenant_b):
    return _user(tenant_b, "admin_b", Role.ADMIN)


@pytest.fixture
def compliance_a(tenant_a):
    return _user(tenant_a, "compliance_a", Role.COMPLIANCE)


@pytest.fixture
def compliance_b(tenant_b):
    return _user(tenant_b, "compliance_b", Role.COMPLIANCE)


@pytest.fixture
def compliance_staff_a(tenant_a):
    """A compliance officer who also works the queue (issue 14 item 5: compliance alone reads)."""
    return _user(tenant_a, "compliance_staff_a", Role.COMPLIANCE_STAFF)


@pytest.fixture
def api_key_a(tenant_a) -> str:
    return api_key_create(tenant=tenant_a)[1]


@pytest.fixture
def api_key_b(tenant_b) -> str:
    return api_key_create(tenant=tenant_b)[1]


@pytest.fixture
def client_a(staff_a) -> Client:
    return login(staff_a)


@pytest.fixture
def client_b(staff_b) -> Client:
    return login(staff_b)
