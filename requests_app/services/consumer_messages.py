"""What the write paths leave on a privacy request: timeline events and messages to the consumer.

``_event`` saves one timeline entry; ``_send_to_consumer`` records a ``Communication`` and queues
its email in the outbox, in the consumer's language. Both write in the caller's transaction; they
are shared by intake, the staff transitions and the documents service.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from core.dates import long_date
from core.fast_insert import insert_new
from outbox.services import outbox_email_add

from .. import consumer_text, deadlines
from ..models import Communication, ConfirmationMethod, PrivacyRequest, RequestEvent

SYSTEM_ACTOR = "Privacy portal"


def communication_dedupe_key(communication: Communication) -> str:
    """The outbox message that carries a communication: its delivery state is that message's."""
    return f"comm:{communication.pk}"


def _actor_label(actor: AbstractBaseUser | None, default: str = SYSTEM_ACTOR) -> str:
    if actor is None:
        return default
    return actor.get_username()


def _event(
    privacy_request: PrivacyRequest,
    *,
    kind: str,
    message: str,
    at: datetime,
    actor: AbstractBaseUser | None = None,
    actor_label: str | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> RequestEvent:
    event = RequestEvent(
        tenant_id=privacy_request.tenant_id,
        privacy_request=privacy_request,
        kind=kind,
        at=at,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor_label or _actor_label(actor),
        message=message,
        reason=reason,
        data=data or {},
    )
    event.save()
    return event


def _human_date(day: date | None) -> str:
    return long_date(day)


def _send_to_consumer(
    privacy_request: PrivacyRequest,
    *,
    template: str,
    subject: str,
    now: datetime,
    language: str | None = None,
) -> Communication | None:
    """Record a Communication and queue its email; without an email address, nothing is sent.

    The email is written in the language the consumer used (§7003(b)(2)) unless ``language``
    says otherwise. ``subject`` is an untranslated message id with a ``%(reference)s``
    placeholder (``gettext_noop``); it is translated here, in that language.
    """
    recipient = privacy_request.agent_email or privacy_request.requester_email
    if not recipient:
        return None
    tenant = privacy_request.tenant
    language = language or privacy_request.language or settings.LANGUAGE_CODE
    with translation.override(language):
        subject = gettext(subject) % {"reference": privacy_request.reference}
        context = {
            "tenant": tenant,
            "privacy_request": privacy_request,
            "greeting_name": privacy_request.agent_name
            or privacy_request.requester_name
            or gettext("there"),
            "type_label": consumer_text.REQUEST_TYPE_PHRASES.get(
                privacy_request.request_type, privacy_request.get_request_type_display().lower()
            ),
            "verification_description": consumer_text.verification_description(tenant),
            "received_date": _human_date(privacy_request.received_date),
            "respond_by": _human_date(privacy_request.active_due_date),
            "max_respond_by": _human_date(deadlines.max_respond_by(privacy_request.received_date)),
        }
        body = render_to_string(f"requests_app/emails/{template}.txt", context).strip() + "\n"
    communication = Communication(
        tenant=tenant,
        privacy_request=privacy_request,
        template=template,
        language=language,
        channel=ConfirmationMethod.EMAIL,
        recipient=recipient,
        subject=subject,
        body=body,
        created_at=now,
    )
    insert_new(communication)
    outbox_email_add(
        tenant=tenant,
        recipient=recipient,
        subject=subject,
        body=body,
        dedupe_key=communication_dedupe_key(communication),
        about_key=privacy_request.outbox_about_key,
        about_label=privacy_request.reference,
        now=now,
    )
    return communication
