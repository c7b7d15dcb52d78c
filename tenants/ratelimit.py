"""Fixed-window rate limits for the consumer portal's forms, kept in the Django cache.

The cache is Redis in production (shared by every web node) and local memory in the embedded
demo. Every POST of a portal form counts once per client IP address and once per email address
given; over the limit the portal answers with a friendly 429 page. Keys carry the tenant id and
a hash (never the raw address).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

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
    """The client's address: REMOTE_ADDR, or the address our own proxies put in X-Forwarded-For.

    ``PORTAL_TRUSTED_PROXIES`` says how many proxies (load balancer, nginx) stand in front of the
    app; the address they saw is that many entries from the right of X-Forwarded-For. With 0
    (the default) the header is ignored, since anyone can send it.
    """
    proxies = int(getattr(settings, "PORTAL_TRUSTED_PROXIES", 0))
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


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
