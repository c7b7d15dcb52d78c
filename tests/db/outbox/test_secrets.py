"""Secrets in outbox messages (``outbox.sealing``): a one-time link is sent to its recipient but
never stored readable: the body everyone can read shows a redaction, the relay sends the real
one, through retries, and forgets it once the message is sent or given up (issue 11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.test import Client
from django.urls import reverse

from outbox.models import OutboxMessage
from outbox.sealing import Secret
from outbox.services import (
    CLAIM_LEASE,
    MAX_ATTEMPTS,
    Email,
    outbox_email_add,
    outbox_emails_add,
    outbox_message_send,
)
from outbox.tasks import relay_outbox
from tests.helpers import login

pytestmark = pytest.mark.django_db

START = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)
LINK = "https://portal.example/acme/download/?t=kq3Xw2-7secret_token_value_0123456789abcdefgh"
REDACTED = "[download link: sent, not shown]"


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _queue(tenant, key: str = "download:1") -> OutboxMessage:
    return outbox_email_add(
        tenant=tenant,
        recipient="casey@example.com",
        subject="Your data is ready",
        body=f"Hello,\n\nDownload it here:\n\n{LINK}\n\nIt works once.\n",
        dedupe_key=key,
        secrets=[Secret("download link", LINK)],
    )


def _stored(tenant, message: OutboxMessage) -> OutboxMessage:
    return OutboxMessage.objects.for_tenant(tenant).get(pk=message.pk)


def test_the_stored_body_shows_that_a_link_was_sent_never_the_link(tenant_a, admin_a, api_key_a):
    message = _queue(tenant_a)
    stored = _stored(tenant_a, message)
    assert stored.body == f"Hello,\n\nDownload it here:\n\n{REDACTED}\n\nIt works once.\n"
    assert "secret_token" not in stored.body_encrypted  # encrypted, not merely moved
    api = Client().get("/api/v1/outbox/", headers={"Authorization": f"Bearer {api_key_a}"})
    assert api.json()["results"][0]["body"] == stored.body
    admin = login(admin_a)
    page = admin.get(reverse("admin:outbox_outboxmessage_change", args=[message.pk]))
    listing = admin.get(reverse("admin:outbox_outboxmessage_changelist"))
    for response in (api, page, listing):
        assert response.status_code == 200
        assert "secret_token" not in response.content.decode()
    assert REDACTED in page.content.decode()


def test_the_recipient_gets_the_link_and_the_outbox_then_forgets_it(tenant_a):
    message = _queue(tenant_a)
    assert relay_outbox() == 1
    [email] = mail.outbox
    assert f"Download it here:\n\n{LINK}\n" in email.body
    assert REDACTED not in email.body
    sent = _stored(tenant_a, message)
    assert (sent.status, sent.body_encrypted) == ("sent", "")
    assert REDACTED in sent.body


def test_a_retried_send_still_carries_the_link(tenant_a, freeze):
    freeze(START)
    message = _queue(tenant_a)
    with mock.patch("outbox.services.EmailMessage.send", side_effect=OSError("SMTP refused")):
        assert outbox_message_send(tenant=tenant_a, message_id=message.pk) is False
    assert _stored(tenant_a, message).body_encrypted != ""  # kept for the retry
    freeze(START + timedelta(minutes=10))
    assert relay_outbox() == 1
    assert LINK in mail.outbox[0].body


def test_a_worker_killed_mid_send_leaves_the_link_for_the_relay_after_the_lease(tenant_a, freeze):
    freeze(START)
    message = _queue(tenant_a)
    with (
        mock.patch("outbox.services.EmailMessage.send", side_effect=SystemExit("killed")),
        pytest.raises(SystemExit),
    ):
        outbox_message_send(tenant=tenant_a, message_id=message.pk)
    freeze(START + CLAIM_LEASE + timedelta(seconds=1))
    assert relay_outbox() == 1
    assert LINK in mail.outbox[0].body


def test_a_message_given_up_forgets_its_link(tenant_a, freeze):
    freeze(START)
    message = _queue(tenant_a)
    with mock.patch("outbox.services.EmailMessage.send", side_effect=OSError("mailbox full")):
        for day in range(MAX_ATTEMPTS):
            freeze(START + timedelta(days=day))
            outbox_message_send(tenant=tenant_a, message_id=message.pk)
    failed = _stored(tenant_a, message)
    assert (failed.status, failed.body_encrypted) == ("failed", "")


def test_a_link_no_key_opens_is_not_sent_redacted_but_retried(tenant_a, settings, freeze):
    freeze(START)
    message = _queue(tenant_a)
    settings.DOCUMENT_KEYS = [Fernet.generate_key().decode()]  # the old key removed too early
    assert outbox_message_send(tenant=tenant_a, message_id=message.pk) is False
    assert mail.outbox == []
    retrying = _stored(tenant_a, message)
    assert retrying.status == "retrying"
    assert "cannot be decrypted" in retrying.last_error


def test_emails_added_in_bulk_keep_their_links_secret_too(tenant_a, tenant_b):
    other = "https://portal.example/bravo/download/?t=another_secret_token_value_0123456789"
    outbox_emails_add(
        emails=[
            Email(
                tenant_a,
                "a@example.com",
                "S",
                f"Here: {LINK}",
                "bulk:a",
                secrets=(Secret("download link", LINK),),
            ),
            Email(
                tenant_b,
                "b@example.com",
                "S",
                f"Here: {other}",
                "bulk:b",
                secrets=(Secret("download link", other),),
            ),
        ]
    )
    stored = [
        *OutboxMessage.objects.for_tenant(tenant_a),
        *OutboxMessage.objects.for_tenant(tenant_b),
    ]
    assert [m.body for m in stored] == [f"Here: {REDACTED}"] * 2
    assert relay_outbox() == 2
    assert sorted(email.body for email in mail.outbox) == sorted(
        [f"Here: {LINK}", f"Here: {other}"]
    )


@pytest.mark.parametrize(
    ("subject", "body"),
    [("Your data", "No link here."), (f"Your data: {LINK}", f"Here: {LINK}")],
    ids=["missing_from_the_body", "in_the_subject"],
)
def test_a_secret_the_outbox_could_not_hide_is_refused(tenant_a, subject, body):
    with pytest.raises(ValueError, match="download link"):
        outbox_email_add(
            tenant=tenant_a,
            recipient="casey@example.com",
            subject=subject,
            body=body,
            dedupe_key="download:bad",
            secrets=[Secret("download link", LINK)],
        )
    assert not OutboxMessage.objects.for_tenant(tenant_a).exists()


def test_a_token_named_besides_its_link_is_hidden_wherever_it_appears(tenant_a):
    token = LINK.split("?t=")[1]
    outbox_email_add(
        tenant=tenant_a,
        recipient="casey@example.com",
        subject="Your data is ready",
        body=f"Open {LINK}\nor type the code {token} on the download page.\n",
        dedupe_key="download:2",
        secrets=[Secret("download link", LINK), Secret("download code", token)],
    )
    [stored] = OutboxMessage.objects.for_tenant(tenant_a)
    assert stored.body == (
        f"Open {REDACTED}\nor type the code [download code: sent, not shown] on the download page.\n"
    )
    assert relay_outbox() == 1
    assert mail.outbox[0].body == f"Open {LINK}\nor type the code {token} on the download page.\n"
