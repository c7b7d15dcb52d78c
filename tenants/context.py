"""Which tenant a staff member is working in, for this HTTP request.

The tenant is the one chosen in the session, re-checked against ``Membership`` on every request;
a member of exactly one tenant works in that one. Nothing else is ever used as a default.
"""

from __future__ import annotations

from django.http import HttpRequest

from .models import Tenant
from .selectors import membership_role, tenants_for_user

SESSION_KEY = "active_tenant_id"
_CACHE_ATTR = "_staff_tenant_cache"


def staff_tenant(request: HttpRequest) -> Tenant | None:
    cached = getattr(request, _CACHE_ATTR, None)
    if cached is not None:
        return cached[0]
    tenant = _resolve(request)
    setattr(request, _CACHE_ATTR, (tenant,))
    return tenant


def staff_role(request: HttpRequest) -> str | None:
    return membership_role(request.user, staff_tenant(request))


def _resolve(request: HttpRequest) -> Tenant | None:
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return None
    chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if chosen is not None:
        tenant = Tenant.objects.filter(pk=chosen).first()
        if tenant is not None and membership_role(user, tenant) is not None:
            return tenant
        request.session.pop(SESSION_KEY, None)  # membership gone: forget the choice
    if user.is_superuser:
        return None  # platform superusers pick a tenant explicitly, or see all
    tenants = tenants_for_user(user)
    return tenants[0] if len(tenants) == 1 else None


def choose_tenant(request: HttpRequest, tenant: Tenant) -> bool:
    if membership_role(request.user, tenant) is None:
        return False
    request.session[SESSION_KEY] = tenant.pk
    setattr(request, _CACHE_ATTR, (tenant,))
    return True
