"""The verification record of a request to know, delete or correct (§7060–§7062).

* ``verification_on_created`` (intake's extension point): the record, with the degree the
  request needs, and the email link that proves the address is the requester's;
* ``verification_link_use``: the consumer opens that link (once, before it expires);
* ``verification_submit``: the consumer gives data points (and, for the reasonably high degree,
  signs the declaration); they are matched (``matching``), each result recorded, then
* ``verification_evaluate``: when the degree is reached and nothing else holds the request (an
  agent's missing permission, a parent not yet verified), the request is marked verified through
  ``requests_app``'s transition, so its timeline says so; the 45 days never restart (§7021(b));
* ``verification_on_marked_verified``: a staff member verified by hand, with a written reason;
* ``verification_on_closed``: the request is closed: the data collected only for verification is
  deleted (§7060(d)); the checks (no values) and signed declarations stay (§7062(c)).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from core import clock, encryption
from core.fast_insert import insert_new
from core.model_rows import new_instance
from core.refusals import Refused
from core.tokens import token_new, token_usable, token_use
from outbox.sealing import Secret
from requests_app import vocabulary as words
from requests_app.models import EventKind, PrivacyRequest
from requests_app.services import message_shapes
from requests_app.services.consumer_messages import consumer_email_send
from requests_app.services.timeline import timeline_add
from requests_app.services.transitions import privacy_request_mark_verified
from tenants.models import Tenant
from tenants.portal import portal_absolute_url

from .. import degrees
from ..models import (
    CheckResult,
    CheckSource,
    DataPointCheck,
    Declaration,
    LinkPurpose,
    Reliability,
    Verification,
    VerificationLink,
    VerificationPolicy,
    VerificationStatus,
)
from . import blockers, fraud
from .matching import directory_match
from .policies import verification_policy

VERIFICATION_ACTOR = "Identity verification"
VERIFY_EMAIL_SUBJECT = gettext_noop(
    "Confirm your email address for your privacy request %(reference)s"
)

DEGREE_WORDS = {
    degrees.REASONABLE: "a reasonable degree of certainty (§7062(b): 2 matching data points)",
    degrees.REASONABLY_HIGH: "a reasonably high degree of certainty (§7062(c): 3 matching data "
    "points and a signed declaration)",
}

# The declaration the consumer signs (§7062(c)), in their language.
DECLARATION_TEXT = gettext_noop(
    "I declare under penalty of perjury under the laws of the State of California that I am "
    "the consumer whose personal information is the subject of this request, and that the "
    "information I have given is true and correct."
)


def verification_for(privacy_request: PrivacyRequest) -> Verification | None:
    return (
        Verification.objects.for_tenant(privacy_request.tenant)
        .filter(privacy_request=privacy_request)
        .first()
    )


def _for_update(verification: Verification) -> Verification:
    return (
        Verification.objects.for_tenant(verification.tenant)
        .select_for_update()
        .select_related("privacy_request")
        .get(pk=verification.pk)
    )


# --- Start -------------------------------------------------------------------------------------


def verification_on_created(
    *, privacy_request: PrivacyRequest, extras: Mapping[str, Any] | None = None
) -> None:
    """Intake's hook: every request to know, delete or correct gets its verification record;
    opt-out, limit and opt-in never do (§7060(b)).

    ``extras`` (from the portal's forms): an authorized agent's kind, entity number, power of
    attorney and documents (``agents``); a request about a child under 13 (``households``,
    §7070(c)); a household request and how many members it has (§7031(a))."""
    if not privacy_request.needs_verification or not privacy_request.is_open:
        return
    extras = extras or {}
    tenant = privacy_request.tenant
    policy = verification_policy(tenant)
    required = degrees.required_degree(
        request_type=privacy_request.request_type,
        know_scope=privacy_request.know_scope,
        delete_degree=policy.delete_degree,
        correct_degree=policy.correct_degree,
        delete_categories=privacy_request.delete_categories or (),
        high_degree_delete_categories=policy.high_degree_delete_categories or (),
        correction_field=privacy_request.correction_field,
        high_degree_correct_fields=policy.high_degree_correct_fields or (),
    )
    now = clock.now()
    verification = new_instance(  # Verification(...), see core.model_rows
        Verification,
        tenant=tenant,
        privacy_request=privacy_request,
        required_degree=required,
        reached_degree="",
        status=VerificationStatus.PENDING,
        contested_points=list(
            degrees.contested_points(privacy_request.request_type, privacy_request.correction_field)
        ),
        created_at=now,
        updated_at=now,
    )
    verification.next_due_at = next_due_at(verification, policy.reminder_days, now)
    # No timeline entry: the record itself (on the request's page) says what is required;
    # the timeline says what happens to it (email confirmed, declaration signed, verified).
    insert_new(verification)
    fraud.identity_requests_watch(privacy_request=privacy_request, policy=policy, now=now)
    if privacy_request.submitted_by_agent:
        # First: whether the consumer verifies themselves depends on it (blockers).
        from .agents import agent_request_on_created  # agents imports this module

        agent_request_on_created(privacy_request=privacy_request, extras=extras, now=now)
    from .households import household_extras_apply  # households imports this module

    household_extras_apply(privacy_request=privacy_request, extras=extras, now=now)
    if privacy_request.requester_email and blockers.consumer_verifies(privacy_request):
        verification_link_send(
            privacy_request=privacy_request,
            purpose=LinkPurpose.EMAIL,
            email=privacy_request.requester_email,
            now=now,
            policy=policy,
        )


def next_due_at(verification: Verification, reminder_days: list[int], now: datetime) -> datetime:
    """The next reminder, or the last afternoon of the response period (``outcomes``)."""
    from .outcomes import verification_next_due  # outcomes imports this module

    return verification_next_due(verification, reminder_days, now)


# --- Email links ------------------------------------------------------------------------------

LINK_PAGES = {LinkPurpose.EMAIL: "verify_email", LinkPurpose.AGENT_CONFIRMATION: "verify_agent"}
LINK_TEMPLATES = {
    LinkPurpose.EMAIL: "verification/verify_email",
    LinkPurpose.AGENT_CONFIRMATION: "verification/confirm_agent",
}
# Sent with nearly every acknowledgement: filled from a compiled shape, the link a slot.
message_shapes.compiled_template_register(LINK_TEMPLATES[LinkPurpose.EMAIL])
LINK_SUBJECTS = {
    LinkPurpose.EMAIL: VERIFY_EMAIL_SUBJECT,
    LinkPurpose.AGENT_CONFIRMATION: gettext_noop(
        "Did you ask someone to make a privacy request for you? %(reference)s"
    ),
}


def verification_link_send(
    *,
    privacy_request: PrivacyRequest,
    purpose: str,
    email: str,
    now: datetime,
    policy: VerificationPolicy | None = None,
) -> None:
    """A new one-time link to ``email`` (the consumer's own address), in their language."""
    url = verification_link_new(
        privacy_request=privacy_request, purpose=purpose, email=email, now=now, policy=policy
    )
    consumer_email_send(
        privacy_request,
        template=LINK_TEMPLATES[purpose],
        subject=LINK_SUBJECTS[purpose],
        now=now,
        secrets={"link": Secret("verification link", url)},
        recipient=email,
    )


def verification_link_new(
    *,
    privacy_request: PrivacyRequest,
    purpose: str,
    email: str,
    now: datetime,
    policy: VerificationPolicy | None = None,
) -> str:
    """A new one-time link for ``email``: its full address, to put in an email (only there:
    the token is never stored, only its hash)."""
    tenant = privacy_request.tenant
    policy = policy or verification_policy(tenant)
    raw, token_hash = token_new()
    link = new_instance(  # VerificationLink(...), see core.model_rows
        VerificationLink,
        tenant=tenant,
        privacy_request=privacy_request,
        purpose=purpose,
        email=email,
        token_hash=token_hash,
        created_at=now,
        expires_at=now + timedelta(days=policy.link_valid_days),
        used_at=None,
    )
    insert_new(link)
    return f"{portal_absolute_url(tenant, LINK_PAGES[purpose])}?t={raw}"


def verification_link_valid(*, tenant: Tenant, token: str, purpose: str) -> bool:
    scoped = VerificationLink.objects.for_tenant(tenant).filter(purpose=purpose)
    return bool(token) and token_usable(scoped, token, clock.now()).exists()


@transaction.atomic
def verification_link_use(*, tenant: Tenant, token: str, purpose: str) -> PrivacyRequest | None:
    """Use a link once. An email link records the address as proven and matched (its possession
    is the evidence); the request it was for, or None (unknown, used, expired)."""
    now = clock.now()
    scoped = VerificationLink.objects.for_tenant(tenant).filter(purpose=purpose)
    link = token_use(scoped, token, now)
    if link is None:
        return None
    privacy_request = link.privacy_request
    if purpose != LinkPurpose.EMAIL:
        return privacy_request
    verification = verification_for(privacy_request)
    if verification is None or not verification.is_open:
        return privacy_request
    verification = _for_update(verification)
    if verification.email_proven_at is None:
        verification.email_proven_at = now
        verification.updated_at = now
        verification.save(update_fields=["email_proven_at", "updated_at"])
        _check_add(
            verification,
            point=degrees.EMAIL,
            source=CheckSource.EMAIL_LINK,
            result=degrees.MATCHED,
            reliability=Reliability.HIGH,
            now=now,
            note="The consumer opened the link sent to this address.",
        )
        timeline_add(
            privacy_request,
            kind=EventKind.NOTE,
            at=now,
            label=VERIFICATION_ACTOR,
            message="Email address confirmed: the consumer opened the link sent to it.",
        )
        verification_evaluate(verification=verification, now=now)
    return privacy_request


def verification_link_resend(*, tenant: Tenant, reference: str, email: str) -> None:
    """A new email link for an open request, when the reference and the address match; silent
    otherwise (the page says the same either way: nothing to learn from it)."""
    email = email.strip().lower()
    privacy_request = (
        PrivacyRequest.objects.for_tenant(tenant)
        .filter(reference=reference.strip().upper(), requester_email__iexact=email)
        .first()
    )
    if privacy_request is None or not privacy_request.is_open:
        return
    verification = verification_for(privacy_request)
    if verification is None or not verification.is_open or verification.email_proven_at:
        return
    with transaction.atomic():
        verification_link_send(
            privacy_request=privacy_request,
            purpose=LinkPurpose.EMAIL,
            email=privacy_request.requester_email,
            now=clock.now(),
        )


# --- Evidence ---------------------------------------------------------------------------------


def _check_add(
    verification: Verification,
    *,
    point: str,
    source: str,
    result: str,
    reliability: str,
    now: datetime,
    note: str = "",
) -> DataPointCheck:
    if point in verification.contested_points:
        result = CheckResult.CONTESTED
    check = new_instance(  # DataPointCheck(...), see core.model_rows
        DataPointCheck,
        tenant_id=verification.tenant_id,
        verification=verification,
        point=point,
        source=source,
        result=result,
        reliability=reliability,
        checked_at=now,
        note=note[:300],
    )
    insert_new(check)
    return check


def checks_record(
    verification: Verification, results: Mapping[str, str], *, source: str, now: datetime
) -> None:
    """Record a matcher's answer, one check per data point (never the value)."""
    reliability = Reliability.HIGH if source == CheckSource.ACCOUNT else Reliability.RELIABLE
    for point, result in results.items():
        _check_add(
            verification,
            point=point,
            source=source,
            result=result,
            reliability=reliability,
            now=now,
        )


def effective_results(verification: Verification) -> dict[str, str]:
    """Each data point's standing: its latest check, except that "nothing held" leaves an
    earlier result (a proven email the directory does not hold stays proven)."""
    standing: dict[str, str] = {}
    for point, result in (
        DataPointCheck.objects.for_tenant(verification.tenant)
        .filter(verification=verification)
        .order_by("checked_at", "id")
        .values_list("point", "result")
    ):
        if result == degrees.NOT_HELD and point in standing:
            continue
        standing[point] = result
    return standing


def assessment(verification: Verification) -> degrees.Assessment:
    matched = [p for p, r in effective_results(verification).items() if r == degrees.MATCHED]
    signed = (
        Declaration.objects.for_tenant(verification.tenant)
        .filter(privacy_request_id=verification.privacy_request_id)
        .exists()
    )
    return degrees.assess(
        required=verification.required_degree,
        matched=matched,
        declaration_signed=signed,
        contested=verification.contested_points,
    )


# --- The consumer gives data points -----------------------------------------------------------


@dataclass(frozen=True)
class DeclarationInput:
    typed_name: str
    typed_date: date
    language: str


@dataclass(frozen=True)
class Submitted:
    assessment: degrees.Assessment
    waiting_for_business: bool  # the business's own system is being asked (webhook)


def declaration_statement(language: str) -> str:
    with translation.override(language):
        return gettext(DECLARATION_TEXT)


def _declaration_check(declaration: DeclarationInput, today: date) -> None:
    if len(declaration.typed_name.split()) < 1 or len(declaration.typed_name.strip()) < 2:
        raise Refused(
            "declaration_name_required",
            gettext("Type your full name to sign the declaration."),
            "declaration_name",
        )
    if declaration.typed_date != today:
        raise Refused(
            "declaration_date_wrong",
            gettext("Type today's date to sign the declaration."),
            "declaration_date",
        )


def verification_submit(
    *,
    verification: Verification,
    values: Mapping[str, str],
    declaration: DeclarationInput | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Submitted:
    """Match the data points a consumer gave, record each result, sign the declaration if
    given, and evaluate. A request or address over its attempt limits is refused (§7060(f)):
    the refusal's code is ``locked`` and nothing is matched."""
    tenant = verification.tenant
    policy = verification_policy(tenant)
    now = clock.now()
    refusal = fraud.attempt_refusal(
        verification=verification, policy=policy, ip_address=ip_address, now=now
    )
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        verification = _for_update(verification)
        privacy_request = verification.privacy_request
        if not verification.is_open:
            raise Refused(
                "verification_closed",
                gettext("This request no longer needs verifying."),
                conflict=True,
            )
        if verification.locked_until and verification.locked_until > now:  # locked meanwhile
            raise fraud.locked_refusal(verification.locked_until, tenant)
        if declaration is not None:
            _declaration_check(declaration, privacy_request_today(privacy_request, now))
        given = {
            point: str(value).strip()
            for point, value in values.items()
            if point in degrees.DATA_POINTS and point != degrees.EMAIL and str(value).strip()
        }
        if not given and declaration is None:
            raise Refused(
                "nothing_given",
                gettext(
                    "Fill in at least one of the fields, so we can compare it with our records."
                ),
            )
        if declaration is not None:
            _declaration_add(privacy_request, declaration, ip_address, user_agent, now)
        before = assessment(verification)
        if given:
            # The proven email anchors the match: the other points must be of the same record.
            to_match = dict(given)
            if verification.email_proven_at and privacy_request.requester_email:
                to_match[degrees.EMAIL] = privacy_request.requester_email
            if policy.use_directory:
                checks_record(
                    verification,
                    directory_match(tenant=tenant, policy=policy, values=to_match),
                    source=CheckSource.DIRECTORY,
                    now=now,
                )
        waiting = False
        if given and policy.webhook_endpoint_id:
            from .webhook import webhook_match_ask  # the webhook backend (verification.services)

            webhook_match_ask(verification=verification, values=to_match, now=now)
            waiting = True
        after = verification_evaluate(verification=verification, now=now)
        gained = len(after.matched) > len(before.matched) or (after.reached != before.reached)
        fraud.attempt_record(
            verification=verification,
            ip_address=ip_address,
            succeeded=gained or waiting,
            policy=policy,
            now=now,
        )
        return Submitted(assessment=after, waiting_for_business=waiting)


def privacy_request_today(privacy_request: PrivacyRequest, now: datetime) -> date:
    return now.astimezone(privacy_request.tenant.zone).date()


def _declaration_add(
    privacy_request: PrivacyRequest,
    declaration: DeclarationInput,
    ip_address: str | None,
    user_agent: str,
    now: datetime,
) -> None:
    insert_new(
        new_instance(  # Declaration(...), see core.model_rows
            Declaration,
            tenant_id=privacy_request.tenant_id,
            privacy_request=privacy_request,
            typed_name=declaration.typed_name.strip()[:200],
            typed_date=declaration.typed_date,
            statement=declaration_statement(declaration.language),
            language=declaration.language,
            signed_at=now,
            ip_address=ip_address,
            user_agent=user_agent[:300],
        )
    )
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        label=VERIFICATION_ACTOR,
        message=f"Declaration under penalty of perjury signed electronically as "
        f"“{declaration.typed_name.strip()}” (§7062(c), §7001(ii)).",
    )


# --- Outcome ----------------------------------------------------------------------------------


def verification_evaluate(*, verification: Verification, now: datetime) -> degrees.Assessment:
    """Bring the record up to date with its evidence; mark the request verified when the degree
    is reached and nothing else holds it (``blockers``). Call inside a transaction, with the
    verification locked (``_for_update``)."""
    result = assessment(verification)
    privacy_request = verification.privacy_request
    verification.reached_degree = result.reached
    verification.updated_at = now
    fields = ["reached_degree", "updated_at"]
    if result.verified and verification.is_open and not blockers.blockers(privacy_request):
        verification.status = VerificationStatus.VERIFIED
        verification.verified_at = now
        verification.method = _method_words(result)
        verification.next_due_at = None
        fields += ["status", "verified_at", "method", "next_due_at"]
        verification.save(update_fields=fields)
        if privacy_request.status in {words.RECEIVED, words.AWAITING_VERIFICATION}:
            privacy_request_mark_verified(
                privacy_request=privacy_request,
                actor=None,
                actor_label=VERIFICATION_ACTOR,
                method=verification.method,
            )
        return result
    verification.save(update_fields=fields)
    return result


def _method_words(result: degrees.Assessment) -> str:
    points = ", ".join(point.replace("_", " ") for point in result.matched)
    words_ = f"Verified to {DEGREE_WORDS[result.reached]}: matched {points}"
    if result.reached == degrees.REASONABLY_HIGH:
        words_ += ", and a signed declaration"
    return (words_ + ".")[:200]


# A staff member's justification for verifying by hand: at least a sentence (§7060(a)(1)-(2),
# §7101(a): the record must show how the identity was verified, not just that someone said so).
MIN_JUSTIFICATION_WORDS = 4
NOT_A_JUSTIFICATION = frozenset(
    {"verified", "ok", "okay", "checked", "done", "yes", "n/a", "na", "manual", "by hand"}
)


def justification_problem(justification: str) -> str | None:
    """Why a written justification for verifying by hand is not one (None when it is)."""
    text = " ".join(justification.split())
    if (
        text.lower().strip(" .!") in NOT_A_JUSTIFICATION
        or len(re.findall(r"[^\W_]+", text)) < MIN_JUSTIFICATION_WORDS
    ):
        return (
            "Write how you verified the identity, in at least a sentence: what you compared, "
            f"with what, and what matched (at least {MIN_JUSTIFICATION_WORDS} words; "
            "§7060, §7062). It is kept with the request's verification record."
        )
    return None


def verification_on_marked_verified(
    *, privacy_request: PrivacyRequest, actor: AbstractBaseUser | None, method: str
) -> None:
    """A request marked verified elsewhere (staff, by hand, with their written reason): the
    record says so and who; the staff check joins the evidence as one ``DataPointCheck``
    (source STAFF) with the justification as its note; the matcher's own checks stay as found.

    A justification shorter than a sentence is refused (``Refused``, field ``method``): the
    transition's transaction is rolled back, nothing is marked verified."""
    verification = verification_for(privacy_request)
    if verification is None or verification.status == VerificationStatus.VERIFIED:
        return
    problem = justification_problem(method)
    if problem is not None:
        raise Refused("justification_too_short", problem, "method")
    verification = _for_update(verification)
    now = clock.now()
    who = actor.get_username() if actor is not None else "staff"
    suffix = f" ({who})"
    verification.status = VerificationStatus.VERIFIED
    verification.verified_at = now
    verification.reached_degree = verification.required_degree
    verification.method = f"By hand: {method[: 200 - len('By hand: ') - len(suffix)]}{suffix}"
    verification.next_due_at = None
    verification.locked_until = None
    verification.updated_at = now
    verification.save(
        update_fields=[
            "status",
            "verified_at",
            "reached_degree",
            "method",
            "next_due_at",
            "locked_until",
            "updated_at",
        ]
    )
    # One check stands for the staff member's judgement; on a point the request does not contest
    # (§7060(h)), so it reads as what it is.
    point = next(
        (p for p in (degrees.NAME, *degrees.DATA_POINTS) if p not in verification.contested_points),
        degrees.NAME,
    )
    _check_add(
        verification,
        point=point,
        source=CheckSource.STAFF,
        result=degrees.MATCHED,
        reliability=Reliability.STAFF,
        now=now,
        note=f"Verified by hand by {who}: {method}",
    )


def verification_on_closed(*, privacy_request: PrivacyRequest) -> None:
    """The request is closed: its verification ends, and what was collected only to verify is
    deleted (§7060(d)); checks and declarations stay (§7062(c), §7101)."""
    verification = verification_for(privacy_request)
    if verification is None:
        return
    verification = _for_update(verification)
    now = clock.now()
    if verification.is_open:
        verification.status = (
            VerificationStatus.UNVERIFIABLE
            if privacy_request.denial_reason == words.UNVERIFIABLE
            else VerificationStatus.FRAUD
            if privacy_request.denial_reason == words.FRAUDULENT
            else VerificationStatus.CLOSED
        )
        verification.next_due_at = None
        verification.updated_at = now
        verification.save(update_fields=["status", "next_due_at", "updated_at"])
    from .purge import verification_data_purge  # purge reads records' models only

    verification_data_purge(verification=verification, now=now)


def pending_values_store(verification: Verification, values: Mapping[str, str]) -> None:
    verification.pending_values_encrypted = encryption.encrypt(
        json.dumps(dict(values)).encode()
    ).decode()


def pending_values_read(verification: Verification) -> dict[str, str]:
    if not verification.pending_values_encrypted:
        return {}
    return json.loads(encryption.decrypt(verification.pending_values_encrypted.encode()))
