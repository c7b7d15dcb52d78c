"""Fixed-window rate limits for the consumer portal's forms, kept in the Django cache.

The cache is Redis in production (shared by every web node) and local memory in the embedded
demo. Every POST of a portal form counts once per client IP address and once per email address
given; over the limit the portal answers with a friendly 429 page. Keys carry the tenant id and
a hash (never the raw address).
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from core import clock


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
    limit = limits()[kind]
    now = clock.now().timestamp()
    window = int(now // limit.seconds)
    digest = hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:32]
    prefix = getattr(settings, "PORTAL_RATE_LIMIT_PREFIX", "portal-rate")
    key = f"{prefix}:{tenant_id}:{kind}:{digest}:{window}"
    if cache.add(key, 1, timeout=limit.seconds):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=limit.seconds)
            count = 1
    if count > limit.requests:
        return max(1, int((window + 1) * limit.seconds - now))
    return None


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
