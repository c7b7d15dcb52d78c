"""Staff opening a document given for verification: the agent's signed permission (§7063(a)),
a power of attorney (§7063(b)), a parent's government ID (§7070(a)(2)(F)), evidence of household
membership (§7031(a)(3)).

The same rule as the consumer's own documents (``requests_app.services.documents``,
§7023(d)(3)): only the staff member assigned to the request and the business's compliance staff
and admins may open one; the file is decrypted on the way out only (§7023(d)(4)); each opening
is on the request's timeline, so that "staff checked the permission" can be told from "staff
clicked a button" (``agent_permission_accept`` asks for the opening, like §7023(d)(1) for a
correction). A deleted document (§7060(d), §7070(a)(2)(F)) is refused with the day it was
deleted.

The timeline entry is a note whose ``data`` names the document under ``OPENED_KEY``: not
``EventKind.DOCUMENT_OPENED``, whose ``document_id`` is a ``RequestDocument``'s (the two ids
would collide in ``request_document_openings``). It names the document by its kind, never by
the consumer's file name: the timeline outlives the purge, and a file name can carry the very
information deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from audit.models import AuditAction
from core import clock, encryption, uploads
from core.dates import long_date
from core.refusals import Refused
from requests_app.models import EventKind, PrivacyRequest, RequestEvent
from requests_app.selectors import may_open_request_documents
from requests_app.services.timeline import timeline_add
from tenants.selectors import membership_role

from ..models import VerificationDocument

logger = logging.getLogger(__name__)

OPENED_KEY = "verification_document_id"

DOCUMENT_FORBIDDEN = "verification_document_forbidden"
DOCUMENT_DELETED = "verification_document_deleted"
DOCUMENT_MISSING = "verification_document_missing"
DOCUMENT_UNREADABLE = "verification_document_unreadable"


def may_open_verification_documents(
    *, actor: AbstractBaseUser, privacy_request: PrivacyRequest
) -> bool:
    """The assignee, compliance staff and admins of the request's business (§7023(d)(3))."""
    role = membership_role(actor, privacy_request.tenant)
    return may_open_request_documents(user=actor, role=role, privacy_request=privacy_request)


def verification_document_deleted_message(document: VerificationDocument) -> str:
    moment = document.deleted_at
    day = long_date(moment.astimezone(document.tenant.zone)) if moment else ""
    return (
        f"This document ({document.get_kind_display()}) was deleted on {day} (§7060(d)): "
        "what was given only to verify is not kept once it has served."
    )


@transaction.atomic
def verification_document_open(*, document: VerificationDocument, actor: AbstractBaseUser) -> bytes:
    """The document, decrypted, for ``actor``; the opening is recorded on the request's timeline.

    The caller has already scoped ``document`` to the staff member's business. Refused, with
    nothing recorded: staff who may not open it, a deleted document, a file missing from storage
    or one the configured keys cannot decrypt.
    """
    privacy_request = document.privacy_request
    if not may_open_verification_documents(actor=actor, privacy_request=privacy_request):
        raise Refused(
            DOCUMENT_FORBIDDEN,
            "Only the staff member assigned to this request and compliance staff can open its "
            "verification documents (§7023(d)(3)). Ask to be assigned to the request.",
        )
    if document.deleted_at is not None or not document.file:
        raise Refused(DOCUMENT_DELETED, verification_document_deleted_message(document))
    try:
        content = uploads.encrypted_read(document.file)
    except uploads.StoredFileMissing as error:
        raise Refused(
            DOCUMENT_MISSING,
            f"The file of this document ({document.get_kind_display()}) is missing from "
            "storage; tell your administrator. It was not marked as opened.",
        ) from error
    except encryption.Unreadable as error:
        logger.error(
            "Verification document %s (tenant %s) cannot be decrypted with PORTAL_DOCUMENT_KEYS.",
            document.pk,
            document.tenant_id,
        )
        raise Refused(
            DOCUMENT_UNREADABLE,
            "This document cannot be decrypted with this server's document keys "
            "(PORTAL_DOCUMENT_KEYS); tell your administrator. It was not marked as opened.",
        ) from error
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=clock.now(),
        actor=actor,
        # The one audit entry of this opening (issue 14 item 3): a download, not a change.
        audit_action=AuditAction.DOWNLOAD,
        audit_summary=f"Opened verification document {document.pk} of {privacy_request.reference}",
        message=f"Document opened by {actor.get_username()}: {document.get_kind_display()}.",
        data={OPENED_KEY: document.pk},
    )
    return content


def verification_documents_opened_by(
    *, privacy_request: PrivacyRequest, actor: AbstractBaseUser, documents: Iterable[int]
) -> set[int]:
    """Which of ``documents`` (ids) ``actor`` opened, by the request's timeline."""
    wanted = set(documents)
    if not wanted:
        return set()
    data = (
        RequestEvent.objects.for_tenant(privacy_request.tenant)
        .filter(
            privacy_request=privacy_request,
            kind=EventKind.NOTE,
            actor=actor,
            data__has_key=OPENED_KEY,
        )
        .values_list("data", flat=True)
    )
    return {entry[OPENED_KEY] for entry in data} & wanted
