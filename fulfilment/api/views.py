"""The system task API: a business's own systems list their tasks and answer them.

``GET /api/v1/system-tasks/?state=open`` and ``POST /api/v1/system-tasks/<id>/answer/``, with an
API key holding ``systems:write`` (or a staff session that may act). Another business's task
answers 404 like a missing one. ``POST /api/v1/system-tasks/<id>/parts/`` attaches part of the consumer's data to a request to
know's task: the body is the JSON or CSV file itself (issue 16 items 2 and 9).
"""

from __future__ import annotations

import tempfile
from typing import Any

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
    ErrorOutputSerializer,
    query_parameters,
)
from core.refusals import Refused
from tenants.api import TenantScopedAPIView
from tenants.models import ApiScope

from ..package_rules import CSV, JSON
from ..selectors import system_task_get, system_tasks
from ..services import package_part_attach, system_task_answer
from ..services.packages import part_max_bytes
from .serializers import (
    PackagePartOutputSerializer,
    SystemTaskAnswerInputSerializer,
    SystemTaskListFilterSerializer,
    SystemTaskOutputSerializer,
    SystemTaskPageOutputSerializer,
)

NOT_FOUND_MESSAGE = "There is no system task with this id at this business."
ERROR_404 = OpenApiResponse(ErrorOutputSerializer, description="No such task at your business.")
ERROR_409 = OpenApiResponse(
    ErrorOutputSerializer,
    description="already_answered: the task has another answer already (the same answer again "
    "is accepted and changes nothing); cancelled: the request was denied or withdrawn.",
)


def _task(tenant: Any, system_task_id: str) -> Any:
    """The business's task named by the address's segment; None for anything else (any segment
    reaches the views, so that what is not a task's id gets the API's JSON 404)."""
    if not (system_task_id.isascii() and system_task_id.isdigit()):
        return None
    task_id = int(system_task_id)
    return system_task_get(tenant, task_id) if 0 < task_id < 2**63 else None


class SystemTaskListApi(TenantScopedAPIView):
    required_scope = ApiScope.SYSTEMS_WRITE

    @extend_schema(
        operation_id="system_tasks_list",
        tags=["system tasks"],
        summary="List the data systems' tasks",
        description="The business's system tasks, newest first, a page at a time (cursor "
        "pagination: follow `next`). An open task carries what identifies the consumer "
        f"(`subject`), as the request holds it. {REPEATED_PARAMETERS}",
        parameters=[SystemTaskListFilterSerializer],
        responses={
            200: SystemTaskPageOutputSerializer,
            400: ERROR_400,
            401: ERROR_401,
            403: ERROR_403,
        },
    )
    def get(self, request: Request) -> Response:
        filters = SystemTaskListFilterSerializer(data=query_parameters(request))
        filters.is_valid(raise_exception=True)
        paginator = ApiCursorPagination()
        page = paginator.paginate_queryset(
            system_tasks(self.tenant, state=filters.validated_data.get("state")),
            request,
            view=self,
        )
        tasks = list(page or [])
        # The list shows consumers' identifiers: one audit entry per call, by reference.
        audit_record(
            self.tenant,
            action=AuditAction.READ,
            target="system_task:list",
            summary=f"Listed {len(tasks)} system tasks by API",
            request=request,
            detail={"tasks": [task.pk for task in tasks]},
        )
        return paginator.get_paginated_response(SystemTaskOutputSerializer(tasks, many=True).data)


class SystemTaskAnswerApi(TenantScopedAPIView):
    required_scope = ApiScope.SYSTEMS_WRITE

    @extend_schema(
        operation_id="system_tasks_answer",
        tags=["system tasks"],
        summary="Answer a system task",
        description="done (the data was found and exported, deleted or corrected), "
        "nothing_found, exempt with its legal basis, or for a deletion impossible with a "
        "detailed explanation (§7022(b)(3)). With done, `categories_found` may say which "
        "categories of the business's data inventory were found for this consumer "
        "(§7024(k)(1)); a code outside the inventory, or categories with another outcome, "
        "answer 400 and save nothing. A task is answered once; sending the same answer again "
        "returns it unchanged.",
        parameters=[
            OpenApiParameter("system_task_id", int, OpenApiParameter.PATH, description="The task.")
        ],
        request=SystemTaskAnswerInputSerializer,
        responses={
            200: SystemTaskOutputSerializer,
            400: ERROR_400,
            401: ERROR_401,
            403: ERROR_403,
            404: ERROR_404,
            409: ERROR_409,
            413: ERROR_413,
        },
    )
    def post(self, request: Request, system_task_id: str) -> Response:
        task = _task(self.tenant, system_task_id)
        if task is None:
            raise exceptions.NotFound(NOT_FOUND_MESSAGE)
        serializer = SystemTaskAnswerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actor, actor_label = self.actor()
        task = system_task_answer(
            task=task,
            outcome=data["outcome"],
            note=data.get("note") or "",
            basis=data.get("basis") or "",
            explanation=data.get("explanation") or "",
            categories_found=data.get("categories_found") or [],
            actor=actor,
            actor_label=actor_label,
        )
        return Response(SystemTaskOutputSerializer(task).data)


PART_TYPES = {"application/json": JSON, "text/csv": CSV}
ERROR_409_PART = OpenApiResponse(
    ErrorOutputSerializer,
    description="request_closed: the request is closed; package_released: its package was "
    "released; cancelled: the task was cancelled; not_know: the request is not a request to "
    "know.",
)


class PartTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class SystemTaskPartApi(TenantScopedAPIView):
    """The body is the file: ``Content-Type: application/json`` (a list of objects) or
    ``text/csv`` (a header line, then rows). It is spooled to a temporary file as it arrives,
    up to the cap (``PACKAGE_PART_MAX_BYTES``), never parsed by DRF."""

    required_scope = ApiScope.SYSTEMS_WRITE

    @extend_schema(
        operation_id="system_tasks_attach_part",
        tags=["system tasks"],
        summary="Attach part of the consumer's data to a request to know",
        description="The body is the data itself, as JSON (a list of records, or one record; "
        "`Content-Type: application/json`) or CSV (a header line, then one row per record, "
        "each with exactly one cell per column; `Content-Type: text/csv`), UTF-8, at most "
        "100 MB; larger data goes in several parts. Zip and other compressed files are "
        "refused. Nothing is kept from a refused file, and the parts already attached stay. "
        "Send an `Idempotency-Key` header: the same key again adds nothing and returns the "
        "first part (200); without one, the content's sha256 is the key. The response "
        "package withholds what §7024(d) forbids disclosing (Social Security, government ID, "
        "financial account and health ID numbers, passwords, security questions and answers, "
        "biometric data), by field name and by value.",
        parameters=[
            OpenApiParameter("system_task_id", int, OpenApiParameter.PATH, description="The task."),
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Up to 200 characters; the same key again adds nothing.",
            ),
        ],
        request={
            "application/json": {"type": "array", "items": {"type": "object"}},
            "text/csv": {"type": "string"},
        },
        responses={
            200: PackagePartOutputSerializer,
            201: PackagePartOutputSerializer,
            400: ERROR_400,
            401: ERROR_401,
            403: ERROR_403,
            404: ERROR_404,
            409: ERROR_409_PART,
            413: ERROR_413,
        },
    )
    def post(self, request: Request, system_task_id: str) -> Response:
        task = _task(self.tenant, system_task_id)
        if task is None:
            raise exceptions.NotFound(NOT_FOUND_MESSAGE)
        cap = part_max_bytes()
        with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as spool:
            received = 0
            raw = request._request  # the body as it arrives, never DRF's parsers
            while chunk := raw.read(64 * 1024):
                received += len(chunk)
                if received > cap:
                    raise PartTooLarge(
                        f"The file is too large (over {cap // 1048576} MB). Split the data into "
                        "several parts; nothing from this one was kept."
                    )
                spool.write(chunk)
            if not received:
                raise Refused("empty", "The file is empty.", "file")
            media_type = (request.content_type or "").split(";")[0].strip().lower()
            part_format = PART_TYPES.get(media_type)
            if part_format is None:
                raise exceptions.UnsupportedMediaType(
                    media_type or "none",
                    detail="Send the data as application/json or text/csv (zip files are not "
                    "accepted).",
                )
            actor, actor_label = self.actor()
            attached = package_part_attach(
                privacy_request=task.privacy_request,
                content=spool,  # type: ignore[arg-type]
                part_format=part_format,
                idempotency_key=request.headers.get("Idempotency-Key", ""),
                system_task=task,
                actor=actor,
                actor_label=actor_label,
            )
        return Response(
            PackagePartOutputSerializer(attached.part).data,
            status=status.HTTP_201_CREATED if attached.created else status.HTTP_200_OK,
        )
