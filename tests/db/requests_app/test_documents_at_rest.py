"""The consumer's correction documents are stored encrypted and leave only through the staff
download (§7023(d)(3)-(4), requirements R-7023-d-3): what is on disk is not the document, the
download gives back the original bytes, a wrong key is a clear refusal, older files and older keys
are handled, and no export other than the record's reference carries the document."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.contrib.messages import ERROR, get_messages
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from outbox.models import OutboxMessage
from outbox.services import outbox_message_send
from requests_app.models import (
    EventKind,
    PrivacyRequest,
    RequestDocument,
    RequestEvent,
)
from requests_app.services import privacy_request_assign
from tests.factories import correction
from tests.helpers import login
from tests.portal_helpers import CORRECT, PDF, PNG, stored_files

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal")]

# A real-looking JPEG: the signature, then content with a marker to look for in every export.
MARKER = b"CONSUMER-DOCUMENT-CONTENT-7023"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + MARKER + b"\x00" * 32 + b"\xff\xd9"


def document_url(document: RequestDocument) -> str:
    return reverse(
        "admin:requests_app_privacyrequest_document",
        args=[document.privacy_request_id, document.pk],
    )


def the_document(privacy_request: PrivacyRequest) -> RequestDocument:
    return RequestDocument.objects.for_tenant(privacy_request.tenant).get(
        privacy_request=privacy_request
    )


def download(user, document: RequestDocument) -> bytes:
    response = login(user).get(document_url(document))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def on_disk(document: RequestDocument) -> bytes:
    return Path(document.file.path).read_bytes()


def viewed(privacy_request: PrivacyRequest) -> list[RequestEvent]:
    return list(
        RequestEvent.objects.for_tenant(privacy_request.tenant).filter(
            privacy_request=privacy_request, kind=EventKind.NOTE
        )
    )


# --- Encrypted at rest -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "signature"),
    [("bill.png", PNG, b"\x89PNG"), ("lease.pdf", PDF, b"%PDF"), ("id.jpg", JPEG, b"\xff\xd8\xff")],
)
def test_the_stored_file_is_not_the_document_and_the_download_is_7023d4(
    tenant_a, compliance_a, portal, name, content, signature
):
    document = the_document(correction(tenant_a, (name, content)))

    stored = on_disk(document)
    assert signature not in stored
    assert content not in stored
    assert [path.read_bytes() for path in stored_files(portal)] == [stored]  # no plaintext copy
    assert document.file.name.endswith(".enc")
    assert document.size == len(content)  # the consumer's file's size, not the token's
    assert download(compliance_a, document) == content


def test_the_portal_form_upload_is_stored_encrypted(client, tenant_a, compliance_a, portal):
    upload = SimpleUploadedFile("bill.png", PNG, content_type="image/png")
    assert client.post("/acme/correct/", {**CORRECT, "document": upload}).status_code == 302
    document = RequestDocument.objects.for_tenant(tenant_a).get()

    (stored,) = [path.read_bytes() for path in stored_files(portal)]
    assert PNG[:8] not in stored
    assert download(compliance_a, document) == PNG


def test_a_wrong_key_is_a_clear_refusal_not_an_error_page_and_nothing_is_recorded(
    tenant_a, compliance_a, settings, caplog
):
    privacy_request = correction(tenant_a, ("bill.png", PNG))
    document = the_document(privacy_request)
    settings.DOCUMENT_KEYS = [Fernet.generate_key().decode()]  # not the key it was stored with

    with caplog.at_level(logging.ERROR, logger="requests_app.services.documents"):
        response = login(compliance_a).get(document_url(document))

    assert response.status_code == 302
    change = reverse("admin:requests_app_privacyrequest_change", args=[privacy_request.pk])
    assert response["Location"] == change
    (message,) = [m.message for m in get_messages(response.wsgi_request) if m.level == ERROR]
    assert message == (
        "Document bill.png cannot be decrypted with this server's document keys "
        "(PORTAL_DOCUMENT_KEYS); tell your administrator. It was not marked as opened."
    )
    assert viewed(privacy_request) == []
    assert f"Document {document.pk} (tenant {tenant_a.pk}) cannot be decrypted" in caplog.text
    assert "Traceback" not in caplog.text


def test_a_document_stored_before_encryption_is_still_read(tenant_a, compliance_a):
    document = the_document(correction(tenant_a, ("bill.png", PNG)))
    legacy = document.file.storage.save("tenant_legacy/bill.png", ContentFile(PDF))
    document.file.name = legacy
    document.save(update_fields=["file"])

    assert download(compliance_a, document) == PDF


def test_documents_encrypt_encrypts_plaintext_files_and_rotates_to_the_first_key(
    tenant_a, tenant_b, compliance_a, settings
):
    old_key = settings.DOCUMENT_KEYS[0]
    rotated = the_document(correction(tenant_a, ("bill.png", PNG)))
    legacy = the_document(correction(tenant_b, ("lease.pdf", PDF)))
    plaintext_name = legacy.file.storage.save("tenant_legacy/lease.pdf", ContentFile(PDF))
    legacy.file.name = plaintext_name
    legacy.save(update_fields=["file"])
    new_key = Fernet.generate_key().decode()
    settings.DOCUMENT_KEYS = [new_key, old_key]
    assert download(compliance_a, rotated) == PNG  # every key decrypts

    call_command("documents_encrypt", stdout=open(os.devnull, "w"))  # noqa: SIM115

    settings.DOCUMENT_KEYS = [new_key]  # the old key is gone: everything still opens
    rotated = RequestDocument.objects.for_tenant(tenant_a).get(pk=rotated.pk)
    legacy = RequestDocument.objects.for_tenant(tenant_b).get(pk=legacy.pk)
    assert download(compliance_a, rotated) == PNG
    assert Fernet(new_key).decrypt(on_disk(legacy)) == PDF
    assert not legacy.file.storage.exists(plaintext_name)  # the plaintext copy is gone
    first = rotated.file.name
    call_command("documents_encrypt", stdout=open(os.devnull, "w"))  # noqa: SIM115
    rotated.refresh_from_db()
    assert rotated.file.name == first  # nothing left to rewrite


def test_documents_encrypt_reports_documents_no_key_opens(tenant_a, settings):
    correction(tenant_a, ("bill.png", PNG))
    settings.DOCUMENT_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(CommandError, match="1 document"):
        call_command("documents_encrypt", stdout=open(os.devnull, "w"))  # noqa: SIM115


def _settings_load(**env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PORTAL_TESTING", "PORTAL_DOCUMENT_KEYS", "DATABASE_URL", "REDIS_URL"}
    }
    environment.update(
        DJANGO_DEBUG="false",
        PORTAL_MOVABLE_CLOCK="false",
        DJANGO_SECRET_KEY="x" * 64,
        DJANGO_SETTINGS_MODULE="privacyportal.settings",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; settings.DOCUMENT_KEYS"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[3],
    )


def test_production_settings_require_a_document_key():
    missing = _settings_load()
    assert missing.returncode != 0
    assert "PORTAL_DOCUMENT_KEYS must be set when DJANGO_DEBUG is false" in missing.stderr

    secret = "not-a-fernet-key-but-a-secret"
    invalid = _settings_load(PORTAL_DOCUMENT_KEYS=f"{Fernet.generate_key().decode()},{secret}")
    assert invalid.returncode != 0
    assert "PORTAL_DOCUMENT_KEYS: key 2 of 2 is not a Fernet key" in invalid.stderr
    assert secret not in invalid.stderr

    assert _settings_load(PORTAL_DOCUMENT_KEYS=Fernet.generate_key().decode()).returncode == 0


# --- In no other export (§7023(d)(3)) ---------------------------------------------------------


def test_the_document_content_is_in_no_api_answer_page_or_email_only_its_reference(
    tenant_a, staff_a, compliance_a, api_key_a, mailoutbox
):
    privacy_request = correction(tenant_a, ("id.jpg", JPEG))
    privacy_request_assign(privacy_request=privacy_request, actor=staff_a, assignee=staff_a)
    document = the_document(privacy_request)
    download(staff_a, document)  # opened, so it is on the timeline too
    headers = {"Authorization": f"Bearer {api_key_a}"}
    api = login(compliance_a)

    answers = {
        "api detail": api.get(f"/api/v1/requests/{privacy_request.reference}/", headers=headers),
        "api list": api.get("/api/v1/requests/", headers=headers),
        "api outbox": api.get("/api/v1/outbox/", headers=headers),
        "admin request page": api.get(
            reverse("admin:requests_app_privacyrequest_change", args=[privacy_request.pk])
        ),
        "admin queue": api.get(reverse("admin:requests_app_privacyrequest_changelist")),
        "admin outbox": api.get(reverse("admin:outbox_outboxmessage_changelist")),
        "admin communications": api.get(reverse("admin:requests_app_communication_changelist")),
    }
    for name, response in answers.items():
        assert response.status_code == 200, name
        assert MARKER not in response.content, name

    # The record keeps the reference only: name, type, size and when it arrived (§7101).
    (listed,) = answers["api detail"].json()["documents"]
    assert listed == {
        "name": "id.jpg",
        "content_type": "image/jpeg",
        "size": len(JPEG),
        "uploaded_at": listed["uploaded_at"],
    }
    # The emails to the consumer neither attach nor quote it.
    for message in OutboxMessage.objects.for_tenant(tenant_a):
        assert MARKER.decode() not in message.body
        outbox_message_send(tenant=tenant_a, message_id=message.pk)
    assert mailoutbox
    for email in mailoutbox:
        assert not email.attachments
        assert MARKER.decode() not in email.body
