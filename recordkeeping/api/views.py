"""``GET /api/v1/records/request-log/?since=&until=&format=csv|json``: the business's §7101(b)
request log for a range of local dates, streamed; ``GET /api/v1/records/metrics/?year=``: the
§7102 metrics of a calendar year.

A key needs ``records:read``; staff signed in need the compliance or admin role (records are
secured by role, R-7101-a-2). Bad input is a 400 in the API's JSON error format.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ERROR_400, ERROR_401, ERROR_403
from core.api_http import ApiContentNegotiation
from tenants.api import TenantScopedAPIView
from tenants.api_auth import IsTenantMember
from tenants.context import staff_role
from tenants.models import ApiKey, ApiScope
from tenants.selectors import role_allows

from ..dashboard_rules import (
    POPULATION_LABELS,
    STATISTIC_LABELS,
    STATISTIC_MEAN,
    STATISTIC_MEDIAN,
)
from ..exports import MetricsQueryRefused, parse_export, parse_metrics_query, request_log_download
from ..metrics import annual_metrics
from ..request_log import COLUMNS, RangeRefused


class IsKeyOrRecordsRole(BasePermission):
    """A key (its scope is checked by ``HasApiKeyScope``), or staff whose role holds the
    records: compliance and admin, not staff (R-7101-a-2)."""

    message = (
        "Only the compliance and admin roles of this business may export its request log and "
        "request metrics."
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, ApiKey):
            return True
        return role_allows(staff_role(request._request), "records")


class _FormatIsOurs(ApiContentNegotiation):
    """``?format=csv|json`` picks the file, not a DRF renderer: errors are always JSON."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


class RequestLogApi(TenantScopedAPIView):
    required_scope = ApiScope.RECORDS_READ
    permission_classes = [IsTenantMember, IsKeyOrRecordsRole]
    content_negotiation_class = _FormatIsOurs

    @extend_schema(
        operation_id="records_request_log",
        tags=["records"],
        summary="Export the §7101 request log",
        description=(
            "Every request the business received from `since` to `until` (its local dates, "
            "both included, at most 10 years), oldest first, with the §7101(b) columns: "
            + ", ".join(f"`{column}`" for column in COLUMNS)
            + ". Streamed as CSV (a header row first) or as a JSON array of objects. "
            "`purpose` is required: records are used only to comply with the CCPA (§7101(d)), "
            "and the export, with its purpose, is written to the business's audit trail."
        ),
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATE, required=True),
            OpenApiParameter("until", OpenApiTypes.DATE, required=True),
            OpenApiParameter("format", str, enum=["csv", "json"], default="csv"),
            OpenApiParameter(
                "purpose",
                str,
                required=True,
                description="Why the log is exported (at most 300 characters), "
                "e.g. `Annual compliance review`.",
            ),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The log as CSV."),
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="The log as a JSON array."
            ),
            400: ERROR_400,
            401: ERROR_401,
            403: ERROR_403,
        },
    )
    def get(self, request: Request) -> Any:
        params = request.query_params
        try:
            asked = parse_export(
                since=params.get("since"),
                until=params.get("until"),
                file_format=params.get("format"),
                purpose=params.get("purpose"),
            )
        except RangeRefused as refused:
            raise exceptions.ValidationError([str(refused)]) from None
        return request_log_download(tenant=self.tenant, asked=asked, request=request, channel="api")


class MetricsApi(TenantScopedAPIView):
    """``GET /api/v1/records/metrics/?year=YYYY&population=all|consumers``: the §7102 metrics
    of one calendar year (issue 14 item 8), both median and mean, with the population and the
    counting conventions. Same access as the request log: ``records:read`` or the compliance
    and admin roles (R-7101-a-2)."""

    required_scope = ApiScope.RECORDS_READ
    permission_classes = [IsTenantMember, IsKeyOrRecordsRole]

    @extend_schema(
        operation_id="records_metrics",
        tags=["records"],
        summary="The §7102 request metrics of a calendar year",
        description=(
            "For each of the five request types (know, delete, correct, opt-out, limit): "
            "received, complied with in whole or in part, denied, withdrawn, pending, the "
            "§7102(a)(2)(A) denial breakdown, and the median and mean days to a substantive "
            "response (the business publishes one of them). Requests count in the year of "
            "their receipt (the business's time zone); `population=consumers` counts only "
            "known California residents (§7102(b)). `statistics` labels the two day figures, "
            "`population_label` the population; `conventions` lists every counting rule."
        ),
        parameters=[
            OpenApiParameter("year", int, required=True, description="Four digits, 2020 or later."),
            OpenApiParameter("population", str, enum=["all", "consumers"], default="all"),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The year's metrics."),
            400: ERROR_400,
            401: ERROR_401,
            403: ERROR_403,
        },
    )
    def get(self, request: Request) -> Any:
        params = request.query_params
        try:
            asked = parse_metrics_query(
                year=params.get("year"), population=params.get("population")
            )
        except MetricsQueryRefused as refused:
            raise exceptions.ValidationError([str(refused)]) from None
        metrics = annual_metrics(tenant=self.tenant, year=asked.year, population=asked.population)
        return Response(
            {
                **metrics.as_dict(),
                "population_label": POPULATION_LABELS[asked.population],
                "statistics": {
                    "median_days": STATISTIC_LABELS[STATISTIC_MEDIAN],
                    "mean_days": STATISTIC_LABELS[STATISTIC_MEAN],
                },
            }
        )
