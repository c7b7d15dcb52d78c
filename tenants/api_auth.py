"""REST API authentication: a tenant API key (``Authorization: Bearer <key>``) or a staff session.

A key may run an operation only with the scope the operation's view declares
(``required_scope``, an ``ApiScope``); staff sessions follow their role instead: reading needs
the role's "queue" ability, an operation that writes (its scope is one of ``ACTING_SCOPES``) also
"act" (compliance reads and never acts, issue 14 item 5).
"""

from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from .context import staff_role, staff_tenant
from .models import ApiKey, ApiScope, Tenant
from .selectors import acting_refusal_message, api_key_lookup, role_allows
from .two_factor import signin_complete


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
        raw_key = raw_key.strip()
        checked = getattr(request._request, "api_key_checked", None)
        if checked is not None and checked[0] == raw_key:
            api_key = checked[1]  # this request's hot path asked the database already
        else:
            api_key = api_key_lookup(raw_key)
        if api_key is None:
            raise exceptions.AuthenticationFailed("This API key is not valid or has been revoked.")
        return (None, api_key)

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def api_key_checked(request: HttpRequest, raw_key: str, api_key: ApiKey | None) -> None:
    """Note on the request what ``api_key_lookup(raw_key)`` answered, so that the DRF view the
    request may still reach (``optout.api.fast`` hands over to it) does not ask again."""
    request.api_key_checked = (raw_key, api_key)  # type: ignore[attr-defined]


def api_tenant(request: Request) -> Tenant | None:
    """The tenant an API call acts for: the key's tenant, or the staff member's chosen tenant."""
    if isinstance(request.auth, ApiKey):
        return request.auth.tenant
    return staff_tenant(request._request)


# The scopes of operations that change a request or a consumer's state: a staff session runs
# them only with the "act" ability (the directory's writes also need "settings", checked by
# their view).
ACTING_SCOPES = frozenset(
    {
        ApiScope.REQUESTS_WRITE,
        ApiScope.CONSENT_WRITE,
        ApiScope.DIRECTORY_WRITE,
        ApiScope.SYSTEMS_WRITE,
    }
)


def operation_acts(view_class: type, method: str) -> bool:
    """Whether ``method`` on ``view_class`` changes anything: its scope is a writing one, or it
    declares none and is not a safe method (fail closed)."""
    scope = operation_scope(view_class, method)
    if scope is None:
        return method.upper() not in permissions.SAFE_METHODS
    return scope in ACTING_SCOPES


class IsTenantMember(permissions.BasePermission):
    """Allows an API key of the tenant, or a staff member of the tenant with queue access
    (and, for an operation that writes, the "act" ability).

    Which operations a key may run is ``HasApiKeyScope``'s to say.
    """

    message = "Sign in as staff of this business or send its API key."

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, ApiKey):
            return True
        if request.user is None or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated(
                "Send this business's API key as 'Authorization: Bearer <key>', or sign in as staff."
            )
        if not signin_complete(request._request):
            # The password alone, where a second factor is needed (tenants.two_factor).
            raise exceptions.PermissionDenied(
                "Finish signing in: enter your two-factor code in the admin first."
            )
        if staff_tenant(request._request) is None:
            self.message = "Choose which business you are working for in the admin first."
            return False
        role = staff_role(request._request)
        if not role_allows(role, "queue"):
            return False
        if operation_acts(type(view), request.method or "GET") and not role_allows(role, "act"):
            raise exceptions.PermissionDenied(acting_refusal_message(role))
        return True


@functools.cache
def operation_scope(view_class: type, method: str) -> str | None:
    """The scope an API key needs for ``method`` on ``view_class``; None when none is declared.

    Each operation's class declares ``required_scope``. A view that answers several methods
    inherits each handler from its operation's class (``PrivacyRequestCollectionApi`` gets
    ``get`` from the list class and ``post`` from the create class), so the scope is the one of
    the class that defines the handler that will run. HEAD runs GET's handler (Django's View).
    """
    name = method.lower()
    if name == "head" and not hasattr(view_class, "head"):
        name = "get"
    for klass in view_class.__mro__:
        if name in vars(klass):
            return getattr(klass, "required_scope", None)
    return None


def missing_scope_message(scope: str, api_key: ApiKey) -> str:
    has = ", ".join(map(str, api_key.scopes or [])) or "none"
    return (
        f"This API key lacks the scope {scope}, which this operation needs (the key's scopes: "
        f"{has}). Ask the business's admin for a key with {scope}."
    )


class HasApiKeyScope(permissions.BasePermission):
    """Lets an API key run an operation only if the key has the scope the operation declares.

    Staff sessions pass: ``IsTenantMember`` applies their role. An operation that declares no
    scope is closed to every key (fail-closed; a test walks every API route to check that each
    declares one). ``TenantScopedAPIView`` always adds this permission.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True
        method = (request.method or "").lower()
        if method not in view.http_method_names or not hasattr(view, method):
            return True  # no handler runs: DRF answers 405, as before scopes
        if method == "options":
            # DRF's metadata describes the endpoint, no data: any key, as before scopes.
            return True
        scope = operation_scope(type(view), method)
        if scope is None:
            raise exceptions.PermissionDenied(
                "This operation is not open to API keys: it declares no scope. Sign in as staff."
            )
        if not isinstance(api_key.scopes, list) or scope not in api_key.scopes:
            raise exceptions.PermissionDenied(
                missing_scope_message(scope, api_key), code="missing_scope"
            )
        return True
