"""Reads for tenancy: which tenants a user may work in, and in which role."""

from __future__ import annotations

import copy
import weakref
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import JSONField, Q
from django.db.models.sql.compiler import SQLCompiler

from core import clock
from core.calendar import local_date

from .models import ApiKey, Membership, Role, Tenant, hash_api_key

# What each role may do. Admins can do everything compliance and staff can.
ROLE_ABILITIES: dict[str, frozenset[str]] = {
    Role.STAFF: frozenset({"queue"}),
    Role.COMPLIANCE: frozenset({"queue", "records"}),
    Role.ADMIN: frozenset({"queue", "records", "settings"}),
}


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
# Each connection's compiled key query (a compiler belongs to the connection it compiled for;
# a connection belongs to one thread): connection -> (compiler, SQL).
_key_queries: weakref.WeakKeyDictionary[BaseDatabaseWrapper, tuple[SQLCompiler, str]] = (
    weakref.WeakKeyDictionary()
)
_KEY_HASH_PLACEHOLDER = "(the key hash)"
_TENANT_JSON_ATTNAMES = [
    field.attname for field in Tenant._meta.concrete_fields if isinstance(field, JSONField)
]


def api_key_lookup(raw_key: str) -> ApiKey | None:
    """The live key with this value, with its tenant; None for an unknown or revoked key.

    Every call asks the database, so a revoked key fails on the very next call. The query reads
    only the key's row and its tenant's ``updated_at``: the Tenant itself (about thirty columns,
    JSON and a phone number to parse) comes from a per-process copy, loaded again whenever
    ``updated_at`` moved, so a change to the business's settings is seen on the next call too.
    """
    connection = connections[ApiKey.objects.db]
    row = _live_key_row(connection, hash_api_key(raw_key))
    if row is None:
        return None
    tenant = _api_tenant(row[_API_KEY_COLUMNS.index("tenant_id")], row[-1])
    if tenant is None:  # deleted since the key was read
        return None
    api_key = ApiKey.from_db(connection.alias, _API_KEY_COLUMNS, row[:-1])
    api_key.tenant = tenant
    return api_key


def _live_key_row(connection: BaseDatabaseWrapper, key_hash: str) -> Sequence[Any] | None:
    """The live key's columns and its tenant's ``updated_at``, by the key's hash.

    The SELECT is built by the ORM and compiled once per database connection: compiling it took
    several times longer than running it. Each call runs the compiled SQL with the hash and
    converts the row with the same compiler, as ``QuerySet.values_list()`` would.
    """
    compiled = _key_queries.get(connection)
    if compiled is None:
        query = (
            ApiKey.objects.filter(key_hash=_KEY_HASH_PLACEHOLDER, revoked_at__isnull=True)
            .values_list(*_API_KEY_COLUMNS, "tenant__updated_at")[:1]  # key_hash is unique
            .query
        )
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        if list(params) != [_KEY_HASH_PLACEHOLDER]:
            raise RuntimeError(f"The API key query takes unexpected parameters: {params!r}")
        compiled = _key_queries[connection] = (compiler, sql)
    compiler, sql = compiled
    with connection.cursor() as cursor:
        cursor.execute(sql, [key_hash])
        rows = cursor.fetchall()
    return next(iter(compiler.results_iter(results=[rows], tuple_expected=True)), None)


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
    tenant = copy.copy(cached[1])
    for attname in _TENANT_JSON_ATTNAMES:
        setattr(tenant, attname, copy.deepcopy(getattr(tenant, attname)))
    return tenant


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
