"""The API's tenant scoping: every endpoint of every app subclasses ``TenantScopedAPIView``.

The tenant comes from the API key or the staff session (``tenants.api_auth.api_tenant``) and is
resolved once, after authentication and permissions; subclasses read ``self.tenant`` and go
through their app's selectors and services with it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.views import APIView

from core.api import ApiJSONParser

from .api_auth import api_tenant
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
            "description": "A business's API key: `Authorization: Bearer <key>`. Staff signed "
            "in to the admin can use the API with their session instead.",
        }


class TenantScopedAPIView(APIView):
    """Resolves the caller's tenant once, after authentication and permissions.

    Subclasses read ``self.tenant`` and go through selectors and services with it; there is no
    unscoped queryset to reach for.
    """

    parser_classes = [ApiJSONParser]
    tenant: Tenant

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
