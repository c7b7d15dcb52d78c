"""The outbox's write path: add messages in the caller's transaction, send them after commit.

Adding: ``outbox_email_add`` and ``outbox_webhook_add`` write one message; ``outbox_emails_add``
writes many in one INSERT (the deadline sweep's digests). Each pokes the relay after commit.

The pokes are coalesced per thread: one relay run, started ``RELAY_POKE_DELAY`` later, sends
everything committed before it, so a busy web process publishes a few Celery messages a second
rather than one per email (a publish is a noticeable share of an API request that queues an
acknowledgement; figures in benchmarks/README.md). If the broker or a worker is down, nothing is lost: the periodic relay picks up
whatever is still due.

Sending: ``outbox_message_send`` claims one message, exclusively, then sends it. The claim is an
UPDATE whose WHERE tests ``next_attempt_at <= now`` and which moves ``next_attempt_at`` a lease
into the future, in the same statement: a second relay that listed the same message finds it
leased (PostgreSQL re-checks the WHERE after the first claim commits; SQLite runs one writer at a
time). So a message is sent once, however many relays race. A worker killed mid-send leaves its
message leased; after the lease it is sent again, which is why every webhook carries the message
id as its idempotency key. A failed send is retried with backoff, then marked failed.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F

from core import clock, encryption
from core.fast_insert import insert_new
from core.refusals import Refused
from core.tokens import token_new
from tenants.models import Tenant

from . import signing
from .models import TO_SEND, OutboxChannel, OutboxMessage, OutboxStatus, WebhookEndpoint

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# How long a claimed message is out of other relays' reach while it is being sent: longer than
# any send can take (the webhook timeout, an SMTP conversation).
CLAIM_LEASE = timedelta(minutes=5)
WEBHOOK_USER_AGENT = "privacy-portal-outbox/1"


@dataclass(frozen=True)
class Email:
    """One email to add with ``outbox_emails_add``."""

    tenant: Tenant
    recipient: str
    subject: str
    body: str
    dedupe_key: str
    about_key: str = ""
    about_label: str = ""


def _email_message(email: Email, now: datetime) -> OutboxMessage:
    return OutboxMessage(
        tenant=email.tenant,
        channel=OutboxChannel.EMAIL,
        recipient=email.recipient,
        sender=email.tenant.email_sender(),
        reply_to=email.tenant.contact_email,
        subject=email.subject[:200],
        body=email.body,
        about_key=email.about_key,
        about_label=email.about_label,
        dedupe_key=email.dedupe_key[:160],
        created_at=now,
        next_attempt_at=now,
    )


def outbox_email_add(
    *,
    tenant: Tenant,
    recipient: str,
    subject: str,
    body: str,
    dedupe_key: str,
    about_key: str = "",
    about_label: str = "",
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue one email from the business in the current transaction; it leaves after commit.

    It comes from the business's sender and answers go to its privacy contact
    (``Tenant.email_sender``, ``Tenant.contact_email``).
    """
    now = now or clock.now()
    message = _email_message(
        Email(tenant, recipient, subject, body, dedupe_key, about_key, about_label), now
    )
    insert_new(message)  # on the intake path: see core.fast_insert
    transaction.on_commit(outbox_relay_soon)
    return message


def outbox_emails_add(*, emails: Sequence[Email], now: datetime | None = None) -> int:
    """Queue many emails (any businesses) in one INSERT and one relay poke; returns how many."""
    if not emails:
        return 0
    now = now or clock.now()
    # Cross-tenant on purpose: each row carries its own email's business.
    OutboxMessage.all_tenants.bulk_create(
        [_email_message(email, now) for email in emails], batch_size=500
    )
    transaction.on_commit(outbox_relay_soon)
    return len(emails)


def outbox_webhook_add(
    *,
    tenant: Tenant,
    endpoint: WebhookEndpoint,
    event: str,
    payload: dict[str, Any],
    dedupe_key: str,
    about_key: str = "",
    about_label: str = "",
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue one signed JSON POST to ``endpoint`` in the current transaction.

    The body is fixed now, as it will be signed and sent: ``{"event", "business", "created_at",
    "data"}``. Refused for another business's endpoint or an inactive one.
    """
    if endpoint.tenant_id != tenant.pk:
        raise Refused("endpoint_not_found", "That webhook endpoint belongs to another business.")
    if not endpoint.active:
        raise Refused(
            "endpoint_inactive",
            f"The webhook endpoint {endpoint.name} is turned off; turn it on or choose another.",
            conflict=True,
        )
    now = now or clock.now()
    body = json.dumps(
        {"event": event, "business": tenant.slug, "created_at": now.isoformat(), "data": payload},
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
        sort_keys=True,
    )
    message = OutboxMessage(
        tenant=tenant,
        channel=OutboxChannel.WEBHOOK,
        endpoint=endpoint,
        recipient=endpoint.url,
        subject=event[:200],
        body=body,
        about_key=about_key,
        about_label=about_label,
        dedupe_key=dedupe_key[:160],
        created_at=now,
        next_attempt_at=now,
    )
    message.full_clean()
    message.save()
    transaction.on_commit(outbox_relay_soon)
    return message


# --- Relay pokes -------------------------------------------------------------------------------

# A poke asks for a relay run RELAY_POKE_DELAY seconds later; until shortly before that run, a
# later commit in this process needs no poke of its own: the run will see its rows. The margin
# covers clock differences between web and worker hosts.
RELAY_POKE_DELAY = 0.25
_RELAY_POKE_MARGIN = 0.1
_relay_poke = threading.local()  # gthread workers: each thread coalesces its own pokes


def outbox_relay_soon() -> None:
    """After commit: make sure a relay run starts soon, which sends everything pending now."""
    from .tasks import relay_outbox  # the tasks module imports this one

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


# --- Sending -----------------------------------------------------------------------------------


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2**attempts, 24 * 60))


class DeliveryFailed(Exception):
    """The message could not be delivered this time; the text says why, for staff."""


def outbox_message_send(*, tenant: Tenant, message_id: int) -> bool:
    """Claim one of ``tenant``'s due messages and send it; True if it was sent now.

    False when it is not due, already sent, failed for good, claimed by another relay, another
    business's, or when this attempt failed (then it is retried later, or marked failed after
    ``MAX_ATTEMPTS``).
    """
    now = clock.now()
    messages = OutboxMessage.objects.for_tenant(tenant)
    claimed = messages.filter(pk=message_id, status__in=TO_SEND, next_attempt_at__lte=now).update(
        attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE
    )
    if claimed != 1:
        return False  # not due, or another relay holds it
    message = messages.select_related("endpoint").get(pk=message_id)
    mine = messages.filter(pk=message.pk, attempts=message.attempts)
    try:
        _deliver(message)
    except DeliveryFailed as error:
        final = message.attempts >= MAX_ATTEMPTS
        mine.update(
            status=OutboxStatus.FAILED if final else OutboxStatus.RETRYING,
            last_error=str(error)[:2000],
            next_attempt_at=clock.now() + _backoff(message.attempts),
        )
        logger.warning(
            "Outbox message %s (business %s) attempt %s failed: %s",
            message.pk,
            tenant.pk,
            message.attempts,
            error,
        )
        return False
    mine.update(status=OutboxStatus.SENT, sent_at=clock.now(), last_error="")
    return True


def _deliver(message: OutboxMessage) -> None:
    if message.channel == OutboxChannel.WEBHOOK:
        _post_webhook(message)
        return
    try:
        EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=message.sender or settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            reply_to=[message.reply_to] if message.reply_to else None,
        ).send()
    except Exception as error:  # SMTP and socket errors alike: retried later
        raise DeliveryFailed(str(error) or error.__class__.__name__) from error


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A webhook goes to the URL the business registered, never where a redirect points.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post_webhook(message: OutboxMessage) -> None:
    endpoint = message.endpoint
    if endpoint is None or not endpoint.active:
        raise DeliveryFailed("The webhook endpoint was turned off.")
    body = message.body.encode()
    secret = webhook_endpoint_secret(endpoint)
    request = urllib.request.Request(  # noqa: S310 - http(s) only: checked at creation
        message.recipient,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": WEBHOOK_USER_AGENT,
            signing.SIGNATURE_HEADER: signing.sign(secret, int(clock.now().timestamp()), body),
            signing.IDEMPOTENCY_HEADER: str(message.pk),
            signing.EVENT_HEADER: message.subject,
        },
    )
    try:
        with _opener.open(request, timeout=settings.OUTBOX_WEBHOOK_TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        raise DeliveryFailed(f"The endpoint answered HTTP {error.code}.") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryFailed(f"The endpoint could not be reached: {reason}.") from error
    if not 200 <= status < 300:
        raise DeliveryFailed(f"The endpoint answered HTTP {status}.")


def outbox_due_ids(*, now: datetime, limit: int = 500) -> list[tuple[int, int]]:
    """(tenant_id, message_id) of messages due to be sent, across businesses, oldest due first.

    Allow-listed cross-tenant read: the relay works for every business and hands each message
    on with its business's id.
    """
    return list(
        OutboxMessage.all_tenants.filter(status__in=TO_SEND, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("tenant_id", "pk")[:limit]
    )


# --- Webhook endpoints -------------------------------------------------------------------------


def webhook_url_check(url: str) -> None:
    """Refuse an address webhooks cannot go to (not http(s); plain http outside the demo)."""
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError as error:
        raise Refused("invalid_url", "Enter a full web address, e.g. https://...", "url") from error
    if url.startswith("http://") and not settings.OUTBOX_WEBHOOK_ALLOW_HTTP:
        raise Refused(
            "https_required",
            "Webhooks carry personal information: the address must start with https://.",
            "url",
        )


@transaction.atomic
def webhook_endpoint_create(*, tenant: Tenant, name: str, url: str) -> tuple[WebhookEndpoint, str]:
    """Register a URL to send signed webhooks to; returns it and its secret, shown this once."""
    url = url.strip()
    webhook_url_check(url)
    secret, _ = token_new()
    secret = "whsec_" + secret
    endpoint = WebhookEndpoint(
        tenant=tenant,
        name=name.strip() or "Webhook",
        url=url,
        secret_encrypted=encryption.encrypt(secret.encode()).decode(),
        secret_hint=secret[:10],
        created_at=clock.now(),
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint, secret


def webhook_endpoint_update(*, endpoint: WebhookEndpoint, name: str, active: bool) -> None:
    """Rename an endpoint, or turn it off (its queued messages then fail) or on again."""
    endpoint.name = name.strip() or endpoint.name
    endpoint.active = active
    endpoint.full_clean()
    endpoint.save(update_fields=["name", "active"])


def webhook_endpoint_secret(endpoint: WebhookEndpoint) -> str:
    """The endpoint's signing secret, decrypted (for signing only; never shown again)."""
    return encryption.decrypt(endpoint.secret_encrypted.encode()).decode()
