"""Write path for tenants, staff memberships and API keys."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractUser
from django.db import transaction

from core import clock

from . import api_key_cache
from .models import API_KEY_DEFAULT_SCOPES, ApiKey, ApiScope, Membership, Role, Tenant, hash_api_key


def _initials(name: str) -> str:
    letters = [word[0] for word in name.split() if word[:1].isalpha()]
    prefix = "".join(letters).upper()[:4]
    return prefix if len(prefix) >= 2 else (name[:2].upper() if len(name) >= 2 else "PR")


@transaction.atomic
def tenant_create(*, slug: str, legal_name: str, **settings: Any) -> Tenant:
    settings.setdefault("reference_prefix", _initials(legal_name))
    tenant = Tenant(slug=slug, legal_name=legal_name, **settings)
    tenant.full_clean()
    tenant.save()
    return tenant


@transaction.atomic
def staff_create(
    *,
    tenant: Tenant,
    username: str,
    role: str = Role.STAFF,
    email: str = "",
    password: str | None = None,
) -> tuple[AbstractUser, str | None]:
    """Create (or reuse) a staff user and give them ``role`` at ``tenant``.

    Returns the user and the new password (None when an existing user kept theirs). A given
    password must pass the password validators (``ValidationError`` otherwise).
    """
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    new_password = None
    if user is None:
        new_password = password or secrets.token_urlsafe(12)
        user = user_model(username=username, email=email, is_staff=True)
        # AUTH_PASSWORD_VALIDATORS, as Django's own password forms run them: "1" is no password.
        password_validation.validate_password(new_password, user)
        user.set_password(new_password)
        user.full_clean()
        user.save()
    elif not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    membership = Membership.objects.filter(user=user, tenant=tenant).first()
    if membership is None:
        membership = Membership(user=user, tenant=tenant, role=role)
    membership.role = role
    membership.full_clean()
    membership.save()
    return user, new_password


@transaction.atomic
def api_key_create(
    *, tenant: Tenant, name: str = "API key", scopes: Iterable[str] | None = None
) -> tuple[ApiKey, str]:
    """Create a key for ``tenant``; the raw key is returned once and never stored.

    ``scopes`` (``ApiScope`` values) say what the key may do; None gives the default, what keys
    could do before scopes (``API_KEY_DEFAULT_SCOPES``). An unknown or empty list is refused with
    a ``ValidationError`` on ``scopes``.
    """
    if isinstance(scopes, str):  # one scope, not its letters
        scopes = [scopes]
    chosen = list(API_KEY_DEFAULT_SCOPES if scopes is None else dict.fromkeys(scopes))
    # Stored in the vocabulary's order, so every list of a key's scopes reads the same; unknown
    # names stay at the end for full_clean() to refuse.
    ordered = [scope for scope in ApiScope.values if scope in chosen]
    ordered += [scope for scope in chosen if scope not in ApiScope.values]
    raw_key = ApiKey.generate()
    api_key = ApiKey(
        tenant=tenant,
        name=name,
        scopes=ordered,
        key_hash=hash_api_key(raw_key),
        hint=raw_key[:10],
    )
    api_key.full_clean()
    api_key.save()
    return api_key, raw_key


def api_key_revoke(*, api_key: ApiKey) -> None:
    """Revoke the key: every API call with it is refused from the next one on, the consent
    lookup's cached key check included (``tenants.api_key_cache``)."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=clock.now())
    api_key_cache.revoked(api_key.key_hash)
