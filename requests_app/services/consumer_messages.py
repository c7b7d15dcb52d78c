"""Messages to the consumer (or their agent): the one way they are written and recorded.

Every message about a request is kept as a ``Communication``, the record of the date and nature
of the business's responses (§7101(b)):

* ``consumer_email_send`` renders a template in the consumer's language, records it, and queues
  the email in the outbox, in the caller's transaction; without an email address it sends
  nothing and returns None;
* ``consumer_message_render`` renders the same text without sending it: what staff read out on
  the phone or put in a letter when there is no email address (§7021(a), §7021(b));
* ``consumer_message_record_by_hand`` records a message staff gave by phone, letter or in person,
  with the words they used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from core.dates import long_date
from core.fast_insert import insert_new
from core.model_rows import new_instance
from outbox import sealing
from outbox.sealing import Secret
from outbox.services import outbox_email_add

from .. import consumer_text, deadlines
from ..answer_text import answer_context
from ..models import Communication, ConfirmationMethod, PrivacyRequest
from . import message_shapes

# Subjects, untranslated (translated in the consumer's language when rendered).
ACKNOWLEDGEMENT_SUBJECT = gettext_noop("We received your privacy request %(reference)s")
EXTENSION_SUBJECT = gettext_noop("We need more time for your privacy request %(reference)s")
ANSWER_SUBJECT = gettext_noop("Our answer to your privacy request %(reference)s")
WITHDRAWN_SUBJECT = gettext_noop("You withdrew your privacy request %(reference)s")


def communication_dedupe_key(communication: Communication) -> str:
    """The outbox message that carries a communication: its delivery state is that message's."""
    return f"comm:{communication.pk}"


def consumer_email_address(privacy_request: PrivacyRequest) -> str:
    """Where emails about the request go: the agent's address, else the consumer's ("" if none)."""
    return privacy_request.agent_email or privacy_request.requester_email


def _human_date(day: date | None) -> str:
    return long_date(day)


@dataclass(frozen=True)
class RenderedMessage:
    language: str
    subject: str
    body: str


def consumer_message_render(
    privacy_request: PrivacyRequest,
    *,
    template: str,
    subject: str,
    language: str | None = None,
    secrets: Mapping[str, Secret] | None = None,
    greeting_name: str | None = None,
    additions: Mapping[str, Any] | None = None,
) -> RenderedMessage:
    """A message's subject and text, in the consumer's language (§7003(b)(2)) unless
    ``language`` says otherwise. ``subject`` is an untranslated message id with a
    ``%(reference)s`` placeholder (``gettext_noop``), translated here. ``secrets`` (a one-time
    link) are in the template's context by name, e.g. ``{{ verification_link }}``.

    The hot templates (the acknowledgement) are filled in from a shape compiled once per
    business, type and language (``message_shapes``): the same text, without the engine.

    ``greeting_name`` greets someone else than the usual addressee (the agent, else the
    consumer): the consumer themselves, told of an agent's request (§7063)."""
    tenant = privacy_request.tenant
    language = language or privacy_request.language or settings.LANGUAGE_CODE

    def context(slots: Mapping[str, str]) -> dict[str, Any]:
        # In the active language: the caller's translation.override.
        return {
            "tenant": tenant,
            "privacy_request": privacy_request,
            "type_label": consumer_text.REQUEST_TYPE_PHRASES.get(
                privacy_request.request_type, privacy_request.get_request_type_display().lower()
            ),
            "verification_description": consumer_text.verification_description(tenant),
            **{name: secret.value for name, secret in (secrets or {}).items()},
            **slots,
        }

    def plain() -> tuple[str, str]:
        with translation.override(language):
            slots = {
                "greeting_name": greeting_name
                or privacy_request.agent_name
                or privacy_request.requester_name
                or gettext("there"),
                "received_date": _human_date(privacy_request.received_date),
                "respond_by": _human_date(privacy_request.active_due_date),
                "max_respond_by": _human_date(
                    deadlines.max_respond_by(privacy_request.received_date)
                ),
                # A request to know: the period asked for (amended §7020, §7024(h)).
                "know_period": consumer_text.know_period_text(privacy_request),
            }
            if template == "closed":  # what the outcome obliges the answer to say
                slots |= answer_context(privacy_request)
            slots |= additions or {}
            return (
                gettext(subject) % {"reference": privacy_request.reference},
                render_to_string(message_shapes.template_path(template), context(slots)),
            )

    # A shape fills the usual greeting: with another one, or additions, the plain way. Secrets
    # are slots.
    rendered = (
        None
        if greeting_name or additions
        else message_shapes.shape_render(
            privacy_request,
            template=template,
            subject=subject,
            language=language,
            context=context,
            plain=plain,
            secrets={name: secret.value for name, secret in (secrets or {}).items()},
        )
    ) or plain()
    rendered_subject, text = rendered
    return RenderedMessage(language, rendered_subject, text.strip() + "\n")


def consumer_email_send(
    privacy_request: PrivacyRequest,
    *,
    template: str,
    subject: str,
    now: datetime,
    language: str | None = None,
    secrets: Mapping[str, Secret] | None = None,
    recipient: str | None = None,
    greeting_name: str | None = None,
    additions: Mapping[str, Any] | None = None,
) -> Communication | None:
    """Record a Communication and queue its email; without an email address, nothing is sent.

    ``secrets`` (a one-time link, by its name in the template) reach the consumer only: the
    Communication and the outbox keep them redacted (``outbox.sealing``). ``recipient`` sends
    to that address rather than ``consumer_email_address`` (the consumer's own, when an agent
    made the request and the consumer must act: verification, §7063(a))."""
    recipient = recipient if recipient is not None else consumer_email_address(privacy_request)
    if not recipient:
        return None
    message = consumer_message_render(
        privacy_request,
        template=template,
        subject=subject,
        language=language,
        secrets=secrets,
        greeting_name=greeting_name,
        additions=additions,
    )
    hidden = list(secrets.values()) if secrets else []
    communication = new_instance(  # Communication(...), see core.model_rows
        Communication,
        tenant=privacy_request.tenant,
        privacy_request=privacy_request,
        template=template,
        language=message.language,
        channel=ConfirmationMethod.EMAIL,
        recipient=recipient,
        subject=message.subject,
        body=sealing.redact(message.subject, message.body, hidden) if hidden else message.body,
        created_at=now,
    )
    insert_new(communication)
    outbox_email_add(
        tenant=privacy_request.tenant,
        recipient=recipient,
        subject=message.subject,
        body=message.body,
        dedupe_key=communication_dedupe_key(communication),
        about_key=privacy_request.outbox_about_key,
        about_label=privacy_request.reference,
        secrets=hidden,
        now=now,
    )
    return communication


def consumer_message_record_by_hand(
    privacy_request: PrivacyRequest,
    *,
    template: str,
    subject: str,
    channel: str,
    text: str,
    now: datetime,
) -> Communication:
    """Record a message staff gave by phone, letter or in person, in the words they used."""
    communication = Communication(
        tenant=privacy_request.tenant,
        privacy_request=privacy_request,
        template=template,
        language=privacy_request.language or settings.LANGUAGE_CODE,
        channel=channel,
        recipient=privacy_request.agent_name or privacy_request.requester_name,
        subject=consumer_message_render(
            privacy_request, template=template, subject=subject
        ).subject,
        body=text.strip() + "\n",
        created_at=now,
    )
    communication.full_clean()
    insert_new(communication)
    return communication
