"""REST API authentication: a tenant API key (``Authorization: Bearer <key>``) or a staff session."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from .context import staff_role, staff_tenant
from .models import ApiKey, Tenant
from .selectors import api_key_lookup, role_allows


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw_key = header.partition(" ")
        if (
            scheme.lower() != self.keyword.lower()
        ):  # the scheme is case-insensitive (RFC 9110 §11.1)
            return None
        api_key = api_key_lookup(raw_key.strip())
        if api_key is None:
            raise exceptions.AuthenticationFailed("This API key is not valid or has been revoked.")
        return (None, api_key)

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def api_tenant(request: Request) -> Tenant | None:
    """The tenant an API call acts for: the key's tenant, or the staff member's chosen tenant."""
    if isinstance(request.auth, ApiKey):
        return request.auth.tenant
    return staff_tenant(request._request)


class IsTenantMember(permissions.BasePermission):
    """Allows an API key of the tenant, or a staff member of the tenant with queue access."""

    message = "Sign in as staff of this business or send its API key."

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, ApiKey):
            return True
        if request.user is None or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated(
                "Send this business's API key as 'Authorization: Bearer <key>', or sign in as staff."
            )
        if staff_tenant(request._request) is None:
            self.message = "Choose which business you are working for in the admin first."
            return False
        return role_allows(staff_role(request._request), "queue")
