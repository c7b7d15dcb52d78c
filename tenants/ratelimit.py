"""Fixed-window rate limits, kept in the Django cache: the consumer portal's forms and API keys.

The cache is Redis in production (shared by every web node) and local memory in the embedded
demo. Every POST of a portal form counts once per client IP address and once per email address
given; over the limit the portal answers with a friendly 429 page. Every call made with an API
key counts once against the key's limit (``PORTAL_API_RATE_LIMIT``); over it the API answers 429
in its error format with ``Retry-After`` (``ApiKeyThrottle``). Keys carry the tenant id and a
hash (never the raw address).

A form's count is one round trip to Redis (INCR and EXPIRE pipelined). An API key's calls are
counted in batches (``ApiKeyCounts``): the API's create path is benchmarked, and a key far below
its limit should not pay a round trip on every call. When the cache cannot be reached, the limits
degrade to counts kept in this process (the same numbers, so each web process allows that many)
and say so in the log, rather than refusing or failing the request: a consumer's request must
be taken while Redis is down (the outbox sends its acknowledgement later). After a failure the
cache is left alone for ``CACHE_RETRY_SECONDS``, so an outage costs no request a connection
attempt.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import threading
import time
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

from core import clock

from .models import ApiKey

logger = logging.getLogger(__name__)

# After the cache fails, count in-process this long before trying it again.
CACHE_RETRY_SECONDS = 5.0
# The in-process counts keep at most this many windows (older ones are dropped first).
_LOCAL_MAX_KEYS = 50_000


@dataclass(frozen=True)
class Limit:
    requests: int
    seconds: int


def limits() -> dict[str, Limit]:
    configured = getattr(settings, "PORTAL_RATE_LIMITS", {})
    return {
        kind: Limit(*configured.get(kind, default))
        for kind, default in {"ip": (30, 600), "email": (10, 3600)}.items()
    }


def api_key_limit() -> Limit:
    return Limit(*getattr(settings, "PORTAL_API_RATE_LIMIT", (1200, 60)))


class _LocalCounts:
    """Fixed-window counters in this process: the limit that needs no Redis."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}  # key -> (count, expires at)

    def incr(self, key: str, seconds: int, amount: int = 1) -> int:
        now = time.monotonic()
        with self._lock:
            count, expires = self._counts.get(key, (0, 0.0))
            if expires <= now:
                count, expires = 0, now + seconds
            self._counts[key] = (count + amount, expires)
            if len(self._counts) > _LOCAL_MAX_KEYS:
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
                while len(self._counts) > _LOCAL_MAX_KEYS:  # all live: drop the oldest
                    self._counts.pop(next(iter(self._counts)))
            return count + amount

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


class _CacheHealth:
    """Whether to use the cache, and the log lines when it goes away and comes back."""

    def __init__(self) -> None:
        self.down_until = 0.0
        self.degraded = False

    def usable(self) -> bool:
        return time.monotonic() >= self.down_until

    def failed(self, error: Exception) -> None:
        self.down_until = time.monotonic() + CACHE_RETRY_SECONDS
        if not self.degraded:
            self.degraded = True
            logger.warning(
                "Rate limits degraded to this process's own counts: the cache is unreachable "
                "(%s: %s)",
                type(error).__name__,
                error,
            )

    def worked(self) -> None:
        if self.degraded:
            self.degraded = False
            logger.warning("Rate limits are counted in the cache again")


_local = _LocalCounts()
_health = _CacheHealth()


def reset_local_state() -> None:
    """Forget the in-process counts and the cache's health (tests)."""
    _local.clear()
    _key_counts.clear()
    _health.down_until = 0.0
    _health.degraded = False


def _redis_client(cache: RedisCache) -> Any:
    """The backend's Redis client, made once per backend: Django's ``get_client`` builds a new
    ``redis.Redis`` on every call, which cost as much as the round trip itself (the client shares
    the backend's connection pool, which redis-py resets in a forked child)."""
    client = getattr(cache, "_ratelimit_client", None)
    if client is None:
        client = cache._cache.get_client(write=True)
        cache._ratelimit_client = client  # type: ignore[attr-defined]
    return client


def _cache_incr(key: str, seconds: int, amount: int = 1) -> int:
    cache = caches["default"]  # the backend itself (django.core.cache.cache is a proxy)
    if isinstance(cache, RedisCache):
        # One round trip: INCRBY and EXPIRE in a pipeline (no MULTI). Django's Redis cache stores
        # integers as plain Redis integers, so this is the same value cache.incr() would see.
        full_key = cache.make_and_validate_key(key)
        pipe = _redis_client(cache).pipeline(transaction=False)
        pipe.incrby(full_key, amount)
        pipe.expire(full_key, seconds)
        count, _ = pipe.execute()
        return int(count)
    # Other backends (local memory in the embedded demo): add, then incr.
    if cache.add(key, amount, timeout=seconds):
        return amount
    try:
        return int(cache.incr(key, amount))
    except ValueError:  # expired between add() and incr()
        cache.set(key, amount, timeout=seconds)
        return amount


def _count(key: str, seconds: int, amount: int = 1) -> int:
    """Count ``amount`` hits on ``key`` in its window: in the cache, or in this process when it
    is down. Returns the window's count after them."""
    if _health.usable():
        try:
            count = _cache_incr(key, seconds, amount)
        except Exception as error:  # any cache failure (refused, timeout, DNS): degrade, not 500
            _health.failed(error)
        else:
            _health.worked()
            return count
    return _local.incr(key, seconds, amount)


def _hit(key_base: str, limit: Limit) -> int | None:
    now = clock.now().timestamp()
    window = int(now // limit.seconds)
    prefix = getattr(settings, "PORTAL_RATE_LIMIT_PREFIX", "portal-rate")
    if _count(f"{prefix}:{key_base}:{window}", limit.seconds) > limit.requests:
        return max(1, int((window + 1) * limit.seconds - now))
    return None


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the one our own proxies put in X-Forwarded-For.

    The header is read only when the peer (REMOTE_ADDR) is one of our proxies,
    ``PORTAL_TRUSTED_PROXY_IPS``: anyone else can write anything in it (a client reaching
    gunicorn directly would give itself a new address per request and escape the per-IP limit).
    From the right, each entry a trusted proxy added is the address that proxy saw; the first
    one that is not itself a trusted proxy is the client.
    """
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = _networks(tuple(getattr(settings, "PORTAL_TRUSTED_PROXY_IPS", ())))
    if not proxies or not _within(address, proxies):
        return address
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for entry in reversed(forwarded):
        candidate = entry.strip()
        if not _is_address(candidate):
            break  # not written by a proxy of ours: keep the last address one of them saw
        address = candidate
        if not _within(address, proxies):
            break
    return address


@functools.lru_cache(maxsize=8)
def _networks(configured: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in configured)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _within(address: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == network.version and ip in network for network in networks)


def hit(*, tenant_id: int, kind: str, value: str) -> int | None:
    """Count one attempt; return the seconds to wait if it is over the limit, else None."""
    digest = hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:32]
    return _hit(f"{tenant_id}:{kind}:{digest}", limits()[kind])


def check_post(request: HttpRequest, *, tenant_id: int) -> int | None:
    """Count a portal POST against the IP and email limits; seconds to wait if over either."""
    waits = [hit(tenant_id=tenant_id, kind="ip", value=client_ip(request))]
    emails = {
        request.POST.get(name, "").strip().lower()
        for name in ("email", "agent_email")
        if request.POST.get(name, "").strip()
    }
    waits += [hit(tenant_id=tenant_id, kind="email", value=email[:254]) for email in emails]
    blocked = [wait for wait in waits if wait is not None]
    return max(blocked) if blocked else None


def api_key_batch(limit: Limit) -> int:
    """How many calls a process counts by itself before adding them to the shared count."""
    return max(1, min(_API_BATCH_MAX, limit.requests // 100))


# A key's calls are added to the shared count at most this many at a time.
_API_BATCH_MAX = 50


class ApiKeyCounts:
    """An API key's calls per window, added to the shared count (the cache) in batches.

    Each process counts a key's calls itself and adds them to the cache every ``batch`` calls
    (one INCRBY), learning the count of every process at once; once that count comes within
    ``batch`` of the limit, every call goes to the cache, so a key is refused as soon as the
    cache says it is over. What can slip through is what other processes counted and had not
    yet added: fewer than ``batch`` calls each, under 1 % of the limit per process
    (``api_key_batch``); a limit under 200 calls is counted in the cache on every call.
    A key over its limit is refused by its process without asking the cache again this window.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # key -> [window, count last seen in the cache, calls not yet added to it]
        self._keys: dict[str, list[int]] = {}

    def hit(self, key_base: str, limit: Limit, window: int) -> bool:
        """Count one call; True if it is over the limit."""
        batch = api_key_batch(limit)
        with self._lock:
            state = self._keys.get(key_base)
            if state is None or state[0] != window:
                state = self._keys[key_base] = [window, 0, 0]
                if len(self._keys) > _LOCAL_MAX_KEYS:  # keys of past windows go first
                    self._keys = {k: v for k, v in self._keys.items() if v[0] == window}
            if state[1] > limit.requests:
                return True
            state[2] += 1
            if state[2] < batch and state[1] + state[2] + batch <= limit.requests:
                return False
            pending, state[2] = state[2], 0
        key = f"{getattr(settings, 'PORTAL_RATE_LIMIT_PREFIX', 'portal-rate')}:{key_base}:{window}"
        count = _count(key, limit.seconds, pending)  # outside the lock: a round trip
        with self._lock:
            if state[0] == window:
                state[1] = max(state[1], count)
        return count > limit.requests

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


_key_counts = ApiKeyCounts()


def api_key_hit(api_key: ApiKey) -> int | None:
    """Count one API call made with ``api_key``; seconds to wait if it is over the key's limit."""
    return api_key_id_hit(tenant_id=api_key.tenant_id, key_id=api_key.pk)


def api_key_id_hit(*, tenant_id: int, key_id: int) -> int | None:
    """``api_key_hit`` by the key's and its tenant's ids (the consent lookup's hot path has no
    ApiKey instance). A call found over the limit is not counted again by a second ask in the
    same window: the key's process-wide state already says it is over."""
    limit = api_key_limit()
    now = clock.now().timestamp()
    window = int(now // limit.seconds)
    if _key_counts.hit(f"{tenant_id}:key:{key_id}", limit, window):
        return max(1, int((window + 1) * limit.seconds - now))
    return None


class ApiKeyThrottle(BaseThrottle):
    """DRF throttle: each API key's calls per window (staff sessions are not counted).

    Over the limit DRF raises ``Throttled``; ``core.api_errors`` answers 429 in the API's error
    format with ``Retry-After``.
    """

    def __init__(self) -> None:
        self._wait: int | None = None

    def allow_request(self, request: Any, view: Any) -> bool:
        if not isinstance(request.auth, ApiKey):
            return True
        self._wait = api_key_hit(request.auth)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait
