"""``insert_new`` writes exactly the row ``save()`` would, with its key, on every database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from core.fast_insert import insert_new
from outbox.models import OutboxMessage
from requests_app.models import Communication, PrivacyRequest, RequestEvent
from tests.factories import make_request

pytestmark = pytest.mark.django_db

AT = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)


def _event(privacy_request: PrivacyRequest, message: str) -> RequestEvent:
    return RequestEvent(
        tenant=privacy_request.tenant,
        privacy_request=privacy_request,
        kind="note",
        at=AT,
        actor_label="Tester",
        message=message,
        data={"why": ["a list", 1]},
    )


def _outbox_message(privacy_request: PrivacyRequest, dedupe_key: str) -> OutboxMessage:
    return OutboxMessage(
        tenant=privacy_request.tenant,
        about_key=privacy_request.outbox_about_key,
        recipient="someone@example.com",
        subject="Hello",
        body="Body",
        dedupe_key=dedupe_key,
        created_at=AT,
        next_attempt_at=AT,
    )


def _stored(event: RequestEvent) -> dict:
    row = model_to_dict(
        RequestEvent.objects.for_tenant(event.tenant).get(pk=event.pk), exclude=["id"]
    )
    row["dedupe_key"] = row["dedupe_key"] and row["dedupe_key"].split(":")[0]
    return row


@pytest.fixture(params=["returning", "last_insert_id"])
def key_from(request, monkeypatch):
    """PostgreSQL and SQLite ≥ 3.35 return the new key; older SQLite reads lastrowid."""
    if request.param == "last_insert_id":
        if connection.vendor != "sqlite":
            pytest.skip("PostgreSQL always returns the new key")
        monkeypatch.setattr(type(connection.features), "can_return_columns_from_insert", False)
    return request.param


def test_the_row_and_its_key_are_those_save_would_give(tenant_a, key_from):
    privacy_request = make_request(tenant_a)
    saved = _event(privacy_request, "The same note.")
    saved.dedupe_key = "same:1"
    saved.save()
    inserted = _event(privacy_request, "The same note.")
    inserted.dedupe_key = "same:2"

    insert_new(inserted)

    assert inserted.pk is not None
    assert inserted.pk != saved.pk
    assert not inserted._state.adding
    assert _stored(inserted) == _stored(saved)
    assert _stored(inserted)["data"] == {"why": ["a list", 1]}


def test_several_rows_get_their_own_keys_in_order(tenant_a, key_from):
    privacy_request = make_request(tenant_a)
    first, second = _event(privacy_request, "First."), _event(privacy_request, "Second.")

    insert_new(first, second)

    stored = RequestEvent.objects.for_tenant(tenant_a).in_bulk([first.pk, second.pk])
    assert (stored[first.pk].message, stored[second.pk].message) == ("First.", "Second.")


@pytest.mark.parametrize("count", [2, 3])
def test_several_rows_of_one_model_go_in_one_insert_where_keys_come_back(tenant_a, count):
    privacy_request = make_request(tenant_a)
    events = [_event(privacy_request, f"Note {n}.") for n in range(count)]

    with CaptureQueriesContext(connection) as queries:
        insert_new(*events)

    assert len(queries) == 1
    assert [e.pk for e in events] == sorted(e.pk for e in events)  # in order, all distinct
    stored = RequestEvent.objects.for_tenant(tenant_a).in_bulk([e.pk for e in events])
    assert [stored[e.pk].message for e in events] == [f"Note {n}." for n in range(count)]
    assert all(_stored(e) == _stored(events[0]) | {"message": e.message} for e in events)


def test_rows_of_different_models_keep_their_order_and_links(tenant_a, key_from):
    privacy_request = make_request(tenant_a)
    first = _event(privacy_request, "Before.")
    message = _outbox_message(privacy_request, "fast-insert-mixed")
    last = _event(privacy_request, "After.")

    insert_new(first, message, last)

    assert first.pk < last.pk
    assert OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk).subject == "Hello"
    assert RequestEvent.objects.for_tenant(tenant_a).get(pk=last.pk).message == "After."


def test_a_related_row_saved_just_before_is_linked(tenant_a, key_from):
    privacy_request = make_request(tenant_a)
    communication = Communication(
        tenant=tenant_a,
        privacy_request=privacy_request,
        template="note",
        recipient="someone@example.com",
        subject="Hello",
        body="Body",
        created_at=AT,
    )

    insert_new(communication)

    stored = Communication.objects.for_tenant(tenant_a).get(pk=communication.pk)
    assert stored.privacy_request_id == privacy_request.pk
    assert stored.channel == "email"  # the model's default, as save() writes it


def test_defaults_are_written_as_save_writes_them(tenant_a, key_from):
    message = _outbox_message(make_request(tenant_a), "fast-insert-test")

    insert_new(message)

    assert OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk).status == "pending"
