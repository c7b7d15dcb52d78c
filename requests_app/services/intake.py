"""Intake: recording a new privacy request from any channel (``privacy_request_create``).

The portal's forms, the API, the staff's log of phone, mail and in-person requests and (later)
agents all come through here, so every intake rule holds on every channel:

* the request gets its reference and its deadlines, and is validated before it is saved;
* **two requests to know per 12 months** (Civ. Code §1798.130(b); requirements A-10): counted
  are the same consumer's requests to know answered in whole or in part, received in the 12
  months up to this one (``selectors.know_requests_answered_on``). A third is recorded, never
  dropped (§7101), flagged, and, as the business chose (``Tenant.know_limit_policy``), closed
  at once as denied with the day the consumer may ask again, or left to staff;
* **repeated correction** (§7023(g)): a request to correct is flagged for staff when the same
  consumer's request about the same information was denied in the six months before; one that
  comes with documents is new by definition and is not flagged. Staff decide;
* **the receipt confirmation** (§7021(a)) is decided here, once: by email at once where there
  is an address; for a request denied at once, the answer doubles as the confirmation (§7021(a)
  then allows leaving out the process description); otherwise staff record how they confirmed.

The request, its documents, its timeline and its outbox emails are saved in one transaction, or
none is (an uploaded file is removed again). Then the functions in
``settings.PRIVACY_REQUEST_CREATED`` are called, inside that transaction, with the new request:
the extension point through which the apps above (verification, opt-out) learn of it without
``requests_app`` importing them.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from core import clock
from core.calendar import start_of_day
from core.dates import long_date
from core.fast_insert import insert_new
from core.model_rows import new_instance
from core.refusals import Refused
from core.uploads import upload_check
from tenants.models import KnowLimitPolicy, Tenant

from .. import deadlines, know_period, lifecycle, limits
from .. import vocabulary as words
from ..milestones import first_milestone_at
from ..models import ConfirmationMethod, DeleteScope, EventKind, PrivacyRequest, RequestDocument
from ..selectors import corrections_denied_since, know_requests_answered_on
from .consumer_messages import ACKNOWLEDGEMENT_SUBJECT, consumer_email_address, consumer_email_send
from .documents import request_document_attach
from .timeline import SYSTEM_ACTOR, actor_label, timeline_add, timeline_add_all, timeline_entry

# Crockford-style alphabet without look-alikes (0/O, 1/I/L): easy to read out on the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


_REFERENCES = len(REFERENCE_ALPHABET) ** 8


def new_reference(prefix: str) -> str:
    # Eight characters drawn uniformly and independently: the digits, in REFERENCE_ALPHABET's
    # base, of one number drawn uniformly below 30**8 (one call to the system's randomness).
    number = secrets.randbelow(_REFERENCES)
    chars = []
    for _ in range(8):
        number, digit = divmod(number, len(REFERENCE_ALPHABET))
        chars.append(REFERENCE_ALPHABET[digit])
    return f"{prefix}-{''.join(chars[:4])}-{''.join(chars[4:])}"


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


class PrivacyRequestCreated(Protocol):
    """A function of ``settings.PRIVACY_REQUEST_CREATED``: called once per new request, inside
    the intake transaction (raising rolls the whole request back).

    ``extras`` is what the caller of ``privacy_request_create`` gave for the apps above
    requests_app (an authorized agent's kind and permission, a household, a child under 13):
    requests_app passes it on without reading it; each hook takes the keys it knows."""

    def __call__(
        self, *, privacy_request: PrivacyRequest, extras: Mapping[str, Any] | None = None
    ) -> None: ...


@functools.cache
def _created_hooks(paths: tuple[str, ...]) -> tuple[PrivacyRequestCreated, ...]:
    return tuple(import_string(path) for path in paths)


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
    documents: Sequence[UploadedFile] = (),
    extras: Mapping[str, Any] | None = None,
) -> PrivacyRequest:
    """Record a new request, compute its deadlines, apply the intake rules, acknowledge it.

    The request is committed before anything leaves (the outbox sends after commit). A
    reference collision (one in ~10^12) is retried with a fresh reference.

    ``language`` is the consumer's language: it is stored, and every later message uses it.
    ``details`` sets the type-specific fields listed in ``DETAIL_FIELDS`` (delete scope,
    correction, two-step confirmation), validated with the rest. ``documents`` are the
    consumer's documentation for a request to correct (§7023(d)), or an authorized agent's copy
    of the consumer's signed permission to opt out or limit (§7026(j), §7027(j)); stored
    encrypted.

    ``extras`` are handed, unread, to the ``settings.PRIVACY_REQUEST_CREATED`` hooks (see
    ``PrivacyRequestCreated``). Any uploaded file among them (a value, or a list of them) is
    checked here first like ``documents``: a wrong or oversize file is refused before anything
    is written.
    """
    for upload in documents:
        upload_check(upload)  # refuse before anything is written
    for name, value in (extras or {}).items():
        for upload in value if isinstance(value, list | tuple) else (value,):
            if isinstance(upload, UploadedFile):
                upload_check(upload, field=name)
    saved_files: list[str] = []
    try:
        for attempt in range(3):
            try:
                return _create(
                    tenant=tenant,
                    request_type=request_type,
                    channel=channel,
                    requester=requester,
                    know_scope=know_scope,
                    received_at=received_at,
                    agent=agent or Agent(),
                    is_california_consumer=is_california_consumer,
                    actor=actor,
                    label=actor_label,
                    language=language,
                    details=details or {},
                    documents=documents,
                    saved_files=saved_files,
                    extras=extras or {},
                )
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")
    except BaseException:
        for name in saved_files:  # the transaction is gone; so must its files be
            RequestDocument._meta.get_field("file").storage.delete(name)  # type: ignore[attr-defined]
        raise


def _check(
    *,
    request_type: str,
    channel: str,
    requester: Requester,
    know_scope: str,
    received_at: datetime,
    now: datetime,
    agent: Agent,
    language: str,
    details: Mapping[str, Any],
    documents: Sequence[UploadedFile],
    today: date,
) -> None:
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
    if request_type == words.KNOW and not know_scope:
        raise Refused(
            "know_scope_required",
            "Say what the request to know asks for: categories, specific pieces, or both.",
            "know_scope",
        )
    if request_type != words.KNOW and know_scope:
        raise Refused("know_scope_not_allowed", "Only requests to know have a scope.", "know_scope")
    if channel == words.AGENT and not (agent.name or agent.organization):
        raise Refused(
            "agent_required", "Give the authorized agent's name or organization.", "agent"
        )
    # An opt-out or a limit made on the portal's form may name nobody: it applies to the
    # browser that sent it (§7026(c)-(d), §7027(d)-(e)); so does an opt-out preference signal.
    anonymous_allowed = channel == words.GPC or (
        channel == words.WEBFORM and request_type in deadlines.COMPLY_TYPES
    )
    # So may an opt-in (§7028): made in the browser it applies to, or recorded through the API
    # by the business for a consumer it names by a subject id, not by contact details.
    anonymous_allowed = anonymous_allowed or (
        request_type == words.OPT_IN and channel in {words.WEBFORM, words.API}
    )
    if not (requester.email or requester.phone or requester.name) and not anonymous_allowed:
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
    if details.get("delete_scope") == DeleteScope.SELECTED and not details.get("delete_categories"):
        raise Refused(
            "categories_required",
            gettext("Choose at least one kind of information to delete."),
            "delete_categories",
        )
    know_period_check(
        details.get("know_period_start"),
        details.get("know_period_end"),
        today,
        is_know=request_type == words.KNOW,
    )
    # A consumer's documentation of a correction (§7023(d)), or an authorized agent's copy of
    # the consumer's signed permission to opt out or limit for them (§7026(j), §7027(j)).
    agents_permission = channel == words.AGENT and request_type in deadlines.COMPLY_TYPES
    if documents and request_type != words.CORRECT and not agents_permission:
        raise Refused(
            "documents_not_allowed",
            "Only requests to correct, and an authorized agent's request to opt out or to "
            "limit (with the consumer's signed permission), take documents.",
            "document",
        )


@transaction.atomic
def _create(
    *,
    tenant: Tenant,
    request_type: str,
    channel: str,
    requester: Requester,
    know_scope: str,
    received_at: datetime | None,
    agent: Agent,
    is_california_consumer: bool | None,
    actor: AbstractBaseUser | None,
    label: str | None,
    language: str,
    details: Mapping[str, Any],
    documents: Sequence[UploadedFile],
    saved_files: list[str],
    extras: Mapping[str, Any],
) -> PrivacyRequest:
    now = clock.now()
    received_at = received_at or now
    _check(
        request_type=request_type,
        channel=channel,
        requester=requester,
        know_scope=know_scope,
        received_at=received_at,
        now=now,
        agent=agent,
        language=language,
        details=details,
        documents=documents,
        today=now.astimezone(tenant.zone).date(),
    )
    details = dict(details)
    if "delete_categories" in details:
        # Only with "selected categories" (§7022(h)); one of each, in a stable order.
        selected = details.get("delete_scope") == DeleteScope.SELECTED
        details["delete_categories"] = sorted(set(details["delete_categories"])) if selected else []
    due = deadlines.deadlines_for(request_type, received_at, tenant.zone, tenant.calendar)
    state = requester.state.strip().upper()
    privacy_request = new_instance(  # PrivacyRequest(...), see core.model_rows
        PrivacyRequest,
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
        submitted_by_agent=channel == words.AGENT or bool(agent.name or agent.organization),
        agent_name=agent.name,
        agent_organization=agent.organization,
        agent_email=agent.email,
        agent_phone=agent.phone,
        language=language,
        status=words.RECEIVED,
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

    repeated = _repeated_corrections(privacy_request, has_documents=bool(documents))
    next_know_date = _know_limit_next_date(privacy_request)
    flags = list(privacy_request.flags or [])
    if repeated:
        flags.append(words.FLAG_REPEAT_CORRECTION)
    if next_know_date is not None:
        flags.append(words.FLAG_KNOW_LIMIT)
        privacy_request.know_limit_next_date = next_know_date
    privacy_request.flags = flags
    deny_at_once = next_know_date is not None and tenant.know_limit_policy == KnowLimitPolicy.DENY
    privacy_request.status = lifecycle.initial_status(request_type)
    # §7021(a): with an email address, receipt is confirmed at once, so the request is saved
    # already confirmed (one INSERT, no UPDATE: intake is the hottest write path). A request
    # denied at once is confirmed by its answer instead.
    email_on_file = bool(consumer_email_address(privacy_request))
    acknowledge = bool(privacy_request.confirm_by) and email_on_file and not deny_at_once
    if acknowledge or (deny_at_once and email_on_file):
        privacy_request.confirmed_at = now
        privacy_request.confirmation_method = ConfirmationMethod.EMAIL
    privacy_request.next_due_at = first_milestone_at(privacy_request, tenant.zone)
    insert_new(privacy_request)  # intake is the hottest write path: see core.fast_insert

    who = {"actor": actor, "label": label or actor_label(actor)}
    events = [
        timeline_entry(
            privacy_request,
            kind=EventKind.CREATED,
            at=now,
            message=f"Received by {privacy_request.get_channel_display().lower()} at "
            f"{received_at.astimezone(tenant.zone):%Y-%m-%d %H:%M %Z}.",
            data={"status": privacy_request.status},
            **who,
        )
    ]
    if acknowledge:
        communication = consumer_email_send(
            privacy_request, template="acknowledgement", subject=ACKNOWLEDGEMENT_SUBJECT, now=now
        )
        assert communication is not None  # noqa: S101 - an email address is on file
        events.append(
            timeline_entry(
                privacy_request,
                kind=EventKind.ACKNOWLEDGED,
                at=now,
                label=SYSTEM_ACTOR,
                message=f"Receipt confirmed by email to {communication.recipient} (§7021(a)).",
            )
        )
    if repeated:
        events.append(
            timeline_entry(
                privacy_request,
                kind=EventKind.FLAGGED,
                at=now,
                message="Flagged: a request to correct the same information "
                f"({privacy_request.get_correction_field_display()}) was denied within the "
                f"past 6 months ({', '.join(repeated)}). It may be denied again unless the "
                "consumer gives new documentation (§7023(g)).",
                data={"flag": words.FLAG_REPEAT_CORRECTION, "earlier": repeated},
                **who,
            )
        )
    if next_know_date is not None:
        events.append(
            timeline_entry(
                privacy_request,
                kind=EventKind.FLAGGED,
                at=now,
                message="Flagged: third request to know from this consumer within 12 months "
                f"(Civ. Code §1798.130(b)); they may ask again from {next_know_date:%Y-%m-%d}."
                + (
                    " Closed at once as denied (other grounds), as the business chose."
                    if deny_at_once
                    else " Staff decide whether to answer it."
                ),
                data={
                    "flag": words.FLAG_KNOW_LIMIT,
                    "ask_again_on": next_know_date.isoformat(),
                },
                **who,
            )
        )
    # Staff who log a request are audited (they entered a consumer's details); an API key
    # forwarding one is not, or every create would queue on the business's audit chain.
    timeline_add_all(events, keys_audited=False)
    for upload in documents:
        request_document_attach(privacy_request, upload, now=now, saved_files=saved_files)
    if deny_at_once:
        privacy_request = _deny_over_know_limit(privacy_request, email_on_file, now, who)
    for created in _created_hooks(tuple(settings.PRIVACY_REQUEST_CREATED)):
        created(privacy_request=privacy_request, extras=extras)
    return privacy_request


def know_period_check(
    start: date | None, end: date | None, today: date, *, is_know: bool = True
) -> None:
    """Refuse a period a request to know cannot cover (``know_period.period_problem``), in the
    active language: the one rule for the portal, the API and the staff log."""
    problem = know_period.period_problem(start, end, today, is_know=is_know)
    if problem is None:
        return
    messages = {
        know_period.BOTH_OR_NEITHER: gettext(
            "Give both the first and the last day of the period, or ask for everything since "
            "January 1, 2022."
        ),
        know_period.START_TOO_EARLY: gettext(
            "The period can start on January 1, 2022 at the earliest."
        ),
        know_period.END_BEFORE_START: gettext(
            "The last day of the period must be on or after its first day."
        ),
        know_period.END_IN_FUTURE: gettext("The last day of the period cannot be after today."),
        know_period.NOT_A_KNOW: gettext("Only a request to know covers a period."),
    }
    raise Refused(problem, messages[problem], know_period.PROBLEM_FIELDS[problem])


def _know_limit_next_date(privacy_request: PrivacyRequest) -> date | None:
    email = privacy_request.requester_email.strip().lower()
    if privacy_request.request_type != words.KNOW or not email:
        return None
    if privacy_request.confirms_correction_id is not None:
        return None  # §7023(j): never limited, never counted
    received = privacy_request.received_date
    answered = know_requests_answered_on(privacy_request.tenant, email=email, received=received)
    return limits.know_limit_next_date(answered, received)


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def _repeated_corrections(privacy_request: PrivacyRequest, *, has_documents: bool) -> list[str]:
    """References of denied requests to correct the same thing within six months (§7023(g))."""
    email = privacy_request.requester_email.strip().lower()
    if privacy_request.request_type != words.CORRECT or not email or has_documents:
        return []
    tenant = privacy_request.tenant
    received = privacy_request.received_date
    field = privacy_request.correction_field
    since = start_of_day(limits.add_months(received, -limits.CORRECT_REPEAT_MONTHS), tenant.zone)
    return [
        reference
        for reference, responded_at, information in corrections_denied_since(
            tenant, email=email, correction_field=field, since=since
        )
        # "Something else" must also describe the same thing.
        if (field != "other" or _same_text(information, privacy_request.correction_information))
        and limits.is_repeat_correction(
            [deadlines.receipt_date(responded_at, tenant.zone)], received
        )
    ]


def know_limit_explanation(next_date: date, language: str) -> str:
    """What the consumer is told when a third request to know is denied (in their language)."""
    with translation.override(language):
        return gettext(
            "You have already made two requests to know in the last 12 months. The law does "
            "not require a business to answer more than two requests to know from the same "
            "person in 12 months (California Civil Code section 1798.130(b)). You can make a new "
            "request to know from %(date)s. You can still ask us to delete or correct your "
            "information at any time."
        ) % {"date": long_date(next_date)}


def _deny_over_know_limit(
    privacy_request: PrivacyRequest, email_on_file: bool, now: datetime, who: dict[str, Any]
) -> PrivacyRequest:
    from .transitions import privacy_request_close  # transitions does not import intake

    assert privacy_request.know_limit_next_date is not None  # noqa: S101 - checked by the caller
    closed = privacy_request_close(
        privacy_request=privacy_request,
        actor=who["actor"],
        actor_label=who["label"],
        outcome=words.DENIED,
        denial_reason=words.OTHER,
        explanation=know_limit_explanation(
            privacy_request.know_limit_next_date, privacy_request.language
        ),
    )
    if email_on_file:
        timeline_add(
            closed,
            kind=EventKind.ACKNOWLEDGED,
            at=now,
            label=SYSTEM_ACTOR,
            message="Receipt confirmed by the answer email (§7021(a)).",
        )
    return closed


# Type-specific fields ``privacy_request_create(details=...)`` may set, and for which types.
DETAIL_FIELDS: dict[str, frozenset[str] | None] = {
    "delete_scope": frozenset({words.DELETE}),
    "delete_categories": frozenset({words.DELETE}),
    "awaiting_consumer_confirmation": frozenset({words.DELETE}),
    # Amended §7020, §7024(h): the period a request to know covers; none is everything since
    # January 1, 2022 (``know_period``). Checked by ``know_period_check``.
    "know_period_start": frozenset({words.KNOW}),
    "know_period_end": frozenset({words.KNOW}),
    "correction_field": frozenset({words.CORRECT}),
    "correction_information": frozenset({words.CORRECT}),
    "correction_requested": frozenset({words.CORRECT}),
    # §7023(j): see all specific pieces to confirm the correction; the request to know that
    # confirms it names its request to correct (requests_app.services.corrections).
    "correction_disclosure_wanted": frozenset({words.CORRECT}),
    "confirms_correction": frozenset({words.KNOW}),
    "flags": None,  # any type: flags an importer already knows; intake adds its own
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


def _first_field(error: ValidationError) -> str | None:
    return next(iter(error.message_dict), None) if hasattr(error, "error_dict") else None


def _first_message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        field, messages = next(iter(error.message_dict.items()))
        return f"{field.replace('_', ' ')}: {messages[0]}"
    return error.messages[0]
