"""Webhooks through the outbox: a signed JSON POST to a real server on 127.0.0.1, retried with
backoff when the endpoint fails, and shown as failed once the outbox gives up."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from core.refusals import Refused
from outbox import signing
from outbox.models import OutboxMessage, WebhookEndpoint
from outbox.sealing import Secret
from outbox.services import (
    MAX_ATTEMPTS,
    outbox_message_send,
    outbox_webhook_add,
    webhook_endpoint_create,
)
from outbox.tasks import relay_outbox
from tests.helpers import WebhookReceiver, login, webhook_receiver

pytestmark = pytest.mark.django_db

START = datetime(2026, 2, 2, 17, 0, tzinfo=UTC)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as state:
        yield state


@pytest.fixture
def endpoint(tenant_a, receiver, settings) -> tuple[WebhookEndpoint, str]:
    settings.OUTBOX_WEBHOOK_ALLOW_HTTP = True
    return webhook_endpoint_create(tenant=tenant_a, name="ACME CRM", url=receiver.url)


def _queue(tenant, endpoint: WebhookEndpoint, key: str = "test:1") -> OutboxMessage:
    return outbox_webhook_add(
        tenant=tenant,
        endpoint=endpoint,
        event="privacy_request.created",
        payload={"reference": "AC-7KQ3-9XW2", "type": "delete"},
        dedupe_key=key,
        about_key="privacy_request:1",
        about_label="AC-7KQ3-9XW2",
    )


def test_a_webhook_reaches_the_server_with_a_valid_signature(tenant_a, endpoint, receiver, freeze):
    freeze(START)
    registered, secret = endpoint
    message = _queue(tenant_a, registered)

    assert relay_outbox() == 1

    [delivery] = receiver.received
    headers, body = delivery["headers"], delivery["body"]
    assert signing.verify(
        secret, headers[signing.SIGNATURE_HEADER], body, now=int(START.timestamp())
    )
    assert not signing.verify(
        "whsec_wrong", headers[signing.SIGNATURE_HEADER], body, now=int(START.timestamp())
    )
    assert headers[signing.IDEMPOTENCY_HEADER] == str(message.pk)  # lets a receiver drop a repeat
    assert headers[signing.EVENT_HEADER] == "privacy_request.created"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "event": "privacy_request.created",
        "business": tenant_a.slug,
        "created_at": START.isoformat(),
        "data": {"reference": "AC-7KQ3-9XW2", "type": "delete"},
    }
    sent = OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk)
    assert (sent.status, sent.channel, sent.attempts) == ("sent", "webhook", 1)


def test_a_signature_older_than_five_minutes_is_refused_by_verify(endpoint):
    _, secret = endpoint
    header = signing.sign(secret, 1_000_000, b"{}")
    assert signing.verify(secret, header, b"{}", now=1_000_000 + 300)
    assert not signing.verify(secret, header, b"{}", now=1_000_000 + 301)
    assert not signing.verify(secret, header, b"{ }", now=1_000_000)


def test_a_failing_endpoint_is_retried_with_backoff_then_shown_as_failed(
    tenant_a, endpoint, receiver, freeze, admin_a
):
    receiver.status = 503
    freeze(START)
    message = _queue(tenant_a, endpoint[0])

    assert outbox_message_send(tenant=tenant_a, message_id=message.pk) is False
    retrying = OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk)
    assert (retrying.status, retrying.attempts) == ("retrying", 1)
    assert retrying.last_error == "The endpoint answered HTTP 503."
    assert retrying.next_attempt_at == START + timedelta(minutes=2)
    assert relay_outbox() == 0  # backing off

    for attempt in range(2, MAX_ATTEMPTS + 1):
        freeze(START + timedelta(days=attempt))
        relay_outbox()
    failed = OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk)
    assert (failed.status, failed.attempts) == ("failed", MAX_ATTEMPTS)
    assert len(receiver.received) == MAX_ATTEMPTS
    freeze(START + timedelta(days=60))
    assert relay_outbox() == 0  # given up for good

    page = login(admin_a).get(reverse("admin:outbox_outboxmessage_change", args=[message.pk]))
    assert page.status_code == 200
    assert "Failed: gave up after retries" in page.content.decode()
    assert "The endpoint answered HTTP 503." in page.content.decode()


def test_an_endpoint_that_recovers_gets_the_message_on_the_next_attempt(
    tenant_a, endpoint, receiver, freeze
):
    receiver.status = 500
    freeze(START)
    message = _queue(tenant_a, endpoint[0])
    assert relay_outbox() == 0
    receiver.status = 204
    freeze(START + timedelta(minutes=3))
    assert relay_outbox() == 1
    sent = OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, "")
    # Both deliveries carry the same idempotency key: the receiver can tell it is one message.
    assert {d["headers"][signing.IDEMPOTENCY_HEADER] for d in receiver.received} == {
        str(message.pk)
    }


def test_a_redirect_is_not_followed(tenant_a, endpoint, receiver, freeze):
    receiver.status = 302
    receiver.location = "http://127.0.0.1:9/elsewhere"
    freeze(START)
    message = _queue(tenant_a, endpoint[0])
    assert relay_outbox() == 0
    assert len(receiver.received) == 1
    refused = OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk)
    assert refused.last_error == "The endpoint answered HTTP 302."


def test_a_slow_endpoint_times_out_and_is_retried(tenant_a, endpoint, receiver, freeze, settings):
    settings.OUTBOX_WEBHOOK_TIMEOUT = 0.2
    receiver.delay = 1.0
    freeze(START)
    message = _queue(tenant_a, endpoint[0])
    assert relay_outbox() == 0
    slow = OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk)
    assert slow.status == "retrying"
    assert "timed out" in slow.last_error


def test_the_secret_is_stored_encrypted_and_shown_only_once(tenant_a, settings):
    settings.OUTBOX_WEBHOOK_ALLOW_HTTP = False
    endpoint, secret = webhook_endpoint_create(
        tenant=tenant_a, name="CRM", url="https://crm.acme.example/hooks"
    )
    stored = WebhookEndpoint.objects.for_tenant(tenant_a).get()
    assert secret.startswith("whsec_")
    assert secret not in stored.secret_encrypted
    assert stored.secret_hint == secret[:10]
    assert endpoint.pk == stored.pk


def test_plain_http_is_refused_outside_the_demo(tenant_a, settings):
    settings.OUTBOX_WEBHOOK_ALLOW_HTTP = False
    with pytest.raises(Refused) as refused:
        webhook_endpoint_create(tenant=tenant_a, name="CRM", url="http://crm.acme.example/hooks")
    assert refused.value.code == "https_required"
    with pytest.raises(Refused):
        webhook_endpoint_create(tenant=tenant_a, name="CRM", url="ftp://crm.acme.example/")
    assert not WebhookEndpoint.objects.for_tenant(tenant_a).exists()


def test_a_webhook_to_another_businesss_endpoint_is_refused(tenant_a, tenant_b, endpoint):
    with pytest.raises(Refused):
        _queue(tenant_b, endpoint[0])
    assert not OutboxMessage.objects.for_tenant(tenant_b).exists()


def test_a_turned_off_endpoint_gets_nothing_more(tenant_a, endpoint, receiver, freeze):
    freeze(START)
    registered = endpoint[0]
    message = _queue(tenant_a, registered)
    registered.active = False
    registered.save()
    assert relay_outbox() == 0
    assert receiver.received == []
    stopped = OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk)
    assert stopped.last_error == "The webhook endpoint was turned off."


def test_a_link_in_a_webhook_reaches_the_receiver_signed_but_is_stored_redacted(
    tenant_a, endpoint, receiver, freeze, api_key_a
):
    freeze(START)
    registered, secret = endpoint
    link = "https://portal.example/acme/download/?t=webhook_secret_token_0123456789abcdef"
    message = outbox_webhook_add(
        tenant=tenant_a,
        endpoint=registered,
        event="privacy_request.package_ready",
        payload={"reference": "AC-7KQ3-9XW2", "download": link},
        dedupe_key="package:1",
        secrets=[Secret("download link", link)],
    )
    stored = OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk)
    assert json.loads(stored.body)["data"]["download"] == "[download link: sent, not shown]"
    listing = Client().get("/api/v1/outbox/", headers={"Authorization": f"Bearer {api_key_a}"})
    assert "webhook_secret_token" not in listing.content.decode()

    assert relay_outbox() == 1

    [delivery] = receiver.received
    assert json.loads(delivery["body"])["data"]["download"] == link
    assert signing.verify(  # the signature covers the body as sent, link included
        secret,
        delivery["headers"][signing.SIGNATURE_HEADER],
        delivery["body"],
        now=int(START.timestamp()),
    )
    assert OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk).body_encrypted == ""
