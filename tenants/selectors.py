"""Reads for tenancy: which tenants a user may work in, and in which role."""

from __future__ import annotations

import copy
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import JSONField, Q
from django.db.models.base import ModelState

from core import clock
from core.calendar import local_date
from core.fast_query import CompiledQuery

from .models import ApiKey, Membership, Role, Tenant, hash_api_key

# What each role may do. Admins can do everything compliance and staff can, except read the
# audit trail ("audit"): only the compliance role reads it (issue 14 item 3), so those who act
# on requests and settings do not read the record of their own acts.
# "queue" reads the review queue and every request's record (timeline, verification evidence,
# documents, consent states); "act" changes a request or its subject's state (verify, close,
# extend, assign, log a request, decide an agent's request, ...). Compliance officers read the
# queue but act on nothing unless they also hold the staff role (issue 14 item 5), hence
# COMPLIANCE_STAFF: a membership is one role per business.
ROLE_ABILITIES: dict[str, frozenset[str]] = {
    Role.STAFF: frozenset({"queue", "act"}),
    Role.COMPLIANCE: frozenset({"queue", "records", "audit"}),
    Role.COMPLIANCE_STAFF: frozenset({"queue", "act", "records", "audit"}),
    Role.ADMIN: frozenset({"queue", "act", "records", "settings"}),
}

# The ability that changes what an ability reads: the queue is read with "queue" and changed
# with "act"; the other abilities (records, settings) read and change alike.
ACTING_ABILITY = {"queue": "act"}


def acting_ability(ability: str) -> str:
    """The ability needed to change what ``ability`` lets a member read."""
    return ACTING_ABILITY.get(ability, ability)


def acting_refusal_message(role: str | None) -> str:
    """Why a member who reads the queue may not act on it (a 403's text, admin and API)."""
    return (
        f"Your role ({role}) reads requests but does not act on them. Ask an admin for the "
        "compliance-and-staff role if you need both."
    )


def tenant_today(tenant: Tenant, now: datetime | None = None) -> date:
    """The business's local date now: deadlines run to the end of their local day."""
    return local_date(now or clock.now(), tenant.zone)


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


def tenant_member(tenant: Tenant, username: str) -> AbstractBaseUser | None:
    """The active staff member of ``tenant`` with this username (None if there is none)."""
    user_model = get_user_model()
    return (
        user_model._default_manager.filter(
            **{user_model.USERNAME_FIELD: username},
            is_active=True,
            memberships__tenant=tenant,
        )
        .distinct()
        .first()
    )


def role_allows(role: str | None, ability: str) -> bool:
    return role is not None and ability in ROLE_ABILITIES.get(role, frozenset())


# The API key lookup's per-process copies of tenants: tenant id -> (its updated_at, the Tenant).
# Changed only by single item assignments and clear(), each atomic under the GIL, so the
# threads of a gthread worker may share it; a thread that loses a race just loads once more.
_api_tenants: dict[int, tuple[datetime, Tenant]] = {}
# Bounds the memory a worker spends on it; past this many tenants it simply starts over.
API_TENANT_CACHE_SIZE = 1000
_API_KEY_COLUMNS = [field.attname for field in ApiKey._meta.concrete_fields]
_TENANT_JSON_ATTNAMES = [
    field.attname for field in Tenant._meta.concrete_fields if isinstance(field, JSONField)
]
# The live key's columns and its tenant's ``updated_at``, by the key's hash (unique).
_live_key = CompiledQuery(
    lambda key_hash: ApiKey.objects.filter(key_hash=key_hash, revoked_at__isnull=True).values_list(
        *_API_KEY_COLUMNS, "tenant__updated_at"
    )[:1],
    "(the key hash)",
    using=ApiKey.objects.db,
)


def api_key_lookup(raw_key: str) -> ApiKey | None:
    """The live key with this value, with its tenant; None for an unknown or revoked key.

    Every call asks the database, so a revoked key fails on the very next call. The query reads
    only the key's row and its tenant's ``updated_at``: the Tenant itself (about thirty columns,
    JSON and a phone number to parse) comes from a per-process copy, loaded again whenever
    ``updated_at`` moved, so a change to the business's settings is seen on the next call too.
    """
    row = next(iter(_live_key.rows(hash_api_key(raw_key))), None)
    if row is None:
        return None
    tenant = _api_tenant(row[_API_KEY_COLUMNS.index("tenant_id")], row[-1])
    if tenant is None:  # deleted since the key was read
        return None
    api_key = ApiKey.from_db(_live_key.using, _API_KEY_COLUMNS, row[:-1])
    api_key.tenant = tenant
    return api_key


def _api_tenant(tenant_id: int, updated_at: datetime) -> Tenant | None:
    cached = _api_tenants.get(tenant_id)
    if cached is None or cached[0] != updated_at:
        tenant = Tenant.objects.filter(pk=tenant_id).first()
        if tenant is None:
            return None
        if len(_api_tenants) >= API_TENANT_CACHE_SIZE:
            _api_tenants.clear()
        cached = _api_tenants[tenant_id] = (tenant.updated_at, tenant)
    # Each call gets its own copy, JSON values included: a view that changes its tenant object
    # without saving it must not change what other requests of this process see.
    tenant = _model_copy(cached[1])
    for attname in _TENANT_JSON_ATTNAMES:
        setattr(tenant, attname, copy.deepcopy(getattr(tenant, attname)))
    return tenant


def _model_copy(instance: Tenant) -> Tenant:
    """``copy.copy(instance)``: the same field values, with its own ModelState and field cache
    (``Model.__getstate__``), without copy's generic reduce round trip, which costs far more."""
    clone = Tenant.__new__(Tenant)
    values = instance.__dict__.copy()
    state = ModelState.__new__(ModelState)
    state.__dict__.update(instance._state.__getstate__())
    values["_state"] = state
    clone.__dict__.update(values)
    return clone


def api_tenant_cache_clear() -> None:
    """Forget every cached tenant (tests: ids and frozen clocks repeat between tests)."""
    _api_tenants.clear()


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
