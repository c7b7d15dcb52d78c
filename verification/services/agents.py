"""Authorized agents (§7001(d), §7063): who the agent is, what backs their request, and what the
business also asks of the consumer.

* ``agent_authorization_record`` (from intake's hook, ``records.verification_on_created``): the
  agent's kind (a person, or a business registered with the California Secretary of State,
  which must give its entity number: §7001(d)), the power of attorney if they hold one, the
  documents they sent (stored encrypted), and what the business's policy requires: the
  consumer's signed permission (§7063(a)) and, where it asks it, the consumer's own
  verification (§7063(a)(1)) or direct confirmation (§7063(a)(2)). A power of attorney needs
  neither (§7063(b)).
* ``agent_request_on_created``: that record, then the consumer's own email (where the agent
  gave it): the confirmation link, or a notice that someone asked for them.
* ``agent_permission_accept``: staff checked the signed permission (or the power of attorney),
  refused until they opened it (``documents.verification_document_open``).
* ``agent_confirmation_answer``: the consumer answers the confirmation link; "no" closes the
  request denied (agent without permission). The request waits meanwhile; its 45 days never
  move (§7021(b)).
* ``agent_outcome_copy`` (``settings.PRIVACY_REQUEST_CLOSED``): the consumer gets a copy of the
  answer.

How an agent's request is verified, when the consumer is not asked to verify themselves
(``blockers.consumer_verifies`` is False: the policy's step is "nothing more" or "confirm", or
a power of attorney): once nothing blocks it (``blockers``) and staff have checked the signed
permission or power of attorney, or the consumer confirmed the agent directly, the request is
verified **by that evidence**: the record's reached degree is set to the degree required, with
a ``DataPointCheck`` of source "checked by staff" whose note and the verification's method say
in words what was relied on. No data point of the consumer was matched, and the method text
says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from core import clock
from core.fast_insert import insert_new
from core.model_rows import new_instance
from core.refusals import Refused
from core.tokens import token_usable
from core.uploads import encrypted_save, upload_check
from requests_app import vocabulary as words
from requests_app.models import EventKind, PrivacyRequest
from requests_app.services.consumer_messages import (
    ANSWER_SUBJECT,
    WITHDRAWN_SUBJECT,
    consumer_email_send,
)
from requests_app.services.timeline import timeline_add
from requests_app.services.transitions import privacy_request_close, privacy_request_mark_verified
from tenants.models import Tenant

from .. import degrees
from ..models import (
    AgentAuthorization,
    AgentConsumerStep,
    AgentKind,
    CheckSource,
    DocumentKind,
    LinkPurpose,
    Reliability,
    Verification,
    VerificationDocument,
    VerificationLink,
    VerificationStatus,
)
from . import blockers
from .documents import verification_documents_opened_by
from .policies import verification_policy
from .records import (
    VERIFICATION_ACTOR,
    _check_add,
    _for_update,
    verification_evaluate,
    verification_for,
    verification_link_send,
    verification_link_use,
)

# What the portal's forms (requests_app.forms.RequestForm.extras) hand intake for this app.
EXTRA_AGENT_KIND = "agent_kind"
EXTRA_ENTITY_NUMBER = "agent_entity_number"
EXTRA_POWER_OF_ATTORNEY = "agent_power_of_attorney"
EXTRA_PERMISSION_FILE = "agent_permission_file"
EXTRA_POWER_OF_ATTORNEY_FILE = "agent_power_of_attorney_file"

AGENT_DOCUMENT_KINDS = frozenset({DocumentKind.AGENT_PERMISSION, DocumentKind.POWER_OF_ATTORNEY})
# A California Secretary of State entity number: letters and digits (e.g. C0806592, 201917010299).
ENTITY_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9-]{2,19}")

AGENT_NOTICE_SUBJECT = gettext_noop("Someone made a privacy request for you: %(reference)s")
CONSUMER_ACTOR = "Consumer (agent confirmation page)"


def consumer_own_email(privacy_request: PrivacyRequest) -> str:
    """The consumer's own address on an agent's request, when it is not the agent's (the usual
    messages go to the agent: ``consumer_email_address``); "" when unknown."""
    email = privacy_request.requester_email.strip()
    if not (privacy_request.submitted_by_agent and email and privacy_request.agent_email):
        return ""
    return "" if email.lower() == privacy_request.agent_email.strip().lower() else email


def _agent_label(privacy_request: PrivacyRequest) -> str:
    return privacy_request.agent_name or privacy_request.agent_organization or "the agent"


# --- Documents ---------------------------------------------------------------------------------


def verification_document_store(
    *, privacy_request: PrivacyRequest, kind: str, upload: UploadedFile, now: datetime
) -> VerificationDocument:
    """Store an upload encrypted as a verification document (checked again: a PDF, JPEG or PNG
    of 10 MB or less, ``core.uploads``). Call with every upload already checked, so that a
    refusal leaves nothing behind."""
    content_type = upload_check(upload)
    document = new_instance(  # VerificationDocument(...), see core.model_rows
        VerificationDocument,
        tenant_id=privacy_request.tenant_id,
        privacy_request=privacy_request,
        kind=kind,
        original_name=(upload.name or "document")[-255:],
        content_type=content_type,
        size=upload.size or 0,
        uploaded_at=now,
    )
    upload.seek(0)
    encrypted_save(document.file, upload.read(), document.original_name)
    insert_new(document)
    return document


# --- Intake ------------------------------------------------------------------------------------


def _entity_number_checked(agent_kind: str, entity_number: str) -> str:
    number = entity_number.strip().upper().replace(" ", "")
    if agent_kind != AgentKind.BUSINESS:
        return number
    if not number:
        raise Refused(
            "entity_number_required",
            gettext(
                "A business acting as an authorized agent must be registered with the "
                "California Secretary of State: give its entity number."
            ),
            EXTRA_ENTITY_NUMBER,
        )
    if not ENTITY_NUMBER.fullmatch(number):
        raise Refused(
            "entity_number_invalid",
            gettext(
                "This does not look like a California Secretary of State entity number. Give "
                "the number as it appears on the Secretary of State's records, like C0806592 "
                "or 201917010299."
            ),
            EXTRA_ENTITY_NUMBER,
        )
    return number


@transaction.atomic
def agent_authorization_record(
    *,
    privacy_request: PrivacyRequest,
    agent_kind: str,
    entity_number: str,
    power_of_attorney: bool,
    documents: Sequence[tuple[str, UploadedFile]],
) -> AgentAuthorization:
    """Record who the agent is and what backs their request (§7001(d), §7063). ``documents``
    are (``DocumentKind``, upload) pairs: the consumer's signed permission, the power of
    attorney. Everything is checked before anything is written."""
    if agent_kind not in AgentKind.values:
        raise Refused(
            "agent_kind_invalid",
            gettext("Choose whether the agent is a person or a registered business."),
            EXTRA_AGENT_KIND,
        )
    number = _entity_number_checked(agent_kind, entity_number)
    for kind, upload in documents:
        if kind not in AGENT_DOCUMENT_KINDS:
            raise Refused("document_kind_invalid", f"Not an agent's document: {kind}.")
        upload_check(upload, field=kind)
    if any(kind == DocumentKind.POWER_OF_ATTORNEY for kind, _ in documents):
        power_of_attorney = True
    tenant = privacy_request.tenant
    policy = verification_policy(tenant)
    now = clock.now()
    authorization = new_instance(  # AgentAuthorization(...), see core.model_rows
        AgentAuthorization,
        tenant=tenant,
        privacy_request=privacy_request,
        agent_kind=agent_kind,
        entity_number=number,
        power_of_attorney=power_of_attorney,
        # §7063(b): with a power of attorney, neither the permission nor the consumer's step.
        permission_required=policy.agent_requires_permission and not power_of_attorney,
        consumer_step=AgentConsumerStep.NONE if power_of_attorney else policy.agent_consumer_step,
        created_at=now,
    )
    insert_new(authorization)
    stored = [
        verification_document_store(
            privacy_request=privacy_request, kind=kind, upload=upload, now=now
        )
        for kind, upload in documents
    ]
    who = (
        f"a business registered with the California Secretary of State (entity number {number})"
        if agent_kind == AgentKind.BUSINESS
        else "a person"
    )
    parts = [f"Made by an authorized agent, {who} (§7001(d))."]
    if power_of_attorney:
        parts.append(
            "The agent holds a power of attorney: no signed permission and no step by the "
            "consumer are needed (§7063(b)); staff check the power of attorney."
        )
    else:
        if authorization.permission_required:
            parts.append(
                "The consumer's signed permission must be checked by staff before the request "
                "is verified (§7063(a))."
            )
        parts.append(
            {
                AgentConsumerStep.NONE: "The business asks nothing more of the consumer.",
                AgentConsumerStep.VERIFY: "The consumer must also verify their own identity "
                "(§7063(a)(1)).",
                AgentConsumerStep.CONFIRM: "The consumer must also confirm directly that they "
                "gave the agent permission (§7063(a)(2)).",
            }[authorization.consumer_step]
        )
    if stored:
        parts.append(
            "Documents received: "
            + "; ".join(f"{d.get_kind_display()}: {d.original_name}" for d in stored)
            + "."
        )
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        label=VERIFICATION_ACTOR,
        message=" ".join(parts),
    )
    return authorization


def _extras_documents(extras: Mapping[str, Any]) -> list[tuple[str, UploadedFile]]:
    found = []
    for key, kind in (
        (EXTRA_PERMISSION_FILE, DocumentKind.AGENT_PERMISSION),
        (EXTRA_POWER_OF_ATTORNEY_FILE, DocumentKind.POWER_OF_ATTORNEY),
    ):
        upload = extras.get(key)
        if isinstance(upload, UploadedFile):
            found.append((kind, upload))
    return found


def agent_request_on_created(
    *, privacy_request: PrivacyRequest, extras: Mapping[str, Any], now: datetime
) -> AgentAuthorization:
    """An agent's new request to know, delete or correct (from ``verification_on_created``,
    before its email-link decision): the authorization record, then the consumer's own email
    where known: the confirmation link (§7063(a)(2)), else a notice of the request.

    A request logged by staff or sent through the API says nothing of the agent's kind: it is
    recorded as a person's, and the permission the policy requires is still needed."""
    authorization = agent_authorization_record(
        privacy_request=privacy_request,
        agent_kind=str(extras.get(EXTRA_AGENT_KIND) or AgentKind.PERSON),
        entity_number=str(extras.get(EXTRA_ENTITY_NUMBER) or ""),
        power_of_attorney=bool(extras.get(EXTRA_POWER_OF_ATTORNEY)),
        documents=_extras_documents(extras),
    )
    email = consumer_own_email(privacy_request)
    if authorization.consumer_step == AgentConsumerStep.CONFIRM:
        if email:
            # The confirmation email names the agent and the request: it is also the notice.
            verification_link_send(
                privacy_request=privacy_request,
                purpose=LinkPurpose.AGENT_CONFIRMATION,
                email=email,
                now=now,
            )
            message = f"Asked the consumer at {email} to confirm the agent (§7063(a)(2))."
        else:
            message = (
                "No email address of the consumer's own: reach the consumer to confirm that "
                "they gave the agent permission (§7063(a)(2))."
            )
        timeline_add(
            privacy_request, kind=EventKind.NOTE, at=now, label=VERIFICATION_ACTOR, message=message
        )
    elif email:
        consumer_email_send(
            privacy_request,
            template="verification/agent_request_notice",
            subject=AGENT_NOTICE_SUBJECT,
            now=now,
            recipient=email,
            greeting_name=privacy_request.requester_name or None,
        )
        timeline_add(
            privacy_request,
            kind=EventKind.NOTE,
            at=now,
            label=VERIFICATION_ACTOR,
            message=f"The consumer was emailed at {email} that an agent made this request.",
        )
    return authorization


# --- Evidence and outcome ----------------------------------------------------------------------


def _authorization_for_update(privacy_request: PrivacyRequest) -> AgentAuthorization | None:
    return (
        AgentAuthorization.objects.for_tenant(privacy_request.tenant)
        .select_for_update()
        .filter(privacy_request=privacy_request)
        .first()
    )


def _agent_settle(
    verification: Verification,
    authorization: AgentAuthorization,
    *,
    actor: AbstractBaseUser | None,
    now: datetime,
) -> None:
    """Evaluate; then, where the consumer does not verify themselves, verify the request by the
    agent's evidence once nothing blocks it (see the module's docstring)."""
    verification_evaluate(verification=verification, now=now)
    privacy_request = verification.privacy_request
    if not verification.is_open or blockers.consumer_verifies(privacy_request):
        return
    if blockers.blockers(privacy_request):
        return
    relied_on = []
    if authorization.permission_received_at is not None:
        relied_on.append(
            "power of attorney checked by staff (§7063(b))"
            if authorization.power_of_attorney
            else "signed permission checked by staff (§7063(a))"
        )
    if authorization.consumer_confirmed_at is not None:
        relied_on.append("the consumer confirmed the agent directly (§7063(a)(2))")
    if not relied_on:
        return  # nothing checked yet: staff check the document, or verify by hand
    method = (
        "Authorized agent's request, verified by "
        + " and ".join(relied_on)
        + "; counted as the required degree, no data point of the consumer matched."
    )[:200]
    verification.status = VerificationStatus.VERIFIED
    verification.reached_degree = verification.required_degree
    verification.verified_at = now
    verification.method = method
    verification.next_due_at = None
    verification.updated_at = now
    verification.save(
        update_fields=[
            "status",
            "reached_degree",
            "verified_at",
            "method",
            "next_due_at",
            "updated_at",
        ]
    )
    _check_add(
        verification,
        point=degrees.NAME,
        source=CheckSource.STAFF,
        result=degrees.MATCHED,
        reliability=Reliability.STAFF,
        now=now,
        note="Agent's request: " + "; ".join(relied_on) + ".",
    )
    privacy_request.refresh_from_db(fields=["status"])
    if privacy_request.status in {words.RECEIVED, words.AWAITING_VERIFICATION}:
        privacy_request_mark_verified(
            privacy_request=privacy_request,
            actor=actor,
            actor_label=None if actor else VERIFICATION_ACTOR,
            method=method,
        )


def _locked(privacy_request: PrivacyRequest) -> tuple[Verification, AgentAuthorization]:
    verification = verification_for(privacy_request)
    authorization = _authorization_for_update(privacy_request)
    if verification is None or authorization is None:
        raise Refused(
            "not_an_agent_request",
            "This request was not made by an authorized agent.",
            conflict=True,
        )
    return _for_update(verification), authorization


def _agent_document_opened_check(
    privacy_request: PrivacyRequest, authorization: AgentAuthorization, actor: AbstractBaseUser
) -> None:
    """Staff who accept the permission have read it: with the signed permission or power of
    attorney on file, ``actor`` must have opened one of them first (the opening is on the
    timeline, ``documents.verification_document_open``), like the documentation of a correction
    (§7023(d)(1)). With none on file (a request logged by staff, the permission sent by post),
    the staff member's note says what was checked."""
    on_file = list(
        VerificationDocument.objects.for_tenant(privacy_request.tenant)
        .filter(
            privacy_request=privacy_request,
            kind__in=sorted(AGENT_DOCUMENT_KINDS),
            deleted_at__isnull=True,
        )
        .values_list("pk", flat=True)
    )
    if on_file and not verification_documents_opened_by(
        privacy_request=privacy_request, actor=actor, documents=on_file
    ):
        what = "power of attorney" if authorization.power_of_attorney else "signed permission"
        raise Refused(
            "agent_document_not_opened",
            f"Open the agent's {what} before accepting it: you have not opened it yet "
            "(§7063(a)-(b); consider the document before deciding, as §7023(d)(1)).",
            conflict=True,
        )


@transaction.atomic
def agent_permission_accept(
    *, privacy_request: PrivacyRequest, actor: AbstractBaseUser, note: str = ""
) -> AgentAuthorization:
    """Staff checked the consumer's signed permission, or the agent's power of attorney
    (§7063(a)-(b)): the block lifts, and the request is verified if nothing else is needed.
    Refused while a permission or power of attorney on file was not opened by ``actor``."""
    verification, authorization = _locked(privacy_request)
    if authorization.permission_received_at is not None:
        raise Refused(
            "permission_already_checked",
            "The agent's permission was already checked for this request.",
            conflict=True,
        )
    if not verification.is_open:
        raise Refused(
            "verification_closed", "This request no longer needs verifying.", conflict=True
        )
    _agent_document_opened_check(privacy_request, authorization, actor)
    now = clock.now()
    authorization.permission_received_at = now
    authorization.save(update_fields=["permission_received_at"])
    what = "Power of attorney" if authorization.power_of_attorney else "Signed permission"
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        actor=actor,
        message=f"{what} checked by {actor.get_username()} "
        f"({'§7063(b)' if authorization.power_of_attorney else '§7063(a)'}).",
        reason=note.strip(),
    )
    _agent_settle(verification, authorization, actor=actor, now=now)
    return authorization


def _refusal_explanation(privacy_request: PrivacyRequest) -> str:
    with translation.override(privacy_request.language or "en"):
        return gettext(
            "The consumer told us that they did not give %(agent)s permission to make this "
            "request for them. We act on an authorized agent's request only with the "
            "consumer's permission, so we will not act on this one. The consumer can make a "
            "request themselves at any time."
        ) % {"agent": _agent_label(privacy_request)}


def agent_confirmation_request(*, tenant: Tenant, token: str) -> PrivacyRequest | None:
    """The request an unused, unexpired confirmation link is for (the link is not used)."""
    if not token:
        return None
    scoped = VerificationLink.objects.for_tenant(tenant).filter(
        purpose=LinkPurpose.AGENT_CONFIRMATION
    )
    link = token_usable(scoped, token, clock.now()).select_related("privacy_request").first()
    return link.privacy_request if link is not None else None


@transaction.atomic
def agent_confirmation_answer(
    *, tenant: Tenant, token: str, gave_permission: bool
) -> PrivacyRequest | None:
    """The consumer answers the confirmation link (once: ``verification_link_use``): yes, they
    gave the agent permission (§7063(a)(2)), or no, and the request is closed denied as an
    agent's without permission. None when the link is unknown, used or expired."""
    privacy_request = verification_link_use(
        tenant=tenant, token=token, purpose=LinkPurpose.AGENT_CONFIRMATION
    )
    if privacy_request is None:
        return None
    verification, authorization = _locked(privacy_request)
    answered = authorization.consumer_confirmed_at or authorization.consumer_refused_at
    if answered or not privacy_request.is_open or not verification.is_open:
        return privacy_request
    now = clock.now()
    if gave_permission:
        authorization.consumer_confirmed_at = now
        authorization.save(update_fields=["consumer_confirmed_at"])
        timeline_add(
            privacy_request,
            kind=EventKind.NOTE,
            at=now,
            label=CONSUMER_ACTOR,
            message="The consumer confirmed that they gave the agent permission (§7063(a)(2)).",
        )
        _agent_settle(verification, authorization, actor=None, now=now)
        return privacy_request
    authorization.consumer_refused_at = now
    authorization.save(update_fields=["consumer_refused_at"])
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        label=CONSUMER_ACTOR,
        message="The consumer said that they did not give the agent permission (§7063(a)(2)).",
    )
    return privacy_request_close(
        privacy_request=privacy_request,
        actor=None,
        actor_label=CONSUMER_ACTOR,
        outcome=words.DENIED,
        denial_reason=words.AGENT_WITHOUT_PERMISSION,
        explanation=_refusal_explanation(privacy_request),
    )


def agent_outcome_copy(*, privacy_request: PrivacyRequest) -> None:
    """``settings.PRIVACY_REQUEST_CLOSED``: on an agent's request, the consumer's own address
    (where known) gets a copy of the answer the agent got. Requests to know, delete or correct
    only: an agent's opt-out or limit is the opt-out app's (its own messages)."""
    if not privacy_request.needs_verification:
        return
    email = consumer_own_email(privacy_request)
    if not email:
        return
    now = clock.now()
    consumer_email_send(
        privacy_request,
        template="closed",
        subject=WITHDRAWN_SUBJECT if privacy_request.outcome == words.WITHDRAWN else ANSWER_SUBJECT,
        now=now,
        recipient=email,
        # The consumer, by name, or "there": never the agent's name in the consumer's copy.
        greeting_name=privacy_request.requester_name or gettext_lazy("there"),
    )
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        label=VERIFICATION_ACTOR,
        message=f"A copy of the answer was emailed to the consumer at {email}.",
    )
