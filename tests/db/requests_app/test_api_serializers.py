"""The API's serializers skip DRF's per-instance deep copy of their fields (``ApiSerializer``):
every body, error and the OpenAPI schema must stay exactly what plain DRF produces."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from requests_app.api.serializers import (
    ApiSerializer,
    PrivacyRequestCloseInputSerializer,
    PrivacyRequestCreateInputSerializer,
    PrivacyRequestDetailOutputSerializer,
    PrivacyRequestExtendInputSerializer,
    PrivacyRequestOutputSerializer,
)
from requests_app.models import PrivacyRequest
from requests_app.selectors import privacy_request_get
from requests_app.services import (
    Agent,
    Requester,
    privacy_request_assign,
    privacy_request_close,
    privacy_request_create,
    privacy_request_extend,
    privacy_request_mark_verified,
)
from tenants.selectors import tenant_today

pytestmark = pytest.mark.django_db

TODAY = date(2025, 12, 1)


@pytest.fixture
def plain_drf(monkeypatch) -> Callable[[Callable[[], Any]], Any]:
    """``plain_drf(fn)`` runs ``fn`` with DRF's own field copying (a deep copy per instance)."""

    def run(fn: Callable[[], Any]) -> Any:
        with monkeypatch.context() as patch:
            patch.setattr(ApiSerializer, "get_fields", serializers.Serializer.get_fields)
            return fn()

    return run


def _json(data: Any) -> bytes:
    return JSONRenderer().render(data)


def _create(tenant, request_type: str, **kwargs: Any) -> PrivacyRequest:
    kwargs.setdefault("requester", Requester(name="Casey Consumer", email="casey@example.com"))
    kwargs.setdefault("channel", "webform")
    return privacy_request_create(tenant=tenant, request_type=request_type, **kwargs)


@pytest.fixture
def every_kind(tenant_a, staff_a) -> list[PrivacyRequest]:
    """Requests of every type and in the states the output distinguishes, loaded as the API
    loads them (assignee, timeline and communications included)."""
    received = datetime(2025, 11, 22, 7, 30, tzinfo=UTC)
    made = [
        _create(tenant_a, "know", know_scope="categories", received_at=received),
        _create(tenant_a, "know", know_scope="both", language="es"),
        _create(tenant_a, "delete", details={"delete_scope": "all"}),
        _create(
            tenant_a,
            "delete",
            details={
                "delete_scope": "selected",
                "delete_categories": ["geolocation", "inferences"],
                "awaiting_consumer_confirmation": True,
            },
        ),
        _create(
            tenant_a,
            "correct",
            details={
                "correction_field": "email",
                "correction_information": "old@example.com",
                "correction_requested": "new@example.com",
                "flags": ["repeat_correction_within_6_months"],
            },
        ),
        _create(tenant_a, "opt_out", channel="gpc", requester=Requester()),
        _create(tenant_a, "limit", requester=Requester(phone="+14155550123", state="NV")),
        _create(tenant_a, "opt_in", is_california_consumer=False),
        _create(
            tenant_a,
            "delete",
            channel="agent",
            agent=Agent(name="Alex Agent", organization="Agents Inc.", email="a@agents.example"),
        ),
        _create(
            tenant_a, "know", know_scope="specific", details={"flags": ["know_limit_exceeded"]}
        ),
    ]
    extended = _create(tenant_a, "delete")
    privacy_request_extend(privacy_request=extended, actor=staff_a, reason="We need more time.")
    assigned = _create(tenant_a, "correct")
    privacy_request_assign(privacy_request=assigned, actor=staff_a, assignee=staff_a)
    denied = _create(tenant_a, "know", know_scope="both")
    privacy_request_close(
        privacy_request=denied,
        actor=staff_a,
        outcome="denied",
        denial_reason="unverifiable",
        explanation="We could not verify who you are.",
    )
    complied = _create(tenant_a, "delete")
    privacy_request_mark_verified(
        privacy_request=complied, actor=staff_a, method="Email link and two data points."
    )
    privacy_request_close(privacy_request=complied, actor=staff_a, outcome="complied")
    withdrawn = _create(tenant_a, "opt_out")
    privacy_request_close(privacy_request=withdrawn, actor=staff_a, outcome="withdrawn")
    references = [p.reference for p in [*made, extended, assigned, denied, complied, withdrawn]]
    return [privacy_request_get(tenant_a, reference, with_history=True) for reference in references]


def test_the_output_equals_plain_drf_for_requests_of_every_type_and_state(every_kind, plain_drf):
    def render(serializer_class, many: bool = False) -> list[bytes]:
        if many:
            return [_json(serializer_class(every_kind, many=True, context={"today": TODAY}).data)]
        return [_json(serializer_class(p, context={"today": TODAY}).data) for p in every_kind]

    for serializer_class in (PrivacyRequestOutputSerializer, PrivacyRequestDetailOutputSerializer):
        for many in (False, True):
            ours = render(serializer_class, many)
            assert ours == plain_drf(lambda cls=serializer_class, m=many: render(cls, m))
    bodies = [json.loads(body) for body in render(PrivacyRequestOutputSerializer)]
    # The fixture really covers what the body distinguishes.
    assert {body["type"] for body in bodies} == {
        "know",
        "delete",
        "correct",
        "opt_out",
        "limit",
        "opt_in",
    }
    assert {body["status"] for body in bodies} >= {"closed", "awaiting_verification", "in_progress"}
    assert any(body["extended"] for body in bodies)
    assert any(body["agent"] for body in bodies)
    assert any(body["assignee"] for body in bodies)
    assert any(body["flags"] for body in bodies)
    assert any(body["delete_categories"] for body in bodies)


def test_the_201_body_is_the_serializers_output(tenant_a, api_key_a, plain_drf):
    body = {
        "type": "delete",
        "requester": {"name": "Casey", "email": "casey@example.com", "state": "CA"},
        "agent": {"name": "Alex Agent", "organization": "Agents Inc."},
    }
    response = Client().post(
        "/api/v1/requests/",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_key_a}"},
    )
    assert response.status_code == 201
    privacy_request = privacy_request_get(tenant_a, response.json()["reference"])
    today = tenant_today(tenant_a)
    expected = plain_drf(
        lambda: _json(
            PrivacyRequestOutputSerializer(privacy_request, context={"today": today}).data
        )
    )
    assert response.content == expected


@pytest.mark.parametrize(
    ("serializer_class", "data"),
    [
        (
            PrivacyRequestCreateInputSerializer,
            {
                "type": "know",
                "know_scope": "both",
                "received_at": "2025-11-20T14:05:00-08:00",
                "requester": {"name": " Casey ", "phone": "(415) 555-0123", "state": "ca"},
                "agent": {"organization": "Agents Inc.", "email": "a@agents.example"},
                "is_california_consumer": True,
            },
        ),
        (PrivacyRequestCreateInputSerializer, {"type": "delete"}),
        (
            PrivacyRequestCreateInputSerializer,
            {
                "type": "nope",
                "channel": ["x"],
                "received_at": "2025-11-20T14:05:00",
                "requester": {"email": "not-an-email", "phone": "12", "state": "California"},
                "agent": "Alex",
                "is_california_consumer": "perhaps",
            },
        ),
        (PrivacyRequestCreateInputSerializer, {}),
        (PrivacyRequestCreateInputSerializer, {"type": "delete", "requester": None}),
        (PrivacyRequestExtendInputSerializer, {"reason": "x" * 3000, "respond_by": "soon"}),
        (PrivacyRequestExtendInputSerializer, {"reason": "Busy", "respond_by": "2026-01-05"}),
        (PrivacyRequestCloseInputSerializer, {"outcome": "denied", "denial_reason": "x"}),
    ],
)
def test_input_validation_equals_plain_drf(serializer_class, data, plain_drf):
    def validate() -> tuple[bool, str, Any]:
        serializer = serializer_class(data=data)
        if serializer.is_valid():
            return True, repr(serializer.validated_data), None
        # repr() shows the messages; the codes are what api_errors maps to its error codes.
        return False, repr(serializer.errors), _codes(serializer.errors)

    assert validate() == plain_drf(validate)


def _codes(errors: Any) -> Any:
    if isinstance(errors, dict):
        return {name: _codes(value) for name, value in errors.items()}
    if isinstance(errors, list):
        return [_codes(value) for value in errors]
    return getattr(errors, "code", None)


def test_instances_never_share_bound_fields():
    first = PrivacyRequestOutputSerializer(context={"today": TODAY})
    second = PrivacyRequestOutputSerializer(context={"today": date(2030, 1, 1)})
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other
        assert field.parent is first
        assert other.parent is second
        child = getattr(field, "child", None)
        if child is not None:
            assert child.parent is field
            assert child is not other.child
    assert first.fields["requester"].fields["name"].root is first
    assert first.fields["days_left"].context == {"today": TODAY}
    assert second.fields["days_left"].context == {"today": date(2030, 1, 1)}


def test_the_openapi_schema_equals_plain_drfs(plain_drf):
    def schema() -> str:
        return json.dumps(SchemaGenerator().get_schema(request=None, public=True), sort_keys=True)

    assert schema() == plain_drf(schema)
    # drf-spectacular describes a component with the first docstring in its class's MRO: a
    # docstring on the shared base would become the description of every undocumented one.
    assert ApiSerializer.__doc__ is None
    assert "description" not in json.loads(schema())["components"]["schemas"]["Requester"]
