"""The API's tenant scoping: every endpoint of every app subclasses ``TenantScopedAPIView``.

The tenant comes from the API key or the staff session (``tenants.api_auth.api_tenant``) and is
resolved once, after authentication and permissions; subclasses read ``self.tenant`` and go
through their app's selectors and services with it. Each operation's class declares the scope an
API key needs, ``required_scope`` (``tenants.models.ApiScope``); one that does not is closed to keys.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from core.api import ApiJSONParser

from .api_auth import HasApiKeyScope, api_tenant, operation_scope
from .models import ApiKey, Tenant
from .selectors import tenant_today


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """Documents tenants.api_auth.ApiKeyAuthentication as HTTP bearer auth in the schema."""

    target_class = "tenants.api_auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A business's API key: `Authorization: Bearer <key>`. Each key has "
            "scopes, chosen when it is made, and each operation names the one it needs; a key "
            "without it gets 403 `missing_scope`. Staff signed in to the admin can use the API "
            "with their session instead.",
        }


class TenantScopedAutoSchema(AutoSchema):
    """Documents each operation's API key scope: in its description, its 403 answer and
    ``x-api-key-scope``."""

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        scope = operation_scope(type(self.view), method)
        if scope is None:
            note = "Not open to API keys: staff sessions only."
        else:
            note = f"API keys need the scope `{scope}`."
        operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()
        operation["x-api-key-scope"] = scope
        forbidden = operation.get("responses", {}).get("403")
        if forbidden is not None and scope is not None:
            forbidden["description"] = (
                f"An API key without the scope `{scope}` (error code `missing_scope`), or "
                "staff without the role."
            )
        return operation


class TenantScopedAPIView(APIView):
    """Resolves the caller's tenant once, after authentication and permissions.

    Subclasses read ``self.tenant`` and go through selectors and services with it; there is no
    unscoped queryset to reach for.
    """

    parser_classes = [ApiJSONParser]
    schema = TenantScopedAutoSchema()
    # The ApiScope a key needs for the operations this class defines; every operation's class
    # declares it. None, this default, closes the operation to keys (fail-closed).
    required_scope: str | None = None
    tenant: Tenant

    def get_permissions(self) -> list[BasePermission]:
        # Whatever permission_classes a subclass sets, a key needs the operation's scope.
        return [*super().get_permissions(), HasApiKeyScope()]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        tenant = api_tenant(request)
        if tenant is None:  # IsTenantMember already refuses this; never act without a tenant
            raise exceptions.PermissionDenied(
                "Choose which business you are working for in the admin first."
            )
        self.tenant = tenant

    def actor(self) -> tuple[Any, str | None]:
        """Who acts, for the timeline: the staff user, or the API key by its hint."""
        if isinstance(self.request.auth, ApiKey):
            return None, f"API key {self.request.auth.hint}…"
        return self.request.user, None

    def today(self) -> date:
        return tenant_today(self.tenant)
