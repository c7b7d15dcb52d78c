"""Closing a request deletes what was collected only to verify (§7060(d), §1798.130(a)(7)) and
keeps the record: which data points matched (never a value), the signed declaration (§7062(c)),
and an agent's permission (§7101). A close that is rolled back deletes nothing."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import transaction

from core.uploads import encrypted_save
from requests_app import vocabulary as words
from requests_app.models import PrivacyRequest
from requests_app.services import Requester, privacy_request_create
from requests_app.services.transitions import privacy_request_close
from tests.db.verification.test_degrees_matching import HELD, directory_add, email_link_opened
from verification.models import (
    DataPointCheck,
    Declaration,
    DocumentKind,
    VerificationDocument,
    VerificationLink,
    VerificationStatus,
)
from verification.services.records import (
    DeclarationInput,
    pending_values_read,
    pending_values_store,
    verification_for,
    verification_submit,
)

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-03-02T10:00:00-08:00")


class Boom(Exception):
    pass


def document_add(privacy_request: PrivacyRequest, kind: str, name: str) -> VerificationDocument:
    document = VerificationDocument(
        tenant=privacy_request.tenant,
        privacy_request=privacy_request,
        kind=kind,
        original_name=name,
        content_type="application/pdf",
        size=9,
        uploaded_at=NOW,
    )
    encrypted_save(document.file, b"%PDF-1.4\n", name)
    document.save()
    assert document.file.name
    assert document.file.storage.exists(document.file.name)
    return document


@pytest.fixture
def collected(tenant_a, freeze):
    """A request to know specific pieces with everything verification collects: the email link,
    data point checks, a signed declaration, values waiting for the business's system, and
    documents (a parent's ID, household evidence, an agent's signed permission)."""
    freeze(NOW)
    directory_add(tenant_a, **HELD)
    privacy_request = privacy_request_create(
        tenant=tenant_a,
        request_type=words.KNOW,
        know_scope=words.KNOW_SPECIFIC,
        channel=words.WEBFORM,
        requester=Requester(name="Ana López", email="ana@example.com"),
    )
    email_link_opened(privacy_request)
    verification = verification_for(privacy_request)
    verification_submit(
        verification=verification,
        values={"phone": HELD["phone"]},
        declaration=DeclarationInput(typed_name="Ana López", typed_date=NOW.date(), language="en"),
    )
    verification = verification_for(privacy_request)
    assert verification.status == VerificationStatus.PENDING  # 2 points: not enough
    pending_values_store(verification, {"name": "Ana María López"})  # waiting for a webhook
    verification.save(update_fields=["pending_values_encrypted"])
    documents = {
        kind: document_add(privacy_request, kind, f"{kind}.pdf")
        for kind in (
            DocumentKind.PARENT_ID,
            DocumentKind.HOUSEHOLD_EVIDENCE,
            DocumentKind.AGENT_PERMISSION,
        )
    }
    assert (
        VerificationLink.objects.for_tenant(tenant_a)
        .filter(privacy_request=privacy_request)
        .exists()
    )
    return privacy_request, documents


def close(privacy_request: PrivacyRequest, staff) -> None:
    privacy_request_close(
        privacy_request=privacy_request,
        actor=staff,
        outcome=words.DENIED,
        denial_reason=words.UNVERIFIABLE,
        explanation="We could not verify your identity with the information you gave us.",
    )


def test_close_deletes_verification_data_and_keeps_the_record(
    collected, tenant_a, staff_a, django_capture_on_commit_callbacks
):
    privacy_request, documents = collected
    checks_before = list(
        DataPointCheck.objects.for_tenant(tenant_a)
        .filter(verification__privacy_request=privacy_request)
        .values_list("point", "result")
    )
    names = {kind: document.file.name for kind, document in documents.items()}
    with django_capture_on_commit_callbacks(execute=True):
        close(privacy_request, staff_a)
    verification = verification_for(privacy_request)
    assert verification.status == VerificationStatus.UNVERIFIABLE
    assert verification.purged_at is not None
    # Deleted: the email links and the values waiting for the business's system.
    assert (
        not VerificationLink.objects.for_tenant(tenant_a)
        .filter(privacy_request=privacy_request)
        .exists()
    )
    assert verification.pending_values_encrypted == ""
    assert pending_values_read(verification) == {}
    # Deleted from storage, the row kept as the record that it existed.
    for kind in (DocumentKind.PARENT_ID, DocumentKind.HOUSEHOLD_EVIDENCE):
        document = VerificationDocument.objects.for_tenant(tenant_a).get(pk=documents[kind].pk)
        assert document.deleted_at is not None
        assert document.file.name == ""
        assert not documents[kind].file.storage.exists(names[kind])
    # Kept: the agent's permission (who asked, §7101), the declaration (§7062(c)), the checks.
    permission = VerificationDocument.objects.for_tenant(tenant_a).get(
        pk=documents[DocumentKind.AGENT_PERMISSION].pk
    )
    assert permission.deleted_at is None
    assert permission.file.storage.exists(names[DocumentKind.AGENT_PERMISSION])
    assert Declaration.objects.for_tenant(tenant_a).filter(privacy_request=privacy_request).exists()
    checks_after = list(
        DataPointCheck.objects.for_tenant(tenant_a)
        .filter(verification__privacy_request=privacy_request)
        .values_list("point", "result")
    )
    assert checks_after == checks_before
    assert {point for point, _ in checks_after} >= {"email", "phone"}
    # The checks hold no value the consumer typed.
    for note in DataPointCheck.objects.for_tenant(tenant_a).values_list("note", flat=True):
        assert HELD["phone"] not in note
        assert "555" not in note
    # The timeline says what was deleted, and what was kept.
    (event,) = privacy_request.events.filter(message__startswith="Deleted what was collected")
    assert "the email links" in event.message
    assert "the data points waiting for the business's system" in event.message
    assert "Parent's government ID" in event.message
    assert "Evidence of household membership" in event.message
    assert "permission" not in event.message
    assert ".pdf" not in event.message  # never the consumer's file name
    assert "signed declaration" in event.message


def test_a_rolled_back_close_deletes_nothing(
    collected, tenant_a, staff_a, django_capture_on_commit_callbacks
):
    privacy_request, documents = collected
    names = {kind: document.file.name for kind, document in documents.items()}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                close(privacy_request, staff_a)
                raise Boom
        except Boom:
            pass
    assert callbacks == []
    privacy_request.refresh_from_db()
    assert privacy_request.is_open
    verification = verification_for(privacy_request)
    assert verification.purged_at is None
    assert pending_values_read(verification) == {"name": "Ana María López"}
    assert (
        VerificationLink.objects.for_tenant(tenant_a)
        .filter(privacy_request=privacy_request)
        .exists()
    )
    for kind, document in documents.items():
        document.refresh_from_db()
        assert document.deleted_at is None
        assert document.file.storage.exists(names[kind])
    assert not privacy_request.events.filter(message__startswith="Deleted what was").exists()


def test_purge_runs_once(collected, tenant_a, staff_a, django_capture_on_commit_callbacks):
    privacy_request, _ = collected
    with django_capture_on_commit_callbacks(execute=True):
        close(privacy_request, staff_a)
    from verification.services.purge import verification_data_purge

    assert verification_data_purge(verification=verification_for(privacy_request), now=NOW) == []
    assert privacy_request.events.filter(message__startswith="Deleted what was").count() == 1
