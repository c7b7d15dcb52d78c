"""core.tokens: hashed, expiring, single-use tokens (status links use them; verification will)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.tokens import token_hash, token_new, token_usable, token_use
from requests_app.models import StatusLink
from tests.factories import make_request

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def _link(tenant, *, minutes: int = 30) -> tuple[str, StatusLink]:
    raw, hashed = token_new()
    link = StatusLink(
        tenant=tenant,
        privacy_request=make_request(tenant),
        token_hash=hashed,
        email="casey@example.com",
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=minutes),
    )
    link.full_clean()
    link.save()
    return raw, link


def test_only_the_hash_is_stored_and_the_token_is_long_and_random(tenant_a):
    raw, link = _link(tenant_a)
    assert link.token_hash == token_hash(raw) != raw
    assert raw not in link.token_hash
    assert len(raw) >= 43  # 256 bits, url-safe base64
    assert token_new()[0] != raw


def test_a_token_is_used_once_and_a_second_use_is_refused(tenant_a):
    raw, link = _link(tenant_a)
    links = StatusLink.objects.for_tenant(tenant_a)
    used = token_use(links, raw, NOW)
    assert used is not None
    assert used.pk == link.pk
    assert token_use(links, raw, NOW + timedelta(seconds=1)) is None
    assert not token_usable(links, raw, NOW).exists()


def test_two_claims_racing_on_the_same_read_give_one_winner(tenant_a):
    # Both claimers read the row before either claims: only one UPDATE may change it.
    raw, link = _link(tenant_a)
    links = StatusLink.objects.for_tenant(tenant_a)
    assert token_usable(links, raw, NOW).count() == 1
    first = links.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=NOW).update(used_at=NOW)
    assert first == 1
    assert token_use(links, raw, NOW) is None


def test_an_expired_token_is_refused(tenant_a):
    raw, _ = _link(tenant_a, minutes=30)
    links = StatusLink.objects.for_tenant(tenant_a)
    assert token_use(links, raw, NOW + timedelta(minutes=30)) is None


def test_a_token_is_refused_outside_its_tenants_scope(tenant_a, tenant_b):
    raw, _ = _link(tenant_a)
    assert token_use(StatusLink.objects.for_tenant(tenant_b), raw, NOW) is None
    assert token_use(StatusLink.objects.for_tenant(tenant_a), raw, NOW) is not None


def test_an_empty_token_is_refused(tenant_a):
    _link(tenant_a)
    assert token_use(StatusLink.objects.for_tenant(tenant_a), "", NOW) is None
