"""Intake: recording a new privacy request from any channel (``privacy_request_create``).

The request gets its reference and its deadlines, is validated before it is saved, and is
acknowledged by email at once where it can be (§7021(a)), with its timeline events and the
outbox email in the same transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from core import clock
from core.fast_insert import insert_new
from core.refusals import Refused
from tenants.models import Tenant

from .. import deadlines, lifecycle
from ..milestones import first_milestone_at
from ..models import (
    Channel,
    ConfirmationMethod,
    EventKind,
    PrivacyRequest,
    RequestEvent,
    RequestType,
    Status,
)
from .consumer_messages import SYSTEM_ACTOR, _actor_label, _send_to_consumer

# Crockford-style alphabet without look-alikes (0/O, 1/I/L): easy to read out on the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference(prefix: str) -> str:
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{prefix}-{chars[:4]}-{chars[4:]}"


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
        raise Refused(
            "naive_received_at",
            "The received time must include a UTC offset, e.g. 2026-11-20T14:05:00-08:00.",
            "received_at",
        )
    if received_at > now:
        raise Refused(
            "received_in_future", "The received time cannot be in the future.", "received_at"
        )
    if request_type == RequestType.KNOW and not know_scope:
        raise Refused(
            "know_scope_required",
            "Say what the request to know asks for: categories, specific pieces, or both.",
            "know_scope",
        )
    if request_type != RequestType.KNOW and know_scope:
        raise Refused("know_scope_not_allowed", "Only requests to know have a scope.", "know_scope")
    agent = agent or Agent()
    submitted_by_agent = channel == Channel.AGENT or bool(agent.name or agent.organization)
    if submitted_by_agent and not (agent.name or agent.organization):
        raise Refused(
            "agent_required", "Give the authorized agent's name or organization.", "agent"
        )
    if not (requester.email or requester.phone or requester.name) and channel != Channel.GPC:
        raise Refused(
            "requester_required",
            "Give at least the requester's name, email address or phone number.",
            "requester",
        )
    if language not in dict(settings.LANGUAGES):
        raise Refused(
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
        # Only what the caller supplied is validated: the rest (deadlines, status, timestamps)
        # intake computes itself, and checking all sixty fields cost more than the INSERT.
        # Uniqueness and check constraints are the database's job here: no extra SELECT.
        privacy_request.full_clean(
            exclude=_COMPUTED_FIELDS, validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        raise Refused("invalid", _first_message(error), _first_field(error)) from error
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
    insert_new(privacy_request)  # intake is the hottest write path: see fast_insert
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
    insert_new(*events)
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


# What callers of ``privacy_request_create`` supply; ``full_clean`` checks these fields only.
_INPUT_FIELDS = frozenset(
    {
        "request_type",
        "know_scope",
        "channel",
        "received_at",
        "requester_name",
        "requester_email",
        "requester_phone",
        "requester_state",
        "is_california_consumer",
        "agent_name",
        "agent_organization",
        "agent_email",
        "agent_phone",
        "language",
        *DETAIL_FIELDS,
    }
)
_COMPUTED_FIELDS = [
    field.name for field in PrivacyRequest._meta.fields if field.name not in _INPUT_FIELDS
]


def _check_details(request_type: str, details: Mapping[str, Any]) -> None:
    for name in details:
        if name not in DETAIL_FIELDS:
            raise Refused("invalid_detail", f"Unknown request detail: {name}.", name)
        types = DETAIL_FIELDS[name]
        if types is not None and request_type not in types:
            raise Refused(
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
