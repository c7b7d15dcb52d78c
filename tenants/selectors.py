"""Reads for tenancy: which tenants a user may work in, and in which role."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q

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


def portal_tenant_for(host: str, slug: str) -> tuple[Tenant | None, bool]:
    """The tenant whose portal this is, and whether it was found by host (custom domain).

    One query: a tenant whose ``domain`` is the host wins over one whose slug is the first path
    segment.
    """
    host = host.split(":", 1)[0].lower()
    condition = Q(domain=host) if host else Q(pk__in=[])
    if slug:
        condition |= Q(slug=slug)
    by_host = by_slug = None
    for tenant in Tenant.objects.filter(condition)[:2]:
        if host and tenant.domain == host:
            by_host = tenant
        else:
            by_slug = tenant
    if by_host is not None:
        return by_host, True
    return by_slug, False
