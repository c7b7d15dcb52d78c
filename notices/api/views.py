"""``GET /api/v1/inventory/``: the business's data inventory and the facts derived from it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ERROR_400, ERROR_401, ERROR_403
from tenants.api import TenantScopedAPIView
from tenants.models import ApiScope

from ..inventory import inventory_for_display
from .serializers import InventoryOutputSerializer


class InventoryApi(TenantScopedAPIView):
    # The inventory is what the business answers to a request to know categories (§7024(k)):
    # the systems that read requests read it too, so no scope of its own. It holds no consumer's
    # personal information (its contents are published in the privacy policy, §7011(e)(1)).
    required_scope = ApiScope.REQUESTS_READ

    @extend_schema(
        operation_id="inventory_read",
        tags=["inventory"],
        summary="Read the data inventory",
        description="The categories of personal information the business collects, in the "
        "statute's order (Civil Code §1798.140(v)(1)(A)-(K), then the sensitive categories of "
        "(ae)), each with its sources, purposes, retention, and to whom it is sold, shared or "
        "disclosed; and whether the business sells, shares or uses sensitive personal "
        "information beyond §7027(m). Takes no query parameters.",
        responses={200: InventoryOutputSerializer, 400: ERROR_400, 401: ERROR_401, 403: ERROR_403},
    )
    def get(self, request: Request) -> Response:
        if request.query_params:
            raise exceptions.ValidationError(
                {
                    name: ["This endpoint takes no query parameters."]
                    for name in request.query_params
                }
            )
        shown = inventory_for_display(self.tenant)
        body = {
            "sells": shown.sells,
            "shares": shown.shares,
            "uses_sensitive_beyond_7027m": shown.uses_sensitive_beyond_7027m,
            "categories": [*shown.personal, *shown.sensitive],
        }
        return Response(InventoryOutputSerializer(body).data)
