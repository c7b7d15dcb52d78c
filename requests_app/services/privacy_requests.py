"""The write path for privacy requests: intake, acknowledgement, verification, extension, closure.

Every function is keyword-only, runs in one transaction, validates before saving, and writes the
timeline event and any outbox email in that same transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop

from privacyportal import clock
from tenants.models import Membership, Tenant

from .. import consumer_text, deadlines, lifecycle
from ..lifecycle import TransitionRefused
from ..milestones import first_milestone_at
from ..models import (
    Channel,
    Communication,
    ConfirmationMethod,
    EventKind,
    PrivacyRequest,
    RequestEvent,
    RequestType,
    Status,
)
from ..selectors import request_document_openings, request_documents
from .outbox import outbox_email_add

# Crockford-style alphabet without look-alikes (0/O, 1/I/L): easy to read out on the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
SYSTEM_ACTOR = "Privacy portal"


class RequestRefused(Exception):
    """A domain rule refused the operation; ``code`` and ``message`` go to the user as they are."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def new_reference(prefix: str) -> str:
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{prefix}-{chars[:4]}-{chars[4:]}"


def _actor_label(actor: AbstractBaseUser | None, default: str = SYSTEM_ACTOR) -> str:
    if actor is None:
        return default
    return actor.get_username()


def _event(
    privacy_request: PrivacyRequest,
    *,
    kind: str,
    message: str,
    at: datetime,
    actor: AbstractBaseUser | None = None,
    actor_label: str | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> RequestEvent:
    event = RequestEvent(
        tenant_id=privacy_request.tenant_id,
        privacy_request=privacy_request,
        kind=kind,
        at=at,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor_label or _actor_label(actor),
        message=message,
        reason=reason,
        data=data or {},
    )
    event.save()
    return event


def _human_date(day: date | None) -> str:
    return date_format(day, "DATE_FORMAT") if day else ""


def _send_to_consumer(
    privacy_request: PrivacyRequest,
    *,
    template: str,
    subject: str,
    now: datetime,
    language: str | None = None,
) -> Communication | None:
    """Record a Communication and queue its email; without an email address, nothing is sent.

    The email is written in the language the consumer used (§7003(b)(2)) unless ``language``
    says otherwise. ``subject`` is an untranslated message id with a ``%(reference)s``
    placeholder (``gettext_noop``); it is translated here, in that language.
    """
    recipient = privacy_request.agent_email or privacy_request.requester_email
    if not recipient:
        return None
    tenant = privacy_request.tenant
    language = language or privacy_request.language or settings.LANGUAGE_CODE
    with translation.override(language):
        subject = gettext(subject) % {"reference": privacy_request.reference}
        context = {
            "tenant": tenant,
            "privacy_request": privacy_request,
            "greeting_name": privacy_request.agent_name
            or privacy_request.requester_name
            or gettext("there"),
            "type_label": consumer_text.REQUEST_TYPE_PHRASES.get(
                privacy_request.request_type, privacy_request.get_request_type_display().lower()
            ),
            "verification_description": consumer_text.verification_description(tenant),
            "received_date": _human_date(privacy_request.received_date),
            "respond_by": _human_date(privacy_request.active_due_date),
            "max_respond_by": _human_date(deadlines.max_respond_by(privacy_request.received_date)),
        }
        body = render_to_string(f"requests_app/emails/{template}.txt", context).strip() + "\n"
    communication = Communication(
        tenant=tenant,
        privacy_request=privacy_request,
        template=template,
        language=language,
        channel=ConfirmationMethod.EMAIL,
        recipient=recipient,
        subject=subject,
        body=body,
        created_at=now,
    )
    communication.save()
    outbox_email_add(
        tenant=tenant,
        recipient=recipient,
        subject=subject,
        body=body,
        dedupe_key=f"comm:{communication.pk}",
        privacy_request=privacy_request,
        communication=communication,
        now=now,
    )
    return communication


@dataclass(frozen=True)
class Requester:
    name: str = ""
    email: str = ""
    phone: str = ""
    state: str = ""


@dataclass(frozen=True)
class Agent:
    name: str = ""
    organization: str = ""
    email: str = ""
    phone: str = ""


def privacy_request_create(
    *,
    tenant: Tenant,
    request_type: str,
    channel: str,
    requester: Requester,
    know_scope: str = "",
    received_at: datetime | None = None,
    agent: Agent | None = None,
    is_california_consumer: bool | None = None,
    actor: AbstractBaseUser | None = None,
    actor_label: str | None = None,
    language: str = "en",
    details: Mapping[str, Any] | None = None,
    send_acknowledgement: bool = True,
) -> PrivacyRequest:
    """Record a new request, compute its deadlines, and acknowledge it at once where we can.

    The request is committed before anything leaves (§7021(a) acknowledgement via the outbox).
    A reference collision (one in ~10^12) is retried with a fresh reference.

    ``language`` is the consumer's language: it is stored, and every later email uses it.
    ``details`` sets the type-specific fields listed in ``DETAIL_FIELDS`` (delete scope,
    correction, two-step confirmation, intake flags), validated with the rest.
    ``send_acknowledgement=False`` leaves the receipt confirmation to the caller, for a request
    answered at once (§7021(a) then allows leaving out the process description).
    """
    for attempt in range(3):
        try:
            return _create(
                tenant=tenant,
                request_type=request_type,
                channel=channel,
                requester=requester,
                know_scope=know_scope,
                received_at=received_at,
                agent=agent,
                is_california_consumer=is_california_consumer,
                actor=actor,
                actor_label=actor_label,
                language=language,
                details=details or {},
                send_acknowledgement=send_acknowledgement,
            )
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def _create(
    *,
    tenant: Tenant,
    request_type: str,
    channel: str,
    requester: Requester,
    know_scope: str,
    received_at: datetime | None,
    agent: Agent | None,
    is_california_consumer: bool | None,
    actor: AbstractBaseUser | None,
    actor_label: str | None,
    language: str,
    details: Mapping[str, Any],
    send_acknowledgement: bool,
) -> PrivacyRequest:
    now = clock.now()
    received_at = received_at or now
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise RequestRefused(
            "naive_received_at",
            "The received time must include a UTC offset, e.g. 2026-11-20T14:05:00-08:00.",
            "received_at",
        )
    if received_at > now:
        raise RequestRefused(
            "received_in_future", "The received time cannot be in the future.", "received_at"
        )
    if request_type == RequestType.KNOW and not know_scope:
        raise RequestRefused(
            "know_scope_required",
            "Say what the request to know asks for: categories, specific pieces, or both.",
            "know_scope",
        )
    if request_type != RequestType.KNOW and know_scope:
        raise RequestRefused(
            "know_scope_not_allowed", "Only requests to know have a scope.", "know_scope"
        )
    agent = agent or Agent()
    submitted_by_agent = channel == Channel.AGENT or bool(agent.name or agent.organization)
    if submitted_by_agent and not (agent.name or agent.organization):
        raise RequestRefused(
            "agent_required", "Give the authorized agent's name or organization.", "agent"
        )
    if not (requester.email or requester.phone or requester.name) and channel != Channel.GPC:
        raise RequestRefused(
            "requester_required",
            "Give at least the requester's name, email address or phone number.",
            "requester",
        )
    if language not in dict(settings.LANGUAGES):
        raise RequestRefused(
            "invalid_language",
            f"Choose a language the portal offers: {', '.join(dict(settings.LANGUAGES))}.",
            "language",
        )
    _check_details(request_type, details)
    due = deadlines.deadlines_for(request_type, received_at, tenant.zone, tenant.calendar)
    state = requester.state.strip().upper()
    privacy_request = PrivacyRequest(
        tenant=tenant,
        reference=new_reference(tenant.reference_prefix),
        request_type=request_type,
        know_scope=know_scope,
        channel=channel,
        received_at=received_at,
        received_date=due.received_date,
        requester_name=requester.name.strip(),
        requester_email=requester.email.strip(),
        requester_phone=requester.phone,
        requester_state=state,
        is_california_consumer=(
            is_california_consumer
            if is_california_consumer is not None
            else (state == "CA" if state else None)
        ),
        submitted_by_agent=submitted_by_agent,
        agent_name=agent.name,
        agent_organization=agent.organization,
        agent_email=agent.email,
        agent_phone=agent.phone,
        language=language,
        status=Status.RECEIVED,
        calendar=due.calendar,
        confirm_by=due.confirm_by,
        respond_by=due.respond_by,
        comply_by=due.comply_by,
        created_at=now,
        updated_at=now,
        **details,
    )
    try:
        # Uniqueness and check constraints are the database's job here: no extra SELECT.
        privacy_request.full_clean(
            exclude=["tenant", "reference"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        raise RequestRefused("invalid", _first_message(error), _first_field(error)) from error
    privacy_request.status = lifecycle.initial_status(request_type)
    # §7021(a): with an email address, receipt is confirmed at once, so the request is saved
    # already confirmed (one INSERT, no UPDATE: intake is the hottest write path).
    acknowledge = send_acknowledgement and bool(
        privacy_request.confirm_by
        and (privacy_request.agent_email or privacy_request.requester_email)
    )
    if acknowledge:
        privacy_request.confirmed_at = now
        privacy_request.confirmation_method = ConfirmationMethod.EMAIL
    privacy_request.next_due_at = first_milestone_at(privacy_request, tenant.zone)
    privacy_request.save()
    events = [
        RequestEvent(
            tenant=tenant,
            privacy_request=privacy_request,
            kind=EventKind.CREATED,
            at=now,
            actor=actor if actor is not None and actor.pk else None,
            actor_label=actor_label or _actor_label(actor),
            message=f"Received by {privacy_request.get_channel_display().lower()} at "
            f"{received_at.astimezone(tenant.zone):%Y-%m-%d %H:%M %Z}.",
            data={"status": privacy_request.status},
        )
    ]
    if acknowledge:
        communication = _send_to_consumer(
            privacy_request,
            template="acknowledgement",
            subject=gettext_noop("We received your privacy request %(reference)s"),
            now=now,
        )
        assert communication is not None  # noqa: S101 - acknowledge implies a recipient
        events.append(
            RequestEvent(
                tenant=tenant,
                privacy_request=privacy_request,
                kind=EventKind.ACKNOWLEDGED,
                at=now,
                actor_label=SYSTEM_ACTOR,
                message=f"Receipt confirmed by email to {communication.recipient} (§7021(a)).",
            )
        )
    RequestEvent.objects.for_tenant(tenant).bulk_create(events)
    return privacy_request


# Type-specific fields ``privacy_request_create(details=...)`` may set, and for which types.
DETAIL_FIELDS: dict[str, frozenset[str] | None] = {
    "delete_scope": frozenset({RequestType.DELETE}),
    "delete_categories": frozenset({RequestType.DELETE}),
    "awaiting_consumer_confirmation": frozenset({RequestType.DELETE}),
    "correction_field": frozenset({RequestType.CORRECT}),
    "correction_information": frozenset({RequestType.CORRECT}),
    "correction_requested": frozenset({RequestType.CORRECT}),
    "flags": None,  # any type
}


def _check_details(request_type: str, details: Mapping[str, Any]) -> None:
    for name in details:
        if name not in DETAIL_FIELDS:
            raise RequestRefused("invalid_detail", f"Unknown request detail: {name}.", name)
        types = DETAIL_FIELDS[name]
        if types is not None and request_type not in types:
            raise RequestRefused(
                "detail_not_allowed",
                f"{name.replace('_', ' ').capitalize()} does not apply to this type of request.",
                name,
            )


def _first_field(error: ValidationError) -> str | None:
    return next(iter(error.message_dict), None) if hasattr(error, "error_dict") else None


def _first_message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        field, messages = next(iter(error.message_dict.items()))
        return f"{field.replace('_', ' ')}: {messages[0]}"
    return error.messages[0]


def _load_for_update(privacy_request: PrivacyRequest) -> PrivacyRequest:
    # Re-read inside the transaction so checks see the current state (row lock on PostgreSQL).
    return (
        PrivacyRequest.objects.for_tenant(privacy_request.tenant)
        .select_for_update()
        .select_related("tenant")
        .get(pk=privacy_request.pk)
    )


def _refuse(error: TransitionRefused | deadlines.ExtensionRefused) -> RequestRefused:
    return RequestRefused(error.code, error.message)


@transaction.atomic
def privacy_request_record_confirmation(
    *, privacy_request: PrivacyRequest, actor: AbstractBaseUser, method: str, note: str = ""
) -> PrivacyRequest:
    """Staff record how receipt was confirmed, e.g. orally on the call (§7021(a))."""
    privacy_request = _load_for_update(privacy_request)
    if method not in ConfirmationMethod.values:
        raise RequestRefused("invalid_method", "Choose how receipt was confirmed.", "method")
    if privacy_request.confirmed_at is not None:
        raise RequestRefused("already_confirmed", "Receipt of this request was already confirmed.")
    now = clock.now()
    privacy_request.confirmed_at = now
    privacy_request.confirmation_method = method
    privacy_request.updated_at = now
    privacy_request.next_due_at = first_milestone_at(privacy_request, privacy_request.tenant.zone)
    privacy_request.save(
        update_fields=["confirmed_at", "confirmation_method", "updated_at", "next_due_at"]
    )
    _event(
        privacy_request,
        kind=EventKind.ACKNOWLEDGED,
        at=now,
        actor=actor,
        message=f"Receipt confirmed ({ConfirmationMethod(method).label.lower()}) (§7021(a)).",
        reason=note,
    )
    return privacy_request


@transaction.atomic
def privacy_request_assign(
    *, privacy_request: PrivacyRequest, actor: AbstractBaseUser, assignee: AbstractBaseUser | None
) -> PrivacyRequest:
    privacy_request = _load_for_update(privacy_request)
    if privacy_request.status == Status.CLOSED:
        raise RequestRefused("closed", "This request is closed; it cannot be reassigned.")
    if assignee is not None and not (
        getattr(assignee, "is_superuser", False)
        or Membership.objects.filter(user=assignee, tenant=privacy_request.tenant).exists()
    ):
        raise RequestRefused(
            "not_a_member", "Assign the request to a staff member of this business."
        )
    now = clock.now()
    privacy_request.assignee = assignee
    privacy_request.updated_at = now
    privacy_request.save(update_fields=["assignee", "updated_at"])
    _event(
        privacy_request,
        kind=EventKind.ASSIGNED,
        at=now,
        actor=actor,
        message=f"Assigned to {assignee.get_username()}." if assignee else "Unassigned.",
    )
    return privacy_request


@transaction.atomic
def privacy_request_mark_verified(
    *, privacy_request: PrivacyRequest, actor: AbstractBaseUser, method: str
) -> PrivacyRequest:
    """Record that the requester's identity was verified (§7060–§7062), and how."""
    privacy_request = _load_for_update(privacy_request)
    if not method.strip():
        raise RequestRefused("method_required", "Say how the identity was verified.", "method")
    try:
        lifecycle.check_transition(
            request_type=privacy_request.request_type,
            current=privacy_request.status,
            target=Status.VERIFIED,
        )
    except TransitionRefused as error:
        raise _refuse(error) from error
    now = clock.now()
    privacy_request.status = Status.VERIFIED
    privacy_request.verified_at = now
    privacy_request.updated_at = now
    privacy_request.save(update_fields=["status", "verified_at", "updated_at"])
    _event(
        privacy_request,
        kind=EventKind.VERIFIED,
        at=now,
        actor=actor,
        message="Identity verified.",
        reason=method,
    )
    return privacy_request


@transaction.atomic
def privacy_request_start(
    *, privacy_request: PrivacyRequest, actor: AbstractBaseUser
) -> PrivacyRequest:
    privacy_request = _load_for_update(privacy_request)
    try:
        lifecycle.check_transition(
            request_type=privacy_request.request_type,
            current=privacy_request.status,
            target=Status.IN_PROGRESS,
        )
    except TransitionRefused as error:
        raise _refuse(error) from error
    now = clock.now()
    privacy_request.status = Status.IN_PROGRESS
    privacy_request.updated_at = now
    privacy_request.save(update_fields=["status", "updated_at"])
    _event(privacy_request, kind=EventKind.STATUS, at=now, actor=actor, message="Work started.")
    return privacy_request


@transaction.atomic
def privacy_request_extend(
    *,
    privacy_request: PrivacyRequest,
    actor: AbstractBaseUser | None,
    reason: str,
    new_respond_by: date | None = None,
    actor_label: str | None = None,
) -> PrivacyRequest:
    """Extend the response deadline once, to at most 90 days, and tell the consumer why (§7021(b))."""
    privacy_request = _load_for_update(privacy_request)
    if privacy_request.status == Status.CLOSED:
        raise RequestRefused("closed", "This request is closed; it cannot be extended.")
    if privacy_request.respond_by is None:
        raise RequestRefused(
            "not_extendable",
            "Only requests to know, delete and correct can be extended (§7021(b)); opt-outs "
            "and limits must be complied with within 15 business days.",
        )
    if not reason.strip():
        raise RequestRefused(
            "reason_required",
            "Give the reason for the extension; the consumer is told it (§7021(b)).",
            "reason",
        )
    tenant = privacy_request.tenant
    now = clock.now()
    try:
        new_due = deadlines.check_extension(
            received=privacy_request.received_date,
            current_respond_by=privacy_request.respond_by,
            already_extended=privacy_request.extended_at is not None,
            today=deadlines.receipt_date(now, tenant.zone),
            new_respond_by=new_respond_by,
        )
    except deadlines.ExtensionRefused as error:
        raise _refuse(error) from error
    old_due = privacy_request.respond_by
    privacy_request.respond_by = new_due
    privacy_request.extended_at = now
    privacy_request.extension_reason = reason.strip()
    privacy_request.updated_at = now
    privacy_request.due_state = "on_track"
    privacy_request.next_due_at = first_milestone_at(privacy_request, tenant.zone)
    privacy_request.save(
        update_fields=[
            "respond_by",
            "extended_at",
            "extension_reason",
            "updated_at",
            "next_due_at",
            "due_state",
        ]
    )
    _event(
        privacy_request,
        kind=EventKind.EXTENDED,
        at=now,
        actor=actor,
        actor_label=actor_label,
        message=f"Deadline extended from {old_due:%Y-%m-%d} to {new_due:%Y-%m-%d}; consumer notified.",
        reason=privacy_request.extension_reason,
        data={"from": old_due.isoformat(), "to": new_due.isoformat()},
    )
    _send_to_consumer(
        privacy_request,
        template="extension",
        subject=gettext_noop("We need more time for your privacy request %(reference)s"),
        now=now,
    )
    return privacy_request


def _unopened_documents(privacy_request: PrivacyRequest) -> list[str]:
    """Names of the consumer's documents no staff member has opened yet (timeline notes written
    by ``services.documents.request_document_open``)."""
    tenant = privacy_request.tenant
    opened = request_document_openings(tenant, privacy_request.pk)
    return [
        document.original_name
        for document in request_documents(tenant, privacy_request.pk)
        if document.pk not in opened
    ]


@transaction.atomic
def privacy_request_close(
    *,
    privacy_request: PrivacyRequest,
    actor: AbstractBaseUser | None,
    outcome: str,
    denial_reason: str = "",
    explanation: str = "",
    legal_basis: str = "",
    actor_label: str | None = None,
) -> PrivacyRequest:
    """Close with an outcome; denials need a reason category and an explanation (§7101(b))."""
    privacy_request = _load_for_update(privacy_request)
    try:
        lifecycle.check_close(
            request_type=privacy_request.request_type,
            current=privacy_request.status,
            verified=privacy_request.verified_at is not None,
            outcome=outcome,
            denial_reason=denial_reason,
            explanation=explanation,
            legal_basis=legal_basis,
        )
    except TransitionRefused as error:
        raise _refuse(error) from error
    # §7023(d)(1) (R-7023-d-1): a correction is decided only after staff have opened every
    # document the consumer sent. A withdrawal is the consumer's act, not a decision: exempt.
    if privacy_request.request_type == RequestType.CORRECT and outcome != lifecycle.WITHDRAWN:
        unopened = _unopened_documents(privacy_request)
        if unopened:
            raise RequestRefused(
                "documents_not_opened",
                "Open the consumer's documentation before deciding (§7023(d)(1)). "
                f"Not opened yet: {', '.join(unopened)}.",
            )
    now = clock.now()
    privacy_request.status = Status.CLOSED
    privacy_request.outcome = outcome
    privacy_request.denial_reason = denial_reason
    privacy_request.denial_explanation = explanation.strip()
    privacy_request.denial_legal_basis = legal_basis.strip()
    privacy_request.responded_at = now
    privacy_request.updated_at = now
    privacy_request.next_due_at = None
    privacy_request.save(
        update_fields=[
            "status",
            "outcome",
            "denial_reason",
            "denial_explanation",
            "denial_legal_basis",
            "responded_at",
            "updated_at",
            "next_due_at",
        ]
    )
    _event(
        privacy_request,
        kind=EventKind.CLOSED,
        at=now,
        actor=actor,
        actor_label=actor_label,
        message=f"Closed: {privacy_request.get_outcome_display().lower()}"
        + (f" ({privacy_request.get_denial_reason_display().lower()})." if denial_reason else "."),
        reason=privacy_request.denial_explanation,
        data={"outcome": outcome, "denial_reason": denial_reason},
    )
    _send_to_consumer(
        privacy_request,
        template="closed",
        subject=(
            gettext_noop("You withdrew your privacy request %(reference)s")
            if outcome == lifecycle.WITHDRAWN
            else gettext_noop("Our answer to your privacy request %(reference)s")
        ),
        now=now,
    )
    return privacy_request
