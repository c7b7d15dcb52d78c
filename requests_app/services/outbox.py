"""The outbox: side effects are written in the caller's transaction and leave after commit.

If the broker or a worker is down, nothing is lost: the periodic relay picks up whatever is
still pending.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction

from privacyportal import clock
from tenants.models import Tenant

from ..models import Communication, OutboxMessage, OutboxStatus, PrivacyRequest

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def outbox_email_add(
    *,
    tenant: Tenant,
    recipient: str,
    subject: str,
    body: str,
    dedupe_key: str,
    privacy_request: PrivacyRequest | None = None,
    communication: Communication | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue one email in the current transaction; it is handed to a worker after commit."""
    now = now or clock.now()
    message = OutboxMessage(
        tenant=tenant,
        privacy_request=privacy_request,
        communication=communication,
        recipient=recipient,
        subject=subject[:200],
        body=body,
        dedupe_key=dedupe_key,
        created_at=now,
        next_attempt_at=now,
    )
    message.save()
    transaction.on_commit(lambda: _hand_to_worker(tenant.pk, message.pk))
    return message


def _hand_to_worker(tenant_id: int, message_id: int) -> None:
    from ..tasks import relay_outbox_message

    try:
        relay_outbox_message.delay(tenant_id, message_id)
    except Exception:  # the broker is down: the periodic relay will send it later
        logger.warning("Outbox message %s left for the periodic relay", message_id, exc_info=True)


def outbox_relay_soon() -> None:
    """Ask a worker to relay everything pending now (used after writing many messages at once)."""
    from ..tasks import relay_outbox

    try:
        relay_outbox.delay()
    except Exception:  # the broker is down: the periodic relay will send them later
        logger.warning("Outbox relay left for the periodic run", exc_info=True)


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2**attempts, 24 * 60))


def outbox_message_send(*, tenant: Tenant, message_id: int) -> bool:
    """Send one queued email. Idempotent: a sent message is never sent again.

    The claim is a compare-and-set UPDATE on ``attempts`` (portable to SQLite; no row locks),
    so two workers racing for the same message cannot both send it.
    """
    now = clock.now()
    message = (
        OutboxMessage.objects.for_tenant(tenant)
        .filter(pk=message_id, status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED])
        .first()
    )
    if message is None:
        return False
    claimed = (
        OutboxMessage.objects.for_tenant(tenant)
        .filter(pk=message.pk, attempts=message.attempts, status=message.status)
        .update(attempts=message.attempts + 1, next_attempt_at=now + _backoff(message.attempts + 1))
    )
    if claimed != 1:
        return False  # another worker got there first
    try:
        EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
        ).send()
    except Exception as error:
        status = OutboxStatus.DEAD if message.attempts + 1 >= MAX_ATTEMPTS else OutboxStatus.FAILED
        OutboxMessage.objects.for_tenant(tenant).filter(pk=message.pk).update(
            status=status, last_error=str(error)[:2000]
        )
        logger.warning("Sending outbox message %s failed: %s", message.pk, error)
        return False
    OutboxMessage.objects.for_tenant(tenant).filter(pk=message.pk).update(
        status=OutboxStatus.SENT, sent_at=clock.now(), last_error=""
    )
    return True


def outbox_due_ids(*, now: datetime, limit: int = 500) -> list[tuple[int, int]]:
    """(tenant_id, message_id) of emails still to send, across tenants.

    Allow-listed cross-tenant read: the relay works for every tenant and hands each message on
    with its tenant id.
    """
    return list(
        OutboxMessage.all_tenants.filter(
            status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("tenant_id", "pk")[:limit]
    )
