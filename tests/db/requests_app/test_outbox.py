"""The outbox: written with the change, sent after commit, sent once, retried when sending fails."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core import mail

from requests_app.models import OutboxMessage
from requests_app.services import outbox_message_send
from requests_app.services.outbox import RELAY_POKE_DELAY
from requests_app.tasks import relay_outbox
from tests.factories import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_the_acknowledgement_is_handed_to_a_worker_only_after_commit(
    tenant_a, django_capture_on_commit_callbacks
):
    with mock.patch("requests_app.tasks.relay_outbox.apply_async") as poke:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            privacy_request = make_request(tenant_a)
        poke.assert_not_called()
        for callback in callbacks:
            callback()
    # A relay run a moment later sends everything committed before it, this message included.
    poke.assert_called_once_with(countdown=RELAY_POKE_DELAY)
    message = OutboxMessage.objects.for_tenant(tenant_a).get(privacy_request=privacy_request)
    assert message.status == "pending"
    assert relay_outbox() == 1
    assert [m.subject for m in mail.outbox] == [
        f"We received your privacy request {privacy_request.reference}"
    ]


def test_commits_close_together_share_one_relay_run(tenant_a, django_capture_on_commit_callbacks):
    with (
        mock.patch("requests_app.tasks.relay_outbox.apply_async") as poke,
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = make_request(tenant_a)
    with (
        mock.patch("requests_app.tasks.relay_outbox.apply_async") as second_poke,
        django_capture_on_commit_callbacks(execute=True),
    ):
        second = make_request(tenant_a)
    poke.assert_called_once()
    second_poke.assert_not_called()  # the first poke's run starts after this commit
    assert relay_outbox() == 2
    assert {m.subject for m in mail.outbox} == {
        f"We received your privacy request {first.reference}",
        f"We received your privacy request {second.reference}",
    }


def test_a_commit_after_the_poked_run_started_pokes_again(
    tenant_a, django_capture_on_commit_callbacks
):
    with (
        mock.patch("requests_app.tasks.relay_outbox.apply_async") as poke,
        mock.patch("requests_app.services.outbox.time.time", return_value=1000.0),
        django_capture_on_commit_callbacks(execute=True),
    ):
        make_request(tenant_a)
    with (
        mock.patch("requests_app.tasks.relay_outbox.apply_async") as later_poke,
        # the first run may already be reading the outbox (margin for clock differences)
        mock.patch("requests_app.services.outbox.time.time", return_value=1000.0 + 0.2),
        django_capture_on_commit_callbacks(execute=True),
    ):
        make_request(tenant_a)
    poke.assert_called_once()
    later_poke.assert_called_once_with(countdown=RELAY_POKE_DELAY)


def test_a_broker_outage_loses_nothing_the_relay_sends_it_later(
    tenant_a, django_capture_on_commit_callbacks
):
    with (
        mock.patch(
            "requests_app.tasks.relay_outbox.apply_async",
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
