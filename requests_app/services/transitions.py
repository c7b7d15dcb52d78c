"""Staff's transitions of a privacy request: record the receipt confirmation, assign, verify,
start work, extend the deadline, close with an outcome.

Every function is keyword-only, runs in one transaction, re-reads the request under a row lock,
validates before saving, and writes the timeline event and any outbox email in that same
transaction.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext_noop

from core import clock
from core.refusals import Refused
from tenants.models import Membership

from .. import deadlines, lifecycle
from ..milestones import first_milestone_at
from ..models import ConfirmationMethod, EventKind, PrivacyRequest, RequestType, Status
from ..selectors import request_document_openings, request_documents
from .consumer_messages import _event, _send_to_consumer


def _load_for_update(privacy_request: PrivacyRequest) -> PrivacyRequest:
    # Re-read inside the transaction so checks see the current state (row lock on PostgreSQL).
    return (
        PrivacyRequest.objects.for_tenant(privacy_request.tenant)
        .select_for_update()
        .select_related("tenant")
        .get(pk=privacy_request.pk)
    )


@transaction.atomic
def privacy_request_record_confirmation(
    *, privacy_request: PrivacyRequest, actor: AbstractBaseUser, method: str, note: str = ""
) -> PrivacyRequest:
    """Staff record how receipt was confirmed, e.g. orally on the call (§7021(a))."""
    privacy_request = _load_for_update(privacy_request)
    if method not in ConfirmationMethod.values:
        raise Refused("invalid_method", "Choose how receipt was confirmed.", "method")
    if privacy_request.confirmed_at is not None:
        raise Refused(
            "already_confirmed", "Receipt of this request was already confirmed.", conflict=True
        )
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
        raise Refused("closed", "This request is closed; it cannot be reassigned.", conflict=True)
    if assignee is not None and not (
        getattr(assignee, "is_superuser", False)
        or Membership.objects.filter(user=assignee, tenant=privacy_request.tenant).exists()
    ):
        raise Refused("not_a_member", "Assign the request to a staff member of this business.")
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
        raise Refused("method_required", "Say how the identity was verified.", "method")
    lifecycle.check_transition(
        request_type=privacy_request.request_type,
        current=privacy_request.status,
        target=Status.VERIFIED,
    )
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
    lifecycle.check_transition(
        request_type=privacy_request.request_type,
        current=privacy_request.status,
        target=Status.IN_PROGRESS,
    )
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
        raise Refused("closed", "This request is closed; it cannot be extended.", conflict=True)
    if privacy_request.respond_by is None:
        raise Refused(
            "not_extendable",
            "Only requests to know, delete and correct can be extended (§7021(b)); opt-outs "
            "and limits must be complied with within 15 business days.",
            conflict=True,
        )
    if not reason.strip():
        raise Refused(
            "reason_required",
            "Give the reason for the extension; the consumer is told it (§7021(b)).",
            "reason",
        )
    tenant = privacy_request.tenant
    now = clock.now()
    new_due = deadlines.check_extension(
        received=privacy_request.received_date,
        current_respond_by=privacy_request.respond_by,
        already_extended=privacy_request.extended_at is not None,
        today=deadlines.receipt_date(now, tenant.zone),
        new_respond_by=new_respond_by,
    )
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


def _who_may_open(privacy_request: PrivacyRequest) -> str:
    """Who can lift the §7023(d)(1) refusal: since §7023(d)(3) (R-7023-d-3) not every member of
    the queue may open the documents, so the refusal says who may."""
    assignee = privacy_request.assignee
    if assignee is None:
        return (
            "Only compliance staff can open them while nobody is assigned; once the request is "
            "assigned, the assigned staff member can too (§7023(d)(3))."
        )
    return (
        f"Only {assignee.get_username()} (assigned to this request) and compliance staff can "
        "open them (§7023(d)(3))."
    )


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
    lifecycle.check_close(
        request_type=privacy_request.request_type,
        current=privacy_request.status,
        verified=privacy_request.verified_at is not None,
        outcome=outcome,
        denial_reason=denial_reason,
        explanation=explanation,
        legal_basis=legal_basis,
    )
    # §7023(d)(1) (R-7023-d-1): a correction is decided only after staff have opened every
    # document the consumer sent. A withdrawal is the consumer's act, not a decision: exempt.
    if privacy_request.request_type == RequestType.CORRECT and outcome != lifecycle.WITHDRAWN:
        unopened = _unopened_documents(privacy_request)
        if unopened:
            raise Refused(
                "documents_not_opened",
                "Open the consumer's documentation before deciding (§7023(d)(1)). "
                f"{_who_may_open(privacy_request)} Not opened yet: {', '.join(unopened)}.",
                conflict=True,
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
