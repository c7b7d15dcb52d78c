"""Helpers for the consumer portal tests: valid form data, and "was anything created?"."""

from __future__ import annotations

from pathlib import Path

from django.core import mail
from django.core.mail import EmailMessage

from outbox.models import OutboxMessage
from outbox.tasks import relay_outbox
from requests_app.models import (
    Communication,
    PrivacyRequest,
    RequestDocument,
    RequestEvent,
    StatusLink,
)
from requests_app.services.consumer_messages import communication_dedupe_key
from tenants.models import Tenant

TENANT_OWNED = (
    PrivacyRequest,
    RequestEvent,
    Communication,
    OutboxMessage,
    RequestDocument,
    StatusLink,
)

PERSON = {
    "requester_role": "consumer",
    "name": "Casey Consumer",
    "email": "casey@example.com",
    "phone": "",
    "state": "CA",
}
AGENT = {
    "requester_role": "agent",
    "agent_name": "Alex Agent",
    "agent_organization": "Privacy Helpers LLC",
    "agent_email": "alex@agents.example",
    "agent_phone": "+14155550123",
}
KNOW = {**PERSON, "know_scope": "categories"}
DELETE = {**PERSON, "delete_scope": "all"}
CORRECT = {
    **PERSON,
    "correction_field": "postal_address",
    "correction_information": "12 Old Street, Fresno",
    "correction_requested": "34 New Avenue, Fresno",
}
FORMS = {"know": KNOW, "delete": DELETE, "correct": CORRECT}

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def rows(tenant: Tenant) -> dict[str, int]:
    """How many rows of each tenant-owned portal model the tenant has."""
    return {model.__name__: model.objects.for_tenant(tenant).count() for model in TENANT_OWNED}


def stored_files(media_root: Path) -> list[Path]:
    return [path for path in Path(media_root).rglob("*") if path.is_file()]


def outbox(tenant: Tenant) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.for_tenant(tenant).order_by("created_at", "id"))


def sent_emails() -> list[EmailMessage]:
    """Send what the outbox holds, as a worker's relay run does, and return every email sent so
    far (Django's locmem backend): what consumers' mailboxes received, one-time links included."""
    relay_outbox()
    return list(mail.outbox)


# --- Which message is which ------------------------------------------------------------------
#
# A request to know, delete or correct with an email address gets two emails at intake: the
# acknowledgement (§7021(a)) and "Confirm your email address …", the one-time link that proves
# the address is the requester's (§7060-§7062, verification.services.records). Tests about one
# of them select it by its Communication's template, never "the only message".

ACKNOWLEDGEMENT = "acknowledgement"
VERIFY_EMAIL = "verification/verify_email"


def acknowledgement_subject(privacy_request: PrivacyRequest) -> str:
    return f"We received your privacy request {privacy_request.reference}"


def verify_email_subject(privacy_request: PrivacyRequest) -> str:
    return f"Confirm your email address for your privacy request {privacy_request.reference}"


def communication_of(
    privacy_request: PrivacyRequest, template: str = ACKNOWLEDGEMENT
) -> Communication:
    """The request's one message of ``template`` (the acknowledgement unless told)."""
    return Communication.objects.for_tenant(privacy_request.tenant).get(
        privacy_request=privacy_request, template=template
    )


def email_of(privacy_request: PrivacyRequest, template: str = ACKNOWLEDGEMENT) -> OutboxMessage:
    """The outbox message that carries the request's message of ``template``."""
    communication = communication_of(privacy_request, template)
    return OutboxMessage.objects.for_tenant(privacy_request.tenant).get(
        dedupe_key=communication_dedupe_key(communication)
    )


def outbox_of_template(tenant: Tenant, template: str = ACKNOWLEDGEMENT) -> list[OutboxMessage]:
    """The tenant's outbox messages carrying a message of ``template``, oldest first."""
    keys = [
        communication_dedupe_key(communication)
        for communication in Communication.objects.for_tenant(tenant).filter(template=template)
    ]
    return [message for message in outbox(tenant) if message.dedupe_key in keys]
