"""Recipients (issue 12 item 6): a complied request to delete, correct, opt out or limit is
passed on to each relevant recipient through the outbox (§7022(b)(2)-(3), §7023(c),
§7026(f)(2)-(3), §7027(g)(2)-(4)); each notification's delivery state shows on the request's
page; recipients acknowledge; one registered later is told only when staff ask."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from optout.models import Recipient, RecipientNotification
from optout.recipient_services import (
    delivery_state,
    recipient_create,
    recipients_notify_on_compliance,
)
from outbox import signing
from outbox.models import OutboxMessage
from outbox.sealing import unseal
from outbox.services import MAX_ATTEMPTS, webhook_endpoint_create, webhook_endpoint_update
from outbox.tasks import relay_outbox
from requests_app.models import RequestEvent
from requests_app.services import privacy_request_close, privacy_request_mark_verified
from tests.factories import answered, make_request
from tests.helpers import WebhookReceiver, login, webhook_receiver

pytestmark = pytest.mark.django_db

START = datetime(2026, 2, 2, 17, 0, tzinfo=UTC)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver("/privacy-hooks") as state:
        yield state


def _email_recipient(tenant, name: str, kind: str, **flags) -> Recipient:
    return recipient_create(
        tenant=tenant,
        name=name,
        kind=kind,
        categories="Identifiers; commercial information",
        delivery="email",
        email=f"privacy@{name.lower().replace(' ', '-')}.example",
        **flags,
    )


def _webhook_recipient(tenant, receiver: WebhookReceiver, settings, kind: str = "service_provider"):
    settings.OUTBOX_WEBHOOK_ALLOW_HTTP = True
    endpoint, secret = webhook_endpoint_create(tenant=tenant, name="Mailer hooks", url=receiver.url)
    recipient = recipient_create(
        tenant=tenant,
        name="Mailer Inc",
        kind=kind,
        categories="Identifiers",
        delivery="webhook",
        endpoint=endpoint,
    )
    return recipient, secret


def _notified(privacy_request) -> dict[str, RecipientNotification]:
    rows = RecipientNotification.objects.for_tenant(privacy_request.tenant).filter(
        privacy_request=privacy_request
    )
    return {row.recipient.name: row for row in rows.select_related("recipient", "message")}


def _request_page(admin, privacy_request) -> str:
    page = login(admin).get(
        reverse("admin:requests_app_privacyrequest_change", args=[privacy_request.pk])
    )
    assert page.status_code == 200
    return page.content.decode()


def test_a_complied_delete_notifies_service_providers_contractors_and_sold_to_third_parties_once(
    tenant_a, admin_a, freeze
):
    freeze(START - timedelta(days=1))
    _email_recipient(tenant_a, "Cloud Host", "service_provider")
    _email_recipient(tenant_a, "Call Centre", "contractor")
    _email_recipient(tenant_a, "Ad Network", "third_party", sold_or_shared=True)
    _email_recipient(tenant_a, "Courier", "third_party")  # neither sold to nor shared with
    retired = _email_recipient(tenant_a, "Old Host", "service_provider")
    retired.active = False
    retired.save()
    freeze(START)
    privacy_request = answered(make_request(tenant_a, request_type="delete"), admin_a)

    notified = _notified(privacy_request)
    assert sorted(notified) == ["Ad Network", "Call Centre", "Cloud Host"]
    assert {row.message.recipient for row in notified.values()} == {
        "privacy@ad-network.example",
        "privacy@call-centre.example",
        "privacy@cloud-host.example",
    }
    # Asked again (a retried hook), nobody is told twice.
    recipients_notify_on_compliance(privacy_request=privacy_request)
    assert len(_notified(privacy_request)) == 3
    assert (
        OutboxMessage.objects.for_tenant(tenant_a)
        .filter(dedupe_key__startswith=f"recipient-notification:{privacy_request.pk}:")
        .count()
        == 3
    )
    # Third parties are told to forward it (§7026(f)(3) wording), a service provider is not.
    third = unseal(
        notified["Ad Network"].message.body, notified["Ad Network"].message.body_encrypted
    )
    assert "§7022(b)(3)" in third
    assert "Forward this request" in third
    assert "Forward" not in notified["Cloud Host"].message.body


def test_a_complied_correction_goes_to_service_providers_not_third_parties(
    tenant_a, admin_a, freeze
):
    freeze(START - timedelta(days=1))
    _email_recipient(tenant_a, "Cloud Host", "service_provider")
    _email_recipient(tenant_a, "Ad Network", "third_party", sold_or_shared=True)
    freeze(START)
    privacy_request = make_request(
        tenant_a,
        request_type="correct",
        details={"correction_field": "postal_address", "correction_requested": "1 Elm St"},
    )
    privacy_request = answered(privacy_request, admin_a)
    notified = _notified(privacy_request)
    assert sorted(notified) == ["Cloud Host"]
    # The corrected value goes to the service provider, to correct and keep corrected (§7023(c)).
    body = notified["Cloud Host"].message.body
    assert "Information: postal_address; correct it to: 1 Elm St" in body
    assert "keep it corrected" in body


def test_a_denied_delete_notifies_nobody(tenant_a, admin_a, freeze):
    freeze(START - timedelta(days=1))
    _email_recipient(tenant_a, "Cloud Host", "service_provider")
    freeze(START)
    privacy_request = privacy_request_mark_verified(
        privacy_request=make_request(tenant_a, request_type="delete"),
        actor=admin_a,
        method="Email link and two data points.",
    )
    privacy_request_close(
        privacy_request=privacy_request,
        actor=admin_a,
        outcome="denied",
        denial_reason="exempt",
        explanation="We must keep these records to complete the transaction you asked for.",
        legal_basis="Civ. Code §1798.105(d)(1)",
    )
    assert _notified(privacy_request) == {}


def test_a_webhook_recipient_receives_a_correctly_signed_minimal_notification(
    tenant_a, admin_a, receiver, settings, freeze
):
    freeze(START - timedelta(days=1))
    _, secret = _webhook_recipient(tenant_a, receiver, settings)
    freeze(START)
    privacy_request = make_request(
        tenant_a, request_type="delete", name="Casey Consumer", email="casey@example.com"
    )
    privacy_request = answered(privacy_request, admin_a)

    assert relay_outbox() >= 1
    [delivery] = receiver.received
    headers, body = delivery["headers"], delivery["body"]
    assert signing.verify(secret, headers[signing.SIGNATURE_HEADER], body, int(START.timestamp()))
    sent = json.loads(body)
    assert sent["event"] == "privacy_request.recipient_notification"
    data = sent["data"]
    token = data["acknowledge"].pop("token")
    assert data == {
        "reference": privacy_request.reference,
        "request_type": "delete",
        "recipient": "Mailer Inc",
        "instruction": "Delete the consumer's personal information from your records.",
        "section": "§7022(b)(2)",
        "comply_by": privacy_request.respond_by.isoformat(),
        # Data minimization: what finds the consumer's records, nothing else.
        "consumer": {"name": "Casey Consumer", "email": "casey@example.com"},
        "delete_categories": "all",
        "acknowledge": {
            "url": f"{settings.PORTAL_BASE_URL}/{tenant_a.slug}/recipients/acknowledge/"
        },
    }
    notification = _notified(privacy_request)["Mailer Inc"]
    # The token travels, but is stored neither in the outbox nor on the notification.
    assert token not in notification.message.body
    assert notification.message.body_encrypted == ""  # forgotten once sent
    assert token not in notification.ack_token_hash
    assert delivery_state(notification) == "sent"


def test_a_failing_recipient_is_retried_then_shown_failing_on_the_request_page(
    tenant_a, admin_a, receiver, settings, freeze
):
    receiver.status = 503
    freeze(START - timedelta(days=1))
    _webhook_recipient(tenant_a, receiver, settings)
    freeze(START)
    privacy_request = answered(make_request(tenant_a, request_type="delete"), admin_a)

    relay_outbox()
    notification = _notified(privacy_request)["Mailer Inc"]
    notification.message.refresh_from_db()
    assert delivery_state(notification) == "retrying"
    assert "Sending failed; will retry" in _request_page(admin_a, privacy_request)
    for attempt in range(2, MAX_ATTEMPTS + 1):
        freeze(START + timedelta(days=attempt))
        relay_outbox()
    notification.message.refresh_from_db()
    assert delivery_state(notification) == "failed"
    assert len(receiver.received) == MAX_ATTEMPTS
    page = _request_page(admin_a, privacy_request)
    assert "Recipients notified" in page
    assert "Failed: gave up after retries" in page
    assert "The endpoint answered HTTP 503." in page


def test_a_recipient_registered_later_is_told_only_when_staff_ask(tenant_a, admin_a, freeze):
    freeze(START)
    privacy_request = answered(make_request(tenant_a, request_type="delete"), admin_a)
    freeze(START + timedelta(hours=2))
    late = _email_recipient(tenant_a, "New Host", "service_provider")
    assert _notified(privacy_request) == {}

    add_url = reverse("admin:optout_recipientnotification_add")
    client = login(admin_a)
    answer = client.post(add_url, {"privacy_request": privacy_request.pk, "recipient": late.pk})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    notification = _notified(privacy_request)["New Host"]
    assert notification.asked_by == admin_a.get_username()
    assert notification.message.recipient == "privacy@new-host.example"
    note = RequestEvent.objects.for_tenant(tenant_a).get(
        privacy_request=privacy_request, message__contains="New Host"
    )
    assert note.actor_label == admin_a.get_username()
    assert "asked to notify New Host" in note.message
    # Asking twice is refused with a message, and sends nothing more.
    again = client.post(add_url, {"privacy_request": privacy_request.pk, "recipient": late.pk})
    assert again.status_code == 200
    assert "New Host was already notified." in again.content.decode()
    assert len(_notified(privacy_request)) == 1


def test_staff_cannot_send_a_recipient_a_request_type_it_is_not_told_of(tenant_a, admin_a, freeze):
    freeze(START)
    privacy_request = answered(make_request(tenant_a, request_type="delete"), admin_a)
    courier = _email_recipient(tenant_a, "Courier", "third_party")  # not sold to: §7022(b)(3)
    answer = login(admin_a).post(
        reverse("admin:optout_recipientnotification_add"),
        {"privacy_request": privacy_request.pk, "recipient": courier.pk},
    )
    assert answer.status_code == 200
    assert "is not told of a request to delete" in answer.content.decode()
    assert _notified(privacy_request) == {}


def test_a_recipient_acknowledges_and_the_request_page_shows_it(
    tenant_a, tenant_b, admin_a, receiver, settings, freeze, client
):
    freeze(START - timedelta(days=1))
    _webhook_recipient(tenant_a, receiver, settings)
    freeze(START)
    privacy_request = answered(make_request(tenant_a, request_type="delete"), admin_a)
    relay_outbox()
    token = json.loads(receiver.received[0]["body"])["data"]["acknowledge"]["token"]
    url = f"/{tenant_a.slug}/recipients/acknowledge/"

    # Another business's address does not know the token; a wrong token is not found.
    assert (
        client.post(f"/{tenant_b.slug}/recipients/acknowledge/", {"token": token}).status_code
        == 404
    )
    assert client.post(url, {"token": "not-the-token"}).status_code == 404
    assert client.post(url, {}).status_code == 400
    for bad in ("{not json", "[1, 2]", '{"token": 5}'):
        assert client.post(url, bad, content_type="application/json").status_code == 400
    assert delivery_state(_notified(privacy_request)["Mailer Inc"]) == "sent"

    answer = client.post(url, json.dumps({"token": token}), content_type="application/json")
    assert answer.status_code == 200
    assert answer.json()["first_time"] is True
    assert delivery_state(_notified(privacy_request)["Mailer Inc"]) == "acknowledged"
    assert client.post(url, {"token": token}).json()["first_time"] is False  # harmless repeat
    assert "Acknowledged 2026-02-02" in _request_page(admin_a, privacy_request)
    # The form for people who got the notification by email: no token in the address.
    assert client.get(url).status_code == 200


def test_closing_succeeds_when_a_recipients_endpoint_is_off_and_the_timeline_says_so(
    tenant_a, admin_a, receiver, settings, freeze
):
    freeze(START - timedelta(days=1))
    recipient, _ = _webhook_recipient(tenant_a, receiver, settings)
    webhook_endpoint_update(endpoint=recipient.endpoint, name="Mailer hooks", active=False)
    freeze(START)
    privacy_request = answered(make_request(tenant_a, request_type="delete"), admin_a)
    assert privacy_request.outcome == "complied"
    assert _notified(privacy_request) == {}
    assert (
        RequestEvent.objects.for_tenant(tenant_a)
        .filter(privacy_request=privacy_request, message__contains="Mailer Inc was not notified")
        .exists()
    )


def test_the_tenant_admin_registers_a_recipient_and_a_missing_address_is_refused(tenant_a, admin_a):
    client = login(admin_a)
    add_url = reverse("admin:optout_recipient_add")
    fields = {
        "name": "Cloud Host",
        "kind": "service_provider",
        "categories": "Identifiers",
        "delivery": "webhook",
        "email": "",
        "active": "on",
    }
    refused = client.post(add_url, fields)
    assert refused.status_code == 200
    assert "Choose the webhook endpoint to send to." in refused.content.decode()
    assert not Recipient.objects.for_tenant(tenant_a).exists()

    created = client.post(add_url, fields | {"delivery": "email", "email": "dpo@cloud.example"})
    assert created.status_code == 302
    recipient = Recipient.objects.for_tenant(tenant_a).get()
    assert (recipient.tenant, recipient.email, recipient.endpoint) == (
        tenant_a,
        "dpo@cloud.example",
        None,
    )


def test_a_partial_delete_tells_the_recipient_which_categories_7022_h(tenant_a, admin_a, freeze):
    freeze(START - timedelta(days=1))
    _email_recipient(tenant_a, "Cloud Host", "service_provider")
    freeze(START)
    privacy_request = make_request(
        tenant_a,
        request_type="delete",
        details={"delete_scope": "selected", "delete_categories": ["identifiers"]},
    )
    privacy_request = answered(privacy_request, admin_a)
    body = _notified(privacy_request)["Cloud Host"].message.body
    assert "Only these categories: identifiers" in body
