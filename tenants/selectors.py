"""Reads for tenancy: which tenants a user may work in, and in which role."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from .models import ApiKey, Membership, Role, Tenant, hash_api_key

# What each role may do. Admins can do everything compliance and staff can.
ROLE_ABILITIES: dict[str, frozenset[str]] = {
    Role.STAFF: frozenset({"queue"}),
    Role.COMPLIANCE: frozenset({"queue", "records"}),
    Role.ADMIN: frozenset({"queue", "records", "settings"}),
}


def tenants_for_user(user: AbstractBaseUser | AnonymousUser) -> list[Tenant]:
    if not user.is_authenticated:
        return []
    if getattr(user, "is_superuser", False):
        return list(Tenant.objects.order_by("legal_name"))
    return list(Tenant.objects.filter(memberships__user=user).order_by("legal_name"))


def membership_role(user: AbstractBaseUser | AnonymousUser, tenant: Tenant | None) -> str | None:
    """The user's role at ``tenant``; superusers act as admins everywhere."""
    if tenant is None or not user.is_authenticated or not user.is_active:
        return None
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    return (
        Membership.objects.filter(user=user, tenant=tenant).values_list("role", flat=True).first()
    )


def role_allows(role: str | None, ability: str) -> bool:
    return role is not None and ability in ROLE_ABILITIES.get(role, frozenset())


def api_key_lookup(raw_key: str) -> ApiKey | None:
    return (
        ApiKey.objects.select_related("tenant")
        .filter(key_hash=hash_api_key(raw_key), revoked_at__isnull=True)
        .first()
    )


def tenant_by_host(host: str) -> Tenant | None:
    host = host.split(":", 1)[0].lower()
    return Tenant.objects.filter(domain=host).first() if host else None
