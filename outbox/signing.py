"""Webhook signatures (pure: no Django, no clock; the time is an argument).

Every webhook POST carries ``Privacy-Portal-Signature: t=<unix time>,v1=<hex>``, where the hex is
the HMAC-SHA256, keyed with the endpoint's secret, of ``"<unix time>." + body``. A receiver
recomputes it over the raw body, compares in constant time, and refuses a timestamp more than a
few minutes old, so a captured request cannot be replayed later. ``Idempotency-Key`` (the outbox
message's id) lets it drop a delivery it has already processed.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Privacy-Portal-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
EVENT_HEADER = "Privacy-Portal-Event"
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(
    secret: str, header: str, body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` and is at most ``tolerance`` seconds old."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
