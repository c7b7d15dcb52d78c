"""Verification of an account holder by the business's own sign-in (§7061).

§7061(a) lets a business that keeps a password-protected account verify the consumer through its
existing authentication. The business's site, where the consumer is signed in, vouches for them
with a short-lived *account assertion* sent to the portal (``verify/account/?assertion=...``):

    token   = base64url(payload) + "." + base64url(HMAC-SHA256(key, base64url(payload)))
    payload = {"ref": "<request reference>" (optional), "account": "<account id>",
               "iat": <unix seconds issued>, "exp": <unix seconds, at most 10 minutes later>}

base64url without padding; the HMAC is over the ASCII text of the first part; the key is the
UTF-8 text returned once by ``account_assertion_key_create`` (stored encrypted, never shown again).

Accepting one (``account_assertion_accept``) checks the signature in constant time, the times,
and that it was never used before, then records the account as matched with high reliability:
the signed-in account is the evidence §7061(a) allows, so the request is verified to its
required degree (the point counting of §7062 is for consumers without an account, §7062(a)),
unless something else holds it (``blockers``). An assertion that names no request must name the
account the directory holds for the requester's email address (otherwise anyone signed in to
the business's site could claim any reference).

Replays: the hash of each accepted token is stored as a used one-time token
(``VerificationLink``, purpose ``account``), expiring with the token, in the same transaction as
the check. We chose this over the Django cache because the database's unique index refuses a
second use atomically and durably in every deployment (the cache is per process without Redis,
and Redis may be down or flushed, issue 11), and because a refused or rolled-back acceptance
then leaves the token unused. The rows are deleted with the other links at close (§7060(d)).

§7061(a) also asks for a fresh sign-in before disclosing, deleting or correcting:
``account_reauthenticated`` (for the fulfilment step) and the ``PRIVACY_REQUEST_COMPLIED`` hook
``account_reauth_complied``, which refuses to close as complied a request verified by sign-in
when the last sign-in is older than the policy allows.

OpenID Connect (or SAML) single sign-on is out of scope: a business using it signs the
assertion on its side after its own sign-in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from core import clock, encryption
from core.fast_insert import insert_new
from core.model_rows import new_instance
from core.refusals import Refused
from core.tokens import token_hash
from requests_app import vocabulary as words
from requests_app.models import EventKind, PrivacyRequest
from requests_app.services.timeline import timeline_add
from requests_app.services.transitions import privacy_request_mark_verified
from tenants.models import Tenant

from .. import degrees
from ..models import (
    OPEN_VERIFICATION,
    CheckSource,
    LinkPurpose,
    Verification,
    VerificationLink,
    VerificationPolicy,
    VerificationStatus,
)
from . import blockers, records
from .matching import directory_match
from .policies import verification_policy

KEY_PREFIX = "aak_"
MAX_LIFETIME = timedelta(minutes=10)
# Clocks of the business's site and the portal may differ by this much.
CLOCK_SKEW = timedelta(seconds=60)
MAX_TOKEN_LENGTH = 2048
SIGN_IN_STATUSES = (*OPEN_VERIFICATION, VerificationStatus.VERIFIED)
ACCOUNT_METHOD = "Signed in to the business's site as the account holder (§7061(a))."


# --- The business's key -----------------------------------------------------------------------


@transaction.atomic
def account_assertion_key_create(*, tenant: Tenant) -> str:
    """A new signing key for the business's site; returned this once, stored encrypted. Any
    earlier key stops working."""
    policy = verification_policy(tenant)
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    policy.account_assertion_key_encrypted = encryption.encrypt(raw.encode()).decode()
    policy.account_assertion_key_hint = raw[:10]
    policy.save(
        update_fields=[
            "account_assertion_key_encrypted",
            "account_assertion_key_hint",
            "updated_at",
        ]
    )
    return raw


def _key(policy: VerificationPolicy) -> bytes | None:
    if not policy.account_assertion_key_encrypted:
        return None
    try:
        return encryption.decrypt(policy.account_assertion_key_encrypted.encode())
    except encryption.Unreadable:
        return None


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def account_assertion_sign(key: str, payload: dict) -> str:
    """A token as the business's site makes it (for its developers' reference, and tests)."""
    payload_part = _b64encode(json.dumps(payload, separators=(",", ":")).encode())
    signature = hmac.new(key.encode(), payload_part.encode(), hashlib.sha256).digest()
    return f"{payload_part}.{_b64encode(signature)}"


# --- Accepting an assertion -------------------------------------------------------------------


def privacy_request_by_reference(*, tenant: Tenant, reference: str) -> PrivacyRequest | None:
    reference = reference.strip().upper()
    if not reference or len(reference) > 40:
        return None
    return (
        PrivacyRequest.objects.for_tenant(tenant)
        .select_related("tenant")
        .filter(reference=reference)
        .first()
    )


@dataclass(frozen=True)
class Assertion:
    account: str
    reference: str
    expires_at: datetime


def _refused(code: str, message: str) -> Refused:
    return Refused(code, message, "assertion")


def assertion_read(*, key: bytes, token: str, now: datetime) -> Assertion:
    """The assertion ``token`` carries, once its signature and times are checked."""
    invalid = _refused(
        "assertion_invalid",
        gettext(
            "This sign-in link is not valid for this business. Go back to the business's "
            "website, sign in, and follow its link to the privacy portal again."
        ),
    )
    token = token.strip()
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise invalid
    payload_part, signature_part = token.split(".")
    try:
        signature = _b64decode(signature_part)
    except (binascii.Error, ValueError) as error:
        raise invalid from error
    expected = hmac.new(key, payload_part.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise invalid
    # Signed by the business: its content is read only now.
    try:
        payload = json.loads(_b64decode(payload_part))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise invalid from error
    if not isinstance(payload, dict):
        raise invalid
    account, reference = payload.get("account"), payload.get("ref", "")
    issued, expires = payload.get("iat"), payload.get("exp")
    if (
        not isinstance(account, str)
        or not account.strip()
        or len(account) > 200
        or not isinstance(reference, str)
        or not all(type(value) is int for value in (issued, expires))
    ):
        raise invalid
    issued_at = datetime.fromtimestamp(issued, tz=UTC)
    expires_at = datetime.fromtimestamp(expires, tz=UTC)
    if expires_at <= now:
        raise _refused(
            "assertion_expired",
            gettext(
                "This sign-in link has expired: it works for a few minutes only. Go back to the "
                "business's website and follow its link to the privacy portal again."
            ),
        )
    if issued_at > now + CLOCK_SKEW or expires_at - issued_at > MAX_LIFETIME:
        raise _refused(
            "assertion_times_invalid",
            gettext(
                "This sign-in link was not made correctly (its times are not valid). Go back "
                "to the business's website and follow its link again."
            ),
        )
    return Assertion(account=account.strip(), reference=reference.strip(), expires_at=expires_at)


def account_assertion_accept(
    *, tenant: Tenant, token: str, privacy_request: PrivacyRequest
) -> Verification:
    """Accept an account assertion for ``privacy_request``: the account recorded as matched
    (§7061(a)), the sign-in time kept for the re-authentication check, the request verified.
    Refused, with nothing recorded, if it is invalid, expired, for another request, or used
    before."""
    now = clock.now()
    policy = verification_policy(tenant)
    key = _key(policy)
    if key is None:
        raise _refused(
            "assertion_not_set_up",
            gettext("This business does not confirm requests through its own sign-in."),
        )
    assertion = assertion_read(key=key, token=token, now=now)
    if privacy_request.tenant_id != tenant.pk:
        raise _refused("assertion_other_request", gettext("No request has this reference."))
    if assertion.reference and assertion.reference.upper() != privacy_request.reference.upper():
        raise _refused(
            "assertion_other_request",
            gettext(
                "This sign-in link was made for another request. Follow the link the "
                "business's website gives for this request."
            ),
        )
    closed = Refused(
        "verification_closed",
        gettext("This request is closed: there is nothing to sign in for."),
        conflict=True,
    )
    with transaction.atomic():
        verification = records.verification_for(privacy_request)
        if verification is None:
            raise closed
        # A verified request still takes a sign-in: the fresh one §7061(a) asks for before
        # anything is disclosed, deleted or corrected.
        verification = records._for_update(verification)
        if not privacy_request.is_open or verification.status not in SIGN_IN_STATUSES:
            raise closed
        if not assertion.reference:
            _directory_links(policy, privacy_request, assertion.account)
        _use_once(privacy_request, token, assertion.expires_at, now)
        _accept(verification, now)
    return verification


def _directory_links(
    policy: VerificationPolicy, privacy_request: PrivacyRequest, account: str
) -> None:
    """An assertion naming no request counts only for the requester the directory holds with
    that account (the email address given with the request and the account, on one record)."""
    results = {}
    if policy.use_directory and privacy_request.requester_email:
        results = directory_match(
            tenant=privacy_request.tenant,
            policy=policy,
            values={degrees.EMAIL: privacy_request.requester_email, degrees.ACCOUNT: account},
        )
    if results.get(degrees.ACCOUNT) != degrees.MATCHED:
        raise _refused(
            "assertion_not_linked",
            gettext(
                "We could not link this sign-in to this request. Follow the link the business's "
                "website gives for this request."
            ),
        )


def _use_once(privacy_request: PrivacyRequest, token: str, expires_at: datetime, now: datetime):
    hashed = token_hash(token.strip())
    replayed = _refused(
        "assertion_used",
        gettext(
            "This sign-in link has already been used. Go back to the business's website and "
            "follow its link to the privacy portal again."
        ),
    )
    if (
        VerificationLink.objects.for_tenant(privacy_request.tenant)
        .filter(token_hash=hashed)
        .exists()
    ):
        raise replayed
    try:
        with transaction.atomic():  # a savepoint: a racing twin fails on the unique index
            insert_new(
                new_instance(  # VerificationLink(...), see core.model_rows
                    VerificationLink,
                    tenant_id=privacy_request.tenant_id,
                    privacy_request=privacy_request,
                    purpose=LinkPurpose.ACCOUNT_ASSERTION,
                    email=privacy_request.requester_email or "",
                    token_hash=hashed,
                    created_at=now,
                    expires_at=expires_at,
                    used_at=now,
                )
            )
    except IntegrityError as error:
        raise replayed from error


def _accept(verification: Verification, now: datetime) -> None:
    privacy_request = verification.privacy_request
    again = verification.status == VerificationStatus.VERIFIED
    records.checks_record(
        verification, {degrees.ACCOUNT: degrees.MATCHED}, source=CheckSource.ACCOUNT, now=now
    )
    verification.account_asserted_at = now
    verification.updated_at = now
    verification.save(update_fields=["account_asserted_at", "updated_at"])
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        label=records.VERIFICATION_ACTOR,
        message=(
            "The consumer signed in again to the business's website, which confirmed their "
            "account: a fresh sign-in before disclosing, deleting or correcting (§7061(a))."
            if again
            else "The consumer signed in to the business's website, which confirmed their "
            "account (§7061(a))."
        ),
    )
    if again:
        return  # verified already: only the time of the sign-in changes
    result = records.verification_evaluate(verification=verification, now=now)
    account_counts = degrees.ACCOUNT not in verification.contested_points
    if (
        result.verified
        or not account_counts
        or not verification.is_open
        or blockers.blockers(privacy_request)
    ):
        return
    # §7061(a): the business's own authentication of its account holder verifies the request;
    # the data points and declaration of §7062 are for consumers without an account (§7062(a)).
    verification.status = VerificationStatus.VERIFIED
    verification.reached_degree = verification.required_degree
    verification.verified_at = now
    verification.method = ACCOUNT_METHOD
    verification.next_due_at = None
    verification.save(
        update_fields=["status", "reached_degree", "verified_at", "method", "next_due_at"]
    )
    if privacy_request.status in {words.RECEIVED, words.AWAITING_VERIFICATION}:
        privacy_request_mark_verified(
            privacy_request=privacy_request,
            actor=None,
            actor_label=records.VERIFICATION_ACTOR,
            method=ACCOUNT_METHOD,
        )


# --- Re-authentication before disclosing or deleting (§7061(a)) -------------------------------


def account_reauthenticated(*, verification: Verification, now: datetime) -> bool:
    """Whether the consumer signed in to the business's site recently enough (the policy's
    ``account_reauth_minutes``) to disclose, delete or correct now (§7061(a))."""
    if verification.account_asserted_at is None:
        return False
    policy = verification_policy(verification.tenant)
    window = timedelta(minutes=policy.account_reauth_minutes)
    return now - verification.account_asserted_at <= window


def account_reauth_required(privacy_request: PrivacyRequest) -> bool:
    """A request verified through the business's sign-in whose last sign-in is too old: the
    consumer must sign in again before anything is disclosed, deleted or corrected."""
    verification = records.verification_for(privacy_request)
    if verification is None or verification.account_asserted_at is None:
        return False
    return not account_reauthenticated(verification=verification, now=clock.now())


def account_reauth_complied(*, privacy_request: PrivacyRequest) -> None:
    """``settings.PRIVACY_REQUEST_COMPLIED``: refuse to close as complied a request verified by
    the business's sign-in whose last sign-in is older than the policy allows (§7061(a))."""
    if not account_reauth_required(privacy_request):
        return
    minutes = verification_policy(privacy_request.tenant).account_reauth_minutes
    raise Refused(
        "account_reauth_required",
        f"This request was verified by the consumer signing in to your website, more than "
        f"{minutes} minutes ago. §7061(a) requires them to sign in again just before anything "
        f"is disclosed, deleted or corrected: ask the consumer to follow your website's link "
        f"to the privacy portal again, then close the request.",
        conflict=True,
    )
