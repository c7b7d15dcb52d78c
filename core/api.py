"""The REST API's shared parts: JSON parsing with a size cap, cursor pagination, the serializer
base, common fields, and the error format's schema (``core.api_errors`` shapes the errors).

Every app's ``api/`` builds on these, so every endpoint parses, pages and fails the same way.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request

# Request bodies are a few hundred bytes; anything this large is a mistake or abuse.
MAX_BODY_BYTES = 64 * 1024
MAX_PAGE_SIZE = 200


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = f"The request body is too large (at most {MAX_BODY_BYTES // 1024} KB)."
    default_code = "too_large"


class ApiJSONParser(JSONParser):
    """JSON with a size cap; any undecodable body (bad UTF-8, NaN, nesting too deep) is a 400."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        raw = stream.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            raise RequestTooLarge()
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as error:
            raise exceptions.ParseError(
                f"The request body is not valid JSON: {_short(error)}"
            ) from error


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _short(error: Exception) -> str:
    text = str(error) or error.__class__.__name__
    return text if len(text) <= 200 else text[:199] + "…"


class ApiCursorPagination(CursorPagination):
    ordering: tuple[str, ...] = ("-pk",)
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    invalid_cursor_message = "This cursor is not valid; use the next/previous links as given."

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as error:
            raise exceptions.ValidationError({"cursor": [self.invalid_cursor_message]}) from error

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        try:
            return super().paginate_queryset(queryset, request, view)
        except DjangoValidationError as error:  # a tampered cursor position
            raise exceptions.ValidationError({"cursor": [self.invalid_cursor_message]}) from error


# Base of every serializer here: the same fields, without DRF's deep copy per instance.
#
# DRF gives each serializer instance its own fields by deep-copying the declared ones, which runs
# every field's __init__ again (choices, validators, lazy labels): more than half the cost of a
# 201 body (figures in benchmarks/README.md). Here each
# class deep-copies its declared fields once, into prototypes that are never bound, and each
# instance binds shallow copies of those. Output and schema are unchanged (same field classes,
# same options); the copies share the prototypes' options (choices, validators, error messages),
# which fields only read. An option a field reads from settings in __init__ (PhoneNumberField's
# PHONENUMBER_DEFAULT_REGION) is thus read once per process.
#
# No docstring on purpose: drf-spectacular describes a component with the first docstring in its
# class's MRO, so one here would show up in the OpenAPI schema of every serializer without its own.
class ApiSerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        prototypes = type(self).__dict__.get("_field_prototypes")
        if prototypes is None:  # once per class (a race only builds them twice)
            prototypes = copy.deepcopy(self._declared_fields)
            type(self)._field_prototypes = prototypes
        return {name: _fresh_copy(field) for name, field in prototypes.items()}


def _fresh_copy(field: Any) -> Any:
    # copy.copy() without the generic __reduce_ex__ round trip, which costs far more.
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    child = clone.__dict__.get("child")  # ListField, DictField, a nested many=True serializer
    if child is not None:
        # The child was bound to the prototype; its copy belongs to this clone (context, root).
        clone.child = _fresh_copy(child)
        clone.child.parent = clone
    return clone


def _shorten(value: Any, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class EnumField(serializers.ChoiceField):
    """A choice whose error names the accepted values, and never echoes a huge input back."""

    def __init__(self, choices: Any, *, noun: str, **kwargs: Any) -> None:
        values = ", ".join(str(value) for value, _label in choices)
        messages = {
            "invalid_choice": f"“{{input}}” is not {noun}. Use one of: {values}.",
            "required": f"This field is required: give {noun} (one of: {values}).",
        }
        messages.update(kwargs.pop("error_messages", {}))
        super().__init__(choices, error_messages=messages, **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if data == "" and self.allow_blank:
            return ""
        if isinstance(data, (dict, list, bool)):
            self.fail("invalid_choice", input=_shorten(data))
        try:
            return self.choice_strings_to_values[str(data)]
        except KeyError:
            self.fail("invalid_choice", input=_shorten(data))


class UtcDateTimeField(serializers.DateTimeField):
    """Output instants in UTC (``…Z``) whatever the server's or tenant's time zone."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default_timezone=UTC, **kwargs)


class BlankAsNullChoiceField(serializers.ChoiceField):
    """Output: an optional choice stored as "" is shown as null."""

    def __init__(self, choices: Any, **kwargs: Any) -> None:
        super().__init__(choices, allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        return value or None


class BlankAsNullCharField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        return str(value) if value else None


def optional_text(max_length: int, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        max_length=max_length, required=False, allow_blank=True, allow_null=True, **kwargs
    )


class PageQuerySerializer(ApiSerializer):
    """Query parameters of every list: cursor pagination."""

    cursor = serializers.CharField(
        required=False, help_text="From the `next`/`previous` links of the previous page."
    )
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, help_text="Default 50."
    )


class PageOutputSerializer(ApiSerializer):
    next = serializers.URLField(allow_null=True, help_text="The next page, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null.")


# --- Errors (the schema of core.api_errors) ---------------------------------------------


@extend_schema_serializer(component_name="ErrorDetail")
class ErrorDetailOutputSerializer(ApiSerializer):
    code = serializers.CharField(
        help_text="Stable, machine-readable: e.g. invalid, not_authenticated, missing_scope, "
        "not_found, already_extended, too_late, not_verified, explanation_required."
    )
    message = serializers.CharField(help_text="For a person; may change wording.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='Only for invalid input: {"field": ["message"]}; nested fields are dotted, '
        "e.g. requester.email.",
    )


@extend_schema_serializer(component_name="Error")
class ErrorOutputSerializer(ApiSerializer):
    error = ErrorDetailOutputSerializer()


ERROR_400 = OpenApiResponse(
    ErrorOutputSerializer, description="Invalid input; `fields` names each problem."
)
ERROR_401 = OpenApiResponse(
    ErrorOutputSerializer, description="No API key or staff session, or a bad key."
)
ERROR_403 = OpenApiResponse(
    ErrorOutputSerializer,
    description="Not allowed: a key without the scope this needs, or staff without the role.",
)
ERROR_413 = OpenApiResponse(ErrorOutputSerializer, description="The request body is too large.")
