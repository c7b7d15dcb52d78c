"""The consent lookup's answers, kept in the cache per business and subject.

The lookup runs on every page view of a business's site, so a cached answer is read with no SQL:
one MGET with the API key's cached check on the hot path (``entry_and_key_get``, ``optout.api.fast``),
one GET in the DRF view. Each entry is ``"<version>|<JSON body>"``, where version is the consent state's (0: no
state). An entry is only ever replaced by one with a higher version (a compare-and-set script in
Redis), so an answer read from the database just before a change commits cannot overwrite the
change's own answer, which every change writes after it commits (``on_commit``): the next lookup
after an opt-out says "may not sell", never a stale "may sell".

If Redis is down the lookup reads the database. If Redis misses a change's write (down at that
moment, then back with its old entries), the change's state row says so (its
``published_version`` stays below its ``version``) and the repair task writes the answer again
within ``CONSENT_CACHE_REPAIR_INTERVAL`` of Redis being back (``optout.services``). So entries
can live long (``ENTRY_SECONDS``): each subject's answer is read from the database once per
lifetime, not on every page view; the lifetime bounds a stale answer only if the repair task
cannot run at all.

Without Redis (the embedded demo) the cache is the process's local memory: right for the demo's
one web process, where changes are made, but a change made in another process (a Celery worker,
a management command) would reach the web process only when its entry expires. Production
settings use Redis.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

ENTRY_SECONDS = 900
_PREFIX = "consent:v1"
_thread = threading.local()

# Sets KEYS[1] to ARGV[2] unless it holds an entry of a version >= ARGV[1].
_SET_IF_NEWER = """
local current = redis.call('GET', KEYS[1])
if current then
  local version = tonumber(string.match(current, '^(%d+)|'))
  if version and version >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""


def _key(tenant_id: int, subject_hash: str) -> str:
    return f"{_PREFIX}:{tenant_id}:{subject_hash}"


def _redis(cache: RedisCache) -> Any:
    client = getattr(cache, "_consent_client", None)
    if client is None:
        client = cache._cache.get_client(write=True)
        cache._consent_client = client  # type: ignore[attr-defined]
        cache._consent_set_if_newer = client.register_script(_SET_IF_NEWER)  # type: ignore[attr-defined]
    return client


def entry_get(tenant_id: int, subject_hash: str) -> tuple[int, bytes] | None:
    """The cached (version, body) for this subject, or None (missing, or the cache is down)."""
    cache = caches["default"]
    key = _key(tenant_id, subject_hash)
    try:
        if isinstance(cache, RedisCache):
            raw = _redis(cache).get(cache.make_and_validate_key(key))
        else:
            raw = cache.get(key)
    except Exception:  # Redis down: the database answers (logged, never a 500)
        logger.warning("consent cache unavailable for a read", exc_info=True)
        return None
    if raw is None:
        return None
    version, _, body = bytes(raw).partition(b"|")
    return int(version), body


def entry_and_key_get(
    key_entry: str, tenant_id: int, subject_hash: str
) -> tuple[bytes | None, tuple[int, bytes] | None]:
    """The API key's entry (``tenants.api_key_cache``, by its cache key) and this subject's cached
    (version, body), in one round trip: one MGET. Raises when the cache cannot be reached (the
    caller, ``optout.api.fast``, then takes the path that reads the database)."""
    cache = caches["default"]
    key = _key(tenant_id, subject_hash)
    if isinstance(cache, RedisCache):
        # The keys are ours (a fixed prefix and hex digits): make_key, without the validation
        # that walks every character looking for what memcached would refuse.
        raw_key, raw = _mget(cache, cache.make_key(key_entry), cache.make_key(key))
    else:
        found = cache.get_many([key_entry, key])
        raw_key, raw = found.get(key_entry), found.get(key)
    if raw is None:
        return raw_key, None
    version, _, body = bytes(raw).partition(b"|")
    return raw_key, (int(version), body)


def _mget(cache: RedisCache, *keys: str) -> list[bytes | None]:
    """MGET on this thread's own connection to the cache's Redis.

    redis-py's client takes a connection from its pool and gives it back around every command,
    through its retry and metrics wrappers: 4x the CPU of the command itself here (56 against 13
    microseconds per lookup). The lookup's thread keeps one connection instead (a gthread worker
    has a fixed few threads), made with the pool's own settings (address, database, timeouts);
    after any error it is dropped and the next call connects again.
    """
    pool = _redis(cache).connection_pool
    held = getattr(_thread, "held", None)
    if held is None or held[0] is not pool or held[1] != os.getpid():
        held = _thread.held = (pool, os.getpid(), pool.connection_class(**pool.connection_kwargs))
    connection = held[2]
    try:
        connection.send_command("MGET", *keys)
        return connection.read_response()
    except BaseException:
        _thread.held = None
        connection.disconnect()
        raise


def entry_set(tenant_id: int, subject_hash: str, version: int, body: bytes) -> bool:
    """Store this answer unless the cache already holds one as new or newer. True when the
    cache now holds this version or a newer one; False when it could not be reached."""
    cache = caches["default"]
    key = _key(tenant_id, subject_hash)
    value = str(version).encode() + b"|" + body
    try:
        if isinstance(cache, RedisCache):
            _redis(cache)
            cache._consent_set_if_newer(  # type: ignore[attr-defined]
                keys=[cache.make_and_validate_key(key)], args=[version, value, ENTRY_SECONDS]
            )
            return True
        # Other backends (local memory in the embedded demo: one process, no concurrency worth
        # a script): compare, then set.
        current = cache.get(key)
        if current is not None and int(bytes(current).partition(b"|")[0]) >= version:
            return True
        cache.set(key, value, timeout=ENTRY_SECONDS)
        return True
    except Exception:
        logger.warning("consent cache unavailable for a write", exc_info=True)
        return False


def consent_cache_forget() -> None:
    """Drop every cached answer (tests: ids repeat between test databases)."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        client = _redis(cache)
        keys = list(client.scan_iter(match=f"*{_PREFIX}:*"))
        if keys:
            client.delete(*keys)
    else:
        # Local memory (the only other backend used): its own keys are the full keys.
        for full_key in [key for key in getattr(cache, "_cache", {}) if f"{_PREFIX}:" in key]:
            with cache._lock:  # type: ignore[attr-defined]
                cache._delete(full_key)  # type: ignore[attr-defined]
