"""One-time tokens: a random secret given to one person, stored only as a hash, expiring, and
used at most once.

A token is 256 random bits, so one SHA-256 is enough to store it (nothing to brute-force; a slow
password hash would only cost every use). Using one is a compare-and-set ``UPDATE`` that sets
``used_at`` where it is still empty and the token has not expired: two clicks racing cannot both
use it, on PostgreSQL and SQLite alike. A model that needs such tokens (status sign-in links,
email-possession verification, secure delivery) inherits ``OneTimeToken`` next to
``TenantOwnedModel`` and reaches its rows through its tenant scope.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import TypeVar

from django.db import models

TOKEN_BYTES = 32


class OneTimeToken(models.Model):
    """Abstract: a hashed, expiring, single-use token."""

    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


T = TypeVar("T", bound=OneTimeToken)


def token_new() -> tuple[str, str]:
    """A new token and the hash to store: give the first to its owner, keep only the second."""
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    return raw, token_hash(raw)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_usable(scoped: models.QuerySet[T], raw: str, now: datetime) -> models.QuerySet[T]:
    """The unused, unexpired row of ``raw`` among ``scoped`` (a tenant-scoped queryset)."""
    return scoped.filter(token_hash=token_hash(raw), used_at__isnull=True, expires_at__gt=now)


def token_use(scoped: models.QuerySet[T], raw: str, now: datetime) -> T | None:
    """Use the token once: its row, or None when it is unknown, used, expired or lost a race.

    The claim's WHERE tests ``used_at`` and ``expires_at``, and the claim sets ``used_at``: a
    second claimer's UPDATE, re-checked after the first commits, finds nothing to change.
    """
    if not raw:
        return None
    row = token_usable(scoped, raw, now).first()
    if row is None:
        return None
    claimed = scoped.filter(pk=row.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if claimed != 1:
        return None
    row.used_at = now
    return row
