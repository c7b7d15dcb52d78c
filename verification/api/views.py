"""``POST /api/v1/verification/directory/``: a business's system adds or replaces consumers in
its verification directory (§7060(c)(1)), stored as keyed hashes only (§7060(d)).

All or nothing: one refused consumer and none is imported; the 400 names each by its index and
field (``[1].email``). A key needs ``directory:write``; staff signed in need the admin role,
like the CSV import in the admin.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ERROR_400, ERROR_401, ERROR_403
from tenants.api import TenantScopedAPIView
from tenants.api_auth import IsTenantMember
from tenants.context import staff_role
from tenants.models import ApiKey, ApiScope
from tenants.selectors import role_allows

from ..services.directory import MAX_API_RECORDS, DirectoryRowsRefused, directory_records_add
from .serializers import DirectoryConsumerInputSerializer, DirectoryImportOutputSerializer


class IsKeyOrBusinessAdmin(BasePermission):
    """A key (its scope is checked by ``HasApiKeyScope``), or staff whose role holds the
    business's settings: the directory is the business's data, changed by its admins."""

    message = "Only the business's admins may change its consumer directory."

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, ApiKey):
            return True
        return role_allows(staff_role(request._request), "settings")


class DirectoryRecordsAddApi(TenantScopedAPIView):
    required_scope = ApiScope.DIRECTORY_WRITE
    permission_classes = [IsTenantMember, IsKeyOrBusinessAdmin]

    @extend_schema(
        operation_id="verification_directory_add",
        tags=["verification"],
        summary="Add or replace consumers in the verification directory",
        description=(
            "Send a JSON list of consumers (at most "
            f"{MAX_API_RECORDS}), each with `consumer_id`, your own id for them, and any of "
            "`email`, `phone`, `name`, `postal_address`, `account`, `date_of_birth`, "
            "`last_purchase_date`, `last_purchase_amount`; at least one of `email`, `phone` and "
            "`account`, by which a consumer is found. Each value is normalized and only its "
            "keyed hash is kept (§7060(d)); nothing can be read back. Sending a `consumer_id` "
            "again replaces that consumer. All or nothing: if any consumer is refused, none is "
            "imported and the 400 names each by its index and field (`[1].email`)."
        ),
        request=DirectoryConsumerInputSerializer(many=True),
        responses={
            201: DirectoryImportOutputSerializer,
            400: ERROR_400,
            401: ERROR_401,
            403: ERROR_403,
        },
    )
    def post(self, request: Request) -> Response:
        _, actor_label = self.actor()
        label = actor_label or request.user.get_username()
        try:
            directory_import = directory_records_add(
                tenant=self.tenant, records=request.data, actor_label=label
            )
        except DirectoryRowsRefused as refused:
            raise exceptions.ValidationError(
                {
                    f"[{item['line']}]" + (f".{item['field']}" if item["field"] else ""): [
                        item["why"]
                    ]
                    for item in refused.refusals
                }
            ) from None
        return Response(
            {
                "import_id": directory_import.pk,
                "received": directory_import.rows_read,
                "imported": directory_import.rows_imported,
            },
            status=status.HTTP_201_CREATED,
        )
