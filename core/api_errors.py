"""The REST API's one error format: ``{"error": {"code", "message", "fields"?}}``.

Configured as REST_FRAMEWORK["EXCEPTION_HANDLER"]. Maps DRF's exceptions, Django's
``ValidationError``/``Http404``/``PermissionDenied`` and every ``core.refusals.Refused`` to 4xx
answers with a message a person understands (HackSoft §2.5): a refusal is a 409 when whoever
raised it marked it a conflict (the state of the thing acted on), else a 400. Anything else is a
bug: it is left to Django (500, logged), never dressed up as a client error.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from .api import RequestTooLarge
from .refusals import Refused

VALIDATION_CODE = "invalid"
_NON_FIELD_KEYS = frozenset({api_settings.NON_FIELD_ERRORS_KEY, "__all__"})
_MAX_MESSAGE_PARTS = 3


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Refused):
        answer = status.HTTP_409_CONFLICT if exc.conflict else status.HTTP_400_BAD_REQUEST
        fields = {exc.field: [exc.message]} if exc.field else None
        return _respond(error_body(exc.code, exc.message, fields), answer)

    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return _validation_response(detail)

    if isinstance(exc, RequestDataTooBig):
        # Django's cap (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB) is met before the parser's own
        # (core.api.MAX_BODY_BYTES): the same 413 either way, never Django's HTML 400.
        exc = RequestTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if not isinstance(exc, exceptions.APIException):
        return None

    if isinstance(exc, exceptions.ValidationError) or isinstance(exc.detail, (dict, list)):
        response = _validation_response(exc.detail)
        response.status_code = exc.status_code
    else:
        code = exc.detail.code if isinstance(exc.detail, exceptions.ErrorDetail) else None
        response = _respond(error_body(code or exc.default_code, str(exc.detail)), exc.status_code)
    if getattr(exc, "auth_header", None):
        response["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        response["Retry-After"] = f"{int(exc.wait)}"
    return response


def _respond(body: dict, status_code: int) -> Response:
    set_rollback()
    return Response(body, status=status_code)


def _validation_response(detail: Any) -> Response:
    flat = flatten_errors(detail)
    general = flat.pop("", [])
    parts = general + [f"{field}: {messages[0]}" for field, messages in flat.items() if messages]
    message = "; ".join(parts[:_MAX_MESSAGE_PARTS]) or "The request is not valid."
    if len(parts) > _MAX_MESSAGE_PARTS:
        message += f" (and {len(parts) - _MAX_MESSAGE_PARTS} more)"
    return _respond(error_body(VALIDATION_CODE, message, flat), status.HTTP_400_BAD_REQUEST)


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """``{"requester": {"email": [...]}}`` → ``{"requester.email": [...]}``.

    Errors that belong to no field (or to a whole nested object) go under ``prefix`` itself;
    top-level ones under ``""``.
    """
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = prefix if key in _NON_FIELD_KEYS else (f"{prefix}.{key}" if prefix else key)
            for field, messages in flatten_errors(value, name).items():
                flat.setdefault(field, []).extend(messages)
    elif isinstance(detail, (list, tuple)):
        for index, item in enumerate(detail):
            if isinstance(item, (dict, list, tuple)):
                inner = flatten_errors(item, f"{prefix}[{index}]")
            else:
                inner = {prefix: [str(item)]}
            for field, messages in inner.items():
                flat.setdefault(field, []).extend(messages)
    else:
        flat.setdefault(prefix, []).append(str(detail))
    return flat


def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any address under ``/api/`` that names no endpoint: the API's own JSON 404, never the
    portal's HTML page (a client parses every answer as JSON). An address that differs from an
    endpoint's only by its final slash is told the right one, rather than redirected (a
    redirected POST loses its body)."""
    message = "There is no API endpoint at this address. The endpoints are listed at /api/docs/."
    path = request.path_info
    other = path[:-1] if path.endswith("/") else path + "/"
    with contextlib.suppress(Resolver404):
        if resolve(other).func is not api_not_found:
            address = request.path[:-1] if path.endswith("/") else request.path + "/"
            message = f"There is no API endpoint at this address: did you mean {address}?"
    return JsonResponse(error_body("not_found", message), status=status.HTTP_404_NOT_FOUND)
