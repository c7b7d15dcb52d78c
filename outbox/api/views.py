"""The outbox API: what the business has sent or will send."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import (
    ERROR_400,
    ERROR_401,
    ERROR_403,
    REPEATED_PARAMETERS,
    ApiCursorPagination,
    PageQuerySerializer,
    query_parameters,
)
from tenants.api import TenantScopedAPIView
from tenants.models import ApiScope

from ..selectors import outbox_messages_for_tenant
from .serializers import OutboxMessageOutputSerializer, OutboxPageOutputSerializer


class OutboxCursorPagination(ApiCursorPagination):
    ordering = ("-created_at", "-pk")


class OutboxMessageListApi(TenantScopedAPIView):
    # The messages are the requests' communications (addresses, references, bodies), which a
    # request's detail shows to requests:read too: the same data, so the same scope.
    required_scope = ApiScope.REQUESTS_READ

    @extend_schema(
        operation_id="outbox_list",
        tags=["outbox"],
        summary="List outgoing messages",
        description="The emails and webhooks the business has sent or will send, newest first, "
        f"with their delivery state. {REPEATED_PARAMETERS}",
        parameters=[PageQuerySerializer],
        responses={200: OutboxPageOutputSerializer, 400: ERROR_400, 401: ERROR_401, 403: ERROR_403},
    )
    def get(self, request: Request) -> Response:
        PageQuerySerializer(data=query_parameters(request)).is_valid(raise_exception=True)
        paginator = OutboxCursorPagination()
        page = paginator.paginate_queryset(
            outbox_messages_for_tenant(self.tenant), request, view=self
        )
        return paginator.get_paginated_response(OutboxMessageOutputSerializer(page, many=True).data)
