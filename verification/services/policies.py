"""A business's verification policy and its keys (``VerificationPolicy``).

The policy is made with its defaults the first time it is needed, with a fresh directory key:
32 random bytes, stored encrypted (``core.encryption``), never shown. Without the key the
directory's hashes cannot be tested against a list of addresses or numbers.
"""

from __future__ import annotations

import base64
import itertools
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core import encryption
from core.fast_query import CompiledQuery
from tenants.models import Tenant

from ..models import VerificationPolicy

KEY_BYTES = 32

# Read on every intake of a request to know, delete or correct: compiled once per process (the
# ORM's compiling and column converters cost about as much as the round trip; issue 10 item 12).
_POLICY_COLUMNS = [field.attname for field in VerificationPolicy._meta.concrete_fields]
_TENANT_PLACEHOLDER = -7060  # any id: the compiled statement takes the real one as a parameter
_policy_row = CompiledQuery(
    lambda tenant_id: (
        VerificationPolicy.objects.for_tenant(Tenant(pk=tenant_id))
        .order_by()
        .values_list(*_POLICY_COLUMNS)[:1]
    ),
    _TENANT_PLACEHOLDER,
    using=VerificationPolicy.objects.db,
)


def _new_key_encrypted() -> str:
    return encryption.encrypt(base64.b64encode(secrets.token_bytes(KEY_BYTES))).decode()


def verification_policy(tenant: Tenant) -> VerificationPolicy:
    """The business's policy, made with the defaults (and a new directory key) if it has none."""
    if tenant.pk is None:
        raise ValueError("a verification policy belongs to a saved business")
    row = next(iter(_policy_row.rows(tenant.pk)), None)
    if row is not None:
        policy = VerificationPolicy.from_db(_policy_row.using, _POLICY_COLUMNS, row)
        policy.tenant = tenant
        return policy
    try:
        with transaction.atomic():
            return VerificationPolicy.objects.for_tenant(tenant).create(
                tenant=tenant, directory_key_encrypted=_new_key_encrypted()
            )
    except IntegrityError:  # made meanwhile by another request
        return VerificationPolicy.objects.for_tenant(tenant).get()


def directory_key(policy: VerificationPolicy) -> bytes:
    """The key of the directory's hashes (``verification.normalize.point_hash``)."""
    return base64.b64decode(encryption.decrypt(policy.directory_key_encrypted.encode()))


# --- Changing the policy (the business's admins, ``verification.admin``) ----------------------

MAX_REMINDER_DAY = 45  # an unverified request is denied when its 45 days run out (§7021(b))
MAX_LINK_VALID_DAYS = 30


def _not_in(values: object, allowed: set[str]) -> list[str] | None:
    """The unknown entries of a list of choices; None when it is not a list of strings."""
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        return None
    return [value for value in values if value not in allowed]


def reminder_days_problem(days: object) -> str | None:
    """Why a list of reminder days is not usable (None when it is)."""
    if not isinstance(days, list) or not all(
        isinstance(day, int) and not isinstance(day, bool) for day in days
    ):
        return "Give the reminder days as whole numbers separated by commas, e.g. 3, 10, 30."
    if any(day < 1 for day in days):
        return "Each reminder day must be 1 or more (days after the request was received)."
    if any(day > MAX_REMINDER_DAY for day in days):
        return (
            f"Each reminder day must be {MAX_REMINDER_DAY} or less: an unverified request is "
            f"answered when its {MAX_REMINDER_DAY} days run out (§7021(b))."
        )
    if any(later <= earlier for earlier, later in itertools.pairwise(days)):
        return "List the reminder days in ascending order, each once (e.g. 3, 10, 30)."
    return None


def verification_policy_check(policy: VerificationPolicy) -> None:
    """Refuse a policy the portal cannot apply, field by field (``ValidationError`` with a
    message a person understands). Data points are only those of ``DataPoint`` other than the
    email address (proven by its link): never Social Security, driver's licence, financial
    account or health numbers (§7060(c)(2))."""
    from requests_app.models import CorrectionField, DeleteCategory

    from ..models import DataPoint, ParentalMethod

    errors: dict[str, str] = {}
    askable = {point for point in DataPoint.values if point != DataPoint.EMAIL}
    unknown = _not_in(policy.asked_points, askable)
    if unknown is None or unknown:
        errors["asked_points"] = (
            "Choose only among the listed data points; other kinds of information (such as "
            "Social Security or driver's licence numbers) cannot be asked for (§7060(c)(2))."
        )
    elif not policy.asked_points:
        errors["asked_points"] = (
            "Choose at least one data point: the email address alone never verifies a request "
            "(§7062(b) needs two matching data points)."
        )
    if _not_in(policy.high_degree_delete_categories, set(DeleteCategory.values)) != []:
        errors["high_degree_delete_categories"] = "Choose only among the listed categories."
    if _not_in(policy.high_degree_correct_fields, set(CorrectionField.values)) != []:
        errors["high_degree_correct_fields"] = "Choose only among the listed kinds of information."
    unknown = _not_in(policy.parental_methods, set(ParentalMethod.values))
    if unknown is None or unknown:
        errors["parental_methods"] = "Choose only among the listed methods."
    elif not policy.parental_methods:
        errors["parental_methods"] = (
            "Choose at least one way to verify a parent or guardian (§7070(a)(2))."
        )
    problem = reminder_days_problem(policy.reminder_days)
    if problem is not None:
        errors["reminder_days"] = problem
    if not 1 <= policy.link_valid_days <= MAX_LINK_VALID_DAYS:
        errors["link_valid_days"] = (
            f"An email link must work for between 1 and {MAX_LINK_VALID_DAYS} days."
        )
    for name in (
        "attempts_per_request",
        "attempts_per_email_hour",
        "attempts_per_ip_hour",
        "lockout_minutes",
        "requests_per_identity_day",
        "webhook_timeout_seconds",
        "account_reauth_minutes",
    ):
        if getattr(policy, name) < 1:
            errors[name] = "Must be 1 or more."
    if policy.webhook_endpoint_id is not None and (
        policy.webhook_endpoint is None or policy.webhook_endpoint.tenant_id != policy.tenant_id
    ):
        errors["webhook_endpoint"] = "Choose one of this business's own webhook endpoints."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def verification_policy_save(*, policy: VerificationPolicy) -> VerificationPolicy:
    """Save a changed policy once it is valid (``verification_policy_check``). It applies to
    requests received from now on; records already made keep the degree they were given."""
    verification_policy_check(policy)
    policy.full_clean()
    policy.save()
    return policy
