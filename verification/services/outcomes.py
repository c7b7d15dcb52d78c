"""What happens to a request whose consumer has not finished verifying: reminders on the days
the business chose, then, only when the response period runs out, denial as unverifiable
(§7021(b); §7022(a), §7023(a), §7024(a)-(b)), with the fallback of §7024(a): a request for
specific pieces verified to the reasonable degree is answered with categories.

``verification_next_due`` is when the sweep next has something to do for a verification: the
next reminder (at ``REMINDER_HOUR`` local time, N days after receipt), else the denial time: the
afternoon of the last day (``DENIAL_TIME`` on ``respond_by``), so the answer is still timely
and never earlier.

``verification_sweep`` (beat: ``verification.tasks.verification_sweep``) reads only open
verifications whose ``next_due_at`` has come (the partial index ``verification_due``), and
handles each in its own transaction with its row locked (``skip_locked``: a row another sweep or
a consumer holds is left for the next run) and re-checked as due under the lock, so running it
twice, or twice at once, does each thing once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from core import clock
from core.fast_insert import insert_new
from core.refusals import Refused
from outbox.sealing import Secret
from requests_app import vocabulary as words
from requests_app.models import Communication, EventKind, PrivacyRequest
from requests_app.services.consumer_messages import consumer_email_send
from requests_app.services.timeline import timeline_add, timeline_entry
from requests_app.services.transitions import privacy_request_close
from tenants.models import Tenant
from tenants.portal import portal_absolute_url

from .. import degrees
from ..models import OPEN_VERIFICATION, LinkPurpose, Verification, VerificationStatus
from . import blockers
from .fallbacks import verification_accept_categories_only
from .policies import verification_policy
from .records import (
    LINK_TEMPLATES,
    VERIFICATION_ACTOR,
    assessment,
    verification_link_new,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
REMINDER_TEMPLATE = "verification/verify_reminder"
REMINDER_SUBJECT = gettext_noop(
    "Reminder: confirm it is you, for your privacy request %(reference)s"
)
# Emails that already asked the consumer to verify: one of these today means no reminder today.
VERIFY_EMAIL_TEMPLATES = (LINK_TEMPLATES[LinkPurpose.EMAIL], REMINDER_TEMPLATE)

REMINDER_HOUR = time(9, 0)
DENIAL_TIME = time(17, 0)


def local_datetime(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant (UTC) of the local time ``at`` on ``day`` in ``zone``."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def reminder_times(verification: Verification, reminder_days: list[int]) -> list[datetime]:
    privacy_request = verification.privacy_request
    zone = privacy_request.tenant.zone
    received = privacy_request.received_date
    return [
        local_datetime(received + timedelta(days=days), REMINDER_HOUR, zone)
        for days in sorted({int(d) for d in reminder_days if int(d) > 0})
    ]


def denial_time(verification: Verification) -> datetime | None:
    privacy_request = verification.privacy_request
    if privacy_request.respond_by is None:
        return None
    return local_datetime(privacy_request.respond_by, DENIAL_TIME, privacy_request.tenant.zone)


def verification_next_due(
    verification: Verification, reminder_days: list[int], now: datetime
) -> datetime | None:
    """The next reminder not yet sent and still to come, else the denial time (None: nothing
    is due). A reminder whose time has passed is not sent late: a request entered days after
    its receipt (a letter) gets its email link now, not a reminder on top of it the same day,
    and a sweep that ran late sends one reminder, not each one it missed."""
    deny_at = denial_time(verification)
    for index, at in enumerate(reminder_times(verification, reminder_days)):
        if index < verification.reminders_sent or at <= now:
            continue
        if deny_at is None or at < deny_at:
            return at
    return deny_at


# --- The sweep ---------------------------------------------------------------------------------


@dataclass
class VerificationSweepResult:
    examined: int = 0
    reminders_sent: int = 0
    denied: int = 0
    categories_only: int = 0
    left_to_staff: int = 0  # the denial was refused (e.g. documents not opened): staff decide
    skipped: int = 0  # held by someone else, or no longer due once locked


# What one verification's turn in the sweep came to.
REMINDED = "reminded"
DENIED = "denied"
CATEGORIES_ONLY = "categories_only"
LEFT_TO_STAFF = "left_to_staff"
RESCHEDULED = "rescheduled"
SKIPPED = "skipped"


def verification_sweep(
    now: datetime | None = None, *, batch_size: int = BATCH_SIZE
) -> VerificationSweepResult:
    """Send the reminders that are due and deny (or answer with categories) what is still not
    verified at the end of its response period, batch by batch."""
    now = now or clock.now()
    result = VerificationSweepResult()
    last: tuple[datetime, int] | None = None
    while True:
        # Allow-listed cross-tenant read: the sweep serves every business; each row is then
        # locked and handled through its own business's scope. Paged by (next_due_at, id), the
        # partial index's order, so a row left as it was (locked elsewhere) is not read again.
        due = Verification.all_tenants.filter(next_due_at__lte=now, status__in=OPEN_VERIFICATION)
        if last is not None:
            due = due.filter(Q(next_due_at__gt=last[0]) | Q(next_due_at=last[0], pk__gt=last[1]))
        rows = list(
            due.order_by("next_due_at", "pk").values_list("next_due_at", "pk", "tenant_id")[
                :batch_size
            ]
        )
        if not rows:
            return result
        last = (rows[-1][0], rows[-1][1])
        tenants = Tenant.objects.in_bulk({tenant_id for _, _, tenant_id in rows})
        for _, pk, tenant_id in rows:
            result.examined += 1
            outcome = verification_sweep_one(tenant=tenants[tenant_id], verification_id=pk, now=now)
            if outcome == REMINDED:
                result.reminders_sent += 1
            elif outcome == DENIED:
                result.denied += 1
            elif outcome == CATEGORIES_ONLY:
                result.categories_only += 1
            elif outcome == LEFT_TO_STAFF:
                result.left_to_staff += 1
            elif outcome == SKIPPED:
                result.skipped += 1


def verification_sweep_one(*, tenant: Tenant, verification_id: int, now: datetime) -> str:
    """One due verification, in its own transaction, its row (and its request's) locked."""
    with transaction.atomic():
        verification = (
            Verification.objects.for_tenant(tenant)
            .select_for_update(skip_locked=True)
            .select_related("privacy_request")
            .filter(pk=verification_id, next_due_at__lte=now, status__in=OPEN_VERIFICATION)
            .first()
        )
        if verification is None:
            return SKIPPED
        privacy_request = verification.privacy_request
        verification.tenant = privacy_request.tenant = tenant
        policy = verification_policy(tenant)
        if not privacy_request.is_open:
            # Closing a request closes its verification (records.verification_on_closed); a
            # row left open anyway is only taken off the sweep.
            verification.next_due_at = None
            verification.save(update_fields=["next_due_at"])
            return SKIPPED
        deny_at = denial_time(verification)  # from the current respond_by: extensions count
        if deny_at is not None and now >= deny_at:
            return _response_period_ended(verification, privacy_request, now)
        outcome = RESCHEDULED
        if _reminder_due(verification, policy.reminder_days) and _reminder_send(
            verification, privacy_request, now
        ):
            outcome = REMINDED
        verification.next_due_at = verification_next_due(verification, policy.reminder_days, now)
        verification.updated_at = now
        verification.save(update_fields=["reminders_sent", "next_due_at", "updated_at"])
        return outcome


def _reminder_due(verification: Verification, reminder_days: list[int]) -> bool:
    """Whether the time that made the row due is one of its reminders not yet sent (it may
    also be an old denial time the request's extension moved, or a retry of the matcher)."""
    times = reminder_times(verification, reminder_days)
    return verification.next_due_at in times[verification.reminders_sent :]


def _local_day_start(privacy_request: PrivacyRequest, now: datetime) -> datetime:
    zone = privacy_request.tenant.zone
    return local_datetime(now.astimezone(zone).date(), time(0, 0), zone)


def _reminder_send(
    verification: Verification, privacy_request: PrivacyRequest, now: datetime
) -> bool:
    """Email the consumer a reminder with a fresh link, when there is something for them to
    do and they were not already asked today; the timeline says so."""
    email = privacy_request.requester_email
    if (
        verification.status != VerificationStatus.PENDING  # the business's system is asked
        or not email
        or not blockers.consumer_verifies(privacy_request)  # an agent's request: not theirs
        or assessment(verification).verified  # enough evidence: something else holds it
    ):
        return False
    already_asked_today = (
        Communication.objects.for_tenant(privacy_request.tenant)
        .filter(
            privacy_request=privacy_request,
            template__in=VERIFY_EMAIL_TEMPLATES,
            created_at__gte=_local_day_start(privacy_request, now),
        )
        .exists()
    )
    if already_asked_today:
        return False
    number = verification.reminders_sent + 1
    proven = verification.email_proven_at is not None
    event = timeline_entry(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        label=VERIFICATION_ACTOR,
        message=f"Reminder {number} sent to the consumer at {email}, with a new link: "
        + (
            "more information is needed to verify their identity."
            if proven
            else "their email address is not confirmed yet."
        ),
    )
    # Never two reminders for one local day, whatever runs at once (unique dedupe key).
    event.dedupe_key = f"verification-reminder:{verification.pk}:{now.astimezone(privacy_request.tenant.zone):%Y-%m-%d}"
    try:
        with transaction.atomic():
            insert_new(event)
    except IntegrityError:
        return False
    # The session of the verification page may have expired: a new email link opens it again.
    url = verification_link_new(
        privacy_request=privacy_request, purpose=LinkPurpose.EMAIL, email=email, now=now
    )
    consumer_email_send(
        privacy_request,
        template=REMINDER_TEMPLATE,
        subject=REMINDER_SUBJECT,
        now=now,
        secrets={"link": Secret("verification link", url)},
        recipient=email,
    )
    verification.reminders_sent = number
    return True


# --- The end of the response period ------------------------------------------------------------

DENIAL_EXPLANATIONS = {
    # §7022(a): the requestor is told their identity cannot be verified.
    words.DELETE: gettext_noop(
        "We could not verify your identity by the end of the time the law gives us to "
        "answer, so we have not deleted any personal information. You can make a new request "
        "at any time."
    ),
    # §7023(a): the same, for a request to correct.
    words.CORRECT: gettext_noop(
        "We could not verify your identity by the end of the time the law gives us to "
        "answer, so we have not corrected any personal information. You can make a new "
        "request at any time."
    ),
}
# §7024(a)-(b): no specific piece is disclosed; the request is evaluated for categories; denied
# for those too, the consumer is directed to the privacy policy's general practices.
KNOW_SPECIFIC_EXPLANATION = gettext_noop(
    "We could not verify your identity by the end of the time the law gives us to answer, "
    "so we cannot disclose any specific pieces of personal information. We could not verify "
    "it well enough to tell you the categories of personal information we hold about you "
    "either."
)
KNOW_CATEGORIES_EXPLANATION = gettext_noop(
    "We could not verify your identity by the end of the time the law gives us to answer, "
    "so we cannot tell you the categories of personal information we hold about you."
)
GENERAL_PRACTICES = gettext_noop(
    "Our privacy policy describes our general practices: the personal information we "
    "collect, how we keep it, and whether we sell or share it: %(url)s. You can make a new "
    "request at any time."
)


def privacy_policy_address(tenant: Tenant) -> str:
    """Where the business's general practices are described (§7024(b)): its privacy policy,
    else the portal's notice page."""
    return tenant.privacy_policy_url or portal_absolute_url(tenant, "notice_at_collection")


def denial_explanation(privacy_request: PrivacyRequest) -> str:
    """Why the request is denied, in the consumer's language (§7003(b)(2))."""
    with translation.override(privacy_request.language or "en"):
        if privacy_request.request_type != words.KNOW:
            return gettext(DENIAL_EXPLANATIONS[privacy_request.request_type])
        lead = (
            KNOW_CATEGORIES_EXPLANATION
            if privacy_request.know_scope == words.KNOW_CATEGORIES
            else KNOW_SPECIFIC_EXPLANATION
        )
        practices = gettext(GENERAL_PRACTICES) % {
            "url": privacy_policy_address(privacy_request.tenant)
        }
        return f"{gettext(lead)} {practices}"


def _response_period_ended(
    verification: Verification, privacy_request: PrivacyRequest, now: datetime
) -> str:
    """The last afternoon of the response period, still not verified: a request for specific
    pieces verified to the reasonable degree is answered with categories (§7024(a)); anything
    else is denied as unverifiable (§7022(a), §7023(a), §7024(a)-(b))."""
    result = assessment(verification)
    if (
        privacy_request.request_type == words.KNOW
        and privacy_request.know_scope in (words.KNOW_SPECIFIC, words.KNOW_BOTH)
        and degrees.at_least(result.reached, degrees.REASONABLE)
        and not blockers.blockers(privacy_request)
    ):
        verification_accept_categories_only(
            verification=verification, actor_label=VERIFICATION_ACTOR
        )
        return CATEGORIES_ONLY
    try:
        with transaction.atomic():
            privacy_request_close(
                privacy_request=privacy_request,
                actor=None,
                actor_label=VERIFICATION_ACTOR,
                outcome=words.DENIED,
                denial_reason=words.UNVERIFIABLE,
                explanation=denial_explanation(privacy_request),
            )
    except Refused as refused:
        # E.g. a request to correct whose documents staff have not opened (§7023(d)(1)): the
        # decision is theirs; the deadline sweep escalates it as it nears its date.
        logger.info("Verification sweep left %s to staff: %s", privacy_request.pk, refused)
        timeline_add(
            privacy_request,
            kind=EventKind.NOTE,
            at=now,
            label=VERIFICATION_ACTOR,
            message="The response period ends today and the identity is not verified, but the "
            f"request could not be denied automatically: {refused.message} Staff must decide.",
        )
        verification.next_due_at = None
        verification.updated_at = now
        verification.save(update_fields=["next_due_at", "updated_at"])
        return LEFT_TO_STAFF
    return DENIED
