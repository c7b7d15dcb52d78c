"""The input plan: DRF's validation of a JSON body, for the bodies that pass, without the machinery.

DRF validates a body by binding a copy of every field to a new serializer (and to each nested
one), then, per field, looking for a ``validate_<name>`` method, reading the value, running the
empty-value checks, the field's conversion and its validators, each through a few layers of
calls. For the API's create that was about an eighth of a create's CPU (figures in
benchmarks/README.md). Here each ``ApiSerializer`` class compiles, once, a plan: per writable
field, what DRF would do for the common well-formed value, as one small function reading the
class's unbound field prototypes (same classes, same options, same validators):

* text (``CharField``, ``EmailField``, ``RegexField``: DRF's own ``run_validation`` and
  ``to_internal_value``): a ``str``, stripped as DRF strips it, then the field's validators;
* a choice (``ChoiceField``, ``core.api.EnumField``): a ``str`` that is one of the choices;
* ``BooleanField``: ``true`` or ``false``;
* a nested ``ApiSerializer``: a JSON object, through that class's own plan;
* ``ListField``: a JSON array, each item through the child's step, then the list's validators;
* any other plain field (dates, phone numbers, ``core``'s own fields): the prototype's own
  ``run_validation``, which is DRF's path for that field without the binding.

The plan never writes an error. Anything it is not sure of (a value of another type, a blank
where none is allowed, a missing required field, a validator's refusal) abandons it, and DRF
validates the whole body from the start: every invalid body is answered by DRF's own path, with
DRF's own messages, so error answers cannot differ. The plan applies only where DRF's path is
plain: a body that is a JSON object (``dict``), no ``partial``, no ``validate`` or
``validate_<name>`` method, no serializer-level validators, no callable defaults, no dotted or
``*`` sources, no field that reads its context or a queryset. Every other serializer, and every
other body, takes DRF's path.

``tests/db/requests_app/test_api_input_plan.py`` compares the plan's validated data with DRF's,
type for type, for many valid and invalid bodies (hypothesis); ``plain_drf_input()`` turns the
plan off to do so (a process-wide switch for tests and benchmarks only).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import setting_changed
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.fields import Field, SkipField, empty
from rest_framework.relations import ManyRelatedField, RelatedField

from core.switches import FastPath

_INPUT_PLAN = FastPath()
# Per class: the compiled plan (a function from the body to the validated data), or None where
# DRF's path is the only one.
_PLANS: dict[type, Callable[[dict[str, Any]], dict[str, Any]] | None] = {}


class _Unsure(Exception):
    """The plan cannot say what DRF would: DRF's path decides."""


# What abandons the plan: its own doubt, and any refusal by a field or validator it ran.
_ABANDON = (_Unsure, ValidationError, DjangoValidationError, SkipField)


def plain_drf_input() -> AbstractContextManager[None]:
    """DRF's own validation for every ApiSerializer (tests and benchmarks compare)."""
    return _INPUT_PLAN.off()


def _forget_plans(*, setting: str, **kwargs: Any) -> None:
    # Defaults such as PhoneNumberField's region are read when a field is built.
    _PLANS.clear()


setting_changed.connect(_forget_plans)


def validate_by_plan(serializer: serializers.Serializer) -> bool:
    """Validate ``serializer.initial_data`` by its class's plan, as DRF's ``is_valid`` would,
    and say whether that was done; False leaves everything to DRF's path."""
    data = serializer.initial_data
    if (
        not _INPUT_PLAN.on
        or type(data) is not dict
        or serializer.partial
        or "fields" in serializer.__dict__  # this instance's fields may have been changed
    ):
        return False
    cls = type(serializer)
    if cls not in _PLANS:
        _PLANS[cls] = _compile(cls)  # once per class (a race only compiles twice)
    plan = _PLANS[cls]
    if plan is None:
        return False
    try:
        validated = plan(data)
    except _ABANDON:
        return False
    serializer._validated_data = validated
    serializer._errors = {}
    return True


def _compile(cls: type) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """The class's plan, or None where its validation is not DRF's plain path."""
    from core.api import ApiSerializer  # core.api calls this module from is_valid

    if (
        not issubclass(cls, ApiSerializer)
        or cls.get_fields is not ApiSerializer.get_fields
        or cls.to_internal_value is not serializers.Serializer.to_internal_value
        or cls.run_validation is not serializers.Serializer.run_validation
        or cls.validate is not serializers.Serializer.validate
        or cls.run_validators is not serializers.Serializer.run_validators
        or cls.get_value is not serializers.Serializer.get_value
        or cls.validate_empty_values is not Field.validate_empty_values
        or getattr(getattr(cls, "Meta", None), "validators", None)
    ):
        return None
    steps: list[tuple[str, str, Any, Callable[[Any], Any]]] = []
    for name, field in copy.deepcopy(cls._declared_fields).items():  # type: ignore[attr-defined]
        field.bind(field_name=name, parent=_Unbound())  # sets source and source_attrs
        if field.read_only:
            continue
        if hasattr(cls, f"validate_{name}"):
            return None
        step = _step(field)
        if step is None or field.source in ("*", "") or len(field.source_attrs) != 1:
            return None
        if field.required:
            missing = _REQUIRED
        elif field.default is empty:
            missing = _SKIP
        elif callable(field.default):
            return None
        else:
            missing = field.default
        steps.append((name, field.source_attrs[0], missing, step))
    return _serializer_plan(steps)


class _Unbound(serializers.Serializer):
    """A parent for compiling: gives a field its source, never its context (none is read)."""


_REQUIRED = object()
_SKIP = object()


def _serializer_plan(
    steps: list[tuple[str, str, Any, Callable[[Any], Any]]],
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def plan(data: dict[str, Any]) -> dict[str, Any]:
        validated: dict[str, Any] = {}
        for name, target, missing, step in steps:
            value = data.get(name, empty)
            if value is empty:
                if missing is _SKIP:
                    continue
                if missing is _REQUIRED:
                    raise _Unsure
                validated[target] = missing  # DRF gives a default as it is, unvalidated
            else:
                validated[target] = step(value)
        return validated

    return plan


def _plain(field: Any, *overridable: Callable[..., Any]) -> bool:
    """Whether ``field``'s class keeps DRF's own steps around the ones a plan step replaces."""
    cls = type(field)
    return (
        # ListField's own get_value differs only for HTML forms (a QueryDict, never planned)
        cls.get_value in (Field.get_value, serializers.ListField.get_value)
        and cls.run_validators is Field.run_validators
        and not isinstance(field, RelatedField | ManyRelatedField | serializers.HiddenField)
        and not any(getattr(v, "requires_context", False) for v in field.validators)
        and all(getattr(cls, method.__name__) is method for method in overridable)
    )


def _step(field: Any) -> Callable[[Any], Any] | None:
    """One field's step: the validated value of a present value, or _Unsure."""
    if isinstance(field, serializers.BaseSerializer):
        if not isinstance(field, serializers.Serializer) or field.validators:
            return None  # a list of objects (many=True), or validators of its own
        nested = _compile(type(field))
        return None if nested is None else _nullable(field, _nested_step(nested))
    cls = type(field)
    if not _plain(field, Field.validate_empty_values):
        return None
    if isinstance(field, serializers.CharField) and _plain(
        field, serializers.CharField.run_validation, serializers.CharField.to_internal_value
    ):
        return _nullable(field, _text_step(field))
    if isinstance(field, serializers.ChoiceField) and cls.run_validation is Field.run_validation:
        from core.api import EnumField

        if cls.to_internal_value in (
            serializers.ChoiceField.to_internal_value,
            EnumField.to_internal_value,
        ):
            return _nullable(field, _choice_step(field))
    if isinstance(field, serializers.BooleanField) and _plain(
        field, Field.run_validation, serializers.BooleanField.to_internal_value
    ):
        return _nullable(field, _boolean_step(field))
    if isinstance(field, serializers.ListField):
        child = _step(field.child)
        if child is None or not _plain(
            field,
            Field.run_validation,
            serializers.ListField.to_internal_value,
            serializers.ListField.run_child_validation,
        ):
            return None
        return _nullable(field, _list_step(field, child))
    if isinstance(field, serializers.DictField | serializers.JSONField | serializers.FileField):
        return None  # nested or raw structures: DRF's path
    return _nullable(field, field.run_validation)  # the prototype's own DRF path


def _nullable(field: Any, step: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """DRF's empty-value rule for a null: None where allowed, else DRF's error."""
    allow_null = field.allow_null

    def nullable(value: Any) -> Any:
        if value is None:
            if allow_null:
                return None
            raise _Unsure
        return step(value)

    return nullable


def _run(validators: list[Any], value: Any) -> None:
    for validator in validators:
        validator(value)  # a refusal raises: DRF's path then says why


def _text_step(field: serializers.CharField) -> Callable[[Any], Any]:
    trim, allow_blank = field.trim_whitespace, field.allow_blank
    validators = list(field.validators)

    def text(value: Any) -> Any:
        if type(value) is not str:
            raise _Unsure  # numbers become text in DRF: its path does that
        if trim:
            value = value.strip()
        if not value:
            if allow_blank:
                return ""
            raise _Unsure
        _run(validators, value)
        return value

    return text


def _choice_step(field: serializers.ChoiceField) -> Callable[[Any], Any]:
    allow_blank = field.allow_blank
    choices = field.choice_strings_to_values
    validators = list(field.validators)

    def choice(value: Any) -> Any:
        if type(value) is not str:
            raise _Unsure
        if value == "" and allow_blank:
            chosen: Any = ""
        else:
            chosen = choices.get(value, _REQUIRED)
            if chosen is _REQUIRED:
                raise _Unsure
        _run(validators, chosen)
        return chosen

    return choice


def _boolean_step(field: serializers.BooleanField) -> Callable[[Any], Any]:
    validators = list(field.validators)

    def boolean(value: Any) -> Any:
        if value is not True and value is not False:
            raise _Unsure  # "yes", 1, "true": DRF's own table
        _run(validators, value)
        return value

    return boolean


def _list_step(field: serializers.ListField, child: Callable[[Any], Any]) -> Callable[[Any], Any]:
    allow_empty = field.allow_empty
    validators = list(field.validators)

    def items(value: Any) -> Any:
        if type(value) is not list or (not value and not allow_empty):
            raise _Unsure
        validated = [child(item) for item in value]
        _run(validators, validated)
        return validated

    return items


def _nested_step(plan: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[Any], Any]:
    def nested(value: Any) -> Any:
        if type(value) is not dict:
            raise _Unsure
        return plan(value)

    return nested
