"""The outbox: written with the change, sent after commit, sent once, retried when sending fails."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core import mail

from requests_app.models import OutboxMessage
from requests_app.services import outbox_message_send
from requests_app.tasks import relay_outbox
from tests.factories import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_the_acknowledgement_is_handed_to_a_worker_only_after_commit(
    tenant_a, django_capture_on_commit_callbacks
):
    with mock.patch("requests_app.tasks.relay_outbox_message.delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            privacy_request = make_request(tenant_a)
        delay.assert_not_called()
        for callback in callbacks:
            callback()
    message = OutboxMessage.objects.for_tenant(tenant_a).get(privacy_request=privacy_request)
    delay.assert_called_once_with(tenant_a.pk, message.pk)


def test_a_broker_outage_loses_nothing_the_relay_sends_it_later(
    tenant_a, django_capture_on_commit_callbacks
):
    with (
        mock.patch(
            "requests_app.tasks.relay_outbox_message.delay",
            side_effect=ConnectionError("broker down"),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        privacy_request = make_request(tenant_a)
    assert OutboxMessage.objects.for_tenant(tenant_a).get().status == "pending"
    assert relay_outbox() == 1
    assert len(mail.outbox) == 1
    assert privacy_request.reference in mail.outbox[0].subject
    sent = OutboxMessage.objects.for_tenant(tenant_a).get()
    assert sent.status == "sent"
    assert sent.sent_at is not None


def test_a_message_is_sent_once_even_if_the_task_is_delivered_twice(tenant_a):
    make_request(tenant_a)
    message = OutboxMessage.objects.for_tenant(tenant_a).get()
    assert outbox_message_send(tenant=tenant_a, message_id=message.pk) is True
    assert outbox_message_send(tenant=tenant_a, message_id=message.pk) is False
    assert len(mail.outbox) == 1


def test_a_failed_send_is_retried_later_with_the_error_kept(tenant_a, freeze):
    freeze(datetime(2026, 1, 5, 18, 0, tzinfo=UTC))
    make_request(tenant_a)
    message = OutboxMessage.objects.for_tenant(tenant_a).get()
    with mock.patch(
        "requests_app.services.outbox.EmailMessage.send", side_effect=OSError("SMTP refused")
    ):
        assert outbox_message_send(tenant=tenant_a, message_id=message.pk) is False
    failed = OutboxMessage.objects.for_tenant(tenant_a).get()
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 1, "SMTP refused")
    assert relay_outbox() == 0  # not due again yet (backoff)
    freeze(datetime(2026, 1, 5, 18, 10, tzinfo=UTC))
    assert relay_outbox() == 1
    assert OutboxMessage.objects.for_tenant(tenant_a).get().status == "sent"


def test_a_worker_cannot_send_another_business_message(tenant_a, tenant_b):
    make_request(tenant_a)
    message = OutboxMessage.objects.for_tenant(tenant_a).get()
    assert outbox_message_send(tenant=tenant_b, message_id=message.pk) is False
    assert mail.outbox == []
