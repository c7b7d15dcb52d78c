"""The compiled output plan (``core.api``) gives exactly DRF's output: same keys in the same
order, same values of the same types, the same bytes once rendered.

Every body the API writes here (201s, the lifecycle actions' 200s, the list, the detail with its
timeline, communications and documents, the outbox list) is compared with DRF's own
field-by-field serialization of the same object, for requests of every type, status and outcome,
with and without agent, assignee, flags, delete categories, correction details, extension.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from rest_framework import serializers
from rest_framework.fields import Field
from rest_framework.renderers import JSONRenderer

import core.api
from core.api import (
    ApiSerializer,
    BlankAsNullCharField,
    BlankAsNullChoiceField,
    EnumField,
    UtcDateTimeField,
    plain_drf_output,
)
from requests_app.api.serializers import (
    PrivacyRequestDetailOutputSerializer,
    PrivacyRequestOutputSerializer,
)
from requests_app.models import PrivacyRequest, Status
from requests_app.selectors import privacy_request_get
from requests_app.services import Agent, Requester, privacy_request_create
from tenants.selectors import tenant_today
from tests.factories import answered, correction, make_request
from tests.helpers import Api
from tests.portal_helpers import PDF, PNG

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal")]

REQUESTS = "/api/v1/requests/"
KNOW_LIMIT = "know_limit_exceeded"
REPEAT = "repeat_correction_within_6_months"


def typed(value: Any) -> Any:
    """The value with every type spelled out, keys in order: equal means the same output."""
    if isinstance(value, dict):
        return (type(value).__name__, [(key, typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return (type(value).__name__, [typed(item) for item in value])
    return (type(value).__name__, value)


@pytest.fixture
def compared(monkeypatch) -> Counter[str]:
    """Every ApiSerializer output in the test is also made by DRF's own to_representation and
    compared; counts the comparisons by serializer class."""
    seen: Counter[str] = Counter()
    planned = ApiSerializer.to_representation

    def checked(self: ApiSerializer, instance: Any) -> Any:
        output = planned(self, instance)
        with plain_drf_output():
            plain = planned(self, instance)
        assert typed(output) == typed(plain), type(self).__name__
        seen[type(self).__name__] += 1
        return output

    monkeypatch.setattr(ApiSerializer, "to_representation", checked)
    return seen


def _ok(response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    return response.json()


def _create(api: Api, **body: Any) -> str:
    body.setdefault("requester", {"name": "Casey Consumer", "email": "casey@example.com"})
    return _ok(api.post(REQUESTS, body), 201)["reference"]


def _act(api: Api, reference: str, action: str, body: dict[str, Any] | None = None) -> None:
    _ok(api.post(f"{REQUESTS}{reference}/{action}", body or {}))


def varied_requests(api: Api, tenant, staff) -> list[str]:
    """Requests of every type, status and outcome, through the API where it can (each 201 and
    200 body is compared too), the rest through the services."""
    refs = [
        _create(api, type="know", know_scope="categories"),
        _create(
            api,
            type="know",
            know_scope="specific",
            channel="phone",
            received_at="2026-01-05T09:15:30.123456-08:00",
            requester={"name": "Ana", "phone": "+1 415 555 0132", "state": "ca"},
            agent={"name": "Avery Agent", "organization": "Agents LLC", "phone": "4155550199"},
            is_california_consumer=False,
            language="es",
        ),
        _create(api, type="delete", requester={"email": "only@example.com"}),
        _create(
            api,
            type="delete",
            delete_scope="selected",
            delete_categories=["geolocation", "inferences"],
            agent={"organization": "Org only"},
        ),
        _create(
            api,
            type="correct",
            correction_field="postal_address",
            correction_information="12 Old Street, Fresno",
            correction_requested="34 New Avenue, Fresno",
            requester={"name": "Nia \u2028 Line\u00e9", "email": "nia@example.com", "state": "NV"},
        ),
        _create(api, type="opt_out", channel="webform", is_california_consumer=True),
        _create(api, type="limit", channel="email"),
        _create(api, type="opt_in", requester={"name": "Just a name"}),
    ]
    know, know_agent, delete, selected, correct, opt_out, limit, opt_in = refs

    # The lifecycle through the API: each 200 body is an output too.
    _act(api, know, "verify", {"method": "Email link and two data points."})
    _act(api, know, "start")
    _act(api, know, "extend", {"reason": "The records are in storage."})
    _act(api, know, "assign", {"assignee": staff.get_username()})
    _act(api, know_agent, "record-confirmation", {"method": "oral", "text": _confirmation()})
    _act(api, know_agent, "assign", {"assignee": staff.get_username()})
    _act(api, know_agent, "assign", {"assignee": None})
    _act(api, delete, "verify", {"method": "Matched three data points."})
    _act(api, delete, "close", {"outcome": "complied"})
    _act(
        api,
        selected,
        "close",
        {
            "outcome": "denied",
            "denial_reason": "exempt",
            "explanation": "A law requires us to keep these records.",
            "legal_basis": "Civ. Code §1798.105(d)(8)",
        },
    )
    _act(
        api,
        correct,
        "close",
        {
            "outcome": "denied",
            "denial_reason": "fraudulent",
            "explanation": "We could not accept this request.",
            "fraud_documentation": "Three requests from one address for different people.",
        },
    )
    _act(api, opt_out, "close", {"outcome": "complied"})
    _act(api, limit, "close", {"outcome": "complied"})
    in_part = _create(api, type="know", know_scope="both", requester={"email": "p@example.com"})
    refs.append(in_part)
    _act(api, in_part, "verify", {"method": "Matched two data points."})
    _act(
        api,
        in_part,
        "close",
        {
            "outcome": "complied_in_part",
            "denial_reason": "exempt",
            "explanation": "Some of it is exempt.",
            "legal_basis": "Civ. Code §1798.145(a)(1)",
            "done_explanation": "We sent you the rest of your information.",
        },
    )
    _act(api, opt_in, "assign", {"assignee": staff.get_username()})

    # Through the services: flags, a two-step delete, the know limit, documents.
    for flags in ([KNOW_LIMIT], [REPEAT, KNOW_LIMIT]):
        refs.append(
            privacy_request_create(
                tenant=tenant,
                request_type="know",
                know_scope="both",
                channel="webform",
                requester=Requester(name="Flagged", email="flag@example.com", state="CA"),
                details={"flags": flags},
            ).reference
        )
    two_step = privacy_request_create(
        tenant=tenant,
        request_type="delete",
        channel="webform",
        requester=Requester(name="Two Step", email="two@example.com", state="CA"),
        agent=Agent(name="", organization="", email="agent@example.com", phone=""),
        details={
            "delete_scope": "selected",
            "delete_categories": ["identifiers"],
            "awaiting_consumer_confirmation": True,
        },
    )
    refs.append(two_step.reference)
    for _ in range(2):
        answered(make_request(tenant, request_type="know", email="twice@example.com"), staff)
    third = make_request(tenant, request_type="know", email="twice@example.com")
    assert third.know_limit_next_date is not None
    assert third.status == Status.CLOSED
    refs.append(third.reference)
    refs.append(correction(tenant, ("bill.png", PNG), ("scan", PDF)).reference)
    return refs


def _confirmation() -> str:
    return (
        "We received your request on the phone. We will verify your identity by matching two "
        "data points and expect to respond by the date in our letter."
    )


def test_every_body_the_api_writes_is_drfs_own(api_a, tenant_a, staff_a, compared):
    refs = varied_requests(api_a, tenant_a, staff_a)

    listed = _ok(api_a.get(REQUESTS, {"page_size": 200}))["results"]
    assert {row["reference"] for row in listed} >= set(refs)
    for reference in refs:
        _ok(api_a.get(f"{REQUESTS}{reference}/"))
    _ok(api_a.get("/api/v1/outbox/"))

    assert set(compared) >= {
        "PrivacyRequestOutputSerializer",
        "PrivacyRequestDetailOutputSerializer",
        "RequesterOutputSerializer",
        "AgentOutputSerializer",
        "EventOutputSerializer",
        "CommunicationOutputSerializer",
        "RequestDocumentOutputSerializer",
        "OutboxMessageOutputSerializer",
    }


def _render(data: Any) -> bytes:
    return JSONRenderer().render(data)


def test_the_list_and_the_detail_are_byte_for_byte_drfs_own(api_a, tenant_a, staff_a):
    """Also the list's leaner query (the assignee's username annotated, not the user loaded)
    against DRF over the plain select_related queryset."""
    refs = varied_requests(api_a, tenant_a, staff_a)
    today = tenant_today(tenant_a)
    context = {"today": today}

    response = api_a.get(REQUESTS, {"page_size": 200})

    assert response.status_code == 200
    plain_rows = (
        PrivacyRequest.objects.for_tenant(tenant_a)
        .select_related("assignee")
        .order_by("-received_at", "-pk")
    )
    with plain_drf_output():
        plain = PrivacyRequestOutputSerializer(plain_rows, many=True, context=context).data
    assert response.content == _render({"next": None, "previous": None, "results": plain})
    assert any(row["assignee"] for row in response.json()["results"])

    for reference in refs:
        response = api_a.get(f"{REQUESTS}{reference}/")
        with plain_drf_output():
            plain = PrivacyRequestDetailOutputSerializer(
                privacy_request_get(tenant_a, reference, with_history=True), context=context
            ).data
        assert response.content == _render(plain), reference


def test_the_list_takes_the_generated_path_not_drfs_field_by_field(api_a, tenant_a, monkeypatch):
    for request_type in ("know", "delete", "correct", "opt_out", "limit", "opt_in"):
        make_request(tenant_a, request_type=request_type)
    page = list(PrivacyRequest.objects.for_tenant(tenant_a).select_related("assignee"))
    context = {"today": tenant_today(tenant_a)}
    expected = PrivacyRequestOutputSerializer(page, many=True, context=context).data
    calls: list[str] = []
    original = Field.get_attribute

    def counted(field: Field, instance: Any) -> Any:
        calls.append(field.field_name)
        return original(field, instance)

    monkeypatch.setattr(Field, "get_attribute", counted)
    assert PrivacyRequestOutputSerializer(page, many=True, context=context).data == expected
    assert calls == []
    with plain_drf_output():
        PrivacyRequestOutputSerializer(page, many=True, context=context).data  # noqa: B018
    assert len(calls) > 40 * len(page)


# --- Odd values: every fast converter falls back to the field's own output -------------------


class _Choices(serializers.ChoiceField):
    pass


class OddOutputSerializer(ApiSerializer):
    text = serializers.CharField()
    number = serializers.IntegerField()
    flag = serializers.BooleanField(allow_null=True)
    choice = serializers.ChoiceField(choices=[("a", "A"), (1, "One"), ("", "Blank")])
    subclassed = _Choices(choices=[("x", "X")])
    enum = EnumField([("know", "Know")], noun="a type")
    blank_choice = BlankAsNullChoiceField([("a", "A")])
    blank_text = BlankAsNullCharField()
    day = serializers.DateField(allow_null=True)
    instant = UtcDateTimeField(allow_null=True)
    local_instant = serializers.DateTimeField(allow_null=True)
    choices = serializers.ListField(child=serializers.ChoiceField(choices=[("a", "A")]))
    anything = serializers.ListField(child=serializers.CharField())
    dotted = serializers.CharField(source="inner.name", allow_null=True)
    missing = serializers.CharField(allow_null=True)
    skipped = serializers.CharField(required=False)
    method = serializers.SerializerMethodField()
    url = serializers.URLField()
    keyword = serializers.CharField(source="class")  # not a Python name: getattr()

    def get_method(self, obj: Any) -> Any:
        text = obj["text"] if isinstance(obj, dict) else obj.text
        return [text, self.context.get("extra")]


class _Method:
    def __call__(self) -> str:
        return "a callable object is not called"


def _odd(**overrides: Any) -> SimpleNamespace:
    values: dict[str, Any] = {
        "text": "plain",
        "number": 7,
        "flag": True,
        "choice": "a",
        "subclassed": "x",
        "enum": "know",
        "blank_choice": "a",
        "blank_text": "words",
        "day": date(2026, 1, 5),
        "instant": datetime(2026, 1, 5, 17, 15, 30, 123456, tzinfo=UTC),
        "local_instant": datetime(2026, 1, 5, 17, 15, 30, tzinfo=UTC),
        "choices": ["a", "b", None],
        "anything": [1, "two", None],
        "inner": SimpleNamespace(name="inside"),
        "url": "https://example.com/",
        "class": "kw",
        "missing": "here",
        "skipped": "here",
    }
    values.update(overrides)
    return SimpleNamespace(**values)


ODD = [
    _odd(),
    _odd(text=12, number="12", flag="yes", choice=1, enum="", blank_choice="", blank_text=""),
    _odd(text="", number=True, flag="null", choice="1", blank_text=0, day=None, instant=None),
    _odd(flag=None, choice="", day="2026-01-05", instant="already text"),
    _odd(choice="unknown", flag=0, instant=datetime(2026, 1, 5, 9, 0)),  # naive: made aware
    _odd(instant=datetime(2026, 1, 5, 9, 0, tzinfo=timezone(timedelta(hours=-8)))),
    _odd(instant=datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC), local_instant=None),
    _odd(inner=None, text=lambda: "called by DRF", day=datetime(2026, 1, 5).date()),
    _odd(text=_Method(), choices=[], anything=[]),
    _odd(inner=SimpleNamespace(name=None), text=PrivacyRequest),
]


@pytest.mark.parametrize("instance", ODD, ids=range(len(ODD)))
@pytest.mark.parametrize("missing", [(), ("missing",), ("missing", "skipped")])
def test_odd_values_give_drfs_own_output(instance, missing):
    """With every attribute there (the generated function), and without some (the step by step
    path: null for a missing optional attribute, no key for a skipped one)."""
    instance = SimpleNamespace(**{k: v for k, v in vars(instance).items() if k not in missing})
    context = {"extra": "context"}
    output = OddOutputSerializer(instance, context=context).data
    with plain_drf_output():
        plain = OddOutputSerializer(instance, context=context).data
    assert typed(output) == typed(plain)
    many = OddOutputSerializer([instance, instance], many=True, context=context).data
    with plain_drf_output():
        plain_many = OddOutputSerializer([instance, instance], many=True, context=context).data
    assert typed(many) == typed(plain_many)


def test_a_mapping_and_errors_take_drfs_path():
    mapping = {**vars(_odd()), "skipped": "there"}
    output = OddOutputSerializer(mapping).data
    with plain_drf_output():
        assert typed(output) == typed(OddOutputSerializer(mapping).data)
    assert output["skipped"] == "there"

    broken = _odd()
    del broken.url  # required, no default: DRF's AttributeError naming the field
    with pytest.raises(AttributeError, match="field `url` on serializer `OddOutputSerializer`"):
        OddOutputSerializer(broken).data  # noqa: B018
    builtin = _odd(text=len)
    with pytest.raises(Exception, match="built-in function"):
        OddOutputSerializer(builtin).data  # noqa: B018


def test_the_plan_is_compiled_once_per_class_and_keeps_no_instance():
    first = OddOutputSerializer(_odd(), context={"request": object()})
    first.data  # noqa: B018
    plan = core.api._PLANS[OddOutputSerializer]
    OddOutputSerializer(_odd()).data  # noqa: B018
    assert core.api._PLANS[OddOutputSerializer] is plan
    for _key, _kind, _arg, convert, _inline in plan.steps:
        assert getattr(convert, "__self__", None) is not first
        assert getattr(getattr(convert, "__self__", None), "parent", None) is None


def test_an_instance_whose_fields_were_changed_takes_drfs_path():
    serializer = OddOutputSerializer(_odd())
    serializer.fields.pop("text")
    assert "text" not in serializer.data
    assert "text" in OddOutputSerializer(_odd()).data
