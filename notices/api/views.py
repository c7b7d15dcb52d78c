"""``GET /api/v1/inventory/``: the business's data inventory and the facts derived from it.
``GET /api/v1/notices/findings/``: what the business's notices miss (the completeness checker)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ERROR_400, ERROR_401, ERROR_403
from tenants.api import TenantScopedAPIView
from tenants.models import ApiScope

from .. import checker_rules
from ..checker import findings_for
from ..inventory import inventory_for_display
from .serializers import InventoryOutputSerializer, NoticeFindingOutputSerializer


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


class NoticeFindingsApi(TenantScopedAPIView):
    # The findings hold no consumer's personal information, only what the business's own
    # notices and settings miss: the same scope as the inventory they are mostly about.
    required_scope = ApiScope.REQUESTS_READ

    @extend_schema(
        operation_id="notice_findings_list",
        tags=["notices"],
        summary="List what the notices are missing",
        description="The completeness checker's findings: each required element the business's "
        "privacy policy or notice at collection, or its settings, are missing, with the "
        "section that requires it and what to do. An empty list: nothing is missing. "
        "`document` narrows the list to one notice (findings about the business as a whole "
        "are always included).",
        parameters=[
            OpenApiParameter(
                "document",
                str,
                enum=list(checker_rules.DOCUMENTS),
                required=False,
                description="Only this notice's findings (and the business's).",
            )
        ],
        responses={
            200: NoticeFindingOutputSerializer(many=True),
            400: ERROR_400,
            401: ERROR_401,
            403: ERROR_403,
        },
    )
    def get(self, request: Request) -> Response:
        unknown = [name for name in request.query_params if name != "document"]
        if unknown:
            raise exceptions.ValidationError(
                {name: ["This endpoint takes only the “document” parameter."] for name in unknown}
            )
        documents = request.query_params.getlist("document")
        if len(documents) > 1 or (documents and documents[0] not in checker_rules.DOCUMENTS):
            raise exceptions.ValidationError(
                {"document": [f"Give one of: {', '.join(checker_rules.DOCUMENTS)}."]}
            )
        found = findings_for(self.tenant, documents[0] if documents else None)
        return Response(NoticeFindingOutputSerializer(found, many=True).data)
