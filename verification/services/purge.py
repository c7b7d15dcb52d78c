"""Deleting what was collected only to verify, once the request is closed (§7060(d)).

Deleted: the values waiting for the business's system, the email links, the documents given
for verification (a parent's ID is deleted earlier, once checked: §7070(a)(2)(F)), and the
attempt rows' link to the request. Kept: the checks (which data point matched, never a value),
the signed declarations (§7062(c)), and an agent's permission or power of attorney (the record
of who asked, §7101). The timeline says what was deleted.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from requests_app.models import EventKind
from requests_app.services.timeline import timeline_add

from ..models import (
    KEPT_DOCUMENT_KINDS,
    Verification,
    VerificationAttempt,
    VerificationDocument,
    VerificationLink,
)


def verification_document_delete(document: VerificationDocument, now: datetime) -> None:
    """Remove a document's file (after commit: a rolled-back close keeps it); keep its row
    as the record that it existed and when it was deleted."""
    name = document.file.name
    if name:
        storage = document.file.storage
        transaction.on_commit(lambda: storage.delete(name))
    document.file = ""
    document.deleted_at = now
    document.save(update_fields=["file", "deleted_at"])


def verification_data_purge(*, verification: Verification, now: datetime) -> list[str]:
    """Delete the verification-only data of a closed request; what was deleted, in words."""
    if verification.purged_at is not None:
        return []
    tenant = verification.tenant
    privacy_request = verification.privacy_request
    deleted = []
    if verification.pending_values_encrypted:
        verification.pending_values_encrypted = ""
        deleted.append("the data points waiting for the business's system")
    links = VerificationLink.objects.for_tenant(tenant).filter(privacy_request=privacy_request)
    if links.delete()[0]:
        deleted.append("the email links")
    documents = (
        VerificationDocument.objects.for_tenant(tenant)
        .filter(privacy_request=privacy_request, deleted_at__isnull=True)
        .exclude(kind__in=sorted(KEPT_DOCUMENT_KINDS))
    )
    for document in documents:
        verification_document_delete(document, now)
        # Named by its kind, not the consumer's file name: the timeline outlives the purge,
        # and a file name can carry the very information deleted ("ana_lopez_licence.jpg").
        deleted.append(f"a document ({document.get_kind_display()})")
    VerificationAttempt.objects.for_tenant(tenant).filter(privacy_request=privacy_request).update(
        privacy_request=None
    )
    verification.purged_at = now
    verification.save(update_fields=["pending_values_encrypted", "purged_at"])
    if deleted:
        timeline_add(
            privacy_request,
            kind=EventKind.NOTE,
            at=now,
            label="Identity verification",
            message="Deleted what was collected only to verify (§7060(d)): "
            + "; ".join(deleted)
            + ". Kept: which data points matched, and any signed declaration (§7062(c)).",
        )
    return deleted
