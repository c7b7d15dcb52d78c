"""core.model_rows: a page's instances built in one step are Django's own, field for field."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import F, signals

from core.model_rows import FastModelIterable, queryset_with_fast_rows
from requests_app.models import PrivacyRequest
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
