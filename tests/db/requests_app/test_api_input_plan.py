"""The compiled input plan (``core.api_input``) accepts exactly what DRF accepts, with exactly
DRF's validated data, and leaves every refusal to DRF: same errors, same answers.

Every input serializer of the requests API is fed many bodies, valid and not (hypothesis), once
through the plan and once through DRF's own path (``plain_drf_input()``); the answers through
the API are compared byte for byte; unusual serializers and bodies are shown to take DRF's path.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

import core.api_input
from core.api import ApiSerializer, EnumField, PageQuerySerializer
from core.api_input import plain_drf_input
from requests_app.api.serializers import (
    AwareDateTimeField,
    PrivacyRequestAssignInputSerializer,
    PrivacyRequestCloseInputSerializer,
    PrivacyRequestCreateInputSerializer,
    PrivacyRequestExtendInputSerializer,
    PrivacyRequestListFilterSerializer,
    PrivacyRequestRecordConfirmationInputSerializer,
    PrivacyRequestVerifyInputSerializer,
)
from requests_app.models import PrivacyRequest
from tests.helpers import REQUESTS, SOON_AFTER, create_body

INPUTS = [
    PrivacyRequestCreateInputSerializer,
    PrivacyRequestExtendInputSerializer,
    PrivacyRequestCloseInputSerializer,
    PrivacyRequestVerifyInputSerializer,
    PrivacyRequestAssignInputSerializer,
    PrivacyRequestRecordConfirmationInputSerializer,
    PrivacyRequestListFilterSerializer,
    PageQuerySerializer,  # the outbox list's query
]

# Values no field here accepts as they are, or only after DRF's conversions: types, blanks,
# NUL, lone surrogates, overlong text, numbers and words DRF turns into text or booleans.
ODD = st.one_of(
    st.none(),
    st.sampled_from(["", "   ", "\x00", "a\x00b", "\ud800", "x\udfffy", "true", "1"]),
    st.integers(10_000, 10_001).map(lambda n: "x" * n),
    st.integers(-2, 2),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
    st.booleans(),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.sampled_from(["a", "name"]), st.integers(0, 3), max_size=2),
    st.text(max_size=12),
)
SPACE = st.sampled_from(["", " ", "\t", "\n "])


def padded(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda before, value, after: before + value + after, SPACE, values, SPACE)


def values_for(field: Any, odd_one_in: int) -> st.SearchStrategy[Any]:
    """Mostly what the field accepts (with DRF's trimming at work), sometimes anything odd."""
    if isinstance(field, serializers.Serializer):
        good: st.SearchStrategy[Any] = body_for(type(field), odd_one_in)
    elif isinstance(field, serializers.ListField):
        good = st.lists(values_for(field.child, odd_one_in), max_size=4)
    elif isinstance(field, serializers.ChoiceField):
        good = st.sampled_from([*map(str, field.choice_strings_to_values), "", "KNOW", "delete "])
    elif isinstance(field, serializers.BooleanField):
        good = st.sampled_from([True, False, "true", "False", 1, 0, "no", 2])
    elif isinstance(field, AwareDateTimeField):
        good = st.sampled_from(
            [
                "2025-11-22T07:30:00Z",
                "2026-11-20T14:05:00-08:00",
                "2026-11-20T14:05:00",
                "2019-12-31T23:00:00Z",
                " 2025-01-02T03:04:05+01:00 ",
            ]
        )
    elif isinstance(field, serializers.DateField):
        good = st.sampled_from(["2026-01-05", "2026-02-30", "05/01/2026"])
    elif isinstance(field, serializers.IntegerField):
        good = st.one_of(st.integers(-1, 300), st.sampled_from(["5", "5.0"]))
    elif isinstance(field, PhoneNumberField):
        good = st.sampled_from(["(415) 555-0123", "+44 20 7946 0958", "555", "+1 415 555 01234"])
    elif isinstance(field, serializers.EmailField):
        good = padded(
            st.sampled_from(["casey@example.com", "a@b", "not an email", "é@exämple.com"])
        )
    elif isinstance(field, serializers.RegexField):
        good = padded(st.sampled_from(["CA", "ny", "C1", "CAL"]))
    elif isinstance(field, serializers.CharField):
        limit = field.max_length or 50
        good = padded(
            st.one_of(st.text(max_size=30), st.just("y" * limit), st.just("y" * (limit + 1)))
        )
    else:
        raise AssertionError(f"no values for {type(field).__name__}")
    return st.integers(1, odd_one_in).flatmap(lambda draw: ODD if draw == 1 else good)


def body_for(cls: type[ApiSerializer], odd_one_in: int) -> st.SearchStrategy[dict[str, Any]]:
    """A body with any of the fields; in a strict one every required field is there."""
    fields = {name: field for name, field in cls().fields.items() if not field.read_only}
    values = {name: values_for(field, odd_one_in) for name, field in fields.items()}
    values["not_a_field"] = ODD  # DRF ignores unknown keys
    required = {name: values.pop(name) for name, field in fields.items() if field.required}
    loose = st.fixed_dictionaries({}, optional={**required, **values})
    strict = st.fixed_dictionaries(required, optional=values)
    return st.one_of(loose, strict)


def typed(value: Any) -> Any:
    """The value with every type spelled out, keys in order: equal means the same data."""
    if isinstance(value, dict):
        return (type(value).__name__, [(key, typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return (type(value).__name__, [typed(item) for item in value])
    return (type(value).__name__, str(value) if type(value).__name__ == "PhoneNumber" else value)


def validated(cls: type[ApiSerializer], body: Any) -> tuple[bool, Any, Any]:
    serializer = cls(data=body)
    valid = serializer.is_valid()
    return valid, typed(serializer.validated_data), serializer.errors


@pytest.fixture
def planned(monkeypatch) -> list[str]:
    """Names the serializer classes whose bodies the plan validated, one entry per body."""
    taken: list[str] = []
    original = core.api_input.validate_by_plan

    def spy(serializer: Any) -> bool:
        done = original(serializer)
        if done:
            taken.append(type(serializer).__name__)
        return done

    monkeypatch.setattr(core.api_input, "validate_by_plan", spy)
    monkeypatch.setattr("core.api.validate_by_plan", spy)
    return taken


@pytest.mark.parametrize("cls", INPUTS, ids=lambda cls: cls.__name__)
def test_the_plan_validates_every_body_as_drf_does(cls):
    taken = 0

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=st.one_of(body_for(cls, 4), body_for(cls, 30)))
    def check(body: dict[str, Any]) -> None:
        nonlocal taken
        with plain_drf_input():
            expected = validated(cls, json.loads(json.dumps(body)))
        serializer = cls(data=json.loads(json.dumps(body)))
        taken += core.api_input.validate_by_plan(serializer)
        actual = validated(cls, json.loads(json.dumps(body)))
        assert actual == expected, body
        # The plan never says "valid" where DRF would not, nor anything but DRF's data.
        if serializer.__dict__.get("_errors") == {}:
            assert expected[0], body
            assert typed(serializer.validated_data) == expected[1], body

    check()
    assert taken > 20  # valid bodies did go through the plan


def test_a_typical_create_body_goes_through_the_plan_with_drf_data(planned):
    body = create_body(
        type="correct",
        agent={"name": " Agent A ", "organization": "", "email": None, "phone": "(415) 555-0124"},
        is_california_consumer=False,
        language="es",
        correction_field="email",
        correction_information="  old  ",
        correction_requested="new",
        not_a_field=[1],
    )
    actual = validated(PrivacyRequestCreateInputSerializer, body)
    with plain_drf_input():
        expected = validated(PrivacyRequestCreateInputSerializer, body)
    assert actual == expected
    assert actual[0] is True
    assert planned == ["PrivacyRequestCreateInputSerializer"]


@pytest.mark.parametrize(
    "body",
    [
        create_body(type="knowing"),
        create_body(requester={"name": "A", "email": "not an email"}),
        create_body(requester={"name": "A\ud800"}),
        create_body(requester={"name": "A\x00"}),
        create_body(requester=None),
        create_body(received_at="2026-11-20T14:05:00"),
        create_body(delete_categories=["identifiers", "nope"]),
        create_body(is_california_consumer="maybe"),
        create_body(channel=7),
        {"channel": "api"},
        [],
    ],
    ids=range(11),
)
def test_a_refused_body_is_refused_by_drf_itself(body, planned):
    actual = validated(PrivacyRequestCreateInputSerializer, body)
    with plain_drf_input():
        expected = validated(PrivacyRequestCreateInputSerializer, body)
    assert actual == expected
    assert actual[0] is False
    assert planned == []


class WithFieldMethod(ApiSerializer):
    name = serializers.CharField()

    def validate_name(self, value: str) -> str:
        return value.upper()


class WithValidate(ApiSerializer):
    name = serializers.CharField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {**attrs, "checked": True}


class WithCallableDefault(ApiSerializer):
    name = serializers.CharField(default=lambda: "someone")


class WithDottedSource(ApiSerializer):
    name = serializers.CharField(source="person.name")


class WithDictField(ApiSerializer):
    extra = serializers.DictField(child=serializers.CharField())


class WithNestedList(ApiSerializer):
    people = EnumField([("a", "A")], noun="a person", required=False)
    many = WithFieldMethod(many=True, required=False)


@pytest.mark.parametrize(
    ("cls", "body", "data"),
    [
        (WithFieldMethod, {"name": "ann"}, {"name": "ANN"}),
        (WithValidate, {"name": "ann"}, {"name": "ann", "checked": True}),
        (WithCallableDefault, {}, {"name": "someone"}),
        (WithDottedSource, {"name": "ann"}, {"person": {"name": "ann"}}),
        (WithDictField, {"extra": {"a": "b"}}, {"extra": {"a": "b"}}),
        (WithNestedList, {"many": [{"name": "x"}]}, {"many": [{"name": "X"}]}),
    ],
)
def test_a_serializer_with_its_own_steps_takes_drf_path(cls, body, data, planned):
    serializer = cls(data=body)
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == data
    assert planned == []
    assert core.api_input._PLANS[cls] is None


def test_partial_and_form_bodies_take_drf_path(planned):
    serializer = PrivacyRequestVerifyInputSerializer(data={"method": "id"}, partial=True)
    assert serializer.is_valid()
    form = QueryDict("method=id")
    serializer = PrivacyRequestVerifyInputSerializer(data=form)
    assert serializer.is_valid()
    assert serializer.validated_data == {"method": "id"}
    assert planned == []


# --- Through the API: the same answers, byte for byte --------------------------------------

API_BODIES = [
    create_body(),
    create_body(type="know", know_scope="both", agent=None, language="es"),
    create_body(type="delete", delete_scope="selected", delete_categories=["commercial"]),
    create_body(type="know"),
    create_body(type="opt_out", requester={"name": "  "}),
    create_body(requester={"name": "Casey\ud800", "email": "casey@example.com"}),
    create_body(requester={"email": "casey@@example.com"}),
    create_body(received_at="2019-01-01T00:00:00Z"),
    create_body(language="fr"),
    create_body(delete_categories="commercial"),
    {"type": ["delete"]},
]


@pytest.mark.django_db
@pytest.mark.parametrize("body", API_BODIES, ids=range(len(API_BODIES)))
def test_the_api_answers_alike_with_and_without_the_plan(body, api_a, freeze, tenant_a):
    freeze(SOON_AFTER)
    raw = json.dumps(body)
    with plain_drf_input():
        expected = api_a.post(REQUESTS, raw=raw)
    actual = api_a.post(REQUESTS, raw=raw)
    assert actual.status_code == expected.status_code
    if actual.status_code == 201:
        first, second = expected.json(), actual.json()
        assert second["reference"] != first["reference"]
        assert {**second, "reference": None} == {**first, "reference": None}
        assert PrivacyRequest.objects.for_tenant(tenant_a).count() == 2
    else:
        assert actual.content == expected.content
        assert PrivacyRequest.objects.for_tenant(tenant_a).count() == 0
