"""What a request is answered with when its verification reaches less than it asked for.

§7024(a): a request to know specific pieces whose requester cannot be verified to the reasonably
high degree gets no specific piece, and is evaluated as a request for categories (§7024(b)),
which needs only the reasonable degree (§7062(b)). When that degree was reached, the request is
verified for categories only: ``Verification.categories_only`` says so to whoever answers it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_noop

from core import clock
from requests_app import vocabulary as words
from requests_app.models import EventKind
from requests_app.services.consumer_messages import consumer_email_send
from requests_app.services.timeline import timeline_add
from requests_app.services.transitions import privacy_request_mark_verified

from ..models import Verification, VerificationStatus

CATEGORIES_ONLY_SUBJECT = gettext_noop(
    "We will tell you the categories of information for your request %(reference)s"
)
CATEGORIES_ONLY_METHOD = (
    "Verified to a reasonable degree of certainty only: categories of personal information "
    "will be disclosed, no specific pieces (§7024(a), §7062(b))."
)


@transaction.atomic
def verification_accept_categories_only(*, verification: Verification, actor_label: str) -> None:
    """Verify a request for specific pieces for categories only (§7024(a)): the record says
    categories only, the request is marked verified, and the consumer is told that no specific
    piece will be disclosed, but the categories will. Call with the verification reaching the
    reasonable degree (§7062(b)); nothing happens to one no longer open."""
    verification = (
        Verification.objects.for_tenant(verification.tenant)
        .select_for_update()
        .select_related("privacy_request")
        .get(pk=verification.pk)
    )
    if not verification.is_open:
        return
    privacy_request = verification.privacy_request
    now = clock.now()
    verification.categories_only = True
    verification.status = VerificationStatus.VERIFIED
    verification.verified_at = now
    verification.method = CATEGORIES_ONLY_METHOD[:200]
    verification.next_due_at = None
    verification.updated_at = now
    verification.save(
        update_fields=[
            "categories_only",
            "status",
            "verified_at",
            "method",
            "next_due_at",
            "updated_at",
        ]
    )
    # Saved VERIFIED first: the PRIVACY_REQUEST_VERIFIED hook then leaves the record as it is.
    if privacy_request.status in {words.RECEIVED, words.AWAITING_VERIFICATION}:
        privacy_request_mark_verified(
            privacy_request=privacy_request,
            actor=None,
            actor_label=actor_label,
            method=verification.method,
        )
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
        message="Not verified to the reasonably high degree specific pieces need, but to the "
        "reasonable degree: the request is answered with categories of personal information "
        "only; no specific piece may be disclosed (§7024(a))." + told,
    )
