"""The outbox's write path: add messages in the caller's transaction, send them after commit.

Adding: ``outbox_email_add`` and ``outbox_webhook_add`` write one message; ``outbox_emails_add``
writes many in one INSERT (the deadline sweep's digests). Each pokes the relay after commit.
A message may carry secrets (a one-time link): they are stored encrypted and shown redacted
(``outbox.sealing``); the relay sends them, then forgets them.

The pokes are coalesced per process: one relay run, started ``RELAY_POKE_DELAY`` later, sends
everything committed before it, so a busy web process publishes a few Celery messages a second
rather than one per email (a publish is a noticeable share of an API request that queues an
acknowledgement; figures in benchmarks/README.md), and publishes them from a thread of its own,
so a committing request only sets a flag (``_RelayPoker``). If the broker or a worker is down,
nothing is lost: the periodic relay picks up whatever is still due.

Sending: ``outbox_message_send`` claims one message, exclusively, then sends it. The claim is an
UPDATE whose WHERE tests ``next_attempt_at <= now`` and which moves ``next_attempt_at`` a lease
into the future, in the same statement: a second relay that listed the same message finds it
leased (PostgreSQL re-checks the WHERE after the first claim commits; SQLite runs one writer at a
time). So a message is sent once, however many relays race. A worker killed mid-send leaves its
message leased; after the lease it is sent again, which is why every webhook carries the message
id as its idempotency key. A failed send is retried with backoff, then marked failed.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
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

from . import sealing, signing
from .models import TO_SEND, OutboxChannel, OutboxMessage, OutboxStatus, WebhookEndpoint
from .sealing import Secret

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
    # Parts of the body only the recipient may read (``outbox.sealing``).
    secrets: tuple[Secret, ...] = ()


def _email_message(email: Email, now: datetime) -> OutboxMessage:
    body, body_encrypted = sealing.seal(email.subject, email.body, email.secrets)
    return OutboxMessage(
        tenant=email.tenant,
        channel=OutboxChannel.EMAIL,
        recipient=email.recipient,
        sender=email.tenant.email_sender(),
        reply_to=email.tenant.contact_email,
        subject=email.subject[:200],
        body=body,
        body_encrypted=body_encrypted,
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
    secrets: Sequence[Secret] = (),
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue one email from the business in the current transaction; it leaves after commit.

    It comes from the business's sender and answers go to its privacy contact
    (``Tenant.email_sender``, ``Tenant.contact_email``). ``secrets`` (a one-time link in
    ``body``) are sent but never shown: the stored body has them redacted (``outbox.sealing``).
    """
    now = now or clock.now()
    message = _email_message(
        Email(tenant, recipient, subject, body, dedupe_key, about_key, about_label, tuple(secrets)),
        now,
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
    secrets: Sequence[Secret] = (),
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue one signed JSON POST to ``endpoint`` in the current transaction.

    The body is fixed now, as it will be signed and sent: ``{"event", "business", "created_at",
    "data"}``; ``secrets`` among the payload's values (a download link) are sent but shown
    redacted, like an email's. Refused for another business's endpoint or an inactive one.
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
    body, body_encrypted = sealing.seal(event, body, secrets)
    message = OutboxMessage(
        tenant=tenant,
        channel=OutboxChannel.WEBHOOK,
        endpoint=endpoint,
        recipient=endpoint.url,
        subject=event[:200],
        body=body,
        body_encrypted=body_encrypted,
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
# After a failed publish (the broker is down), pokes are skipped this long: one warning and one
# connection attempt per pause, not one per commit; beat's periodic relay sends what they left.
RELAY_POKE_PAUSE_AFTER_FAILURE = 2.0


class _RelayPoker:
    """The process's one publisher of relay runs: a daemon thread, woken when a commit needs a
    run that is not already asked for.

    The committing thread only reads ``runs_at`` and, at most a few times a second, sets a flag
    under a lock the poker never holds while publishing; the Celery publish (a millisecond or
    two) happens on the poker's thread. Every poke is answered by a run that starts after it: the
    poker takes the time *after* taking the flag, and publishes a run ``RELAY_POKE_DELAY`` after
    that time, so a commit that set the flag before is covered, and one that sets it again while
    the poker publishes makes it go round once more (then skipped if the new run covers it).

    The thread is started by the first poke of each process: one made before a fork does not
    exist in the child (gunicorn's workers, Celery's prefork pool), so the child's state is reset
    at the fork (``os.register_at_fork``) and its own first poke starts its own thread. At exit, a
    poke still waiting is published by the exiting thread. Whatever is lost anyway (a broker
    outage, a process killed between commit and publish) the periodic relay sends.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """A fresh state; in a forked child, the parent's thread is not there and its lock may
        have been held at the fork."""
        self.runs_at = 0.0  # when the last run asked for starts (time.time())
        self._condition = threading.Condition()
        self._wanted = False  # a poke waits for the poker
        self._busy = False  # the poker is publishing
        self._thread: threading.Thread | None = None

    def poke(self) -> None:
        if time.time() < self.runs_at - _RELAY_POKE_MARGIN:
            return  # the run already asked for starts after this commit
        with self._condition:
            thread = self._thread
            if thread is None or not thread.is_alive():
                thread = self._thread = threading.Thread(
                    target=self._serve, name="outbox-relay-poker", daemon=True
                )
                thread.start()
            self._wanted = True
            self._condition.notify()

    def _serve(self) -> None:
        condition = self._condition
        while True:
            with condition:
                while not self._wanted:
                    condition.wait()
                self._wanted = False
                self._busy = True
            try:
                self.publish()
            finally:
                with condition:
                    self._busy = False
                    condition.notify_all()

    def publish(self) -> None:
        """Ask for a relay run RELAY_POKE_DELAY from now, unless one already covers now."""
        from .tasks import relay_outbox  # the tasks module imports this one

        now = time.time()
        if now < self.runs_at - _RELAY_POKE_MARGIN:
            return
        try:
            relay_outbox.apply_async(countdown=RELAY_POKE_DELAY)
        except Exception as error:  # the broker is down: the periodic relay sends them later
            logger.warning("Outbox relay left for the periodic run: %s", error)
            self.runs_at = max(self.runs_at, now + RELAY_POKE_PAUSE_AFTER_FAILURE)
            return
        self.runs_at = max(self.runs_at, now + RELAY_POKE_DELAY)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no poke is waiting or being published; False on timeout."""
        with self._condition:
            return self._condition.wait_for(lambda: not (self._wanted or self._busy), timeout)

    def publish_waiting(self) -> None:
        """At exit: publish a poke the poker has not taken yet, from this thread."""
        with self._condition:
            wanted, self._wanted = self._wanted, False
        if wanted:
            self.publish()


_poker = _RelayPoker()
os.register_at_fork(after_in_child=_poker.reset)
atexit.register(_poker.publish_waiting)


def outbox_relay_soon() -> None:
    """After commit: make sure a relay run starts soon, which sends everything pending now."""
    _poker.poke()


def outbox_relay_pokes_wait(timeout: float = 5.0) -> bool:
    """Wait until this process's pokes are published (tests); False on timeout."""
    return _poker.wait_idle(timeout)


def outbox_relay_poke_forget() -> None:
    """Forget the process's pending run (tests: a purged broker no longer holds it)."""
    _poker.wait_idle(5.0)
    _poker.runs_at = 0.0


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
        # A retry sends the secrets again; a message given up needs them no more.
        forget = {"body_encrypted": ""} if final else {}
        mine.update(
            status=OutboxStatus.FAILED if final else OutboxStatus.RETRYING,
            last_error=str(error)[:2000],
            next_attempt_at=clock.now() + _backoff(message.attempts),
            **forget,
        )
        logger.warning(
            "Outbox message %s (business %s) attempt %s failed: %s",
            message.pk,
            tenant.pk,
            message.attempts,
            error,
        )
        return False
    # Sent: the recipient has the secrets; nobody else needs them, encrypted or not.
    mine.update(status=OutboxStatus.SENT, sent_at=clock.now(), last_error="", body_encrypted="")
    return True


def _body_to_send(message: OutboxMessage) -> str:
    try:
        return sealing.unseal(message.body, message.body_encrypted)
    except encryption.Unreadable as error:
        # Never the redacted body instead: a link the recipient cannot use is no message.
        raise DeliveryFailed(
            "The message's secret part cannot be decrypted with the configured keys "
            "(PORTAL_DOCUMENT_KEYS)."
        ) from error


def _deliver(message: OutboxMessage) -> None:
    if message.channel == OutboxChannel.WEBHOOK:
        _post_webhook(message)
        return
    body = _body_to_send(message)
    try:
        EmailMessage(
            subject=message.subject,
            body=body,
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
    try:
        answer = webhook_signed_post(
            url=message.recipient,
            endpoint=endpoint,
            body=_body_to_send(message).encode(),
            event=message.subject,
            idempotency_key=str(message.pk),
            timeout=settings.OUTBOX_WEBHOOK_TIMEOUT,
        )
    except WebhookUnreachable as error:
        raise DeliveryFailed(f"The endpoint could not be reached: {error.reason}.") from error
    if not 200 <= answer.status < 300:
        raise DeliveryFailed(f"The endpoint answered HTTP {answer.status}.")


@dataclass(frozen=True)
class WebhookAnswer:
    """What an endpoint answered: its HTTP status and (when asked for) the start of its body."""

    status: int
    body: bytes = b""


class WebhookUnreachable(Exception):
    """No HTTP answer: the endpoint could not be reached, or did not answer in time."""

    def __init__(self, reason: object, *, timed_out: bool) -> None:
        super().__init__(str(reason))
        self.reason = reason
        self.timed_out = timed_out


def webhook_signed_post(
    *,
    url: str,
    endpoint: WebhookEndpoint,
    body: bytes,
    event: str,
    idempotency_key: str,
    timeout: float,
    answer_limit: int = 0,
) -> WebhookAnswer:
    """POST ``body`` to ``url``, signed with ``endpoint``'s secret (``outbox.signing``), without
    following redirects. Any HTTP answer is returned (with up to ``answer_limit`` bytes of its
    body); no answer at all raises ``WebhookUnreachable``. Used by the relay and by callers that
    need the answer (verification asks a business's system which data points match)."""
    secret = webhook_endpoint_secret(endpoint)
    request = urllib.request.Request(  # noqa: S310 - http(s) only: checked at creation
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": WEBHOOK_USER_AGENT,
            signing.SIGNATURE_HEADER: signing.sign(secret, int(clock.now().timestamp()), body),
            signing.IDEMPOTENCY_HEADER: idempotency_key,
            signing.EVENT_HEADER: event,
        },
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            return WebhookAnswer(
                response.status, response.read(answer_limit) if answer_limit else b""
            )
    except urllib.error.HTTPError as error:
        return WebhookAnswer(error.code)
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        timed_out = isinstance(error, TimeoutError) or isinstance(reason, TimeoutError)
        raise WebhookUnreachable(reason, timed_out=timed_out) from error


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
