"""The REST API's shared parts: JSON parsing with a size cap, cursor pagination, the serializer
base, common fields, and the error format's schema (``core.api_errors`` shapes the errors).

Every app's ``api/`` builds on these, so every endpoint parses, pages and fails the same way.
"""

from __future__ import annotations

import copy
import json
import keyword
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import setting_changed
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.fields import Field, SkipField
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.relations import PKOnlyObject
from rest_framework.request import Request
from rest_framework.settings import ISO_8601, api_settings
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from core.api_input import validate_by_plan
from core.switches import FastPath

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
            text = raw.decode("utf-8")
            data = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as error:
            raise exceptions.ParseError(
                f"The request body is not valid JSON: {_short(error)}"
            ) from error
        # A "\ud800" escape decodes to a lone surrogate: a str no UTF-8 can carry, so no field
        # can store it and no error message can echo it (DRF's CharField refuses it, a choice
        # field would quote it back). Refused here for every field, named as its serializer
        # would name it. Only a \u escape can make one, so most bodies skip the walk.
        if "\\u" in text:
            errors = _surrogate_errors(data)
            if errors:
                raise exceptions.ValidationError(errors)
        return data


_SURROGATE = ProhibitSurrogateCharactersValidator()


def _surrogate_errors(value: Any) -> Any:
    """Where ``value`` holds a lone surrogate, in DRF's nested error shape; None if nowhere."""
    if isinstance(value, str):
        try:
            _SURROGATE(value)
        except exceptions.ValidationError as error:
            return error.detail
        return None
    if isinstance(value, dict):
        errors = {}
        for key, item in value.items():
            if _surrogate_errors(key):  # a name that cannot be echoed: about the whole object
                return {api_settings.NON_FIELD_ERRORS_KEY: _surrogate_errors(key)}
            error = _surrogate_errors(item)
            if error:
                errors[key] = error
        return errors or None
    if isinstance(value, list):
        for item in value:
            error = _surrogate_errors(item)
            if error:
                return error if isinstance(error, list) else [error]
    return None


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
#
# Output goes through a compiled plan (see "The output plan" below): same dict, same key order,
# same values and types as DRF's Serializer.to_representation, at a fraction of its cost
# (figures in benchmarks/README.md).
class ApiSerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: _fresh_copy(field) for name, field in _prototypes(type(self)).items()}

    def is_valid(self, *, raise_exception: bool = False) -> bool:
        # Input: a body that passes goes through the class's compiled plan (core.api_input);
        # any other, and every error, through DRF's own validation.
        if (
            hasattr(self, "initial_data")
            and not hasattr(self, "_validated_data")
            and validate_by_plan(self)
        ):
            return True
        return super().is_valid(raise_exception=raise_exception)

    def to_representation(self, instance: Any) -> Any:
        bound = self.__dict__.get("_output_plan")
        if bound is None:
            bound = self._output_plan = _bind_plan(self)
        if bound is False or not _OUTPUT_PLAN.on or isinstance(instance, Mapping):
            return super().to_representation(instance)
        return bound[0](self, instance, bound[1])


def _prototypes(cls: type) -> dict[str, Any]:
    prototypes = cls.__dict__.get("_field_prototypes")
    if prototypes is None:  # once per class (a race only builds them twice)
        prototypes = copy.deepcopy(cls._declared_fields)  # type: ignore[attr-defined]
        cls._field_prototypes = prototypes  # type: ignore[attr-defined]
    return prototypes  # type: ignore[no-any-return]


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


# --- The output plan ---------------------------------------------------------------------
#
# DRF's Serializer.to_representation costs, per row and field: a generator step, the field's
# get_attribute (a loop over source parts, a Mapping check, a callable check), a PKOnlyObject
# check, then the field's to_representation (format and time zone looked up again each time).
# For the list of 50 requests that is ~2,000 such rounds per page. Here each serializer class
# compiles its fields once, at its first output, into steps (key, kind, argument, converter,
# inline form):
#
# * _ATTR: getattr(instance, source) for a one-part source (the field's stock get_attribute).
# * _SELF: source="*" (a nested serializer over the same object).
# * _METHOD: a SerializerMethodField: the serializer's bound get_<name>.
# * _FIELD: everything else (dotted sources such as "events.all", fields with their own
#   get_attribute): DRF's exact steps with the bound field.
#
# The converter is, for the field classes _converter() knows (CharField and its subclasses,
# IntegerField, BooleanField, ChoiceField, DateField and a UTC DateTimeField in ISO 8601, the
# BlankAsNull* fields below, a ListField of those), a context-free function with DRF's exact
# semantics, written inline for the common type (a str, a date, a datetime already in UTC...)
# and the field's own to_representation for any other value; for any other field, the bound
# field's own to_representation (a nested ApiSerializer runs its own plan). A None value skips
# the converter, as in DRF.
#
# From the steps, _generate() writes one straight-line function per class: read every
# attribute, then build the dict in field order. If a read fails or finds a callable (which DRF
# would call, or refuse), the row goes step by step instead (_represent_slowly), each such field
# through DRF's own get_attribute: its default, null, SkipField or error. Input serializers
# (validated data is a Mapping), a class that overrides get_fields() or _readable_fields, and an
# instance whose fields were changed keep DRF's path. Each instance binds only the fields its
# plan needs (nested serializers, _FIELD steps), not all of them.
#
# ``tests/db/requests_app/test_api_output_plan.py`` compares the output with DRF's, type for
# type and byte for byte, for every kind of request and for odd values; ``plain_drf_output()``
# turns the plan off to do so (a process-wide switch for tests and benchmarks only).

_ATTR, _SELF, _METHOD, _FIELD = "attr", "self", "method", "field"
_OUTPUT_PLAN = FastPath()
# Per class: the compiled plan, or None where it does not apply (DRF's path).
_PLANS: dict[type, _Plan | None] = {}


def plain_drf_output() -> AbstractContextManager[None]:
    """DRF's own to_representation for every ApiSerializer (tests and benchmarks compare)."""
    return _OUTPUT_PLAN.off()


def _forget_plans(*, setting: str, **kwargs: Any) -> None:
    # Formats and time zones are read when a plan is compiled (DRF reads them per value).
    if setting in {"REST_FRAMEWORK", "USE_TZ", "TIME_ZONE"}:
        _PLANS.clear()


setting_changed.connect(_forget_plans)


def _drf_field(field: Any, instance: Any, ret: dict[str, Any]) -> None:
    """One field exactly as DRF's Serializer.to_representation does it."""
    try:
        attribute = field.get_attribute(instance)
    except SkipField:
        return
    check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
    ret[field.field_name] = None if check_for_none is None else field.to_representation(attribute)


class _Plan:
    """A serializer class's compiled output: its steps and the function generated from them."""

    def __init__(self, steps: list[tuple[str, str, Any, Any, str | None]]) -> None:
        # (key, kind, argument, class-level converter or None, inline template or None)
        self.steps = steps
        self.keys = [key for key, *_ in steps]
        self.represent = _generate(steps)


def _bind_plan(serializer: ApiSerializer) -> tuple[Callable[..., Any], list[Any]] | bool:
    """This instance's plan: the generated function, and the converters bound to it (its get_
    methods, its nested serializers, fields without a converter of their own)."""
    cls = type(serializer)
    if cls not in _PLANS:
        _PLANS[cls] = _compile(serializer)
    plan = _PLANS[cls]
    if plan is None:
        return False
    fields = serializer.__dict__.get("fields")
    if fields is not None and [k for k, f in fields.items() if not f.write_only] != plan.keys:
        return False  # this instance's fields were changed (e.g. one popped): DRF's path
    bound = []
    for key, kind, arg, convert, _inline in plan.steps:
        if kind is _METHOD:
            convert = getattr(serializer, arg)
        elif kind is _FIELD:
            convert = _bound_field(serializer, key)
        elif convert is None:
            convert = _bound_field(serializer, key).to_representation
        bound.append(convert)
    return plan.represent, bound


def _bound_field(serializer: ApiSerializer, name: str) -> Any:
    """The serializer's field, bound; without binding all the others when they are not yet
    (most fields need no bound copy: their converters are the plan's own)."""
    fields = serializer.__dict__.get("fields")  # DRF's cached_property
    if fields is not None:
        return fields[name]
    field = _fresh_copy(_prototypes(type(serializer))[name])
    field.bind(field_name=name, parent=serializer)  # what DRF's BindingDict does
    return field


def _represent_slowly(serializer: Any, instance: Any, steps: list[Any], bound: list[Any]) -> Any:
    """The plan one step at a time: where the generated function met something unusual (a
    missing attribute, a callable), each field takes DRF's own path when it has to."""
    ret: dict[str, Any] = {}
    for (key, kind, arg, _convert, _inline), convert in zip(steps, bound, strict=True):
        if kind is _ATTR:
            try:
                value = getattr(instance, arg)
            except (AttributeError, KeyError, ObjectDoesNotExist):
                _drf_field(serializer.fields[key], instance, ret)
                continue
            if callable(value):  # DRF calls a method with no arguments, and says why not
                _drf_field(serializer.fields[key], instance, ret)
                continue
        elif kind is _METHOD:
            ret[key] = convert(instance)
            continue
        elif kind is _SELF:
            value = instance
        else:  # _FIELD: DRF's own steps for this field
            _drf_field(convert, instance, ret)
            continue
        ret[key] = None if value is None else convert(value)
    return ret


def _generate(steps: list[tuple[str, str, Any, Any, str | None]]) -> Callable[..., Any]:
    """One function per serializer class, straight-line: read every attribute, then build the
    dict in field order. What it cannot do exactly as DRF would goes to _represent_slowly."""
    namespace: dict[str, Any] = {
        "_type": type,
        "_str": str,
        "_int": int,
        "_date": date,
        "_datetime": datetime,
        "_UTC": UTC,
        "_callable": callable,
        "_getattr": getattr,
        "_ERRORS": (AttributeError, KeyError, ObjectDoesNotExist),
        "_drf_field": _drf_field,
        "_slowly": _represent_slowly,
        "_steps": steps,
    }
    reads: list[tuple[str, str]] = []  # (variable, attribute): v<i> for step i
    values: list[str] = []  # the expressions; "" for a _FIELD step (DRF's path may skip it)
    for i, (_key, kind, arg, convert, inline) in enumerate(steps):
        if kind is _ATTR:
            reads.append((f"v{i}", arg))
            if convert is None or inline is None:
                expression = f"b[{i}](v{i})"
            else:
                namespace[f"c{i}"] = convert
                namespace[f"m{i}"] = getattr(convert, "mapping", None)
                expression = inline.format(v=f"v{i}", c=f"c{i}", m=f"m{i}")
            values.append(f"None if v{i} is None else {expression}")
        elif kind is _FIELD:
            values.append("")
        else:  # _SELF, _METHOD: the instance itself, never None
            values.append(f"b[{i}](instance)")
    lines = ["def represent(self, instance, b):"]
    if reads:
        lines.append("    try:")
        for variable, attr in reads:
            read = f"instance.{attr}" if _is_name(attr) else f"_getattr(instance, {attr!r})"
            lines.append(f"        {variable} = {read}")
        lines += ["    except _ERRORS:", "        return _slowly(self, instance, _steps, b)"]
        checks = " or ".join(f"_callable({variable})" for variable, _attr in reads)
        lines += [f"    if {checks}:", "        return _slowly(self, instance, _steps, b)"]
    if all(values):
        items = ", ".join(
            f"{key!r}: {value}" for (key, *_), value in zip(steps, values, strict=True)
        )
        lines.append(f"    return {{{items}}}")
    else:
        lines.append("    ret = {}")
        for i, ((key, *_), value) in enumerate(zip(steps, values, strict=True)):
            if value:
                lines.append(f"    ret[{key!r}] = {value}")
            else:
                lines.append(f"    _drf_field(b[{i}], instance, ret)")
        lines.append("    return ret")
    namespace["__source__"] = "\n".join(lines)  # what was generated, for a debugger
    exec(compile("\n".join(lines), "<ApiSerializer output plan>", "exec"), namespace)  # noqa: S102
    return namespace["represent"]  # type: ignore[no-any-return]


def _is_name(attr: str) -> bool:
    return attr.isidentifier() and not keyword.iskeyword(attr)


def _compile(serializer: ApiSerializer) -> _Plan | None:
    cls = type(serializer)
    if cls.get_fields is not ApiSerializer.get_fields or (
        cls._readable_fields is not serializers.Serializer._readable_fields  # type: ignore[attr-defined]
    ):
        return None  # fields that may differ per instance: DRF's path
    prototypes = _prototypes(cls)
    steps: list[tuple[str, str, Any, Any, str | None]] = []
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        key = field.field_name
        stock_get = type(field).get_attribute is Field.get_attribute
        if (
            isinstance(field, serializers.SerializerMethodField)
            and type(field).to_representation is serializers.SerializerMethodField.to_representation
            and stock_get
        ):
            steps.append((key, _METHOD, field.method_name, None, None))
            continue
        if not stock_get:
            steps.append((key, _FIELD, None, None, None))
            continue
        convert, inline = _converter(prototypes.get(name), field)
        if field.source == "*":
            steps.append((key, _SELF, None, convert, None))
        elif len(field.source_attrs) == 1:
            steps.append((key, _ATTR, field.source_attrs[0], convert, inline))
        else:
            steps.append((key, _FIELD, None, None, None))
    return _Plan(steps)


# Inline forms of the converters in the generated code: {v} the value, {c} the converter (the
# field's general path for any other type), {m} the converter's mapping.
_INLINE_STR = "({v} if _type({v}) is _str else _str({v}))"
_INLINE_INT = "({v} if _type({v}) is _int else _int({v}))"
_INLINE_OR_NONE = "({v} or None)"
_INLINE_STR_OR_NONE = f"({_INLINE_STR} if {{v}} else None)"
# DRF: '' stays ''; otherwise the choice's own value for str(value), else the value.
_INLINE_CHOICE = "({m}.get({v}, {v}) if _type({v}) is _str and {v} else {c}({v}))"
_INLINE_BOOL = "({v} if {v} is True or {v} is False else {c}({v}))"
_INLINE_DATE = "({v}.isoformat() if _type({v}) is _date else {c}({v}))"
# DRF: astimezone(UTC), a no-op for a value already in UTC (as the database gives them);
# isoformat() then ends with "+00:00", which DRF writes as "Z".
_INLINE_UTC = (
    "({v}.isoformat()[:-6] + 'Z' if _type({v}) is _datetime and {v}.tzinfo is _UTC else {c}({v}))"
)


def _converter(prototype: Any, field: Any) -> tuple[Callable[[Any], Any] | None, str | None]:
    """A context-free converter with the field's exact output, and its inline form; or
    (None, None): the bound field's own to_representation.

    Built from the class's unbound prototype (same class and options as the bound field), so
    the plan keeps no serializer instance, context or request alive.
    """
    if prototype is None or type(prototype) is not type(field):
        return None, None
    method = type(prototype).to_representation
    if method is serializers.CharField.to_representation:  # also EmailField, URLField, RegexField
        return str, _INLINE_STR
    if method is serializers.IntegerField.to_representation:
        return int, _INLINE_INT
    if method is BlankAsNullChoiceField.to_representation:
        return _or_none, _INLINE_OR_NONE
    if method is BlankAsNullCharField.to_representation:
        return _str_or_none, _INLINE_STR_OR_NONE
    if method is serializers.ChoiceField.to_representation:
        return _choice_converter(prototype), _INLINE_CHOICE
    if method is serializers.BooleanField.to_representation:
        return prototype.to_representation, _INLINE_BOOL
    if method is serializers.DateField.to_representation:
        output_format = getattr(prototype, "format", api_settings.DATE_FORMAT)
        iso = isinstance(output_format, str) and output_format.lower() == ISO_8601
        return prototype.to_representation, _INLINE_DATE if iso else None
    if method is serializers.DateTimeField.to_representation:
        output_format = getattr(prototype, "format", api_settings.DATETIME_FORMAT)
        iso = isinstance(output_format, str) and output_format.lower() == ISO_8601
        # Without a time zone of its own, the field reads the current one per value.
        utc = prototype.__dict__.get("timezone") is UTC
        return prototype.to_representation, _INLINE_UTC if iso and utc else None
    if method is serializers.ListField.to_representation:
        child, _inline = _converter(prototype.child, field.child)
        if child is None:
            return None, None
        return (lambda data: [child(item) if item is not None else None for item in data]), None
    return None, None


def _or_none(value: Any) -> Any:
    return value or None


def _str_or_none(value: Any) -> str | None:
    return str(value) if value else None


def _choice_converter(field: Any) -> Callable[[Any], Any]:
    mapping = field.choice_strings_to_values
    general = field.to_representation

    def convert(value: Any) -> Any:
        if type(value) is str:
            return mapping.get(value, value) if value else value
        return general(value)

    convert.mapping = mapping  # type: ignore[attr-defined]
    return convert


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


def query_parameters(request: Request) -> dict[str, str]:
    """The query string as one value per name; a name given twice is a 400, never a guess.

    ``QueryDict.dict()`` (and ``.get()``) silently keep the last of ``?status=open&status=closed``,
    so a client that meant "either" would get a list of one of them, without knowing.
    """
    params = request.query_params
    repeated = {
        name: [f"Give {name} once; it was given {len(values)} times."]
        for name, values in params.lists()
        if len(values) > 1
    }
    if repeated:
        raise exceptions.ValidationError(repeated)
    return params.dict()


REPEATED_PARAMETERS = "Each query parameter may be given once: a repeated one answers 400."
CURSOR_HELP = (
    "Opaque: copy it from the `next` or `previous` link of the page before. Any other value "
    "(made up, altered or from another list) answers 400 with `fields.cursor`."
)


class PageQuerySerializer(ApiSerializer):
    """Query parameters of every list: cursor pagination."""

    cursor = serializers.CharField(required=False, help_text=CURSOR_HELP)
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
