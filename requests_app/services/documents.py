"""The documentation a consumer sends with a request to correct (§7023(d)): stored encrypted,
opened only by the staff who may, and each opening recorded.

* §7023(d)(1): the business must consider that documentation before deciding; opening a document
  is therefore recorded on the request's timeline ("document opened", naming the document and
  the staff member), and ``privacy_request_close`` refuses to decide a correction until every
  document has been opened.
* §7023(d)(3)-(4) (R-7023-d-3): it is used only for the correction and the §7101 records, so only
  the staff member assigned to the request and the business's compliance staff and admins may open
  it (``selectors.may_open_request_documents``); the file is stored encrypted
  (``core.encryption``) and no export, API answer or email carries its content.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from audit.models import AuditAction
from core import clock, encryption, uploads
from core.refusals import Refused
from tenants.models import Tenant
from tenants.selectors import membership_role

from .. import vocabulary as words
from ..models import EventKind, PrivacyRequest, RequestDocument
from ..selectors import DOCUMENT_KEY, may_open_request_documents
from .timeline import timeline_add

logger = logging.getLogger(__name__)

# Who the timeline names for what the consumer did on the portal.
PORTAL_ACTOR = "Privacy portal (web form)"

DOCUMENT_FORBIDDEN = "document_forbidden"
DOCUMENT_FORBIDDEN_MESSAGE = (
    "Only the staff member assigned to this request and compliance staff can open its "
    "documents (§7023(d)(3))."
)
DOCUMENT_MISSING = "document_missing"
DOCUMENT_UNREADABLE = "document_unreadable"


def request_document_attach(
    privacy_request: PrivacyRequest,
    upload: UploadedFile,
    *,
    now: datetime,
    saved_files: list[str],
    label: str = PORTAL_ACTOR,
) -> RequestDocument:
    """Store a document the consumer sent with ``privacy_request``, encrypted, and note it on the
    timeline. The stored file's name is added to ``saved_files`` so that the caller can remove
    it if the transaction fails (files are not transactional)."""
    content_type = uploads.upload_check(upload)
    document = RequestDocument(
        tenant_id=privacy_request.tenant_id,
        privacy_request=privacy_request,
        original_name=(upload.name or "document")[-255:],
        content_type=content_type,
        size=upload.size or 0,
        uploaded_at=now,
    )
    request_document_file_save(document=document, upload=upload)
    saved_files.append(document.file.name)
    document.full_clean()
    document.save()
    timeline_add(
        privacy_request,
        kind=EventKind.DOCUMENT_ADDED,
        at=now,
        label=label,
        message=f"Document received: {document.original_name} ({content_type}, "
        f"{document.size} bytes). Open it before deciding ("
        + (
            "§7023(d)(1))."
            if privacy_request.request_type == words.CORRECT
            else "the consumer's signed permission, §7026(j), §7027(j))."
        ),
        data={DOCUMENT_KEY: document.pk},
    )
    return document


def request_document_file_save(*, document: RequestDocument, upload: UploadedFile) -> None:
    """Store ``upload`` as ``document``'s file, encrypted (the caller saves the row).

    ``document.size`` stays the size of the consumer's file, not of what is stored.
    """
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    uploads.encrypted_save(document.file, content, upload.name or "document")


def _stored_bytes(document: RequestDocument) -> bytes:
    try:
        return uploads.stored_bytes(document.file)
    except uploads.StoredFileMissing as error:
        raise Refused(
            DOCUMENT_MISSING,
            f"The file of document {document.original_name} is missing from storage; "
            "tell your administrator.",
        ) from error


def _read(document: RequestDocument) -> bytes:
    stored = _stored_bytes(document)
    try:
        return encryption.decrypt(stored)
    except encryption.Unreadable as error:
        # No traceback for the user; the log line tells the operator which key setting to check.
        logger.error(
            "Document %s (tenant %s) cannot be decrypted with PORTAL_DOCUMENT_KEYS.",
            document.pk,
            document.tenant_id,
        )
        raise Refused(
            DOCUMENT_UNREADABLE,
            f"Document {document.original_name} cannot be decrypted with this server's document "
            "keys (PORTAL_DOCUMENT_KEYS); tell your administrator. It was not marked as opened.",
        ) from error


@transaction.atomic
def request_document_open(*, document: RequestDocument, actor: AbstractBaseUser) -> bytes:
    """The consumer's document, decrypted, for ``actor``; records on the timeline who viewed it.

    The caller has already scoped ``document`` to the staff member's business. Refused, with
    nothing recorded: staff who may not open it (``document_forbidden``), a file missing from
    storage (``document_missing``) or one the configured keys cannot decrypt
    (``document_unreadable``).
    """
    privacy_request = document.privacy_request
    role = membership_role(actor, privacy_request.tenant)
    if not may_open_request_documents(user=actor, role=role, privacy_request=privacy_request):
        raise Refused(DOCUMENT_FORBIDDEN, DOCUMENT_FORBIDDEN_MESSAGE)
    content = _read(document)
    timeline_add(
        privacy_request,
        kind=EventKind.DOCUMENT_OPENED,
        at=clock.now(),
        actor=actor,
        # The one audit entry of this opening (issue 14 item 3): a download, not a change.
        audit_action=AuditAction.DOWNLOAD,
        audit_summary=f"Opened document {document.pk} of {privacy_request.reference}",
        message=f"Document {document.original_name} opened by {actor.get_username()}.",
        data={DOCUMENT_KEY: document.pk},
    )
    return content


def request_document_encrypt(*, document: RequestDocument) -> bool:
    """Store ``document`` encrypted with the first of the configured keys, if it is not already:
    files from before encryption, and files of an older key (rotation). True if rewritten.

    The new file is written first and the row updated before the old file is deleted, so a
    failure half-way leaves a readable document (at worst an orphaned file).
    """
    stored = _stored_bytes(document)
    if not encryption.needs_encryption(stored):
        return False
    try:
        content = encryption.decrypt(stored)
    except encryption.Unreadable as error:
        raise Refused(
            DOCUMENT_UNREADABLE,
            f"Document {document.pk} cannot be decrypted with the configured keys.",
        ) from error
    old_name = document.file.name
    storage = document.file.storage
    with transaction.atomic():
        uploads.encrypted_save(document.file, content, "document")
        document.save(update_fields=["file"])
    storage.delete(old_name)
    return True


def tenant_documents_encrypt(*, tenant: Tenant) -> tuple[int, list[str]]:
    """``request_document_encrypt`` for each of ``tenant``'s documents: how many were rewritten,
    and the refusals (missing or undecryptable files), which stop nothing else."""
    rewritten, problems = 0, []
    for document in RequestDocument.objects.for_tenant(tenant).order_by("pk"):
        try:
            rewritten += request_document_encrypt(document=document)
        except Refused as refusal:
            problems.append(refusal.message)
    return rewritten, problems
