"""Opt-outs and limits that reach staff rather than the portal (§7026(a)(2)-(3), §7026(e),
§7027(f)), and an authorized agent's, which staff decide (§7026(j), §7027(j)).

* ``choice_log``: staff log an opt-out or a limit received by phone, email, mail or in person.
  It goes through ``choice_submit`` like every other channel, so it takes effect the same way:
  recorded with its 15-business-day comply-by date counted from when it really arrived, applied
  to the consent state, closed as complied, recipients notified. Or, on a documented,
  good-faith belief that the request is fraudulent, it is recorded and denied with an
  explanation to the requester (§7026(e), §7027(f)): by email when there is an address, else
  the timeline tells staff to say it by phone or letter.
* ``agent_choice_submit``: an authorized agent's opt-out or limit, with the consumer's signed
  permission (a PDF or an image, stored encrypted with the request). It is recorded, never
  dropped (§7101), even without the permission, and waits for staff.
* ``agent_choice_apply`` / ``agent_choice_deny``: staff, having opened the permission, apply the
  request to the consumer's consent state or deny it because the agent did not provide the
  consumer's signed permission. The agent is told either way, by email (``privacy_request_close``
  writes to the agent's address).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from core import clock
from core.refusals import Refused
from requests_app import vocabulary as words
from requests_app.models import EventKind, PrivacyRequest
from requests_app.selectors import request_document_openings, request_documents
from requests_app.services.intake import Agent, Requester
from requests_app.services.timeline import timeline_add
from requests_app.services.transitions import privacy_request_close
from tenants.models import Tenant

from .choice_services import ChoiceMade, choice_apply, choice_submit
from .models import ConsentState
from .services import Subject, consent_subject
from .subjects import SubjectKind

# The ways staff receive a request outside the portal (§7026(a)(2)-(3)).
STAFF_CHANNELS = (words.PHONE, words.EMAIL, words.MAIL, words.IN_PERSON)
# Who the timeline names for what an agent did on the portal.
AGENT_PORTAL_ACTOR = "Privacy portal (authorized agent's form)"


def _account_subject(tenant: Tenant, account_id: str) -> list[Subject]:
    return [consent_subject(tenant, SubjectKind.ACCOUNT, account_id)] if account_id else []


@transaction.atomic
def choice_log(
    *,
    tenant: Tenant,
    rights: Sequence[str],
    channel: str,
    requester: Requester,
    received_at: datetime,
    actor: Any,
    account_id: str = "",
    note: str = "",
    language: str = "en",
) -> list[ChoiceMade]:
    """Log an opt-out or a limit staff received by ``channel`` at ``received_at`` (when it
    really arrived: the comply-by date counts from it), and carry it out at once.

    It must name someone to apply it to: the consumer's email address, phone number or account
    id (a staff member has no browser of theirs). ``note`` goes on each request's timeline.
    """
    if channel not in STAFF_CHANNELS:
        raise Refused(
            "invalid_channel",
            "Choose how it was received: phone, email, mail or in person.",
            "channel",
        )
    if not (requester.email or requester.phone or account_id.strip()):
        raise Refused(
            "identifier_required",
            "Give the consumer's email address, phone number or account id: the opt-out or "
            "limit is applied to it.",
            "requester_email",
        )
    made = choice_submit(
        tenant=tenant,
        rights=rights,
        channel=channel,
        subjects=_account_subject(tenant, account_id.strip()),
        requester=requester,
        received_at=received_at,
        actor=actor,
        language=language,
        apply=True,
    )
    _note(made, actor, note)
    return made


@transaction.atomic
def choice_log_fraudulent(
    *,
    tenant: Tenant,
    rights: Sequence[str],
    channel: str,
    requester: Requester,
    received_at: datetime,
    actor: Any,
    explanation: str,
    fraud_documentation: str,
    note: str = "",
    language: str = "en",
) -> list[ChoiceMade]:
    """Record an opt-out or a limit staff received, and deny it on their documented, good-faith
    belief that it is fraudulent (§7026(e), §7027(f)): nothing changes in the consent state.

    The requester is told ``explanation`` (by email when there is an address; else the timeline
    says to tell them by phone or letter). Without the documentation of the belief the whole is
    refused and nothing is recorded (``lifecycle.check_close``).
    """
    if channel not in STAFF_CHANNELS:
        raise Refused(
            "invalid_channel",
            "Choose how it was received: phone, email, mail or in person.",
            "channel",
        )
    made = choice_submit(
        tenant=tenant,
        rights=rights,
        channel=channel,
        requester=requester,
        received_at=received_at,
        actor=actor,
        language=language,
        apply=False,
    )
    _note(made, actor, note)
    denied = []
    for choice in made:
        closed = privacy_request_close(
            privacy_request=choice.privacy_request,
            actor=actor,
            outcome=words.DENIED,
            denial_reason=words.FRAUDULENT,
            explanation=explanation,
            fraud_documentation=fraud_documentation,
        )
        denied.append(ChoiceMade(choice.right, closed, ()))
    return denied


def _note(made: Sequence[ChoiceMade], actor: Any, note: str) -> None:
    if not note.strip():
        return
    for choice in made:
        timeline_add(
            choice.privacy_request,
            kind=EventKind.NOTE,
            at=clock.now(),
            actor=actor,
            message="Note from the staff member who logged it.",
            reason=note.strip(),
        )


# --- Authorized agents (§7026(j), §7027(j)) ----------------------------------------------------


@transaction.atomic
def agent_choice_submit(
    *,
    tenant: Tenant,
    rights: Sequence[str],
    agent: Agent,
    consumer: Requester,
    permission: UploadedFile | None,
    language: str = "en",
    received_at: datetime | None = None,
) -> list[ChoiceMade]:
    """Record an authorized agent's opt-out or limit for a consumer, with the consumer's signed
    permission, and leave it for staff to check (§7026(j), §7027(j)).

    Without the permission it is recorded all the same (§7101) and flagged: staff may deny it.
    The consumer is named by their email address or phone number, to which staff apply it.
    """
    if not agent.name.strip():
        raise Refused("agent_name_required", "Give the agent's full name.", "agent_name")
    if not agent.email.strip():
        raise Refused(
            "agent_email_required",
            "Give the agent's email address: the answer is sent there.",
            "agent_email",
        )
    if not (consumer.email or consumer.phone):
        raise Refused(
            "consumer_required",
            "Give the consumer's email address or phone number.",
            "consumer_email",
        )
    made = choice_submit(
        tenant=tenant,
        rights=rights,
        channel=words.AGENT,
        requester=consumer,
        agent=agent,
        received_at=received_at,
        actor_label=AGENT_PORTAL_ACTOR,
        language=language,
        apply=False,
        documents=(permission,) if permission is not None else (),
    )
    if permission is None:
        for choice in made:
            timeline_add(
                choice.privacy_request,
                kind=EventKind.FLAGGED,
                at=clock.now(),
                label=AGENT_PORTAL_ACTOR,
                message="Flagged: the agent sent no signed permission from the consumer. The "
                "request may be denied (§7026(j), §7027(j)).",
            )
    return made


def _check_agent_request(privacy_request: PrivacyRequest) -> None:
    if (
        privacy_request.channel != words.AGENT
        or privacy_request.request_type not in words.COMPLY_TYPES
    ):
        raise Refused(
            "not_an_agents_choice",
            "Only an authorized agent's request to opt out or to limit is decided here.",
        )
    if privacy_request.status == words.CLOSED:
        raise Refused("closed", "This request is already closed.", conflict=True)


def _unopened(privacy_request: PrivacyRequest) -> list[str]:
    tenant = privacy_request.tenant
    opened = request_document_openings(tenant, privacy_request.pk)
    return [
        document.original_name
        for document in request_documents(tenant, privacy_request.pk)
        if document.pk not in opened
    ]


def agent_permission_documents(privacy_request: PrivacyRequest) -> int:
    """How many permission documents the agent sent with the request."""
    return request_documents(privacy_request.tenant, privacy_request.pk).count()


@transaction.atomic
def agent_choice_apply(*, privacy_request: PrivacyRequest, actor: Any) -> tuple[ConsentState, ...]:
    """Apply an agent's request to the consumer it names, once staff have opened the consumer's
    signed permission (§7026(j)); the agent is emailed that it was done."""
    _check_agent_request(privacy_request)
    if not agent_permission_documents(privacy_request):
        raise Refused(
            "permission_missing",
            "The agent did not provide the consumer's signed permission (§7026(j), §7027(j)). "
            "Deny the request, or ask the consumer to make it themselves.",
            conflict=True,
        )
    unopened = _unopened(privacy_request)
    if unopened:
        raise Refused(
            "permission_not_opened",
            "Open the consumer's signed permission before deciding (§7026(j)). Not opened "
            f"yet: {', '.join(unopened)}.",
            conflict=True,
        )
    return choice_apply(privacy_request=privacy_request, actor=actor)


def agent_choice_complied(*, privacy_request: PrivacyRequest) -> None:
    """``settings.PRIVACY_REQUEST_COMPLIED``: an agent's opt-out or limit is complied with only by
    applying it (``agent_choice_apply``), so that the consumer's consent state changes. Closing
    it as complied any other way (the queue's "Close with outcome") would put on the record an
    opt-out that never took effect: refused, and the whole close is rolled back."""
    if (
        privacy_request.channel != words.AGENT
        or privacy_request.request_type not in words.COMPLY_TYPES
    ):
        return
    if not privacy_request.events.filter(kind=EventKind.CONSENT_CHANGED).exists():
        raise Refused(
            "apply_agents_choice",
            "An authorized agent's request to opt out or to limit is complied with by applying "
            "it to the consumer's consent state: open the consumer's signed permission, then "
            "use “apply or deny it” on the request's page (§7026(j), §7027(j)).",
            conflict=True,
        )


def agent_denial_explanation(language: str) -> str:
    """What the agent is told when their request is denied for the missing permission, in the
    request's language."""
    with translation.override(language):
        return gettext(
            "You did not give us the consumer's signed permission to make this request for them, "
            "so we cannot act on it (California Code of Regulations, title 11, section 7026(j)). "
            "You can send a new request with the consumer's signed permission, or the consumer "
            "can make the request themselves."
        )


@transaction.atomic
def agent_choice_deny(
    *, privacy_request: PrivacyRequest, actor: Any, explanation: str = ""
) -> PrivacyRequest:
    """Deny an agent's request because the agent did not provide the consumer's signed
    permission (§7026(j), §7027(j)); the agent is emailed why. A permission that was sent is
    opened first: staff decide on what they have seen."""
    _check_agent_request(privacy_request)
    unopened = _unopened(privacy_request)
    if unopened:
        raise Refused(
            "permission_not_opened",
            "Open what the agent sent before deciding (§7026(j)). Not opened yet: "
            f"{', '.join(unopened)}.",
            conflict=True,
        )
    return privacy_request_close(
        privacy_request=privacy_request,
        actor=actor,
        outcome=words.DENIED,
        denial_reason=words.AGENT_WITHOUT_PERMISSION,
        explanation=explanation.strip() or agent_denial_explanation(privacy_request.language),
    )
