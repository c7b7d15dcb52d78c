"""The outbox relay: written with the change, sent after commit, sent once, retried when sending
fails, and marked failed when it gives up."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.db import connection, connections

from core import clock
from outbox.models import OutboxMessage
from outbox.services import (
    CLAIM_LEASE,
    MAX_ATTEMPTS,
    RELAY_POKE_DELAY,
    outbox_due_ids,
    outbox_message_send,
    outbox_relay_pokes_wait,
)
from outbox.tasks import relay_outbox
from tests.factories import make_request
from tests.portal_helpers import (
    acknowledgement_subject,
    email_of,
    verify_email_subject,
)

pytestmark = pytest.mark.django_db

# A request to delete (make_request's default) with an email address gets two emails at intake:
# the acknowledgement (§7021(a)) and the link that proves the address is the requester's (§7060).
# The tests follow the acknowledgement (``email_of``) and count the other where it is sent too.


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_the_acknowledgement_is_handed_to_a_worker_only_after_commit(
    tenant_a, django_capture_on_commit_callbacks
):
    with mock.patch("outbox.tasks.relay_outbox.apply_async") as poke:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            privacy_request = make_request(tenant_a)
        poke.assert_not_called()
        for callback in callbacks:
            callback()
        assert outbox_relay_pokes_wait()  # published by the process's poker thread
    # A relay run a moment later sends everything committed before it, this message included.
    poke.assert_called_once_with(countdown=RELAY_POKE_DELAY)
    message = email_of(privacy_request)
    assert message.status == "pending"
    assert relay_outbox() == 2  # with the email-verification link (§7060)
    assert sorted(m.subject for m in mail.outbox) == [
        verify_email_subject(privacy_request),
        acknowledgement_subject(privacy_request),
    ]


def test_commits_close_together_share_one_relay_run(tenant_a, django_capture_on_commit_callbacks):
    with mock.patch("outbox.tasks.relay_outbox.apply_async") as poke:
        with django_capture_on_commit_callbacks(execute=True):
            first = make_request(tenant_a)
        assert outbox_relay_pokes_wait()
    with mock.patch("outbox.tasks.relay_outbox.apply_async") as second_poke:
        with django_capture_on_commit_callbacks(execute=True):
            second = make_request(tenant_a)
        assert outbox_relay_pokes_wait()
    poke.assert_called_once()
    second_poke.assert_not_called()  # the first poke's run starts after this commit
    assert relay_outbox() == 4  # each request's acknowledgement and verification link (§7060)
    assert {m.subject for m in mail.outbox} == {
        acknowledgement_subject(first),
        verify_email_subject(first),
        acknowledgement_subject(second),
        verify_email_subject(second),
    }


def test_a_commit_after_the_poked_run_started_pokes_again(
    tenant_a, django_capture_on_commit_callbacks
):
    with (
        mock.patch("outbox.tasks.relay_outbox.apply_async") as poke,
        mock.patch("outbox.services.time.time", return_value=1000.0),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            make_request(tenant_a)
        assert outbox_relay_pokes_wait()
    with (
        mock.patch("outbox.tasks.relay_outbox.apply_async") as later_poke,
        # the first run may already be reading the outbox (margin for clock differences)
        mock.patch("outbox.services.time.time", return_value=1000.0 + 0.2),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            make_request(tenant_a)
        assert outbox_relay_pokes_wait()
    poke.assert_called_once()
    later_poke.assert_called_once_with(countdown=RELAY_POKE_DELAY)


def test_a_broker_outage_loses_nothing_the_relay_sends_it_later(
    tenant_a, django_capture_on_commit_callbacks
):
    with mock.patch(
        "outbox.tasks.relay_outbox.apply_async", side_effect=ConnectionError("broker down")
    ):
        with django_capture_on_commit_callbacks(execute=True):
            privacy_request = make_request(tenant_a)
        assert outbox_relay_pokes_wait()
    # The acknowledgement and the email-verification link (§7060), both kept.
    messages = OutboxMessage.objects.for_tenant(tenant_a)
    assert sorted(messages.values_list("status", flat=True)) == ["pending", "pending"]
    assert relay_outbox() == 2
    assert sorted(m.subject for m in mail.outbox) == [
        verify_email_subject(privacy_request),
        acknowledgement_subject(privacy_request),
    ]
    for sent in messages.all():
        assert sent.status == "sent"
        assert sent.sent_at is not None


def test_a_message_is_sent_once_even_if_the_task_is_delivered_twice(tenant_a):
    message = email_of(make_request(tenant_a))
    assert outbox_message_send(tenant=tenant_a, message_id=message.pk) is True
    assert outbox_message_send(tenant=tenant_a, message_id=message.pk) is False
    assert len(mail.outbox) == 1


def test_a_failed_send_is_retried_later_with_the_error_kept(tenant_a, freeze):
    freeze(datetime(2026, 1, 5, 18, 0, tzinfo=UTC))
    privacy_request = make_request(tenant_a)
    message = email_of(privacy_request)
    with mock.patch("outbox.services.EmailMessage.send", side_effect=OSError("SMTP refused")):
        assert outbox_message_send(tenant=tenant_a, message_id=message.pk) is False
    failed = OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk)
    assert (failed.status, failed.attempts, failed.last_error) == ("retrying", 1, "SMTP refused")
    # Only the email-verification link (§7060), never tried: the acknowledgement is not due
    # again yet (backoff).
    assert relay_outbox() == 1
    assert [m.subject for m in mail.outbox] == [verify_email_subject(privacy_request)]
    freeze(datetime(2026, 1, 5, 18, 10, tzinfo=UTC))
    assert relay_outbox() == 1
    assert OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk).status == "sent"


def test_a_worker_cannot_send_another_business_message(tenant_a, tenant_b):
    message = email_of(make_request(tenant_a))
    assert outbox_message_send(tenant=tenant_b, message_id=message.pk) is False
    assert mail.outbox == []


def test_a_message_that_keeps_failing_is_marked_failed_for_good(tenant_a, freeze):
    start = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)
    freeze(start)
    privacy_request = make_request(tenant_a)
    message = email_of(privacy_request)
    with mock.patch("outbox.services.EmailMessage.send", side_effect=OSError("mailbox full")):
        for day in range(MAX_ATTEMPTS):
            freeze(start + timedelta(days=day))  # past every backoff
            assert outbox_message_send(tenant=tenant_a, message_id=message.pk) is False
    failed = OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk)
    assert (failed.status, failed.attempts) == ("failed", MAX_ATTEMPTS)
    assert failed.last_error == "mailbox full"
    freeze(start + timedelta(days=30))
    # Given up: never tried again. The relay sends only the email-verification link (§7060),
    # which never failed.
    assert relay_outbox() == 1
    assert [m.subject for m in mail.outbox] == [verify_email_subject(privacy_request)]
    assert OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk).status == "failed"


def test_an_email_comes_from_the_business_and_replies_reach_its_privacy_contact(tenant_a):
    tenant_a.sender_name = "ACME Privacy Team"
    tenant_a.sender_email = "privacy@acme.example"
    tenant_a.save()
    make_request(tenant_a)
    assert relay_outbox() == 2  # the acknowledgement and the email-verification link (§7060)
    assert len(mail.outbox) == 2
    for email in mail.outbox:
        assert email.from_email == "ACME Privacy Team <privacy@acme.example>"
        assert email.reply_to == [tenant_a.contact_email]


# --- Sent once, however many relays race (house-style: "a claim is exclusive only if ...") ---


def test_a_relay_that_listed_a_message_another_relay_is_sending_does_not_send_it_again(tenant_a):
    # Both relays listed the message; the second tries while the first is inside send(). With a
    # compare-and-set on (attempts, status), the second re-read the row after the first claim and
    # won its own claim: 8-20 % of a busy outbox went out twice.
    message = email_of(make_request(tenant_a))
    second_relay: list[bool] = []
    real_send = EmailMessage.send

    def send_while_another_relay_tries(self, *args, **kwargs):
        second_relay.append(outbox_message_send(tenant=tenant_a, message_id=message.pk))
        return real_send(self, *args, **kwargs)

    with mock.patch.object(EmailMessage, "send", send_while_another_relay_tries):
        assert outbox_message_send(tenant=tenant_a, message_id=message.pk) is True
    assert second_relay == [False]
    assert len(mail.outbox) == 1
    assert OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk).attempts == 1


@pytest.mark.skipif(
    not connection.features.has_select_for_update, reason="threads share one SQLite test database"
)
def test_two_relays_racing_over_the_same_messages_send_each_once(transactional_db, tenant_a):
    for n in range(40):
        make_request(tenant_a, email=f"consumer{n}@example.com")
    due = outbox_due_ids(now=clock.now())
    # Each request's acknowledgement and email-verification link (§7060).
    assert len(due) == 80
    barrier = threading.Barrier(2)
    sent_by: list[int] = []

    def relay() -> None:
        barrier.wait()  # both start with the same list, at the same moment
        try:
            for _tenant_id, message_id in due:
                sent_by.append(outbox_message_send(tenant=tenant_a, message_id=message_id))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=relay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(sent_by) == 80
    sent = [(m.to[0], m.subject) for m in mail.outbox]
    assert len(sent) == 80
    assert len(set(sent)) == 80  # zero duplicates
    assert len({recipient for recipient, _subject in sent}) == 40
    assert set(OutboxMessage.objects.for_tenant(tenant_a).values_list("status", flat=True)) == {
        "sent"
    }


def test_a_worker_killed_mid_send_leaves_its_message_to_be_sent_after_the_lease(tenant_a, freeze):
    start = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)
    freeze(start)
    privacy_request = make_request(tenant_a)
    message = email_of(privacy_request)
    with (
        mock.patch("outbox.services._deliver", side_effect=SystemExit("killed")),
        pytest.raises(SystemExit),
    ):
        outbox_message_send(tenant=tenant_a, message_id=message.pk)
    # Leased: no other relay touches it meanwhile; only the email-verification link (§7060)
    # goes out.
    assert relay_outbox() == 1
    assert [m.subject for m in mail.outbox] == [verify_email_subject(privacy_request)]
    freeze(start + CLAIM_LEASE + timedelta(seconds=1))
    assert relay_outbox() == 1
    assert [m.subject for m in mail.outbox][1:] == [acknowledgement_subject(privacy_request)]
