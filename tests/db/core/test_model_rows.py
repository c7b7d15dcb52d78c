"""core.model_rows: a page's instances built in one step are Django's own, field for field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db.models import F, signals
from phonenumber_field.phonenumber import PhoneNumber

from core.model_rows import FastModelIterable, new_instance, queryset_with_fast_rows
from requests_app.models import Communication, PrivacyRequest, RequestEvent
from requests_app.services import Agent, Requester, privacy_request_create
from tests.factories import make_request

pytestmark = pytest.mark.django_db


def _state(obj: PrivacyRequest) -> dict[str, Any]:
    values = {k: v for k, v in vars(obj).items() if k != "_state"}
    return {"keys": list(vars(obj)), "values": values, "adding": obj._state.adding,
            "db": obj._state.db}  # fmt: skip


@pytest.fixture
def requests(tenant_a, staff_a):
    make_request(tenant_a, request_type="know")
    make_request(tenant_a, request_type="opt_out", channel="gpc")
    privacy_request_create(
        tenant=tenant_a,
        request_type="delete",
        channel="phone",
        requester=Requester(name="Ana", email="", phone="+1 415 555 0132", state="CA"),
        agent=Agent(name="Avery", organization="", email="", phone="4155550199"),
        details={"delete_scope": "selected", "delete_categories": ["geolocation"]},
    )
    return PrivacyRequest.objects.for_tenant(tenant_a).order_by("pk")


def test_the_instances_are_djangos_own(requests):
    plain = requests.annotate(username=F("assignee__username"))
    fast = queryset_with_fast_rows(plain.filter(pk__gt=0))[:10]

    assert fast._iterable_class is FastModelIterable
    assert [_state(obj) for obj in fast] == [_state(obj) for obj in plain]
    obj = list(fast)[-1]
    assert str(obj.requester_phone) == "+14155550132"
    obj.refresh_from_db()
    assert obj.delete_categories == ["geolocation"]


@pytest.mark.parametrize(
    "shape",
    [
        lambda qs: qs.select_related("assignee"),
        lambda qs: qs.only("reference", "status"),
        lambda qs: qs.defer("correction_information"),
    ],
)
def test_other_shapes_are_built_by_django(requests, shape):
    fast = list(queryset_with_fast_rows(shape(requests)))
    assert [_state(obj) for obj in fast] == [_state(obj) for obj in shape(requests)]


def test_a_model_with_an_init_receiver_is_built_by_django(requests):
    seen: list[PrivacyRequest] = []

    def receiver(sender: Any, instance: PrivacyRequest, **kwargs: Any) -> None:
        seen.append(instance)

    signals.post_init.connect(receiver, sender=PrivacyRequest)
    try:
        fast = list(queryset_with_fast_rows(requests))
    finally:
        signals.post_init.disconnect(receiver, sender=PrivacyRequest)
    assert seen == fast
    assert len(fast) == 3


def test_the_outbox_list_instances_are_djangos_own(requests, tenant_a):
    from outbox.models import OutboxMessage
    from outbox.selectors import outbox_messages_for_tenant

    fast = outbox_messages_for_tenant(tenant_a)
    plain = OutboxMessage.objects.for_tenant(tenant_a).order_by("-created_at", "-pk")
    assert fast._iterable_class is FastModelIterable
    assert len(plain) >= 1
    assert [_state(obj) for obj in fast] == [_state(obj) for obj in plain]


def test_an_empty_page_is_empty(requests):
    assert list(queryset_with_fast_rows(requests.filter(pk__in=[]))) == []
    assert list(queryset_with_fast_rows(requests.none())) == []
    assert list(queryset_with_fast_rows(requests.filter(pk=-1))) == []


# --- new_instance: Model(**values) without the per-field work --------------------------------


def _new_state(obj: Any) -> dict[str, Any]:
    return {
        "keys": list(vars(obj)),
        "values": {k: v for k, v in vars(obj).items() if k != "_state"},
        # fields_cache is made at its first use (a cached_property): none yet is an empty one
        "state": {"fields_cache": {}, **vars(obj._state)},
        "type": type(obj),
    }


def _intake_values(tenant, staff) -> list[tuple[type, dict[str, Any]]]:
    received = datetime(2025, 11, 22, 7, 30, tzinfo=UTC)
    request_values = {
        "tenant": tenant,
        "reference": "AC-2345-6789",
        "request_type": "delete",
        "channel": "api",
        "received_at": received,
        "received_date": date(2025, 11, 21),
        "requester_name": "Ana",
        "requester_email": "ana@example.com",
        "requester_phone": "+14155550132",  # text: the phone descriptor makes a PhoneNumber
        "agent_phone": "",
        "delete_categories": ["geolocation"],
        "created_at": received,
        "updated_at": received,
    }
    privacy_request = PrivacyRequest(**request_values)
    event_values = {
        "tenant_id": tenant.pk,
        "privacy_request": privacy_request,
        "kind": "created",
        "at": received,
        "actor": staff,
        "actor_label": "staff_a",
        "message": "Received.",
        "data": {},
    }
    return [
        (PrivacyRequest, request_values),
        (PrivacyRequest, {"tenant_id": tenant.pk, "reference": "AC-X"}),  # defaults only
        (RequestEvent, event_values),
        (RequestEvent, {**event_values, "actor": None}),
        (
            Communication,
            {"tenant": tenant, "privacy_request": privacy_request, "created_at": received},
        ),
    ]


def test_a_new_instance_is_what_the_model_class_makes(tenant_a, staff_a, freeze):
    freeze(datetime(2025, 11, 25, 18, 0, tzinfo=UTC))  # callable defaults (now) agree
    for model, values in _intake_values(tenant_a, staff_a):
        expected = model(**values)
        actual = new_instance(model, **values)
        assert _new_state(actual) == _new_state(expected), model.__name__
        if "requester_phone" in values:
            assert isinstance(actual.requester_phone, PhoneNumber)
        for field in model._meta.fields:
            if field.is_relation and field.is_cached(expected):
                assert field.get_cached_value(actual) is field.get_cached_value(expected)


def test_a_new_instance_with_unusual_keywords_is_the_model_class_own(tenant_a, freeze):
    freeze(datetime(2025, 11, 25, 18, 0, tzinfo=UTC))
    with pytest.raises(TypeError):
        new_instance(PrivacyRequest, tenant=tenant_a, no_such_field=1)
    both = new_instance(PrivacyRequest, tenant=tenant_a, tenant_id=tenant_a.pk)
    assert both.tenant_id == tenant_a.pk
    seen: list[Any] = []

    def receiver(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append(instance)

    signals.post_init.connect(receiver, sender=RequestEvent)
    try:
        event = new_instance(RequestEvent, tenant_id=tenant_a.pk, kind="created")
    finally:
        signals.post_init.disconnect(receiver, sender=RequestEvent)
    assert seen == [event]
