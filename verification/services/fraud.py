"""Safeguards against fraudulent verification (§7060(f)).

* Attempt limits: failed matches are counted per request, per email address (a keyed hash) and
  per network address over the last hour. Past a limit, matching is refused (``locked``) with
  a message saying when to try again; a request locked by its own failures stays locked for the
  business's lockout time, and the timeline says so.
* Alerts: a request locked, or more verifiable requests for one email address in a day than
  the business expects, writes a ``FraudAlert`` and emails the business's admins, once per
  pattern and day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Value
from django.db.models.functions import Upper
from django.utils.translation import gettext

from core.dates import long_date
from core.fast_insert import insert_new
from core.fast_query import CompiledQuery
from core.model_rows import new_instance
from core.refusals import Refused
from outbox.services import outbox_email_add
from requests_app import vocabulary as words
from requests_app.models import EventKind, PrivacyRequest
from requests_app.services.timeline import timeline_add
from tenants.models import Membership, Role, Tenant

from .. import degrees
from ..models import FraudAlert, Verification, VerificationAttempt, VerificationPolicy
from ..normalize import Unreadable, hash_value
from .policies import directory_key

WINDOW = timedelta(hours=1)
LOCKED = "locked"


def _email_hash(policy: VerificationPolicy, email: str) -> str:
    if not email:
        return ""
    try:
        return hash_value(directory_key(policy), degrees.EMAIL, email)
    except Unreadable:
        return ""


def _failures(tenant: Tenant, since: datetime, **match: object) -> int:
    return (
        VerificationAttempt.objects.for_tenant(tenant)
        .filter(at__gte=since, succeeded=False, **match)
        .count()
    )


def locked_refusal(until: datetime, tenant: Tenant) -> Refused:
    local = until.astimezone(tenant.zone)
    return Refused(
        LOCKED,
        gettext(
            "Too many tries did not match our records. To protect the consumer's information, "
            "you can try again after %(time)s on %(date)s. If you need help, contact us."
        )
        % {"time": local.strftime("%H:%M"), "date": long_date(local.date())},
    )


def attempt_refusal(
    *,
    verification: Verification,
    policy: VerificationPolicy,
    ip_address: str | None,
    now: datetime,
) -> Refused | None:
    """The refusal (``locked``) of a try over any of the limits, or None; counts nothing. Over
    the per-email or per-address limit, the admins are alerted (once a day per pattern). Call it
    outside the try's transaction: the alert must outlive the refusal."""
    tenant = verification.tenant
    if verification.locked_until and verification.locked_until > now:
        return locked_refusal(verification.locked_until, tenant)
    since = now - WINDOW
    email_hash = _email_hash(policy, verification.privacy_request.requester_email)
    if (
        email_hash
        and _failures(tenant, since, email_hash=email_hash) >= policy.attempts_per_email_hour
    ):
        alert_raise(
            tenant=tenant,
            kind="email_attempts",
            subject=email_hash,
            message=f"{policy.attempts_per_email_hour} failed verification attempts within an "
            f"hour for one email address (latest request: "
            f"{verification.privacy_request.reference}); further tries are refused for an hour.",
            now=now,
        )
        return locked_refusal(now + WINDOW, tenant)
    if (
        ip_address
        and _failures(tenant, since, ip_address=ip_address) >= policy.attempts_per_ip_hour
    ):
        alert_raise(
            tenant=tenant,
            kind="ip_attempts",
            subject=ip_address,
            message=f"{policy.attempts_per_ip_hour} failed verification attempts within an hour "
            f"from the network address {ip_address}; further tries from it are refused for an "
            "hour.",
            now=now,
        )
        return locked_refusal(now + WINDOW, tenant)
    return None


def attempt_record(
    *,
    verification: Verification,
    policy: VerificationPolicy,
    ip_address: str | None,
    succeeded: bool,
    now: datetime,
) -> None:
    """Count one try; a failed one past the request's limit locks it and alerts the admins."""
    privacy_request = verification.privacy_request
    insert_new(
        new_instance(  # VerificationAttempt(...), see core.model_rows
            VerificationAttempt,
            tenant_id=verification.tenant_id,
            privacy_request=privacy_request,
            email_hash=_email_hash(policy, privacy_request.requester_email),
            ip_address=ip_address,
            at=now,
            succeeded=succeeded,
        )
    )
    if succeeded:
        return
    verification.failed_attempts += 1
    fields = ["failed_attempts"]
    if verification.failed_attempts >= policy.attempts_per_request:
        verification.locked_until = now + timedelta(minutes=policy.lockout_minutes)
        verification.failed_attempts = 0
        fields.append("locked_until")
        timeline_add(
            privacy_request,
            kind=EventKind.FLAGGED,
            at=now,
            label="Identity verification",
            message=f"Verification locked until "
            f"{verification.locked_until.astimezone(verification.tenant.zone):%Y-%m-%d %H:%M %Z}: "
            f"{policy.attempts_per_request} tries in a row did not match (§7060(f)).",
        )
        alert_raise(
            tenant=verification.tenant,
            kind="request_locked",
            subject=privacy_request.reference,
            message=f"Request {privacy_request.reference} was locked after "
            f"{policy.attempts_per_request} failed verification attempts.",
            now=now,
        )
    verification.save(update_fields=fields)


_VERIFIABLE_TYPES = sorted(words.VERIFIABLE_TYPES)
# Counted on every intake of a request to know, delete or correct: compiled once per process.
_identity_requests = CompiledQuery(
    # UPPER on both sides rather than ``__iexact``: on SQLite that is a LIKE whose parameter is
    # escaped when the query is built, which a compiled statement would not redo per email.
    lambda tenant_id, email, since, *types: (
        PrivacyRequest.objects.for_tenant(Tenant(pk=tenant_id))
        .alias(email_upper=Upper("requester_email"))
        .filter(email_upper=Upper(Value(email)))
        .filter(received_at__gte=since, request_type__in=types)
        .order_by()
        .values("tenant_id")
        .annotate(requests=Count("id"))
        .values_list("requests")
    ),
    -7060,
    "(the email)",
    datetime(2000, 1, 1, tzinfo=UTC),
    *_VERIFIABLE_TYPES,
    using=PrivacyRequest.objects.db,
)


def identity_requests_watch(
    *, privacy_request: PrivacyRequest, policy: VerificationPolicy, now: datetime
) -> None:
    """Alert when one email address makes more verifiable requests in a day than expected."""
    email = privacy_request.requester_email.strip()
    if not email:
        return
    rows = _identity_requests.rows(
        privacy_request.tenant_id, email, now - timedelta(days=1), *_VERIFIABLE_TYPES
    )
    count = rows[0][0] if rows else 0
    if count > policy.requests_per_identity_day:
        alert_raise(
            tenant=privacy_request.tenant,
            kind="identity_requests",
            subject=_email_hash(policy, email),
            message=f"{count} requests to know, delete or correct for one email address in the "
            f"last 24 hours (latest: {privacy_request.reference}).",
            now=now,
        )


@transaction.atomic
def alert_raise(*, tenant: Tenant, kind: str, subject: str, message: str, now: datetime) -> bool:
    """Record an alert and email the business's admins, once per kind, subject and day."""
    dedupe_key = f"fraud:{tenant.pk}:{kind}:{subject}:{now.date().isoformat()}"[:160]
    if FraudAlert.objects.for_tenant(tenant).filter(dedupe_key=dedupe_key).exists():
        return False
    insert_new(
        new_instance(  # FraudAlert(...), see core.model_rows
            FraudAlert,
            tenant=tenant,
            kind=kind,
            message=message,
            created_at=now,
            dedupe_key=dedupe_key,
        )
    )
    admin_ids = Membership.objects.filter(tenant=tenant, role=Role.ADMIN).values_list(
        "user_id", flat=True
    )
    for user in get_user_model().objects.filter(pk__in=admin_ids, is_active=True).exclude(email=""):
        outbox_email_add(
            tenant=tenant,
            recipient=user.email,
            subject=f"Unusual verification activity at {tenant.legal_name}",
            body=f"{message}\n\nSee Identity verification > Fraud alerts in the admin. "
            "(§7060(f))\n",
            dedupe_key=f"{dedupe_key}:{user.pk}",
            now=now,
        )
    return True
