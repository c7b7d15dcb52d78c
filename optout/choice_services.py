"""Opt-out and limit requests: the consumer's choice recorded as a privacy request (§7101) and
carried out on their consent state (§7026, §7027).

Every channel comes through here: the portal's forms, the opt-out preference signal (§7025),
authorized agents (§7026(j), §7027(j)), the API, and staff logging a phone call, an email, a
letter or a visit (§7026(a)(2)-(3)). So every channel gets the same record:

1. ``choice_submit`` records one request per right asked for (an opt-out of sale/sharing, a limit
   of the use of sensitive information), with the 15-business-day comply-by date that the sweep
   watches (§7026(f)(1), §7027(g)(1)), through intake (``privacy_request_create``);
2. unless it must wait for staff (an agent's request, whose signed permission staff check first,
   §7026(j)), ``choice_apply`` restricts the consent state of every subject named (the browser,
   the email address, the phone number), links the browser to the consumer so that each side's
   choice carries over (§7025(c)(1)), writes on the timeline exactly what changed, and closes the
   request as complied. Closing fans the request out to the recipients that must pass it on
   (``recipient_services``, §7026(f)(2)-(3), §7027(g)(2)-(4)); their delivery state is on the
   request, and the request says they were notified only once each message is queued.

All of it is one transaction: a request is never recorded without its change, nor a change
without its request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from core import clock
from core.refusals import Refused
from requests_app import vocabulary as words
from requests_app.models import EventKind, PrivacyRequest
from requests_app.services.intake import Agent, Requester, privacy_request_create
from requests_app.services.timeline import SYSTEM_ACTOR, timeline_add
from requests_app.services.transitions import privacy_request_close
from tenants.models import Tenant

from .models import ConsentRight, ConsentSource, ConsentState
from .services import Subject, consent_restrict, consent_subject, device_link
from .subjects import SubjectKind

# The request type that records each right, and back.
REQUEST_TYPE_FOR_RIGHT = {
    ConsentRight.SALE_SHARING: words.OPT_OUT,
    ConsentRight.SENSITIVE_USE: words.LIMIT,
}
RIGHT_FOR_REQUEST_TYPE = {value: key for key, value in REQUEST_TYPE_FOR_RIGHT.items()}

# Where a consent change came from, by the manner in which its request was made (§7101(b)).
SOURCE_FOR_CHANNEL = {
    words.WEBFORM: ConsentSource.FORM,
    words.GPC: ConsentSource.SIGNAL,
    words.AGENT: ConsentSource.AGENT,
    words.API: ConsentSource.API,
    words.PHONE: ConsentSource.PHONE,
    words.MAIL: ConsentSource.MAIL,
    words.EMAIL: ConsentSource.STAFF,
    words.IN_PERSON: ConsentSource.STAFF,
}

_KIND_LABELS = {
    SubjectKind.EMAIL: "email address",
    SubjectKind.PHONE: "phone number",
    SubjectKind.ACCOUNT: "account id",
    SubjectKind.DEVICE: "browser",
}
_RIGHT_DONE = {
    ConsentRight.SALE_SHARING: "Opted out of the sale and sharing of personal information",
    ConsentRight.SENSITIVE_USE: "Use of sensitive personal information limited",
}


@dataclass(frozen=True)
class ChoiceMade:
    """One right's request, and the subject states it changed (empty while it waits for staff)."""

    right: str
    privacy_request: PrivacyRequest
    states: tuple[ConsentState, ...]


def request_subjects(tenant: Tenant, privacy_request: PrivacyRequest) -> list[Subject]:
    """The consumers a request names by its requester's email address and phone number (a
    request applied later by staff, e.g. an agent's, names its consumer so)."""
    subjects = []
    if privacy_request.requester_email:
        subjects.append(consent_subject(tenant, SubjectKind.EMAIL, privacy_request.requester_email))
    if privacy_request.requester_phone:
        phone = str(privacy_request.requester_phone)
        subjects.append(consent_subject(tenant, SubjectKind.PHONE, phone))
    return subjects


def _describe(subjects: Sequence[Subject]) -> str:
    labels = [_KIND_LABELS[subject.kind] for subject in subjects]
    if len(labels) == 1:
        return f"the {labels[0]}"
    return "the " + ", the ".join(labels[:-1]) + f" and the {labels[-1]}"


def _record_applied(
    privacy_request: PrivacyRequest,
    right: str,
    named: Sequence[Subject],
    states: Sequence[ConsentState],
    actor: Any,
    actor_label: str | None,
) -> None:
    timeline_add(
        privacy_request,
        kind=EventKind.CONSENT_CHANGED,
        at=clock.now(),
        actor=actor,
        label=actor_label or (None if actor is not None else SYSTEM_ACTOR),
        message=f"{_RIGHT_DONE[right]} for {_describe(named)}. The consent lookup answers so "
        "from now on.",
        data={
            "right": right,
            "subjects": [subject.kind.value for subject in named],
            "versions": [state.version for state in states],
        },
    )


def choice_complied(*, privacy_request: PrivacyRequest) -> None:
    """``settings.PRIVACY_REQUEST_COMPLIED``: an opt-out or a limit closed as complied some other
    way than ``choice_apply`` (the requests API, the queue's "Close with outcome") is applied
    here, to the consumer its email address and phone number name, inside the same close: the
    record never says an opt-out was complied with while the lookup still says "may sell".
    One naming nobody cannot be applied: the close is refused. Agents' requests have their own
    rule (``staff_services.agent_choice_complied``)."""
    right = RIGHT_FOR_REQUEST_TYPE.get(privacy_request.request_type)
    if right is None or privacy_request.channel == words.AGENT:
        return
    if privacy_request.events.filter(kind=EventKind.CONSENT_CHANGED).exists():
        return  # applied already (choice_apply)
    tenant = privacy_request.tenant
    named = request_subjects(tenant, privacy_request)
    if not named:
        raise Refused(
            "no_subject",
            "This request names no email address or phone number, so there is nothing to apply "
            "the opt-out or limit to. Record the consumer's email address or phone number (log "
            "the request again with it), or close it as denied with the reason.",
            conflict=True,
        )
    source = SOURCE_FOR_CHANNEL.get(privacy_request.channel, ConsentSource.STAFF)
    states = [
        consent_restrict(
            tenant=tenant,
            subject=subject,
            right=right,
            source=source,
            privacy_request=privacy_request,
        )
        for subject in named
    ]
    _record_applied(privacy_request, right, named, states, None, None)


@transaction.atomic
def choice_apply(
    *,
    privacy_request: PrivacyRequest,
    subjects: Sequence[Subject] = (),
    actor: Any = None,
    actor_label: str | None = None,
) -> tuple[ConsentState, ...]:
    """Carry out an open opt-out or limit request on its subjects, then close it as complied.

    ``subjects`` are those the caller knows beyond the request's own email and phone (the
    browser that sent the form or the signal, an account id). A request naming nobody at all
    is refused: there would be nothing to apply it to.
    """
    right = RIGHT_FOR_REQUEST_TYPE.get(privacy_request.request_type)
    if right is None:
        raise Refused("not_a_choice", "Only requests to opt out or to limit are applied here.")
    if privacy_request.status == words.CLOSED:
        raise Refused("closed", "This request is already closed.", conflict=True)
    tenant = privacy_request.tenant
    named = list(dict.fromkeys([*subjects, *request_subjects(tenant, privacy_request)]))
    if not named:
        raise Refused(
            "no_subject",
            "This request names no email address, phone number or browser to apply it to.",
            "requester",
        )
    source = SOURCE_FOR_CHANNEL.get(privacy_request.channel, ConsentSource.STAFF)
    states = tuple(
        consent_restrict(
            tenant=tenant,
            subject=subject,
            right=right,
            source=source,
            privacy_request=privacy_request,
            actor=actor,
            actor_label=actor_label or "",
        )
        for subject in named
    )
    devices = [subject for subject in named if subject.kind == SubjectKind.DEVICE]
    consumers = [subject for subject in named if subject.kind != SubjectKind.DEVICE]
    for device in devices:
        for consumer in consumers:
            device_link(tenant=tenant, device=device, consumer=consumer)
    _record_applied(privacy_request, right, named, states, actor, actor_label)
    privacy_request_close(
        privacy_request=privacy_request,
        actor=actor,
        actor_label=actor_label or (None if actor is not None else SYSTEM_ACTOR),
        outcome=words.COMPLIED,
    )
    privacy_request.refresh_from_db()
    return states


@transaction.atomic
def choice_submit(
    *,
    tenant: Tenant,
    rights: Sequence[str],
    channel: str,
    subjects: Sequence[Subject] = (),
    requester: Requester | None = None,
    agent: Agent | None = None,
    received_at: datetime | None = None,
    actor: Any = None,
    actor_label: str | None = None,
    language: str = "en",
    apply: bool = True,
    documents: Sequence[UploadedFile] = (),
) -> list[ChoiceMade]:
    """Record one request per right and, when ``apply``, carry each out at once.

    ``apply=False`` leaves the requests open, in progress with their comply-by date, for staff:
    an authorized agent's request waits for its signed permission to be checked (§7026(j),
    §7027(j)); a request staff suspect is fraudulent is denied by them (§7026(e), §7027(f)).
    ``documents``: an agent's copy of the consumer's signed permission, kept with each request.
    """
    wanted = list(dict.fromkeys(rights))
    if not wanted:
        raise Refused("right_required", "Choose what to opt out of or limit.", "rights")
    for right in wanted:
        if right not in REQUEST_TYPE_FOR_RIGHT:
            raise Refused("invalid_right", f"Unknown right {right!r}.", "rights")
    if channel == words.GPC and agent is not None:
        # §7026(j): a signal is the consumer's own request, never an agent's.
        raise Refused("signal_not_agent", "An opt-out preference signal is never an agent's.")
    made = []
    for right in wanted:
        privacy_request = privacy_request_create(
            tenant=tenant,
            request_type=REQUEST_TYPE_FOR_RIGHT[right],
            channel=channel,
            requester=requester or Requester(),
            agent=agent,
            received_at=received_at,
            actor=actor,
            actor_label=actor_label,
            language=language,
            documents=documents,
        )
        states: tuple[ConsentState, ...] = ()
        if apply:
            states = choice_apply(
                privacy_request=privacy_request,
                subjects=subjects,
                actor=actor,
                actor_label=actor_label,
            )
        made.append(ChoiceMade(right, privacy_request, states))
    return made
