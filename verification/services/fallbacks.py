"""Fallbacks when a request cannot reach the degree it asks for.

``verification_accept_categories_only``: a request to know specific pieces verified only to a
reasonable degree is answered as a request for categories (§7024(a), §7062(f)): no specific
piece is disclosed. The consumer chooses it on the verification page; the outcomes sweep may
apply it when the response period runs out.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from core import clock
from core.refusals import Refused, conflict
from requests_app import vocabulary as words
from requests_app.models import EventKind
from requests_app.services.consumer_messages import consumer_email_send
from requests_app.services.timeline import timeline_add
from requests_app.services.transitions import privacy_request_mark_verified

from .. import degrees
from ..models import Verification, VerificationStatus
from . import blockers
from .records import VERIFICATION_ACTOR, _for_update, assessment

CATEGORIES_ONLY_SUBJECT = gettext_noop(
    "We will tell you the categories of information for your request %(reference)s"
)
CATEGORIES_ONLY_METHOD = (
    "Reasonable degree only: categories of personal information, no specific pieces (§7024(a))."
)


@transaction.atomic
def verification_accept_categories_only(
    *, verification: Verification, actor_label: str = VERIFICATION_ACTOR
) -> Verification:
    """Answer a request for specific pieces with categories only, because its identity reached
    the reasonable degree and not the reasonably high one (§7024(a)). Refused when the request
    is not such a request, is no longer open, or has not reached the reasonable degree."""
    verification = _for_update(verification)
    privacy_request = verification.privacy_request
    if not verification.is_open:
        raise conflict("verification_closed", gettext("This request no longer needs verifying."))
    result = assessment(verification)
    if not degrees.categories_fallback(
        request_type=privacy_request.request_type,
        know_scope=privacy_request.know_scope,
        reached=result.reached,
    ):
        raise Refused(
            "categories_only_not_available",
            gettext(
                "This choice is only for a request to know specific pieces of information "
                "whose identity check reached a reasonable degree."
            ),
        )
    if blockers.blockers(privacy_request):
        raise conflict(
            "verification_blocked",
            gettext("Something else must happen before this request can be verified."),
        )
    now = clock.now()
    # The record first: the verified hook (verification_on_marked_verified) then finds it
    # verified and leaves it as it is, not "by hand".
    verification.status = VerificationStatus.VERIFIED
    verification.reached_degree = degrees.REASONABLE
    verification.categories_only = True
    verification.verified_at = now
    verification.method = CATEGORIES_ONLY_METHOD
    verification.next_due_at = None
    verification.updated_at = now
    verification.save(
        update_fields=[
            "status",
            "reached_degree",
            "categories_only",
            "verified_at",
            "method",
            "next_due_at",
            "updated_at",
        ]
    )
    # The consumer learns that no specific piece will be disclosed, but the categories will.
    communication = consumer_email_send(
        privacy_request,
        template="verification/categories_only",
        subject=CATEGORIES_ONLY_SUBJECT,
        now=now,
    )
    told = (
        f" The consumer was emailed at {communication.recipient}."
        if communication is not None
        else " No email address on file: tell the consumer by phone or letter."
    )
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        label=actor_label,
        message="Identity verified to a reasonable degree only: the request will be answered "
        "with the categories of personal information, no specific pieces (§7024(a), §7062(f))."
        + told,
    )
    if privacy_request.status in {words.RECEIVED, words.AWAITING_VERIFICATION}:
        privacy_request_mark_verified(
            privacy_request=privacy_request,
            actor=None,
            actor_label=actor_label,
            method=CATEGORIES_ONLY_METHOD,
        )
    return verification
