"""The outbox: side effects are written in the caller's transaction and leave after commit.

After commit a worker is poked to relay what is pending. The pokes are coalesced per process:
one relay run, started a moment later, sends everything committed before it, so a busy web
process publishes a few Celery messages a second rather than one per email (a publish was about
1 ms of every API request that queues an acknowledgement). If the broker or a worker is down,
nothing is lost: the periodic relay picks up whatever is still pending.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction

from core import clock
from core.fast_insert import insert_new
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
    insert_new(message)
    transaction.on_commit(outbox_relay_soon)
    return message


# A poke asks for a relay run RELAY_POKE_DELAY seconds later; until shortly before that run, a
# later commit in this process needs no poke of its own: the run will see its rows. The margin
# covers clock differences between web and worker hosts.
RELAY_POKE_DELAY = 0.25
_RELAY_POKE_MARGIN = 0.1
_relay_poke = threading.local()  # gthread workers: each thread coalesces its own pokes


def outbox_relay_soon() -> None:
    """After commit: make sure a relay run starts soon, which sends everything pending now."""
    from ..tasks import relay_outbox

    now = time.time()
    if now < getattr(_relay_poke, "runs_at", 0.0) - _RELAY_POKE_MARGIN:
        return
    try:
        relay_outbox.apply_async(countdown=RELAY_POKE_DELAY)
    except Exception:  # the broker is down: the periodic relay will send them later
        logger.warning("Outbox relay left for the periodic run", exc_info=True)
        return
    _relay_poke.runs_at = now + RELAY_POKE_DELAY


def outbox_relay_poke_forget() -> None:
    """Forget this thread's pending poke (tests: a purged broker no longer holds it)."""
    _relay_poke.runs_at = 0.0


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
