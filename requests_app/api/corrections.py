"""The corrections check (§7023(c) as amended: a correction stays corrected).

``POST /api/v1/corrections/check/`` with ``{email, field, value, source?}``, by an API key with
``systems:write`` (the business's data systems and imports): does this value contradict a
correction the business recorded for this consumer's information? A contradiction is counted on
the recorded correction so the import that brought it is flagged, not silently applied. When no
correction is recorded for this consumer and information at this business (another business's
consumer included), the answer is still 200, with ``correction_recorded`` false: a normal
answer for most imports, not an error, and the same for a consumer the business never heard of.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import (
    ERROR_400,
    ERROR_401,
    ERROR_403,
    ApiSerializer,
    EnumField,
)
from tenants.api import TenantScopedAPIView
from tenants.models import ApiScope

from ..models import CorrectionField
from ..services.corrections import correction_check


@extend_schema_serializer(component_name="CorrectionCheck")
class CorrectionCheckInputSerializer(ApiSerializer):
    email = serializers.EmailField(max_length=254, help_text="The consumer's email address.")
    field = EnumField(CorrectionField.choices, noun="a kind of information")
    value = serializers.CharField(max_length=2000, help_text="The value the record would now hold.")
    source = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Where the value comes from (e.g. the data broker's name); the answer says "
        "whether the correction named the same source.",
    )


@extend_schema_serializer(component_name="CorrectionCheckResult")
class CorrectionCheckOutputSerializer(ApiSerializer):
    correction_recorded = serializers.BooleanField(
        help_text="False: the business recorded no correction of this information for this "
        "consumer; the other fields are then false, null or empty."
    )
    contradicts_correction = serializers.BooleanField(
        help_text="True: the value differs from the corrected one; keep the correction."
    )
    corrected_on = serializers.DateField(allow_null=True)
    request_reference = serializers.CharField(source="reference")
    source = serializers.CharField(help_text="The source of the inaccurate information, if named.")
    same_source = serializers.BooleanField()


class CorrectionCheckApi(TenantScopedAPIView):
    required_scope = ApiScope.SYSTEMS_WRITE

    @extend_schema(
        operation_id="corrections_check",
        tags=["corrections"],
        summary="Check a value against the recorded corrections",
        description="Before an import overwrites a consumer's information, ask whether the new "
        "value contradicts a correction the business made (§7023(c)). A contradiction is "
        "counted on the correction's record.",
        request=CorrectionCheckInputSerializer,
        responses={
            200: CorrectionCheckOutputSerializer,
            400: ERROR_400,
            401: ERROR_401,
            403: ERROR_403,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = CorrectionCheckInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = correction_check(
            tenant=self.tenant,
            email=data["email"],
            field=data["field"],
            value=data["value"],
            source=data.get("source") or "",
        )
        return Response(CorrectionCheckOutputSerializer(result).data)
