"""Requests to correct beyond their close: the correction recorded so it stays corrected
(§7023(c) as amended), the check a data system or an import asks of it, the consumer's written
statement on contested health information (§7023(f)(4)), and the disclosure of all specific
pieces that confirms a correction without counting as a request to know (§7023(j)).

The corrected value is stored only as a keyed hash (HMAC-SHA256 with a key derived from
``SECRET_KEY``, per business): the check compares hashes, and no personal data is stored beyond
what the request already holds. A rotated ``SECRET_KEY`` orphans nothing: the check also tries
the keys of ``SECRET_KEY_FALLBACKS``, and ``correction_records_rekey`` (``manage.py
corrections_rekey``) hashes the records again with the current key from their requests, after
which the old key can go.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.module_loading import import_string

from core import clock
from core.refusals import Refused
from tenants.models import Tenant
from tenants.selectors import tenant_today

from .. import correction_rules as rules
from .. import vocabulary as words
from ..models import (
    CorrectionField,
    CorrectionStatement,
    EventKind,
    KnowScope,
    PrivacyRequest,
    RecordedCorrection,
)
from .timeline import timeline_add


def _hash_keys() -> list[bytes]:
    """The current key first, then those of ``SECRET_KEY_FALLBACKS`` (a rotation)."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())]
    return [
        hashlib.sha256(f"recorded-corrections:{secret}".encode()).digest() for secret in secrets
    ]


def correction_digests(tenant_id: int, kind: str, value: str) -> list[str]:
    """The keyed hashes of a consumer's email address or a corrected value, per business: with
    the current key first, then with each fallback key."""
    message = f"{tenant_id}:{kind}:{rules.normalized_value(value)}".encode()
    return [hmac.new(key, message, hashlib.sha256).hexdigest() for key in _hash_keys()]


def correction_digest(tenant_id: int, kind: str, value: str) -> str:
    """The keyed hash with the current key: what a new record stores."""
    return correction_digests(tenant_id, kind, value)[0]


def correction_record(
    *, privacy_request: PrivacyRequest, now: datetime
) -> RecordedCorrection | None:
    """Record a request to correct closed as complied (in whole or in part): the information
    and its corrected value, hashed (§7023(c) as amended). None without an email address (the
    check finds consumers by it) or a corrected value."""
    email = privacy_request.requester_email.strip()
    value = privacy_request.correction_requested.strip()
    if not email or not value or not privacy_request.correction_field:
        return None
    tenant = privacy_request.tenant
    recorded = RecordedCorrection(
        tenant=tenant,
        privacy_request=privacy_request,
        email_digest=correction_digest(tenant.pk, "email", email),
        field=privacy_request.correction_field,
        value_digest=correction_digest(tenant.pk, privacy_request.correction_field, value),
        corrected_on=tenant_today(tenant, now),
        source=privacy_request.information_source,
    )
    recorded.full_clean()
    recorded.save()
    return recorded


@dataclass(frozen=True)
class CorrectionCheck:
    correction_recorded: bool
    contradicts_correction: bool
    corrected_on: date | None = None
    reference: str = ""
    source: str = ""
    same_source: bool = False


NOTHING_RECORDED = CorrectionCheck(correction_recorded=False, contradicts_correction=False)


@transaction.atomic
def correction_check(
    *, tenant: Tenant, email: str, field: str, value: str, source: str = ""
) -> CorrectionCheck:
    """Whether ``value`` for this consumer's ``field`` contradicts the latest correction the
    business recorded (``correction_recorded`` False when it recorded none: nothing to keep, the
    import may go ahead). A contradiction is counted on the record (``contradictions``), so the
    import that brought it is flagged rather than silently overwriting the correction."""
    if field not in CorrectionField.values:
        raise Refused(
            "invalid_field", f"field must be one of: {', '.join(CorrectionField.values)}.", "field"
        )
    if not email.strip() or "@" not in email:
        raise Refused("invalid_email", "Give the consumer's email address.", "email")
    if not value.strip():
        raise Refused("invalid_value", "Give the value the record now holds.", "value")
    latest = (
        RecordedCorrection.objects.for_tenant(tenant)
        .filter(email_digest__in=correction_digests(tenant.pk, "email", email), field=field)
        .select_related("privacy_request")
        .order_by("-corrected_on", "-id")
        .first()
    )
    if latest is None:
        return NOTHING_RECORDED
    contradicts = not any(
        hmac.compare_digest(latest.value_digest, digest)
        for digest in correction_digests(tenant.pk, field, value)
    )
    if contradicts:
        RecordedCorrection.objects.for_tenant(tenant).filter(pk=latest.pk).update(
            contradictions=F("contradictions") + 1, last_contradicted_at=clock.now()
        )
    return CorrectionCheck(
        correction_recorded=True,
        contradicts_correction=contradicts,
        corrected_on=latest.corrected_on,
        reference=latest.privacy_request.reference,
        source=latest.source,
        same_source=bool(source.strip())
        and rules.normalized_value(source) == rules.normalized_value(latest.source),
    )


def correction_records_rekey(*, tenant: Tenant) -> tuple[int, int]:
    """Hash ``tenant``'s recorded corrections again with the current key, from the request each
    was made from (the second half of a ``SECRET_KEY`` rotation). Returns (rewritten, left):
    ``left`` counts records whose request no longer holds the email address or the corrected
    value, which stay as they are (still matched while their key is a fallback). Idempotent."""
    rewritten = left = 0
    records = (
        RecordedCorrection.objects.for_tenant(tenant)
        .select_related("privacy_request")
        .order_by("pk")
    )
    for recorded in records.iterator(chunk_size=500):
        privacy_request = recorded.privacy_request
        email = privacy_request.requester_email.strip()
        value = privacy_request.correction_requested.strip()
        if not email or not value:
            left += 1
            continue
        email_digest = correction_digest(tenant.pk, "email", email)
        value_digest = correction_digest(tenant.pk, recorded.field, value)
        if (recorded.email_digest, recorded.value_digest) != (email_digest, value_digest):
            records.filter(pk=recorded.pk).update(
                email_digest=email_digest, value_digest=value_digest
            )
            rewritten += 1
    return rewritten, left


# --- §7023(j): all specific pieces, to confirm the correction ------------------------------------


def correction_disclosure_create(*, privacy_request: PrivacyRequest) -> PrivacyRequest | None:
    """A request to correct complied with, whose consumer asked to see all the specific pieces
    to confirm it (§7023(j)), gets its request to know (specific pieces), linked to it: it is
    verified like any request to know (§7062) and never counted toward the two a year."""
    if not privacy_request.correction_disclosure_wanted or privacy_request.outcome not in (
        words.ANSWERED
    ):
        return None
    from .intake import Requester, privacy_request_create  # intake imports this module's peers

    disclosure = privacy_request_create(
        tenant=privacy_request.tenant,
        request_type=words.KNOW,
        channel=privacy_request.channel,
        requester=Requester(
            name=privacy_request.requester_name,
            email=privacy_request.requester_email,
            phone=str(privacy_request.requester_phone or ""),
            state=privacy_request.requester_state,
        ),
        know_scope=KnowScope.SPECIFIC,
        is_california_consumer=privacy_request.is_california_consumer,
        language=privacy_request.language,
        details={"confirms_correction": privacy_request},
    )
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=clock.now(),
        message=f"The consumer asked to see all specific pieces to confirm the correction "
        f"(§7023(j)): request to know {disclosure.reference} was opened; it does not count "
        "toward the two requests to know in 12 months.",
        data={"disclosure": disclosure.pk},
    )
    return disclosure


# --- §7023(f)(4): the consumer's written statement ------------------------------------------------


class CorrectionStatementAdded(Protocol):
    """A function of ``settings.PRIVACY_REQUEST_STATEMENT_ADDED``: called inside the
    transaction that keeps a consumer's statement; the recipients' app passes it on."""

    def __call__(
        self, *, privacy_request: PrivacyRequest, statement: CorrectionStatement
    ) -> None: ...


@functools.cache
def _statement_hooks(paths: tuple[str, ...]) -> tuple[CorrectionStatementAdded, ...]:
    return tuple(import_string(path) for path in paths)


STATEMENT_OUTCOMES = frozenset({words.DENIED, words.COMPLIED_IN_PART})


def statement_allowed(privacy_request: PrivacyRequest) -> bool:
    """A request to correct denied in whole or in part (§7023(f)(4))."""
    return (
        privacy_request.request_type == words.CORRECT
        and privacy_request.outcome in STATEMENT_OUTCOMES
    )


STATEMENT_MESSAGES = {
    "item": "Say which piece of information your statement is about.",
    "item_too_long": f"Describe the information in at most {rules.STATEMENT_ITEM_LENGTH} characters.",
    "empty": "Write your statement.",
    "too_long": f"Your statement can have at most {rules.STATEMENT_MAX_WORDS} words.",
}


@transaction.atomic
def correction_statement_add(
    *, privacy_request: PrivacyRequest, item: str, text: str
) -> CorrectionStatement:
    """Keep the consumer's statement with the request's record and pass it on
    (``settings.PRIVACY_REQUEST_STATEMENT_ADDED``). Refused over 250 words (§7023(f)(4))."""
    if not statement_allowed(privacy_request):
        raise Refused(
            "statement_not_offered",
            "A statement can be added only to a request to correct that we denied in whole or "
            "in part.",
            conflict=True,
        )
    problem = rules.statement_problem(item, text)
    if problem is not None:
        raise Refused(
            f"statement_{problem}",
            STATEMENT_MESSAGES[problem],
            "item" if problem.startswith("item") else "text",
        )
    now = clock.now()
    statement = CorrectionStatement(
        tenant=privacy_request.tenant,
        privacy_request=privacy_request,
        item=item.strip(),
        text=text.strip(),
        word_count=rules.word_count(text),
        submitted_at=now,
    )
    statement.full_clean()
    statement.save()
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        label=privacy_request.requester_name or "The consumer",
        message=f"The consumer added a written statement ({statement.word_count} words) about "
        "contested health information, kept with the record (§7023(f)(4)).",
        data={"correction_statement": statement.pk},
    )
    for added in _statement_hooks(tuple(getattr(settings, "PRIVACY_REQUEST_STATEMENT_ADDED", ()))):
        added(privacy_request=privacy_request, statement=statement)
    return statement
