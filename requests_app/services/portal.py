"""The consumer portal's write path: submissions, limits, documents, two-step delete, withdrawal.

The web forms call only these functions and those of ``status_links`` (views do no ORM
writes). Each runs in one transaction: the request, its timeline, its documents and its outbox
emails are all saved, or none is. Status sign-in links are in ``status_links``.

Decisions (documented here because staff and auditors ask about them):

* **Two requests to know per 12 months** (Civ. Code §1798.130(b); requirements A-10). Counted:
  the same consumer's (same email address, case-insensitive) earlier requests to know at this
  business, received in the 12 months before the new one, that were fulfilled in whole or in
  part **or are still open**. A-10 counts fulfilled requests; an open one counts too because the
  business is already bound to answer it (two open requests and a third would otherwise all be
  answered). Denied and withdrawn requests, and earlier refused third attempts, do not count.
  If an open one is later denied or withdrawn, the consumer may simply ask again.
* **The third attempt is recorded, never dropped** (§7101): it becomes a request like any other,
  flagged ``know_limit_exceeded``, and is closed at once as denied on "other grounds" with an
  explanation citing §1798.130(b) and the date the consumer may ask again (so it shows in the
  §7101 log and the §7102 denial breakdown). The closing email doubles as the receipt
  confirmation (§7021(a) lets it omit the process description for a request already denied).
* **Repeat correction** (§7023(g)): a request to correct is flagged for staff when the same
  consumer's request about the same piece of information was denied in the six months before
  this one ("something else" must also describe the same thing). Staff decide; nothing is denied
  automatically. A request that comes with a document is new by definition (§7023(g), second
  sentence) and is not flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext

from core import clock
from core.calendar import start_of_day
from core.dates import long_date
from core.refusals import Refused
from core.uploads import upload_check
from tenants.models import Tenant

from .. import deadlines, lifecycle, limits
from ..models import (
    Channel,
    ConfirmationMethod,
    CorrectionField,
    DeleteScope,
    DenialReason,
    EventKind,
    Flag,
    Outcome,
    PrivacyRequest,
    RequestDocument,
    RequestEvent,
    RequestType,
)
from .documents import request_document_file_save
from .intake import Agent, Requester, privacy_request_create
from .transitions import privacy_request_close

PORTAL_ACTOR = "Privacy portal (web form)"
CONSUMER_ACTOR = "Consumer (privacy request page)"


@dataclass(frozen=True)
class PortalSubmission:
    """What a consumer (or their authorized agent) sent through a portal form."""

    request_type: str
    requester: Requester
    language: str
    agent: Agent | None = None
    is_california_consumer: bool | None = None
    know_scope: str = ""
    delete_scope: str = ""
    delete_categories: tuple[str, ...] = ()
    correction_field: str = ""
    correction_information: str = ""
    correction_requested: str = ""
    documents: tuple[UploadedFile, ...] = field(default=())


@dataclass(frozen=True)
class Submitted:
    privacy_request: PrivacyRequest
    # Set when this was a third request to know within 12 months: the day they may ask again.
    ask_again_on: date | None = None


def normalize_email(value: str) -> str:
    return value.strip().lower()


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def _timeline(
    privacy_request: PrivacyRequest,
    *,
    kind: str,
    message: str,
    at: datetime,
    actor_label: str,
    data: dict | None = None,
) -> None:
    RequestEvent(
        tenant_id=privacy_request.tenant_id,
        privacy_request=privacy_request,
        kind=kind,
        at=at,
        actor_label=actor_label,
        message=message,
        data=data or {},
    ).save()


# --- Documents (§7023(d)) ---------------------------------------------------------------------


def _attach(
    privacy_request: PrivacyRequest, upload: UploadedFile, *, now: datetime, saved: list
) -> RequestDocument:
    content_type = upload_check(upload)
    document = RequestDocument(
        tenant_id=privacy_request.tenant_id,
        privacy_request=privacy_request,
        original_name=(upload.name or "document")[-255:],
        content_type=content_type,
        size=upload.size or 0,
        uploaded_at=now,
    )
    request_document_file_save(document=document, upload=upload)  # encrypted (§7023(d)(4))
    saved.append(document.file.name)
    document.full_clean()
    document.save()
    _timeline(
        privacy_request,
        kind=EventKind.DOCUMENT_ADDED,
        at=now,
        actor_label=PORTAL_ACTOR,
        message=f"Document received: {document.original_name} ({content_type}, "
        f"{document.size} bytes). Open it before deciding (§7023(d)(1)).",
        data={"document_id": document.pk},
    )
    return document


# --- Limits --------------------------------------------------------------------------------


def _know_dates_that_count(tenant: Tenant, email: str, received: date) -> list[date]:
    """Receipt dates of earlier requests to know that count toward the limit (see module doc)."""
    return list(
        PrivacyRequest.objects.for_tenant(tenant)
        .filter(
            request_type=RequestType.KNOW,
            requester_email__iexact=email,
            received_date__gte=limits.add_months(received, -limits.KNOW_WINDOW_MONTHS),
            received_date__lte=received,
        )
        .filter(
            ~Q(status=lifecycle.CLOSED)
            | Q(outcome__in=[Outcome.COMPLIED, Outcome.COMPLIED_IN_PART])
        )
        .values_list("received_date", flat=True)
    )


def _repeated_corrections(
    tenant: Tenant, *, email: str, correction_field: str, information: str, received: date
) -> list[str]:
    """References of denied requests to correct the same thing within six months (§7023(g))."""
    since = start_of_day(limits.add_months(received, -limits.CORRECT_REPEAT_MONTHS), tenant.zone)
    earlier = (
        PrivacyRequest.objects.for_tenant(tenant)
        .filter(
            request_type=RequestType.CORRECT,
            requester_email__iexact=email,
            outcome=Outcome.DENIED,
            correction_field=correction_field,
            responded_at__gte=since,
        )
        .values_list("reference", "responded_at", "correction_information")
    )
    return [
        reference
        for reference, responded_at, earlier_information in earlier
        if (
            correction_field != CorrectionField.OTHER
            or _same_text(earlier_information, information)
        )
        and limits.is_repeat_correction(
            [deadlines.receipt_date(responded_at, tenant.zone)], received
        )
    ]


def _know_limit_explanation(ask_again_on: date, language: str) -> str:
    with translation.override(language):
        return gettext(
            "You have already made two requests to know in the last 12 months. The law does "
            "not require a business to answer more than two requests to know from the same "
            "person in 12 months (California Civil Code section 1798.130(b)). You can make a new "
            "request to know from %(date)s. You can still ask us to delete or correct your "
            "information at any time."
        ) % {"date": long_date(ask_again_on)}


# --- Submission ------------------------------------------------------------------------------


def portal_request_submit(*, tenant: Tenant, submission: PortalSubmission) -> Submitted:
    """Record a request sent through a portal form, with its details, documents and flags.

    Saved first, in one transaction with its timeline and the acknowledgement email (§7021(a));
    on any refusal nothing is left behind, not even an uploaded file.
    """
    saved_files: list[str] = []
    try:
        return _submit(tenant=tenant, submission=submission, saved_files=saved_files)
    except BaseException:
        for name in saved_files:
            RequestDocument._meta.get_field("file").storage.delete(name)  # type: ignore[attr-defined]
        raise


@transaction.atomic
def _submit(*, tenant: Tenant, submission: PortalSubmission, saved_files: list[str]) -> Submitted:
    now = clock.now()
    received = deadlines.receipt_date(now, tenant.zone)
    request_type = submission.request_type
    if request_type not in {RequestType.KNOW, RequestType.DELETE, RequestType.CORRECT}:
        raise Refused("invalid_type", "The portal forms take requests to know, delete or correct.")
    email = normalize_email(submission.requester.email)
    for upload in submission.documents:
        upload_check(upload)  # refuse before anything is written
    if submission.documents and request_type != RequestType.CORRECT:
        raise Refused("documents_not_allowed", "Only requests to correct take documents.")

    flags: list[str] = []
    details: dict[str, object] = {}
    ask_again_on: date | None = None
    repeated: list[str] = []
    if request_type == RequestType.KNOW and email:
        ask_again_on = limits.know_limit_next_date(
            _know_dates_that_count(tenant, email, received), received
        )
        if ask_again_on is not None:
            flags.append(Flag.KNOW_LIMIT_EXCEEDED)
    if request_type == RequestType.DELETE:
        scope = submission.delete_scope or DeleteScope.ALL
        details["delete_scope"] = scope
        details["delete_categories"] = (
            sorted(set(submission.delete_categories)) if scope == DeleteScope.SELECTED else []
        )
        if scope == DeleteScope.SELECTED and not details["delete_categories"]:
            raise Refused(
                "categories_required",
                gettext("Choose at least one kind of information to delete."),
                "delete_categories",
            )
        # §7020(d): an optional second step; the 45 days run from this first submission.
        details["awaiting_consumer_confirmation"] = tenant.delete_two_step
    if request_type == RequestType.CORRECT:
        details["correction_field"] = submission.correction_field
        details["correction_information"] = submission.correction_information.strip()
        details["correction_requested"] = submission.correction_requested.strip()
        if email and not submission.documents:
            repeated = _repeated_corrections(
                tenant,
                email=email,
                correction_field=submission.correction_field,
                information=submission.correction_information,
                received=received,
            )
            if repeated:
                flags.append(Flag.REPEAT_CORRECTION)
    if flags:
        details["flags"] = flags

    privacy_request = privacy_request_create(
        tenant=tenant,
        request_type=request_type,
        channel=Channel.WEBFORM,
        requester=submission.requester,
        know_scope=submission.know_scope,
        agent=submission.agent,
        is_california_consumer=submission.is_california_consumer,
        actor_label=PORTAL_ACTOR,
        language=submission.language,
        details=details,
        send_acknowledgement=ask_again_on is None,
        received_at=now,
    )
    for upload in submission.documents:
        _attach(privacy_request, upload, now=now, saved=saved_files)
    if repeated:
        _timeline(
            privacy_request,
            kind=EventKind.FLAGGED,
            at=now,
            actor_label=PORTAL_ACTOR,
            message="Flagged: a request to correct the same information "
            f"({privacy_request.get_correction_field_display()}) was denied within the past "
            f"6 months ({', '.join(repeated)}). It may be denied again unless the consumer "
            "gives new documentation (§7023(g)).",
            data={"flag": Flag.REPEAT_CORRECTION, "earlier": repeated},
        )
    if ask_again_on is not None:
        _timeline(
            privacy_request,
            kind=EventKind.FLAGGED,
            at=now,
            actor_label=PORTAL_ACTOR,
            message="Flagged: third request to know from this email address within 12 months "
            f"(Civ. Code §1798.130(b)); the consumer may ask again from {ask_again_on:%Y-%m-%d}. "
            "Closed automatically as denied (other grounds).",
            data={"flag": Flag.KNOW_LIMIT_EXCEEDED, "ask_again_on": ask_again_on.isoformat()},
        )
        privacy_request = privacy_request_close(
            privacy_request=privacy_request,
            actor=None,
            actor_label=PORTAL_ACTOR,
            outcome=Outcome.DENIED,
            denial_reason=DenialReason.OTHER,
            explanation=_know_limit_explanation(ask_again_on, submission.language),
        )
        if privacy_request.agent_email or privacy_request.requester_email:
            # The answer email is also the receipt confirmation (§7021(a)).
            privacy_request.confirmed_at = now
            privacy_request.confirmation_method = ConfirmationMethod.EMAIL
            privacy_request.save(update_fields=["confirmed_at", "confirmation_method"])
            _timeline(
                privacy_request,
                kind=EventKind.ACKNOWLEDGED,
                at=now,
                actor_label=PORTAL_ACTOR,
                message="Receipt confirmed by the answer email (§7021(a)).",
            )
    return Submitted(privacy_request=privacy_request, ask_again_on=ask_again_on)


# --- Two-step delete and withdrawal ------------------------------------------------------------


def _reload(privacy_request: PrivacyRequest) -> PrivacyRequest:
    return (
        PrivacyRequest.objects.for_tenant(privacy_request.tenant)
        .select_for_update()
        .select_related("tenant")
        .get(pk=privacy_request.pk)
    )


@transaction.atomic
def privacy_request_consumer_confirm_delete(*, privacy_request: PrivacyRequest) -> PrivacyRequest:
    """The second step of a two-step request to delete (§7020(d)). The deadlines do not move."""
    privacy_request = _reload(privacy_request)
    if not (privacy_request.awaiting_consumer_confirmation and privacy_request.is_open):
        raise Refused(
            "nothing_to_confirm",
            gettext("This request does not need your confirmation."),
            conflict=True,
        )
    now = clock.now()
    privacy_request.awaiting_consumer_confirmation = False
    privacy_request.consumer_confirmed_at = now
    privacy_request.updated_at = now
    privacy_request.save(
        update_fields=["awaiting_consumer_confirmation", "consumer_confirmed_at", "updated_at"]
    )
    _timeline(
        privacy_request,
        kind=EventKind.CONSUMER_CONFIRMED,
        at=now,
        actor_label=CONSUMER_ACTOR,
        message="The consumer confirmed the request to delete (second step, §7020(d)).",
    )
    return privacy_request


def close_unconfirmed_deletes(*, now: datetime | None = None) -> int:
    """Close two-step requests to delete that were never confirmed in the tenant's window (A-18).

    They are denied on "other grounds", so that received = complied + denied + pending holds for
    §7102, and the consumer is told, in their language, that they can ask again. Only tenants
    that use the two-step flow are visited; each query reads a partial index.
    """
    now = now or clock.now()
    closed = 0
    for tenant in Tenant.objects.filter(delete_two_step=True).order_by("pk"):
        window = timedelta(days=tenant.delete_confirmation_days)
        stale = (
            PrivacyRequest.objects.for_tenant(tenant)
            .filter(awaiting_consumer_confirmation=True, received_at__lt=now - window)
            .exclude(status=lifecycle.CLOSED)
        )
        for privacy_request in stale.select_related("tenant").iterator():
            with translation.override(privacy_request.language or "en"):
                explanation = gettext(
                    "You did not confirm your request to delete within %(days)s days, so we "
                    "did not delete anything. You can make a new request at any time."
                ) % {"days": tenant.delete_confirmation_days}
            with transaction.atomic():
                # Re-checked under a row lock: the consumer may have confirmed a moment ago.
                still_waiting = (
                    PrivacyRequest.objects.for_tenant(tenant)
                    .select_for_update()
                    .filter(pk=privacy_request.pk, awaiting_consumer_confirmation=True)
                    .exclude(status=lifecycle.CLOSED)
                    .exists()
                )
                if not still_waiting:
                    continue
                privacy_request_close(
                    privacy_request=privacy_request,
                    actor=None,
                    actor_label="Deadline sweep",
                    outcome=Outcome.DENIED,
                    denial_reason=DenialReason.OTHER,
                    explanation=explanation,
                )
            closed += 1
    return closed


def privacy_request_withdraw(*, privacy_request: PrivacyRequest) -> PrivacyRequest:
    """The consumer withdraws an open request; it closes as "withdrawn" and they get an email."""
    if not privacy_request.is_open:
        raise Refused("closed", gettext("This request is already closed."), conflict=True)
    return privacy_request_close(
        privacy_request=privacy_request,
        actor=None,
        actor_label=CONSUMER_ACTOR,
        outcome=Outcome.WITHDRAWN,
    )
