"""Staff's transitions of a privacy request: record the receipt confirmation, assign, verify,
start work, extend the deadline, close with an outcome.

Every function is keyword-only, runs in one transaction, re-reads the request under a row lock
(``selectors.privacy_request_for_update``), checks the rules (``lifecycle``), and writes the
timeline entry and any message to the consumer in that same transaction.

The record never says what did not happen: a notice given by phone or letter is recorded as
such, in the words staff used, and a step that needs a notice nobody can send is refused.
"""

from __future__ import annotations

import copy
import functools
from datetime import date
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.module_loading import import_string

from core import clock
from core.refusals import Refused
from tenants.models import Membership

from .. import correction_rules, deadlines, lifecycle
from .. import vocabulary as words
from ..milestones import first_milestone_at
from ..models import ConfirmationMethod, EventKind, PrivacyRequest, Status
from ..selectors import privacy_request_for_update, request_document_openings, request_documents
from .consumer_messages import (
    ACKNOWLEDGEMENT_SUBJECT,
    ANSWER_SUBJECT,
    EXTENSION_SUBJECT,
    WITHDRAWN_SUBJECT,
    RenderedMessage,
    consumer_email_address,
    consumer_email_send,
    consumer_message_record_by_hand,
    consumer_message_render,
)
from .corrections import correction_disclosure_create, correction_record
from .timeline import timeline_add


class PrivacyRequestComplied(Protocol):
    """A function of ``settings.PRIVACY_REQUEST_COMPLIED``: called once when a request is closed
    as complied or complied in part, inside the closing transaction (raising rolls it back)."""

    def __call__(self, *, privacy_request: PrivacyRequest) -> None: ...


@functools.cache
def _complied_hooks(paths: tuple[str, ...]) -> tuple[PrivacyRequestComplied, ...]:
    return tuple(import_string(path) for path in paths)


class PrivacyRequestVerified(Protocol):
    """A function of ``settings.PRIVACY_REQUEST_VERIFIED``: called when a request is marked
    verified, inside that transaction, with who did it and how (verification keeps its record
    of a staff member's manual verification this way)."""

    def __call__(
        self, *, privacy_request: PrivacyRequest, actor: AbstractBaseUser | None, method: str
    ) -> None: ...


class PrivacyRequestClosing(Protocol):
    """A function of ``settings.PRIVACY_REQUEST_CLOSING``: called when a request is about to be
    closed, after the lifecycle's checks and before anything is written, inside the closing
    transaction; raising ``Refused`` refuses the close. ``open_tasks_reason`` is what staff
    wrote to close as complied while a task of the business's own systems is still open
    (fulfilment's guard reads it; requests_app only passes it on)."""

    def __call__(
        self,
        *,
        privacy_request: PrivacyRequest,
        outcome: str,
        open_tasks_reason: str,
        actor: AbstractBaseUser | None,
        actor_label: str | None,
    ) -> None: ...


class PrivacyRequestClosed(Protocol):
    """A function of ``settings.PRIVACY_REQUEST_CLOSED``: called once when a request is closed,
    whatever the outcome, inside the closing transaction (raising rolls it back): verification
    closes its record and deletes what it collected (§7060(d))."""

    def __call__(self, *, privacy_request: PrivacyRequest) -> None: ...


@functools.cache
def _hooks(paths: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(import_string(path) for path in paths)


# How the timeline says a notice was given by hand.
BY_HAND_PHRASES = {
    words.BY_VOICE: "by phone",
    words.BY_LETTER: "by letter",
    words.FACE_TO_FACE: "in person",
}


def _by_hand(
    method: str, text: str, what: str, fields: tuple[str, str] = ("method", "text")
) -> str:
    """Check how staff gave a notice by hand, and with what words; the channel to record."""
    if method not in words.BY_HAND:
        raise Refused(
            "notice_method_required",
            f"There is no email address on file: tell the consumer {what} by phone, letter or "
            "in person first, then record how, with what you told them (§7021).",
            fields[0],
        )
    if len(text.split()) < lifecycle.MIN_EXPLANATION_WORDS:
        raise Refused(
            "notice_text_required",
            f"Write down what you told the consumer ({what}): the record keeps the date and "
            "nature of every response (§7101(b)). The form offers the text to read or send.",
            fields[1],
        )
    return method


@transaction.atomic
def privacy_request_record_confirmation(
    *,
    privacy_request: PrivacyRequest,
    actor: AbstractBaseUser | None,
    method: str,
    text: str = "",
    note: str = "",
    actor_label: str | None = None,
) -> PrivacyRequest:
    """Staff record how receipt was confirmed, e.g. orally on the call (§7021(a)).

    ``text`` is what they said or sent: the confirmation must describe the verification process
    and say when to expect a response (§7021(a)); ``consumer_message_render(..., template=
    "acknowledgement")`` gives that text to read out or print. Confirming "by email" sends that
    email now, so the record says only what happened.
    """
    privacy_request = privacy_request_for_update(privacy_request)
    if method not in ConfirmationMethod.values:
        raise Refused("invalid_method", "Choose how receipt was confirmed.", "method")
    if privacy_request.confirmed_at is not None:
        raise Refused(
            "already_confirmed", "Receipt of this request was already confirmed.", conflict=True
        )
    if privacy_request.confirm_by is None:
        raise Refused(
            "no_confirmation",
            "Requests to opt out, limit or opt in have no receipt confirmation (§7021(a)).",
            conflict=True,
        )
    now = clock.now()
    if method == ConfirmationMethod.EMAIL:
        communication = consumer_email_send(
            privacy_request, template="acknowledgement", subject=ACKNOWLEDGEMENT_SUBJECT, now=now
        )
        if communication is None:
            raise Refused(
                "no_email",
                "There is no email address on file: confirm receipt by phone, letter or in "
                "person, and record how.",
                "method",
            )
        told = f"by email to {communication.recipient}"
    else:
        _by_hand(method, text, "that their request was received")
        consumer_message_record_by_hand(
            privacy_request,
            template="acknowledgement",
            subject=ACKNOWLEDGEMENT_SUBJECT,
            channel=method,
            text=text,
            now=now,
        )
        told = BY_HAND_PHRASES[method]
    privacy_request.confirmed_at = now
    privacy_request.confirmation_method = method
    privacy_request.updated_at = now
    privacy_request.next_due_at = first_milestone_at(privacy_request, privacy_request.tenant.zone)
    privacy_request.save(
        update_fields=["confirmed_at", "confirmation_method", "updated_at", "next_due_at"]
    )
    timeline_add(
        privacy_request,
        kind=EventKind.ACKNOWLEDGED,
        at=now,
        actor=actor,
        label=actor_label,
        message=f"Receipt confirmed {told} (§7021(a)).",
        reason=note,
    )
    return privacy_request


@transaction.atomic
def privacy_request_assign(
    *,
    privacy_request: PrivacyRequest,
    actor: AbstractBaseUser | None,
    assignee: AbstractBaseUser | None,
    actor_label: str | None = None,
) -> PrivacyRequest:
    privacy_request = privacy_request_for_update(privacy_request)
    if privacy_request.status == Status.CLOSED:
        raise Refused("closed", "This request is closed; it cannot be reassigned.", conflict=True)
    if assignee is not None and not (
        getattr(assignee, "is_superuser", False)
        or Membership.objects.filter(user=assignee, tenant=privacy_request.tenant).exists()
    ):
        raise Refused(
            "not_a_member", "Assign the request to a staff member of this business.", "assignee"
        )
    now = clock.now()
    privacy_request.assignee = assignee
    privacy_request.updated_at = now
    privacy_request.save(update_fields=["assignee", "updated_at"])
    timeline_add(
        privacy_request,
        kind=EventKind.ASSIGNED,
        at=now,
        actor=actor,
        label=actor_label,
        message=f"Assigned to {assignee.get_username()}." if assignee else "Unassigned.",
    )
    return privacy_request


@transaction.atomic
def privacy_request_mark_verified(
    *,
    privacy_request: PrivacyRequest,
    actor: AbstractBaseUser | None,
    method: str,
    actor_label: str | None = None,
) -> PrivacyRequest:
    """Record that the requester's identity was verified (§7060–§7062), and how."""
    privacy_request = privacy_request_for_update(privacy_request)
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
    timeline_add(
        privacy_request,
        kind=EventKind.VERIFIED,
        at=now,
        actor=actor,
        label=actor_label,
        message="Identity verified.",
        reason=method.strip(),
    )
    for verified in _hooks(tuple(settings.PRIVACY_REQUEST_VERIFIED)):
        verified(privacy_request=privacy_request, actor=actor, method=method.strip())
    return privacy_request


@transaction.atomic
def privacy_request_start(
    *,
    privacy_request: PrivacyRequest,
    actor: AbstractBaseUser | None,
    actor_label: str | None = None,
) -> PrivacyRequest:
    privacy_request = privacy_request_for_update(privacy_request)
    lifecycle.check_transition(
        request_type=privacy_request.request_type,
        current=privacy_request.status,
        target=Status.IN_PROGRESS,
    )
    now = clock.now()
    privacy_request.status = Status.IN_PROGRESS
    privacy_request.updated_at = now
    privacy_request.save(update_fields=["status", "updated_at"])
    timeline_add(
        privacy_request,
        kind=EventKind.STATUS,
        at=now,
        actor=actor,
        label=actor_label,
        message="Work started.",
    )
    return privacy_request


@transaction.atomic
def privacy_request_extend(
    *,
    privacy_request: PrivacyRequest,
    actor: AbstractBaseUser | None,
    reason: str,
    new_respond_by: date | None = None,
    actor_label: str | None = None,
    notice_method: str = "",
    notice_text: str = "",
) -> PrivacyRequest:
    """Extend the response deadline once, to at most 90 days, and tell the consumer why, within
    the first 45 days (§7021(b), Civ. Code §1798.130(a)(2)).

    With an email address on file the notice is emailed. Without one, the extension waits until
    staff have told the consumer by phone, letter or in person: ``notice_method`` says how and
    ``notice_text`` what they said (``consumer_message_render(..., template="extension")`` gives
    the text to read or send). Otherwise it is refused: the record never says a notice was given
    when none was.
    """
    privacy_request = privacy_request_for_update(privacy_request)
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
    emailed = bool(consumer_email_address(privacy_request))
    if not emailed:
        _by_hand(
            notice_method,
            notice_text,
            "about the extension and its reason",
            ("notice_method", "notice_text"),
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
    privacy_request.next_due_at = first_milestone_at(privacy_request, tenant.zone)
    privacy_request.save(
        update_fields=[
            "respond_by",
            "extended_at",
            "extension_reason",
            "updated_at",
            "next_due_at",
        ]
    )
    if emailed:
        communication = consumer_email_send(
            privacy_request, template="extension", subject=EXTENSION_SUBJECT, now=now
        )
        assert communication is not None  # noqa: S101 - an email address is on file
        told = f"consumer emailed at {communication.recipient}"
    else:
        consumer_message_record_by_hand(
            privacy_request,
            template="extension",
            subject=EXTENSION_SUBJECT,
            channel=notice_method,
            text=notice_text,
            now=now,
        )
        told = f"consumer told {BY_HAND_PHRASES[notice_method]}"
    timeline_add(
        privacy_request,
        kind=EventKind.EXTENDED,
        at=now,
        actor=actor,
        label=actor_label,
        message=f"Deadline extended from {old_due:%Y-%m-%d} to {new_due:%Y-%m-%d}; {told}.",
        reason=privacy_request.extension_reason,
        data={"from": old_due.isoformat(), "to": new_due.isoformat()},
    )
    return privacy_request


def _unopened_documents(privacy_request: PrivacyRequest) -> list[str]:
    """Names of the consumer's documents no staff member has opened yet."""
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


PERSONAL_PARAGRAPH_MAX = 2000


def _checked_personal_paragraph(text: str) -> str:
    text = text.strip()
    if len(text) > PERSONAL_PARAGRAPH_MAX:
        raise Refused(
            "personal_paragraph_too_long",
            f"Keep your paragraph to {PERSONAL_PARAGRAPH_MAX} characters (it has {len(text)}).",
            "personal_paragraph",
        )
    return text


INFORMATION_SOURCE_MAX = 200


def _checked_correction(
    privacy_request: PrivacyRequest,
    *,
    outcome: str,
    denial_reason: str,
    assessment: str,
    documentation_considered: str,
    information_source: str,
) -> str:
    """§7023(b): the assessment a correction decided on the merits needs; §7023(i): the source
    named only for a request to correct. Returns the cleaned source."""
    information_source = information_source.strip()
    is_correct = privacy_request.request_type == words.CORRECT
    if information_source and not is_correct:
        raise Refused(
            "source_not_expected",
            "Only the answer to a request to correct names the source of the information "
            "(§7023(i)).",
            "information_source",
        )
    if len(information_source) > INFORMATION_SOURCE_MAX:
        raise Refused(
            "source_too_long",
            f"Name the source in at most {INFORMATION_SOURCE_MAX} characters.",
            "information_source",
        )
    if correction_rules.assessment_needed(
        request_type=privacy_request.request_type, outcome=outcome, denial_reason=denial_reason
    ):
        problem = correction_rules.assessment_problem(assessment, documentation_considered)
        if problem is not None:
            field = "assessment" if "totality" in problem else "documentation_considered"
            raise Refused("assessment_required", problem, field)
    return information_source


def privacy_request_close_preview(
    *,
    privacy_request: PrivacyRequest,
    outcome: str,
    denial_reason: str = "",
    explanation: str = "",
    legal_basis: str = "",
    fraud_documentation: str = "",
    personal_paragraph: str = "",
    done_explanation: str = "",
    assessment: str = "",
    documentation_considered: str = "",
    information_source: str = "",
) -> RenderedMessage:
    """The answer closing with these values would send, word for word, without closing or
    writing anything; refused (``Refused``) exactly as ``privacy_request_close`` would be."""
    lifecycle.check_close(
        request_type=privacy_request.request_type,
        current=privacy_request.status,
        verified=privacy_request.verified_at is not None,
        outcome=outcome,
        denial_reason=denial_reason,
        explanation=explanation,
        legal_basis=legal_basis,
        fraud_documentation=fraud_documentation,
        awaiting_consumer_confirmation=privacy_request.awaiting_consumer_confirmation,
        done_explanation=done_explanation,
    )
    personal_paragraph = _checked_personal_paragraph(personal_paragraph)
    information_source = _checked_correction(
        privacy_request,
        outcome=outcome,
        denial_reason=denial_reason,
        assessment=assessment,
        documentation_considered=documentation_considered,
        information_source=information_source,
    )
    answered = copy.copy(privacy_request)  # never saved: the message reads the closing values
    answered.outcome = outcome
    answered.done_explanation = done_explanation.strip()
    answered.information_source = information_source
    answered.denial_reason = denial_reason
    answered.denial_explanation = explanation.strip()
    answered.denial_legal_basis = legal_basis.strip()
    return consumer_message_render(
        answered,
        template="closed",
        subject=WITHDRAWN_SUBJECT if outcome == words.WITHDRAWN else ANSWER_SUBJECT,
        additions={"personal_paragraph": personal_paragraph} if personal_paragraph else None,
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
    fraud_documentation: str = "",
    actor_label: str | None = None,
    personal_paragraph: str = "",
    open_tasks_reason: str = "",
    done_explanation: str = "",
    assessment: str = "",
    documentation_considered: str = "",
    information_source: str = "",
) -> PrivacyRequest:
    """Close with an outcome (§7101(b)): denials need a reason, a real explanation, and for
    fraud the documented belief; opt-outs and limits are denied only for fraud or an agent's
    missing permission (``lifecycle.check_close``). ``personal_paragraph`` is staff's own words,
    added to the answer after its required content (issue 16 item 7). ``open_tasks_reason``:
    why staff close as complied while a system task is still open
    (``settings.PRIVACY_REQUEST_CLOSING``). ``done_explanation``: for "complied in part", what
    was done, in plain words; required, and the answer gives it before what could not be done
    and why (issue 16 item 8).
    A request to correct decided on the merits needs
    staff's ``assessment`` of the totality of the circumstances and the
    ``documentation_considered`` (§7023(b)); ``information_source`` optionally names where the
    inaccurate information came from, in the answer (§7023(i)). A correction complied with is
    recorded so that it stays corrected (§7023(c)), and one whose consumer asked to see all
    specific pieces gets that disclosure (§7023(j))."""
    privacy_request = privacy_request_for_update(privacy_request)
    personal_paragraph = _checked_personal_paragraph(personal_paragraph)
    lifecycle.check_close(
        request_type=privacy_request.request_type,
        current=privacy_request.status,
        verified=privacy_request.verified_at is not None,
        outcome=outcome,
        denial_reason=denial_reason,
        explanation=explanation,
        legal_basis=legal_basis,
        fraud_documentation=fraud_documentation,
        awaiting_consumer_confirmation=privacy_request.awaiting_consumer_confirmation,
        done_explanation=done_explanation,
    )
    # §7023(d)(1) (R-7023-d-1): a correction is decided only after staff have opened every
    # document the consumer sent. A withdrawal is the consumer's act, not a decision: exempt.
    if privacy_request.request_type == words.CORRECT and outcome != words.WITHDRAWN:
        unopened = _unopened_documents(privacy_request)
        if unopened:
            raise Refused(
                "documents_not_opened",
                "Open the consumer's documentation before deciding (§7023(d)(1)). "
                f"{_who_may_open(privacy_request)} Not opened yet: {', '.join(unopened)}.",
                conflict=True,
            )
    information_source = _checked_correction(
        privacy_request,
        outcome=outcome,
        denial_reason=denial_reason,
        assessment=assessment,
        documentation_considered=documentation_considered,
        information_source=information_source,
    )
    # The apps above requests_app may refuse the close (fulfilment: a system has not answered).
    for closing in _hooks(tuple(settings.PRIVACY_REQUEST_CLOSING)):
        closing(
            privacy_request=privacy_request,
            outcome=outcome,
            open_tasks_reason=open_tasks_reason,
            actor=actor,
            actor_label=actor_label,
        )
    now = clock.now()
    privacy_request.status = Status.CLOSED
    privacy_request.outcome = outcome
    privacy_request.denial_reason = denial_reason
    privacy_request.denial_explanation = explanation.strip()
    privacy_request.done_explanation = done_explanation.strip()
    privacy_request.denial_legal_basis = legal_basis.strip()
    privacy_request.denial_fraud_documentation = fraud_documentation.strip()
    privacy_request.correction_assessment = assessment.strip()
    privacy_request.correction_documentation = documentation_considered.strip()
    privacy_request.information_source = information_source
    privacy_request.responded_at = now
    privacy_request.updated_at = now
    privacy_request.next_due_at = None
    privacy_request.save(
        update_fields=[
            "status",
            "outcome",
            "denial_reason",
            "denial_explanation",
            "done_explanation",
            "denial_legal_basis",
            "denial_fraud_documentation",
            "correction_assessment",
            "correction_documentation",
            "information_source",
            "responded_at",
            "updated_at",
            "next_due_at",
        ]
    )
    communication = consumer_email_send(
        privacy_request,
        template="closed",
        subject=WITHDRAWN_SUBJECT if outcome == words.WITHDRAWN else ANSWER_SUBJECT,
        now=now,
        additions={"personal_paragraph": personal_paragraph} if personal_paragraph else None,
    )
    closed = f"Closed: {privacy_request.get_outcome_display().lower()}" + (
        f" ({privacy_request.get_denial_reason_display().lower()})" if denial_reason else ""
    )
    told = (
        f"; the consumer was emailed at {communication.recipient}."
        if communication is not None
        else "; no email address on file: tell the consumer the answer by phone or letter."
    )
    timeline_add(
        privacy_request,
        kind=EventKind.CLOSED,
        at=now,
        actor=actor,
        label=actor_label,
        message=closed + told,
        reason=privacy_request.denial_explanation,
        data={"outcome": outcome, "denial_reason": denial_reason}
        | ({"done": privacy_request.done_explanation} if privacy_request.done_explanation else {}),
    )
    if privacy_request.request_type == words.CORRECT and outcome in words.ANSWERED:
        correction_record(privacy_request=privacy_request, now=now)
        correction_disclosure_create(privacy_request=privacy_request)
    # How the apps above requests_app (opt-out's recipients, §7022(b)(2)-(3), §7023(c),
    # §7026(f)(2)-(3), §7027(g)(2)-(4)) learn that a request was complied with.
    if outcome in words.ANSWERED:
        for complied in _complied_hooks(tuple(settings.PRIVACY_REQUEST_COMPLIED)):
            complied(privacy_request=privacy_request)
    for closed_hook in _hooks(tuple(settings.PRIVACY_REQUEST_CLOSED)):
        closed_hook(privacy_request=privacy_request)
    return privacy_request
