"""The consumer portal's write path: a form's submission, the two-step delete, withdrawal.

The web forms call only these functions and those of ``status_links`` (views do no ORM
writes). A submission is recorded by ``privacy_request_create`` like a request from any other
channel, so the intake rules (two requests to know per 12 months, §7023(g) repeats, the receipt
confirmation) are the same here as in the API and the staff log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext

from core import clock
from core.refusals import Refused
from tenants.models import Tenant

from .. import vocabulary as words
from ..models import DeleteScope, EventKind, Outcome, PrivacyRequest
from ..selectors import privacy_request_for_update
from .documents import PORTAL_ACTOR
from .intake import Agent, Requester, privacy_request_create
from .timeline import timeline_add
from .transitions import privacy_request_close

CONSUMER_ACTOR = "Consumer (privacy request page)"
PORTAL_TYPES = frozenset({words.KNOW, words.DELETE, words.CORRECT})


@dataclass(frozen=True)
class PortalSubmission:
    """What a consumer (or their authorized agent) sent through a portal form."""

    request_type: str
    requester: Requester
    language: str
    agent: Agent | None = None
    is_california_consumer: bool | None = None
    know_scope: str = ""
    # A request to know: the period chosen; none is everything since January 1, 2022 (§7024(h)).
    know_period_start: date | None = None
    know_period_end: date | None = None
    delete_scope: str = ""
    delete_categories: tuple[str, ...] = ()
    correction_field: str = ""
    correction_information: str = ""
    correction_requested: str = ""
    correction_disclosure_wanted: bool = False
    documents: tuple[UploadedFile, ...] = field(default=())
    # For the apps above requests_app, handed unread to intake's hooks (an agent's kind,
    # entity number and permission; a request about a child under 13).
    extras: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Submitted:
    privacy_request: PrivacyRequest
    # Set when this was a third request to know within 12 months and it was denied at once:
    # the day the consumer may ask again.
    ask_again_on: date | None = None


def _details(tenant: Tenant, submission: PortalSubmission) -> dict[str, object]:
    details: dict[str, object] = {}
    if submission.know_period_start or submission.know_period_end:
        details["know_period_start"] = submission.know_period_start
        details["know_period_end"] = submission.know_period_end
    if submission.request_type == words.DELETE:
        details["delete_scope"] = submission.delete_scope or DeleteScope.ALL
        details["delete_categories"] = list(submission.delete_categories)
        # §7020(d): an optional second step; the 45 days run from this first submission.
        details["awaiting_consumer_confirmation"] = tenant.delete_two_step
    if submission.request_type == words.CORRECT:
        details["correction_field"] = submission.correction_field
        details["correction_information"] = submission.correction_information.strip()
        details["correction_requested"] = submission.correction_requested.strip()
        details["correction_disclosure_wanted"] = submission.correction_disclosure_wanted
    return details


def portal_request_submit(*, tenant: Tenant, submission: PortalSubmission) -> Submitted:
    """Record a request sent through a portal form, with its details and documents.

    Saved first, in one transaction with its timeline and the acknowledgement email (§7021(a));
    on any refusal nothing is left behind, not even an uploaded file.
    """
    if submission.request_type not in PORTAL_TYPES:
        raise Refused("invalid_type", "The portal forms take requests to know, delete or correct.")
    privacy_request = privacy_request_create(
        tenant=tenant,
        request_type=submission.request_type,
        channel=words.WEBFORM,
        requester=submission.requester,
        know_scope=submission.know_scope,
        agent=submission.agent,
        is_california_consumer=submission.is_california_consumer,
        actor_label=PORTAL_ACTOR,
        language=submission.language,
        details=_details(tenant, submission),
        documents=submission.documents,
        extras=submission.extras,
        received_at=clock.now(),
    )
    denied_at_once = privacy_request.status == words.CLOSED
    return Submitted(
        privacy_request=privacy_request,
        ask_again_on=privacy_request.know_limit_next_date if denied_at_once else None,
    )


# --- Two-step delete and withdrawal ------------------------------------------------------------


@transaction.atomic
def privacy_request_consumer_confirm_delete(*, privacy_request: PrivacyRequest) -> PrivacyRequest:
    """The second step of a two-step request to delete (§7020(d)). The deadlines do not move."""
    privacy_request = privacy_request_for_update(privacy_request)
    if not (privacy_request.awaiting_consumer_confirmation and privacy_request.is_open):
        raise Refused(
            "nothing_to_confirm",
            gettext("This request does not need your confirmation."),
            conflict=True,
        )
    now = clock.now()
    privacy_request.awaiting_consumer_confirmation = False
    privacy_request.consumer_confirmed_at = now
    privacy_request.updated_at = now
    privacy_request.save(
        update_fields=["awaiting_consumer_confirmation", "consumer_confirmed_at", "updated_at"]
    )
    timeline_add(
        privacy_request,
        kind=EventKind.CONSUMER_CONFIRMED,
        at=now,
        label=CONSUMER_ACTOR,
        message="The consumer confirmed the request to delete (second step, §7020(d)).",
    )
    return privacy_request


def privacy_request_withdraw(*, privacy_request: PrivacyRequest) -> PrivacyRequest:
    """The consumer withdraws an open request; it closes as "withdrawn" and they get an email."""
    if not privacy_request.is_open:
        raise Refused("closed", gettext("This request is already closed."), conflict=True)
    return privacy_request_close(
        privacy_request=privacy_request,
        actor=None,
        actor_label=CONSUMER_ACTOR,
        outcome=Outcome.WITHDRAWN,
    )
