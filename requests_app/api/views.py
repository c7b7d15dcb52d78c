"""REST API v1: one APIView per operation (HackSoft §2.4), scoped to the caller's tenant.

The tenant comes from the API key or the staff session (``tenants.api_auth.api_tenant``) and is
resolved once in ``tenants.api.TenantScopedAPIView``; every read goes through ``requests_app.selectors``
with that tenant, every write through ``requests_app.services``. Errors are shaped by
``core.api_errors``.
"""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from audit.models import AuditAction
from audit.services import audit_record
from core.api import (
    ERROR_400,
    ERROR_401,
    ERROR_403,
    ERROR_413,
    REPEATED_PARAMETERS,
    ApiCursorPagination,
    ApiSerializer,
    ErrorOutputSerializer,
    query_parameters,
)
from core.refusals import Refused
from tenants.api import TenantScopedAPIView
from tenants.models import ApiScope
from tenants.selectors import tenant_member

from ..models import PrivacyRequest
from ..selectors import (
    privacy_request_get,
    privacy_requests_for_queue,
)
from ..services import (
    Agent,
    Requester,
    privacy_request_assign,
    privacy_request_close,
    privacy_request_create,
    privacy_request_extend,
    privacy_request_mark_verified,
    privacy_request_record_confirmation,
    privacy_request_start,
)
from .serializers import (
    CREATE_DETAIL_FIELDS,
    PrivacyRequestAssignInputSerializer,
    PrivacyRequestCloseInputSerializer,
    PrivacyRequestCreateInputSerializer,
    PrivacyRequestDetailOutputSerializer,
    PrivacyRequestExtendInputSerializer,
    PrivacyRequestListFilterSerializer,
    PrivacyRequestOutputSerializer,
    PrivacyRequestPageOutputSerializer,
    PrivacyRequestRecordConfirmationInputSerializer,
    PrivacyRequestVerifyInputSerializer,
)

REFERENCE_RE = re.compile(r"[A-Za-z0-9-]{1,32}")
NOT_FOUND_MESSAGE = "There is no privacy request with this reference at this business."


class PrivacyRequestCursorPagination(ApiCursorPagination):
    ordering = ("-received_at", "-pk")


def _str(value: Any) -> str:
    return "" if value is None else str(value)


ERROR_404 = OpenApiResponse(
    ErrorOutputSerializer, description="No request with this reference at your business."
)
ERROR_409 = OpenApiResponse(
    ErrorOutputSerializer,
    description="Refused because of the request's state, e.g. already_extended, too_late, "
    "closed, not_verified.",
)
ACTION_RESPONSES = {
    200: PrivacyRequestOutputSerializer,
    400: ERROR_400,
    401: ERROR_401,
    403: ERROR_403,
    404: ERROR_404,
    409: ERROR_409,
    413: ERROR_413,
}
REFERENCE_PARAMETER = OpenApiParameter(
    "reference",
    str,
    OpenApiParameter.PATH,
    description="The request's reference, e.g. AC-7KQ3-9XW2.",
)


# --- Privacy requests ----------------------------------------------------------------------


class PrivacyRequestApi(TenantScopedAPIView):
    """An endpoint about the business's privacy requests, found by reference."""

    def get_privacy_request(self, reference: str, *, with_history: bool = False) -> PrivacyRequest:
        # Another business's reference answers exactly like a missing one.
        privacy_request = None
        if REFERENCE_RE.fullmatch(reference):
            privacy_request = privacy_request_get(
                self.tenant, reference.upper(), with_history=with_history
            )
        if privacy_request is None:
            raise exceptions.NotFound(NOT_FOUND_MESSAGE)
        return privacy_request

    def input(self, serializer_class: type[ApiSerializer]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def output(self, privacy_request: PrivacyRequest, **kwargs: Any) -> Response:
        data = PrivacyRequestOutputSerializer(privacy_request, context={"today": self.today()}).data
        return Response(data, **kwargs)


class PrivacyRequestListApi(PrivacyRequestApi):
    required_scope = ApiScope.REQUESTS_READ

    @extend_schema(
        operation_id="requests_list",
        tags=["requests"],
        summary="List requests",
        description="The business's requests, newest received first, a page at a time "
        f"(cursor pagination: follow `next`). {REPEATED_PARAMETERS}",
        parameters=[PrivacyRequestListFilterSerializer],
        responses={
            200: PrivacyRequestPageOutputSerializer,
            400: ERROR_400,
            401: ERROR_401,
            403: ERROR_403,
        },
    )
    def get(self, request: Request) -> Response:
        filters = PrivacyRequestListFilterSerializer(data=query_parameters(request))
        filters.is_valid(raise_exception=True)
        params = filters.validated_data
        today = self.today()
        queryset = privacy_requests_for_queue(
            self.tenant,
            type=params.get("type"),
            status=params.get("status"),
            channel=params.get("channel"),
            flagged=params.get("flagged"),
            overdue=params.get("overdue"),
            due_before=params.get("due_before"),
            today=today,
        )
        paginator = PrivacyRequestCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        data = PrivacyRequestOutputSerializer(page, many=True, context={"today": today}).data
        # One audit entry per call, naming the requests it returned (issue 14 item 3).
        references = [privacy_request.reference for privacy_request in page or []]
        audit_record(
            self.tenant,
            action=AuditAction.READ,
            target="privacy_request:list",
            summary=f"Listed {len(references)} requests by API",
            request=request,
            detail={"references": references},
        )
        return paginator.get_paginated_response(data)


class PrivacyRequestCreateApi(PrivacyRequestApi):
    required_scope = ApiScope.REQUESTS_WRITE

    @extend_schema(
        operation_id="requests_create",
        tags=["requests"],
        summary="Record a new request",
        description="Records a request, computes its deadlines in the business's time zone "
        "and business-day calendar, and confirms receipt to the consumer by email when an "
        "address is known (§7021(a)).",
        request=PrivacyRequestCreateInputSerializer,
        responses={
            201: PrivacyRequestOutputSerializer,
            400: ERROR_400,
            401: ERROR_401,
            403: ERROR_403,
            413: ERROR_413,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = PrivacyRequestCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        requester = data.get("requester") or {}
        agent = data.get("agent")
        actor, actor_label = self.actor()
        privacy_request = privacy_request_create(
            tenant=self.tenant,
            request_type=data["type"],
            channel=data["channel"],
            know_scope=data.get("know_scope") or "",
            received_at=data.get("received_at"),
            requester=Requester(
                name=_str(requester.get("name")),
                email=_str(requester.get("email")),
                phone=_str(requester.get("phone")),
                state=_str(requester.get("state")),
            ),
            agent=Agent(
                name=_str(agent.get("name")),
                organization=_str(agent.get("organization")),
                email=_str(agent.get("email")),
                phone=_str(agent.get("phone")),
            )
            if agent
            else None,
            is_california_consumer=data.get("is_california_consumer"),
            actor=actor,
            actor_label=actor_label,
            language=data.get("language") or "en",
            details={
                name: data[name] for name in CREATE_DETAIL_FIELDS if data.get(name) is not None
            },
        )
        # The detail route's trailing slash is optional, so reverse() leaves it off.
        location = reverse("api-v1-request-detail", args=[privacy_request.reference]) + "/"
        return self.output(
            privacy_request, status=status.HTTP_201_CREATED, headers={"Location": location}
        )


class PrivacyRequestCollectionApi(PrivacyRequestListApi, PrivacyRequestCreateApi):
    """``/api/v1/requests/``: GET lists, POST creates (each operation is its own class above)."""


class PrivacyRequestDetailApi(PrivacyRequestApi):
    required_scope = ApiScope.REQUESTS_READ

    @extend_schema(
        operation_id="requests_retrieve",
        tags=["requests"],
        summary="Get one request with its timeline and communications",
        parameters=[REFERENCE_PARAMETER],
        responses={
            200: PrivacyRequestDetailOutputSerializer,
            401: ERROR_401,
            403: ERROR_403,
            404: ERROR_404,
        },
    )
    def get(self, request: Request, reference: str) -> Response:
        privacy_request = self.get_privacy_request(reference, with_history=True)
        data = PrivacyRequestDetailOutputSerializer(
            privacy_request, context={"today": self.today()}
        ).data
        audit_record(
            self.tenant,
            action=AuditAction.READ,
            target=f"privacy_request:{privacy_request.reference}",
            summary=f"Read {privacy_request.reference} by API",
            request=request,
        )
        return Response(data)


class PrivacyRequestExtendApi(PrivacyRequestApi):
    required_scope = ApiScope.REQUESTS_WRITE

    @extend_schema(
        operation_id="requests_extend",
        tags=["requests"],
        summary="Extend the response deadline (once)",
        description="Extends a request to know, delete or correct once, within its first 45 "
        "days, to at most 90 days after receipt, and tells the consumer why (§7021(b)).",
        parameters=[REFERENCE_PARAMETER],
        request=PrivacyRequestExtendInputSerializer,
        responses=ACTION_RESPONSES,
    )
    def post(self, request: Request, reference: str) -> Response:
        privacy_request = self.get_privacy_request(reference)
        data = self.input(PrivacyRequestExtendInputSerializer)
        actor, actor_label = self.actor()
        privacy_request = privacy_request_extend(
            privacy_request=privacy_request,
            actor=actor,
            reason=_str(data.get("reason")),
            new_respond_by=data.get("respond_by"),
            actor_label=actor_label,
        )
        return self.output(privacy_request)


class PrivacyRequestCloseApi(PrivacyRequestApi):
    required_scope = ApiScope.REQUESTS_WRITE

    @extend_schema(
        operation_id="requests_close",
        tags=["requests"],
        summary="Close a request with its outcome",
        description="Closes with complied, complied_in_part or denied. Denials (in whole or "
        "part) need a denial_reason and an explanation; exempt needs a legal_basis; "
        "complied_in_part also needs done_explanation (what was done). Verifiable "
        "requests (know, delete, correct) cannot be closed as complied before verification. "
        "A request to correct that came with documents cannot be decided until staff have "
        "opened each of them in the admin (§7023(d)(1)): error code documents_not_opened.",
        parameters=[REFERENCE_PARAMETER],
        request=PrivacyRequestCloseInputSerializer,
        responses={
            200: PrivacyRequestOutputSerializer,
            400: ERROR_400,
            401: ERROR_401,
            403: ERROR_403,
            404: ERROR_404,
            409: OpenApiResponse(
                ErrorOutputSerializer,
                description=f"{ERROR_409.description} Also documents_not_opened: open the "
                "consumer's documents in the admin before deciding (§7023(d)(1)).",
            ),
            413: ERROR_413,
        },
    )
    def post(self, request: Request, reference: str) -> Response:
        privacy_request = self.get_privacy_request(reference)
        data = self.input(PrivacyRequestCloseInputSerializer)
        actor, actor_label = self.actor()
        privacy_request = privacy_request_close(
            privacy_request=privacy_request,
            actor=actor,
            outcome=data["outcome"],
            denial_reason=_str(data.get("denial_reason")),
            explanation=_str(data.get("explanation")),
            legal_basis=_str(data.get("legal_basis")),
            fraud_documentation=_str(data.get("fraud_documentation")),
            actor_label=actor_label,
            personal_paragraph=_str(data.get("personal_paragraph")),
            open_tasks_reason=_str(data.get("open_tasks_reason")),
            done_explanation=_str(data.get("done_explanation")),
            assessment=_str(data.get("assessment")),
            documentation_considered=_str(data.get("documentation_considered")),
            information_source=_str(data.get("information_source")),
        )
        return self.output(privacy_request)


class PrivacyRequestVerifyApi(PrivacyRequestApi):
    required_scope = ApiScope.REQUESTS_WRITE

    @extend_schema(
        operation_id="requests_verify",
        tags=["requests"],
        summary="Record that the requester's identity was verified, and how",
        description="For requests to know, delete and correct (§7060–§7062). Opt-outs, limits "
        "and opt-ins are never verified (§7060(b)): 409 no_verification.",
        parameters=[REFERENCE_PARAMETER],
        request=PrivacyRequestVerifyInputSerializer,
        responses=ACTION_RESPONSES,
    )
    def post(self, request: Request, reference: str) -> Response:
        privacy_request = self.get_privacy_request(reference)
        data = self.input(PrivacyRequestVerifyInputSerializer)
        actor, actor_label = self.actor()
        return self.output(
            privacy_request_mark_verified(
                privacy_request=privacy_request,
                actor=actor,
                actor_label=actor_label,
                method=_str(data.get("method")),
            )
        )


class PrivacyRequestStartApi(PrivacyRequestApi):
    required_scope = ApiScope.REQUESTS_WRITE

    @extend_schema(
        operation_id="requests_start",
        tags=["requests"],
        summary="Start work on a request",
        description="A verified request to know, delete or correct, or a received opt-out, "
        "limit or opt-in, moves to in_progress.",
        parameters=[REFERENCE_PARAMETER],
        request=None,
        responses=ACTION_RESPONSES,
    )
    def post(self, request: Request, reference: str) -> Response:
        privacy_request = self.get_privacy_request(reference)
        actor, actor_label = self.actor()
        return self.output(
            privacy_request_start(
                privacy_request=privacy_request, actor=actor, actor_label=actor_label
            )
        )


class PrivacyRequestAssignApi(PrivacyRequestApi):
    required_scope = ApiScope.REQUESTS_WRITE

    @extend_schema(
        operation_id="requests_assign",
        tags=["requests"],
        summary="Assign a request to a staff member, or unassign it",
        parameters=[REFERENCE_PARAMETER],
        request=PrivacyRequestAssignInputSerializer,
        responses=ACTION_RESPONSES,
    )
    def post(self, request: Request, reference: str) -> Response:
        privacy_request = self.get_privacy_request(reference)
        data = self.input(PrivacyRequestAssignInputSerializer)
        username = data.get("assignee")
        assignee = None
        if username:
            assignee = tenant_member(self.tenant, username)
            if assignee is None:
                raise Refused(
                    "not_a_member",
                    f"{username} is not a staff member of this business.",
                    "assignee",
                )
        actor, actor_label = self.actor()
        return self.output(
            privacy_request_assign(
                privacy_request=privacy_request,
                actor=actor,
                actor_label=actor_label,
                assignee=assignee,
            )
        )


class PrivacyRequestRecordConfirmationApi(PrivacyRequestApi):
    required_scope = ApiScope.REQUESTS_WRITE

    @extend_schema(
        operation_id="requests_record_confirmation",
        tags=["requests"],
        summary="Confirm receipt, or record how it was confirmed (§7021(a))",
        description="method=email sends the confirmation email now (409-free only when an "
        "address is on file). oral, mail and in_person record a confirmation staff gave, with "
        "the text they used; it must describe the verification process and the expected "
        "response date (§7021(a)).",
        parameters=[REFERENCE_PARAMETER],
        request=PrivacyRequestRecordConfirmationInputSerializer,
        responses=ACTION_RESPONSES,
    )
    def post(self, request: Request, reference: str) -> Response:
        privacy_request = self.get_privacy_request(reference)
        data = self.input(PrivacyRequestRecordConfirmationInputSerializer)
        actor, actor_label = self.actor()
        return self.output(
            privacy_request_record_confirmation(
                privacy_request=privacy_request,
                actor=actor,
                actor_label=actor_label,
                method=data["method"],
                text=_str(data.get("text")),
                note=_str(data.get("note")),
            )
        )
