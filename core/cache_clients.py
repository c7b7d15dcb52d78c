"""The Redis client behind Django's Redis cache, for the few hot paths that talk to Redis directly.

Django's ``RedisCache`` pickles values and builds a new ``redis.Redis`` on every ``get_client``
call, which costs as much as the round trip itself; the hot paths (the consent lookup and its API
key check) store plain bytes and want one command per round trip (``MGET``, ``SET NX``). The
client is made once per backend and shares the backend's connection pool (which redis-py resets
in a forked child). Keys still go through ``cache.make_and_validate_key``, so ``KEY_PREFIX`` and
``VERSION`` apply as for every other cache entry.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache


def redis_client(cache: BaseCache) -> Any | None:
    """The backend's own ``redis.Redis``, or None when the cache is not Redis (local memory)."""
    if not isinstance(cache, RedisCache):
        return None
    client = getattr(cache, "_raw_client", None)
    if client is None:
        client = cache._cache.get_client(write=True)
        cache._raw_client = client  # type: ignore[attr-defined]
    return client
