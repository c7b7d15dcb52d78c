"""The system task API: a business's own systems list their tasks and answer them.

``GET /api/v1/system-tasks/?state=open`` and ``POST /api/v1/system-tasks/<id>/answer/``, with an
API key holding ``systems:write`` (or a staff session that may act). Another business's task
answers 404 like a missing one. Data attachments (a request to know's package) are not here:
they come with the know packages (issue 16 item 2).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
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
from tenants.api import TenantScopedAPIView
from tenants.models import ApiScope

from ..selectors import system_task_get, system_tasks
from ..services import system_task_answer
from .serializers import (
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
        "detailed explanation (§7022(b)(3)). A task is answered once; sending the "
        "same answer again returns it unchanged.",
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
        task_id = (
            int(system_task_id) if system_task_id.isascii() and system_task_id.isdigit() else 0
        )
        task = system_task_get(self.tenant, task_id) if 0 < task_id < 2**63 else None
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
            actor=actor,
            actor_label=actor_label,
        )
        return Response(SystemTaskOutputSerializer(task).data)
