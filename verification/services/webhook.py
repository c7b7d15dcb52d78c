"""Asking the business's own system which data points match (§7060(c)(1)): a signed webhook.

When the business's ``VerificationPolicy.webhook_endpoint`` is set, ``verification_submit``
calls ``webhook_match_ask``: the values the consumer gave are kept encrypted on the verification
(only while the question is open, §7060(d)), the verification waits (``CHECKING``), and after
commit a task (``verification.tasks.webhook_match``) POSTs

    {"event": "verification.match", "reference": "...", "request_type": "...",
     "data_points": {"phone": "...", "name": "..."}}

to the endpoint, signed exactly as the outbox signs its webhooks (``outbox.signing``, header
``Privacy-Portal-Signature``; ``outbox.services.webhook_signed_post``). The system answers
``{"matches": {"phone": true, "name": false, "postal_address": "not_held"}}`` (``null`` is also
"not held"). Each answer is recorded as a check (never the value), the values are deleted, and
the verification is evaluated.

No answer in time, a connection error, an answer other than 2xx, or JSON of another shape never
counts as a match: the verification says why (``matcher_error``) and the question is asked again
with backoff (``RETRY_MINUTES``), up to ``MAX_ATTEMPTS`` tries; then it stays failed, with the
reason shown, until staff try again (``webhook_match_retry``).

Each try is claimed by a compare-and-set ``UPDATE`` on ``matcher_attempts`` (the task carries
the count it expects): a redelivered or duplicate task, or one scheduled before an answer came,
finds nothing to claim and does nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from core import clock, encryption
from core.refusals import Refused
from outbox.services import WebhookUnreachable, webhook_signed_post
from requests_app.models import EventKind
from requests_app.services.timeline import timeline_add
from tenants.models import Tenant

from .. import degrees
from ..models import CheckSource, MatcherState, Verification, VerificationStatus
from . import records
from .policies import verification_policy

logger = logging.getLogger(__name__)

EVENT = "verification.match"
MAX_ATTEMPTS = 8
# Minutes to wait after the 1st, 2nd, ... failed try before the next one (about 19 hours in all).
RETRY_MINUTES = (1, 5, 15, 60, 120, 360, 600)
# More than any honest answer needs: a handful of booleans.
ANSWER_LIMIT_BYTES = 64 * 1024

ANSWER_WORDS = {
    degrees.MATCHED: "matched",
    degrees.NOT_MATCHED: "did not match",
    degrees.NOT_HELD: "nothing held",
}


class BadAnswer(Exception):
    """The business's system answered, but not with the JSON expected."""


def retry_delay(attempts: int) -> timedelta | None:
    """How long after the ``attempts``-th failed try to try again; None: no more tries."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return timedelta(minutes=RETRY_MINUTES[min(attempts, len(RETRY_MINUTES)) - 1])


def answer_results(body: bytes, asked: Mapping[str, str]) -> dict[str, str]:
    """The result of each data point asked about, from the system's answer. Strict: anything but
    ``true`` is never a match; a value of another kind makes the whole answer unusable (no
    guessing). Points not asked about are ignored; points left out stay unanswered."""
    try:
        answer = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadAnswer from error
    matches = answer.get("matches") if isinstance(answer, dict) else None
    if not isinstance(matches, dict):
        raise BadAnswer
    results = {}
    for point, value in matches.items():
        if point not in asked:
            continue
        if value is True:
            results[point] = degrees.MATCHED
        elif value is False:
            results[point] = degrees.NOT_MATCHED
        elif value is None or value == "not_held":
            results[point] = degrees.NOT_HELD
        else:
            raise BadAnswer
    return results


# --- Asking -----------------------------------------------------------------------------------


def webhook_match_ask(
    *, verification: Verification, values: Mapping[str, str], now: datetime
) -> None:
    """Keep the values (encrypted) and ask the business's system after commit. Values still
    waiting from an earlier submission are asked again with these. Call inside a transaction,
    with the verification locked (``records._for_update``)."""
    pending = records.pending_values_read(verification)
    pending.update(
        {point: value for point, value in values.items() if point in degrees.DATA_POINTS}
    )
    records.pending_values_store(verification, pending)
    verification.matcher_state = MatcherState.WAITING
    verification.matcher_error = ""
    verification.matcher_attempts = 0  # a new question: older scheduled tries no longer claim
    fields = ["pending_values_encrypted", "matcher_state", "matcher_error", "matcher_attempts"]
    if verification.status == VerificationStatus.PENDING:
        verification.status = VerificationStatus.CHECKING
        fields.append("status")
    verification.updated_at = now
    verification.save(update_fields=[*fields, "updated_at"])
    timeline_add(
        verification.privacy_request,
        kind=EventKind.NOTE,
        at=now,
        label=records.VERIFICATION_ACTOR,
        message="The business's own system is to be asked whether "
        + _points_words(pending)
        + " match its records (nothing is counted until it answers).",
    )
    _queue_after_commit(verification, attempt=0, delay=None)


def _points_words(points: Mapping[str, object] | list[str]) -> str:
    return ", ".join(point.replace("_", " ") for point in points) or "nothing"


def _queue_after_commit(verification: Verification, *, attempt: int, delay: timedelta | None):
    tenant_id, verification_id = verification.tenant_id, verification.pk
    # If the task is lost (the broker down, a worker gone), the catch-up asks again after this.
    Verification.objects.for_tenant(verification.tenant).filter(pk=verification_id).update(
        matcher_next_at=clock.now() + (delay or timedelta()) + CATCH_UP_GRACE
    )

    def queue() -> None:
        from ..tasks import webhook_match  # tasks import this module

        try:
            webhook_match.apply_async(
                (tenant_id, verification_id, attempt),
                countdown=delay.total_seconds() if delay else None,
            )
        except Exception:  # the broker is down: staff see the verification waiting and retry
            logger.exception(
                "Verification %s (business %s): could not queue the webhook match",
                verification_id,
                tenant_id,
            )

    transaction.on_commit(queue)


# --- One try ----------------------------------------------------------------------------------


def webhook_match_send(*, tenant: Tenant, verification_id: int, attempt: int) -> bool:
    """Try once to ask the business's system; True if it answered and the answer was recorded.

    ``attempt`` is the count of tries the caller expects done: the claim moves it on by one in
    the same statement that tests it, so only one of several copies of a task ever asks."""
    scoped = Verification.objects.for_tenant(tenant)
    claimed = scoped.filter(
        pk=verification_id,
        matcher_state__in=[MatcherState.WAITING, MatcherState.FAILED],
        matcher_attempts=attempt,
    ).update(matcher_attempts=attempt + 1, matcher_state=MatcherState.WAITING)
    if claimed != 1:
        return False  # answered already, asked by another copy, or asked again since
    verification = scoped.select_related("privacy_request").get(pk=verification_id)
    if not verification.is_open:
        with transaction.atomic():
            verification = records._for_update(verification)
            _forget(verification, clock.now())
        return False
    policy = verification_policy(tenant)
    endpoint = policy.webhook_endpoint
    asked: dict[str, str] = {}
    results: dict[str, str] | None = None
    try:
        try:
            asked = records.pending_values_read(verification)
        except encryption.Unreadable as error:
            raise BadAnswer(
                "The data points waiting cannot be decrypted with the configured keys "
                "(PORTAL_DOCUMENT_KEYS); ask the consumer to give them again."
            ) from error
        if endpoint is None or not endpoint.active:
            raise BadAnswer("The business's webhook endpoint is not set up or is turned off.")
        body = json.dumps(
            {
                "event": EVENT,
                "reference": verification.privacy_request.reference,
                "request_type": verification.privacy_request.request_type,
                "data_points": asked,
            }
        ).encode()
        answer = webhook_signed_post(
            url=endpoint.url,
            endpoint=endpoint,
            body=body,
            event=EVENT,
            idempotency_key=f"{EVENT}:{verification.pk}:{attempt + 1}",
            timeout=policy.webhook_timeout_seconds,
            answer_limit=ANSWER_LIMIT_BYTES,
        )
        if not 200 <= answer.status < 300:
            raise BadAnswer(f"The business's system answered {answer.status}.")
        results = answer_results(answer.body, asked)
        reason = ""
    except WebhookUnreachable as error:
        reason = (
            f"The business's system did not answer within {policy.webhook_timeout_seconds} "
            f"second{'s' if policy.webhook_timeout_seconds != 1 else ''}."
            if error.timed_out
            else f"The business's system could not be reached: {error.reason}."
        )
    except BadAnswer as error:
        reason = (
            str(error)
            if error.args
            else "The business's system answered with something that is not the expected JSON."
        )
    with transaction.atomic():
        verification = records._for_update(verification)
        if verification.matcher_attempts != attempt + 1 or not verification.is_open:
            return False  # asked again meanwhile (a newer try will ask everything) or closed
        now = clock.now()
        if results is None:
            _failed(verification, reason, now)
            return False
        _answered(verification, asked, results, now)
        return True


def _answered(
    verification: Verification, asked: Mapping[str, str], results: Mapping[str, str], now: datetime
) -> None:
    records.checks_record(verification, results, source=CheckSource.WEBHOOK, now=now)
    verification.pending_values_encrypted = ""
    verification.matcher_state = MatcherState.IDLE
    verification.matcher_error = ""
    if verification.status == VerificationStatus.CHECKING:
        verification.status = VerificationStatus.PENDING
    verification.updated_at = now
    verification.save(
        update_fields=[
            "pending_values_encrypted",
            "matcher_state",
            "matcher_error",
            "status",
            "updated_at",
        ]
    )
    said = "; ".join(
        f"{point.replace('_', ' ')}: {ANSWER_WORDS[result]}" for point, result in results.items()
    )
    unanswered = [point for point in asked if point not in results]
    message = f"The business's own system answered: {said or 'nothing'}."
    if unanswered:
        message += f" No answer for {_points_words(unanswered)} (not counted)."
    timeline_add(
        verification.privacy_request,
        kind=EventKind.NOTE,
        at=now,
        label=records.VERIFICATION_ACTOR,
        message=message,
    )
    records.verification_evaluate(verification=verification, now=now)


def _failed(verification: Verification, reason: str, now: datetime) -> None:
    delay = retry_delay(verification.matcher_attempts)
    verification.matcher_state = MatcherState.FAILED
    if delay is None:
        error = (
            f"{reason} Gave up after {verification.matcher_attempts} tries; staff can try again."
        )
        # Nobody is waiting for an answer any more: the consumer may verify another way.
        if verification.status == VerificationStatus.CHECKING:
            verification.status = VerificationStatus.PENDING
        message = (
            f"The business's own system did not give a usable answer: {reason} Nothing was "
            f"counted as matched. Gave up after {verification.matcher_attempts} tries; staff "
            "can try again."
        )
    else:
        error = reason
        message = (
            f"The business's own system did not give a usable answer: {reason} Nothing was "
            f"counted as matched; trying again in {_delay_words(delay)}."
        )
    verification.matcher_error = error
    verification.updated_at = now
    verification.save(update_fields=["matcher_state", "matcher_error", "status", "updated_at"])
    timeline_add(
        verification.privacy_request,
        kind=EventKind.NOTE,
        at=now,
        label=records.VERIFICATION_ACTOR,
        message=message,
    )
    if delay is not None:
        _queue_after_commit(verification, attempt=verification.matcher_attempts, delay=delay)


def _delay_words(delay: timedelta) -> str:
    minutes = int(delay.total_seconds() // 60)
    if minutes % 60 == 0 and minutes >= 60:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _forget(verification: Verification, now: datetime) -> None:
    """A closed or verified request needs no answer: its values are deleted, unasked."""
    if verification.pending_values_encrypted:
        timeline_add(
            verification.privacy_request,
            kind=EventKind.NOTE,
            at=now,
            label=records.VERIFICATION_ACTOR,
            message="The business's own system was not asked: the request no longer needed "
            "verifying. The data points waiting for it were deleted (§7060(d)).",
        )
    if verification.pending_values_encrypted or verification.matcher_state != MatcherState.IDLE:
        verification.pending_values_encrypted = ""
        verification.matcher_state = MatcherState.IDLE
        verification.updated_at = now
        verification.save(update_fields=["pending_values_encrypted", "matcher_state", "updated_at"])


# --- Staff ------------------------------------------------------------------------------------


@transaction.atomic
def webhook_match_retry(*, verification: Verification, actor: AbstractBaseUser) -> None:
    """Staff ask the business's system again, now, after it failed (or seems stuck)."""
    verification = records._for_update(verification)
    if not verification.is_open:
        raise Refused(
            "verification_closed", "This request no longer needs verifying.", conflict=True
        )
    if verification.matcher_state == MatcherState.IDLE or not verification.pending_values_encrypted:
        raise Refused(
            "nothing_to_ask",
            "There is no question waiting for the business's system: the consumer's data points "
            "were answered already, or none were given.",
            conflict=True,
        )
    try:
        records.pending_values_read(verification)
    except encryption.Unreadable as error:
        raise Refused(
            "values_unreadable",
            "The data points waiting cannot be decrypted with the configured keys "
            "(PORTAL_DOCUMENT_KEYS); ask the consumer to give them again.",
            conflict=True,
        ) from error
    now = clock.now()
    verification.matcher_state = MatcherState.WAITING
    verification.matcher_error = ""
    verification.matcher_attempts = 0
    fields = ["matcher_state", "matcher_error", "matcher_attempts", "updated_at"]
    if verification.status == VerificationStatus.PENDING:
        verification.status = VerificationStatus.CHECKING
        fields.append("status")
    verification.updated_at = now
    verification.save(update_fields=fields)
    timeline_add(
        verification.privacy_request,
        kind=EventKind.NOTE,
        at=now,
        label=records.VERIFICATION_ACTOR,
        message=f"{actor.get_username()} asked the business's own system again.",
    )
    _queue_after_commit(verification, attempt=0, delay=None)


# --- Catch-up ----------------------------------------------------------------------------------

# How late a queued question may be before the catch-up asks it again.
CATCH_UP_GRACE = timedelta(minutes=5)


def webhook_match_catch_up(*, now: datetime | None = None, limit: int = 500) -> int:
    """Queue again every question to a business's system that should have been asked by now
    (its task lost: the broker was down, a worker was killed); clear the rest. Reads only the
    rows whose ``matcher_next_at`` has passed (an index of its own). A copy queued twice asks
    once: ``webhook_match_send`` claims each try. Returns how many were queued again."""
    now = now or clock.now()
    # Reviewed cross-tenant read (tests/unit/test_scope_escape_hatches.py): each row is then
    # handled within its own business.
    due = list(
        Verification.all_tenants.filter(matcher_next_at__lte=now)
        .select_related("tenant")
        .order_by("matcher_next_at")[:limit]
    )
    queued = 0
    for verification in due:
        waiting = verification.is_open and verification.matcher_state in (
            MatcherState.WAITING,
            MatcherState.FAILED,
        )
        gave_up = (
            verification.matcher_state == MatcherState.FAILED
            and retry_delay(verification.matcher_attempts) is None
        )
        if not waiting or gave_up:
            Verification.objects.for_tenant(verification.tenant).filter(
                pk=verification.pk, matcher_next_at=verification.matcher_next_at
            ).update(matcher_next_at=None)
            continue
        with transaction.atomic():
            _queue_after_commit(verification, attempt=verification.matcher_attempts, delay=None)
        queued += 1
    return queued
