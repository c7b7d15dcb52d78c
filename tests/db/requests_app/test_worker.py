"""A real Celery worker against Redis relays the outbox after commit (architecture.md "Reliability")."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.core import mail

from outbox.models import OutboxMessage
from privacyportal.celery import app
from tests.factories import make_request

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not django_settings.CELERY_BROKER_URL.startswith("redis://"),
        reason="needs REDIS_URL (make test sets it): this test runs a real worker on Redis",
    ),
]


def _wait_for(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_worker_on_redis_sends_the_acknowledgement_after_commit(
    transactional_db, tenant_a, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    app.control.purge()  # leftovers of other tests must not reach this worker
    with start_worker(
        app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=10
    ):
        privacy_request = make_request(tenant_a)  # commits: on_commit hands the message to Redis
        # Intake wrote two emails: the acknowledgement and the email-verification link (§7060).
        messages = OutboxMessage.objects.for_tenant(tenant_a)
        sent = _wait_for(
            lambda: list(messages.values_list("status", flat=True)) == ["sent", "sent"]
        )
    assert sent, "the worker did not send the acknowledgement and the link within 20 s"
    assert sorted(m.subject for m in mail.outbox) == [
        f"Confirm your email address for your privacy request {privacy_request.reference}",
        f"We received your privacy request {privacy_request.reference}",
    ]
