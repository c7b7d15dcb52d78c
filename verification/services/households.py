"""Households (§7031(a)) and children under 13 (§7070(c), §7031(c)).

A household without a password-protected account asks jointly: the lead request gets a
``Household`` with a code and the number of members; every other member joins with that code
(``household_join``), which makes their own request through intake, verified individually by
the normal flow (§7031(a)(2)); staff record the evidence that each is a current member
(``household_membership_confirm``, §7031(a)(3)). The lead request cannot be closed as complied
until every expected member has joined, is verified and is confirmed (``household_on_complied``,
a ``settings.PRIVACY_REQUEST_COMPLIED`` hook; R-7031-a1-1, a2-1, a3-1).

A request about a child under 13 (a household member under 13, or the portal's "about my child"
box) gets a ``ParentalCheck``: the request is not verified until the parent or guardian is
verified by a method the business offers (§7070(a)(2), ``blockers``). A parent's government ID
is deleted as soon as the check is done (§7070(a)(2)(F), R-7070-a2F-1).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext

from core import clock
from core.fast_insert import insert_new
from core.model_rows import new_instance
from core.refusals import Refused
from requests_app import vocabulary as words
from requests_app.models import EventKind, PrivacyRequest
from requests_app.services import Requester, privacy_request_create
from requests_app.services.timeline import timeline_add
from tenants.models import Tenant

from ..models import (
    DocumentKind,
    Household,
    HouseholdMember,
    ParentalCheck,
    ParentalMethod,
    Verification,
    VerificationDocument,
    VerificationStatus,
)
from .policies import verification_policy
from .purge import verification_document_delete
from .records import VERIFICATION_ACTOR, _for_update, verification_evaluate, verification_for

EXTRA_CHILD_UNDER_13 = "child_under_13"
EXTRA_HOUSEHOLD_MEMBERS = "household_members"

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no look-alikes: read out on the phone
HOUSEHOLD_TYPES = frozenset({words.KNOW, words.DELETE})
MAX_MEMBERS = 20
JOIN_ACTOR = "Privacy portal (household member joined)"
MIN_EVIDENCE_WORDS = 3


def household_extras_apply(
    *, privacy_request: PrivacyRequest, extras: Mapping[str, Any], now: datetime
) -> None:
    """From intake's hook: a request about a child under 13 gets its parental check; a
    household request its household."""
    if extras.get(EXTRA_CHILD_UNDER_13):
        parental_check_start(privacy_request=privacy_request, now=now)
    members = extras.get(EXTRA_HOUSEHOLD_MEMBERS)
    if members:
        household_create(privacy_request=privacy_request, members_expected=int(members))


# --- Households --------------------------------------------------------------------------------


def _new_code() -> str:
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"HH-{chars[:4]}-{chars[4:]}"


@transaction.atomic
def household_create(*, privacy_request: PrivacyRequest, members_expected: int) -> Household:
    """A household request without an account (§7031(a)): ``members_expected`` counts every
    member, the lead requester included (who is the first member)."""
    if privacy_request.request_type not in HOUSEHOLD_TYPES:
        raise Refused(
            "household_type",
            "Only requests to know or to delete can be made for a household (§7031(a)).",
        )
    if not 2 <= members_expected <= MAX_MEMBERS:
        raise Refused(
            "household_members",
            gettext("A household request needs between 2 and %(max)d members.")
            % {"max": MAX_MEMBERS},
            EXTRA_HOUSEHOLD_MEMBERS,
        )
    tenant = privacy_request.tenant
    now = clock.now()
    code = _new_code()
    while Household.objects.for_tenant(tenant).filter(code=code).exists():
        code = _new_code()
    household = new_instance(  # Household(...), see core.model_rows
        Household,
        tenant=tenant,
        code=code,
        lead_request=privacy_request,
        members_expected=members_expected,
        created_at=now,
    )
    insert_new(household)
    insert_new(
        new_instance(  # HouseholdMember(...), see core.model_rows
            HouseholdMember,
            tenant=tenant,
            household=household,
            privacy_request=privacy_request,
            under_13=False,
            joined_at=now,
        )
    )
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        label=VERIFICATION_ACTOR,
        message=f"Household request (§7031(a)), code {code}: all {members_expected} members "
        "must join with the code, each be verified, and each be confirmed a current member "
        "before it is complied with.",
    )
    return household


@transaction.atomic
def household_join(
    *,
    tenant: Tenant,
    code: str,
    name: str,
    email: str,
    under_13: bool,
    language: str = "en",
) -> HouseholdMember:
    """A member joins a household request with its code: their own request, of the same kind,
    made through intake and verified on its own (§7031(a)(2)); under 13, it waits for the
    parent or guardian to be verified (§7031(c), §7070(c))."""
    code = code.strip().upper()
    household = (
        Household.objects.for_tenant(tenant)
        .select_for_update()
        .select_related("lead_request")
        .filter(code=code)
        .first()
    )
    if household is None:
        raise Refused(
            "household_unknown",
            gettext(
                "We could not find a household request with this code. Check the code you "
                "were given, like HH-7KQ3-9XW2."
            ),
            "code",
        )
    lead = household.lead_request
    if not lead.is_open:
        raise Refused(
            "household_closed",
            gettext("This household request is already closed: nobody can join it now."),
            "code",
            conflict=True,
        )
    joined = HouseholdMember.objects.for_tenant(tenant).filter(household=household).count()
    if joined >= household.members_expected:
        raise Refused(
            "household_full",
            gettext("Every member of this household has already joined the request."),
            "code",
            conflict=True,
        )
    details: dict[str, Any] = {}
    if lead.request_type == words.DELETE:
        details = {
            "delete_scope": lead.delete_scope,
            "delete_categories": list(lead.delete_categories or []),
        }
    member_request = privacy_request_create(
        tenant=tenant,
        request_type=lead.request_type,
        know_scope=lead.know_scope,
        channel=words.WEBFORM,
        requester=Requester(name=name.strip(), email=email.strip(), state=lead.requester_state),
        is_california_consumer=lead.is_california_consumer,
        actor_label=JOIN_ACTOR,
        language=language,
        details=details,
        extras={EXTRA_CHILD_UNDER_13: under_13},
    )
    now = clock.now()
    member = new_instance(  # HouseholdMember(...), see core.model_rows
        HouseholdMember,
        tenant=tenant,
        household=household,
        privacy_request=member_request,
        under_13=under_13,
        joined_at=now,
    )
    insert_new(member)
    timeline_add(
        lead,
        kind=EventKind.NOTE,
        at=now,
        label=JOIN_ACTOR,
        message=f"Household member joined with request {member_request.reference} "
        f"({joined + 1} of {household.members_expected})"
        + (", under 13: the parent or guardian is verified first (§7031(c))." if under_13 else "."),
    )
    timeline_add(
        member_request,
        kind=EventKind.NOTE,
        at=now,
        label=JOIN_ACTOR,
        message=f"Made as a member of the household request {lead.reference} (§7031(a)).",
    )
    return member


@transaction.atomic
def household_membership_confirm(
    *, member: HouseholdMember, actor: AbstractBaseUser, evidence: str
) -> HouseholdMember:
    """Staff verified that the member is currently a member of the household (§7031(a)(3)),
    and say on what evidence."""
    member = (
        HouseholdMember.objects.for_tenant(member.tenant)
        .select_for_update()
        .select_related("household__lead_request", "privacy_request")
        .get(pk=member.pk)
    )
    if len(evidence.split()) < MIN_EVIDENCE_WORDS:
        raise Refused(
            "evidence_required",
            "Say what shows that this person currently lives in the household (§7031(a)(3)), "
            "e.g. “utility bill at the household's address dated last month”.",
            "evidence",
        )
    if member.membership_confirmed_at is not None:
        raise Refused(
            "already_confirmed", "This member's membership is already confirmed.", conflict=True
        )
    now = clock.now()
    member.membership_evidence = evidence.strip()
    member.membership_confirmed_at = now
    member.membership_confirmed_by = actor
    member.save(
        update_fields=["membership_evidence", "membership_confirmed_at", "membership_confirmed_by"]
    )
    message = (
        f"Current household membership of {member.privacy_request.reference} confirmed by "
        f"{actor.get_username()} (§7031(a)(3))."
    )
    for privacy_request in {member.privacy_request, member.household.lead_request}:
        timeline_add(
            privacy_request,
            kind=EventKind.NOTE,
            at=now,
            actor=actor,
            message=message,
            reason=member.membership_evidence,
        )
    return member


def household_missing(household: Household) -> list[str]:
    """What still stands between a household request and compliance (§7031(a)(1)-(3))."""
    tenant = household.tenant
    members = list(
        HouseholdMember.objects.for_tenant(tenant)
        .filter(household=household)
        .select_related("privacy_request")
        .order_by("joined_at", "id")
    )
    verified = set(
        Verification.objects.for_tenant(tenant)
        .filter(
            privacy_request__in=[m.privacy_request_id for m in members],
            status=VerificationStatus.VERIFIED,
        )
        .values_list("privacy_request_id", flat=True)
    )
    missing = []
    if len(members) < household.members_expected:
        missing.append(
            f"{household.members_expected - len(members)} of {household.members_expected} "
            f"members have not joined with the code {household.code} (§7031(a)(1))"
        )
    for member in members:
        reference = member.privacy_request.reference
        is_verified = member.privacy_request_id in verified or (
            member.privacy_request_id == household.lead_request_id
            and member.privacy_request.verified_at is not None
        )
        if not is_verified:
            missing.append(f"{reference} is not verified (§7031(a)(2))")
        if member.membership_confirmed_at is None:
            missing.append(f"{reference} is not confirmed a current member (§7031(a)(3))")
    return missing


def household_on_complied(*, privacy_request: PrivacyRequest) -> None:
    """``settings.PRIVACY_REQUEST_COMPLIED``: a household request is complied with only when
    every member joined, is verified and is confirmed (§7031(a)); else the close is refused."""
    household = (
        Household.objects.for_tenant(privacy_request.tenant)
        .filter(lead_request=privacy_request)
        .first()
    )
    if household is None:
        return
    missing = household_missing(household)
    if missing:
        raise Refused(
            "household_incomplete",
            "A household request is complied with only when all its members asked, were "
            "each verified, and were each confirmed current members (§7031(a)). Still "
            "missing: " + "; ".join(missing) + ".",
            conflict=True,
        )


# --- Children under 13 -------------------------------------------------------------------------


def parental_check_start(*, privacy_request: PrivacyRequest, now: datetime) -> ParentalCheck:
    """A request about a child under 13: the parent or guardian is verified first (§7070(c),
    §7031(c))."""
    check = new_instance(  # ParentalCheck(...), see core.model_rows
        ParentalCheck,
        tenant=privacy_request.tenant,
        privacy_request=privacy_request,
        created_at=now,
    )
    insert_new(check)
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        label=VERIFICATION_ACTOR,
        message="About a child under 13: the parent or guardian must be verified by a method "
        "the business offers before the request is verified (§7070(a)(2), §7070(c)).",
    )
    return check


@transaction.atomic
def parental_check_complete(
    *, privacy_request: PrivacyRequest, method: str, actor: AbstractBaseUser, notes: str = ""
) -> ParentalCheck:
    """Staff verified the parent or guardian by ``method``, one the business enables
    (§7070(a)(2)). A parent's government ID is deleted at once (§7070(a)(2)(F))."""
    tenant = privacy_request.tenant
    check = (
        ParentalCheck.objects.for_tenant(tenant)
        .select_for_update()
        .filter(privacy_request=privacy_request)
        .first()
    )
    if check is None:
        raise Refused(
            "no_parental_check", "This request is not about a child under 13.", conflict=True
        )
    if check.completed_at is not None:
        raise Refused(
            "parental_check_done",
            "The parent or guardian of this request was already verified.",
            conflict=True,
        )
    enabled = list(verification_policy(tenant).parental_methods or [])
    if method not in enabled:
        offered = ", ".join(ParentalMethod(m).label for m in enabled if m in ParentalMethod.values)
        raise Refused(
            "parental_method_not_enabled",
            "Use a method the business offers to verify a parent or guardian (§7070(a)(2)): "
            f"{offered or 'none is enabled in the verification policy'}.",
            "method",
        )
    now = clock.now()
    check.method = method
    check.completed_at = now
    check.completed_by = actor
    check.notes = notes.strip()
    check.save(update_fields=["method", "completed_at", "completed_by", "notes"])
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        actor=actor,
        message=f"Parent or guardian verified by {actor.get_username()}: "
        f"{ParentalMethod(method).label}.",
        reason=check.notes,
    )
    ids = (
        VerificationDocument.objects.for_tenant(tenant)
        .filter(
            privacy_request=privacy_request, kind=DocumentKind.PARENT_ID, deleted_at__isnull=True
        )
        .order_by("id")
    )
    deleted = []
    for document in ids:
        verification_document_delete(document, now)
        deleted.append(document.original_name)
    if deleted:
        timeline_add(
            privacy_request,
            kind=EventKind.NOTE,
            at=now,
            label=VERIFICATION_ACTOR,
            message="ID deleted: the parent's government ID ("
            + ", ".join(deleted)
            + ") was deleted once the check was done (§7070(a)(2)(F)).",
        )
    verification = verification_for(privacy_request)
    if verification is not None and verification.is_open:
        verification_evaluate(verification=_for_update(verification), now=now)
    return check
