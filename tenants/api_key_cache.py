"""Which API keys are live, kept in the cache: the consent lookup's key check without SQL.

The consent lookup (``optout.api.fast``) runs on every page view of a business's site. Its key
used to cost one SQL query per call (``tenants.selectors.api_key_lookup``). Now a key read from the
database is written to the cache as ``apikey:v1:<key hash>`` -> ``live|<key id>|<tenant id>|<scopes>``
for ``LIVE_SECONDS``, and every lookup reads that entry in the same round trip as its answer: it
goes on only while the entry is there and unchanged. A missing entry (expired, or never written)
sends the call back to the database, which writes it again.

Revocation (``tenants.services.api_key_revoke``) replaces the entry with ``revoked`` for
``REVOKED_SECONDS``, at once and again after its transaction commits, so the next call with the key
is refused. A live entry is only written where there is none (``SET NX``): a call that read the key
from the database just before the revocation committed cannot write it back as live afterwards.
If the cache missed the revocation (unreachable at that moment, then back with its old entries),
the live entry still expires: ``LIVE_SECONDS`` is the longest a revoked key can keep working. The
same bounds a key deleted from the database by hand (keys are never deleted by the product).

Keys are immutable (the admin only creates and revokes them), so an entry never needs updating.
Without Redis (the embedded demo) the entries live in the process's local-memory cache, where
revocations are made in the same process.
"""

from __future__ import annotations

import logging

from django.core.cache import caches
from django.db import transaction

from core.cache_clients import redis_client

from .models import ApiKey

logger = logging.getLogger(__name__)

# How long a live key is believed without asking the database again: the longest a revocation
# the cache missed can go unnoticed. One query per key per this many seconds, cluster-wide.
LIVE_SECONDS = 30
# A revoked key's marker outlives any call that read the key before its revocation committed.
REVOKED_SECONDS = 600
REVOKED = b"revoked"
_PREFIX = "apikey:v1"


def entry_key(key_hash: str) -> str:
    """The cache key of a key's entry (before the cache's own prefix)."""
    return f"{_PREFIX}:{key_hash}"


def live_value(api_key: ApiKey) -> bytes:
    """What the entry of a live key holds: its id, its tenant's and its scopes."""
    scopes = ",".join(api_key.scopes) if isinstance(api_key.scopes, list) else ""
    return f"live|{api_key.pk}|{api_key.tenant_id}|{scopes}".encode()


def remember(api_key: ApiKey) -> None:
    """Write a live key's entry unless there is one (live, or a revocation's marker)."""
    cache = caches["default"]
    key, value = entry_key(api_key.key_hash), live_value(api_key)
    try:
        client = redis_client(cache)
        if client is not None:
            client.set(cache.make_and_validate_key(key), value, nx=True, ex=LIVE_SECONDS)
        else:
            cache.add(key, value, timeout=LIVE_SECONDS)
    except Exception:  # the cache down: the next call asks the database again
        logger.warning("API key cache unavailable for a write", exc_info=True)


def _mark_revoked(key_hash: str) -> None:
    cache = caches["default"]
    key = entry_key(key_hash)
    try:
        client = redis_client(cache)
        if client is not None:
            client.set(cache.make_and_validate_key(key), REVOKED, ex=REVOKED_SECONDS)
        else:
            cache.set(key, REVOKED, timeout=REVOKED_SECONDS)
    except Exception:
        # Unreachable: lookups then fail over to the database, which refuses the key; if the
        # cache comes back with the old entry, it expires within LIVE_SECONDS.
        logger.warning("API key cache unavailable: a revocation waits for expiry", exc_info=True)


def revoked(key_hash: str) -> None:
    """The key is being revoked: refuse it from now on, and again once the revocation commits
    (a live entry written in between, by a call that read the key before, is replaced)."""
    _mark_revoked(key_hash)
    transaction.on_commit(lambda: _mark_revoked(key_hash))


def api_key_cache_forget() -> None:
    """Drop every entry (tests: each starts with an empty cache)."""
    cache = caches["default"]
    client = redis_client(cache)
    if client is not None:
        keys = list(client.scan_iter(match=f"*{_PREFIX}:*"))
        if keys:
            client.delete(*keys)
        return
    for full_key in [key for key in getattr(cache, "_cache", {}) if f"{_PREFIX}:" in key]:
        with cache._lock:  # type: ignore[attr-defined]
            cache._delete(full_key)  # type: ignore[attr-defined]
