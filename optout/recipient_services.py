"""Recipients' write path: register them, notify them when a request is complied with, take
their acknowledgements.

When a request is closed as complied (``settings.PRIVACY_REQUEST_COMPLIED``), every active
recipient the table (``recipient_rules``) names for its type, and that was registered before
the request was processed, gets one notification through the outbox, in the closing
transaction: a signed webhook or an email, retried with backoff by the outbox's relay. A
recipient registered later is told only if staff ask (``recipient_notify_later``), and the
timeline says who asked. Each (request, recipient) pair is notified at most once: a unique
constraint and the outbox's dedupe key both say so.

Data minimization (§7002): a notification carries what the recipient needs to find the
consumer's records and act, nothing more: the request's reference and type, what to do, the
section, the date to comply by, and the consumer's name and email address as the request gives
them. No phone number, postal address, agent, free text, documents or verification details.

Acknowledgement: each notification carries a one-time token (its hash alone is stored; in the
outbox message it is sealed, ``outbox.sealing``). The recipient POSTs it to the business's
acknowledgement address; the notification is then "acknowledged".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_noop

from core import clock
from core.refusals import Refused
from core.tokens import token_hash, token_new
from outbox.models import OutboxStatus, WebhookEndpoint
from outbox.sealing import Secret
from outbox.services import outbox_email_add, outbox_webhook_add
from requests_app import correction_rules
from requests_app.models import CorrectionStatement, DeleteScope, EventKind, PrivacyRequest
from requests_app.services.consumer_messages import consumer_email_send
from requests_app.services.timeline import actor_label, timeline_add
from requests_app.vocabulary import ANSWERED
from tenants.models import Tenant
from tenants.portal import portal_absolute_url

from . import recipient_rules as rules
from .models import Recipient, RecipientDelivery, RecipientNotification

WEBHOOK_EVENT = "privacy_request.recipient_notification"
STATEMENT_EVENT = "privacy_request.correction_statement"
ACKNOWLEDGED = "acknowledged"


def recipient_create(
    *,
    tenant: Tenant,
    name: str,
    kind: str,
    categories: str,
    delivery: str,
    endpoint: WebhookEndpoint | None = None,
    email: str = "",
    sold_or_shared: bool = False,
    sensitive_beyond_permitted: bool = False,
) -> Recipient:
    """Register a recipient; refused (with the field) when its address does not fit its delivery."""
    recipient = Recipient(
        tenant=tenant,
        name=name.strip(),
        kind=kind,
        categories=categories.strip(),
        delivery=delivery,
        endpoint=endpoint,
        email=email.strip(),
        sold_or_shared=sold_or_shared,
        sensitive_beyond_permitted=sensitive_beyond_permitted,
        created_at=clock.now(),
    )
    recipient_save(recipient)
    return recipient


def recipient_address_check(recipient: Recipient) -> None:
    """The address its delivery needs: a webhook endpoint, or an email address."""
    if recipient.delivery == RecipientDelivery.WEBHOOK and recipient.endpoint_id is None:
        raise ValidationError({"endpoint": "Choose the webhook endpoint to send to."})
    if recipient.delivery == RecipientDelivery.EMAIL and not recipient.email:
        raise ValidationError({"email": "Enter the email address to send to."})


def recipient_save(recipient: Recipient) -> None:
    """Validate and save a new or changed recipient (the admin's form comes here too)."""
    recipient_address_check(recipient)
    if recipient.delivery == RecipientDelivery.EMAIL:
        recipient.endpoint = None
    else:
        recipient.email = ""
    if recipient.created_at is None:
        recipient.created_at = clock.now()
    recipient.full_clean()
    recipient.save()


def recipients_notify_on_compliance(*, privacy_request: PrivacyRequest) -> None:
    """``settings.PRIVACY_REQUEST_COMPLIED``: notify the relevant recipients of a complied
    request, those registered before it was processed (the closing moment, ``responded_at``)."""
    processed_at = privacy_request.responded_at or clock.now()
    tenant = privacy_request.tenant
    already = RecipientNotification.objects.for_tenant(tenant).filter(
        privacy_request=privacy_request
    )
    recipients = (
        Recipient.objects.for_tenant(tenant)
        .filter(active=True, created_at__lte=processed_at)
        .exclude(pk__in=already.values("recipient_id"))
    )
    for recipient in recipients.select_related("endpoint"):
        if not _is_notified(privacy_request, recipient):
            continue
        if recipient.endpoint is not None and not recipient.endpoint.active:
            # Closing the request must not fail for it; staff see why and may notify it later.
            timeline_add(
                privacy_request,
                kind=EventKind.NOTE,
                at=clock.now(),
                message=f"{recipient.name} was not notified: its webhook endpoint "
                f"{recipient.endpoint.name} is turned off.",
                data={"recipient": recipient.pk},
            )
            continue
        _notify(privacy_request, recipient, asked_by="", now=clock.now())


def recipient_notify_later_check(*, privacy_request: PrivacyRequest, recipient: Recipient) -> None:
    """Refuse what ``recipient_notify_later`` would refuse (for a form, before it asks)."""
    if recipient.tenant_id != privacy_request.tenant_id:
        raise Refused("recipient_not_found", "That recipient belongs to another business.")
    if privacy_request.outcome not in ANSWERED:
        raise Refused(
            "not_complied",
            "Only a request closed as complied is passed on to recipients.",
            conflict=True,
        )
    if not recipient.active:
        raise Refused("recipient_inactive", f"{recipient.name} is turned off.", conflict=True)
    if not _is_notified(privacy_request, recipient):
        raise Refused(
            "recipient_not_concerned",
            f"A {recipient.get_kind_display().lower()} is not told of a "
            f"{privacy_request.get_request_type_display().lower()} (optout.recipient_rules).",
            conflict=True,
        )
    existing = RecipientNotification.objects.for_tenant(privacy_request.tenant).filter(
        privacy_request=privacy_request, recipient=recipient
    )
    if existing.exists():
        raise Refused("already_notified", f"{recipient.name} was already notified.", conflict=True)


@transaction.atomic
def recipient_notify_later(
    *, privacy_request: PrivacyRequest, recipient: Recipient, actor: AbstractBaseUser
) -> RecipientNotification:
    """Staff ask to notify a recipient of a request it was not told of (it was registered after
    the request was processed); the timeline records who asked."""
    recipient_notify_later_check(privacy_request=privacy_request, recipient=recipient)
    now = clock.now()
    who = actor_label(actor)
    notification = _notify(privacy_request, recipient, asked_by=who, now=now)
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        actor=actor,
        message=f"{who} asked to notify {recipient.name}, registered after the request was "
        f"processed ({rules.section(request_type=privacy_request.request_type, kind=recipient.kind)}).",
        data={"recipient": recipient.pk},
    )
    return notification


def _is_notified(privacy_request: PrivacyRequest, recipient: Recipient) -> bool:
    return rules.is_notified(
        request_type=privacy_request.request_type,
        kind=recipient.kind,
        sold_or_shared=recipient.sold_or_shared,
        sensitive_beyond_permitted=recipient.sensitive_beyond_permitted,
    )


def notification_payload(privacy_request: PrivacyRequest, recipient: Recipient) -> dict:
    """What a recipient is told: only what it needs to act (see the module's docstring)."""
    due = privacy_request.comply_by or privacy_request.respond_by
    payload = {
        "reference": privacy_request.reference,
        "request_type": privacy_request.request_type,
        "recipient": recipient.name,
        "instruction": rules.instruction(
            request_type=privacy_request.request_type, kind=recipient.kind
        ),
        "section": rules.section(request_type=privacy_request.request_type, kind=recipient.kind),
        "comply_by": due.isoformat() if due else None,
        "consumer": {
            "name": privacy_request.requester_name,
            "email": privacy_request.requester_email,
        },
    }
    # What exactly to act on: the categories of a partial deletion (§7022(h)); the corrected
    # value, which the recipient must put in its systems and keep (§7023(c), R-7023-c-1).
    if privacy_request.request_type == rules.DELETE:
        selected = privacy_request.delete_scope == DeleteScope.SELECTED
        payload["delete_categories"] = (
            list(privacy_request.delete_categories) if selected else "all"
        )
    if privacy_request.request_type == rules.CORRECT:
        payload["correction"] = {
            "information": privacy_request.correction_field,
            "corrected_value": privacy_request.correction_requested,
        }
    return payload


def _notify(
    privacy_request: PrivacyRequest, recipient: Recipient, *, asked_by: str, now: datetime
) -> RecipientNotification:
    tenant = privacy_request.tenant
    raw_token, hashed = token_new()
    token = Secret("acknowledgement token", raw_token)
    acknowledge_url = portal_absolute_url(tenant, "recipient_acknowledge")
    payload = notification_payload(privacy_request, recipient)
    dedupe_key = f"recipient-notification:{privacy_request.pk}:{recipient.pk}"
    common = {
        "tenant": tenant,
        "dedupe_key": dedupe_key,
        "about_key": privacy_request.outbox_about_key,
        "about_label": privacy_request.reference,
        "secrets": [token],
        "now": now,
    }
    if recipient.endpoint is not None:  # webhook delivery (recipient_save keeps one address)
        payload["acknowledge"] = {"url": acknowledge_url, "token": raw_token}
        message = outbox_webhook_add(
            endpoint=recipient.endpoint, event=WEBHOOK_EVENT, payload=payload, **common
        )
    else:
        message = outbox_email_add(
            recipient=recipient.email,
            subject=f"Privacy request {privacy_request.reference}: please act",
            body=_email_body(payload, acknowledge_url, raw_token),
            **common,
        )
    notification = RecipientNotification(
        tenant=tenant,
        privacy_request=privacy_request,
        recipient=recipient,
        message=message,
        asked_by=asked_by,
        ack_token_hash=hashed,
        created_at=now,
    )
    notification.full_clean()
    notification.save()
    return notification


def _email_body(payload: dict, acknowledge_url: str, raw_token: str) -> str:
    consumer = payload["consumer"]
    return (
        f"{payload['recipient']},\n\n"
        f"A consumer's request to {payload['request_type'].replace('_', ' ')} was complied "
        f"with (reference {payload['reference']}, {payload['section']}).\n\n"
        f"{payload['instruction']}\n"
        f"{_what_to_act_on(payload)}"
        f"Comply by: {payload['comply_by'] or 'as soon as possible'}.\n\n"
        f"Consumer: {consumer['name'] or '(no name given)'}, {consumer['email'] or '(no email)'}\n\n"
        f"Please acknowledge at {acknowledge_url} with this token:\n{raw_token}\n"
        + (
            "\nIf deleting, or notifying those you passed the data to, is impossible or would "
            "involve disproportionate effort, say why in detail when you acknowledge "
            "(cannot_comply_explanation); it is relayed to the consumer (§7022(c)(4)).\n"
            if payload["request_type"] == rules.DELETE
            else ""
        )
    )


def _what_to_act_on(payload: dict) -> str:
    if "correction" in payload:
        correction = payload["correction"]
        return f"Information: {correction['information']}; correct it to: {correction['corrected_value']}\n"
    if isinstance(payload.get("delete_categories"), list):
        return f"Only these categories: {', '.join(payload['delete_categories'])}\n"
    return ""


@dataclass(frozen=True)
class Acknowledged:
    notification: RecipientNotification
    first_time: bool


def recipient_notification_acknowledge(
    *, tenant: Tenant, token: str, cannot_comply_explanation: str = ""
) -> Acknowledged | None:
    """Mark the notification of ``token`` acknowledged; None for an unknown token. Acknowledging
    twice is harmless (the first time is kept).

    ``cannot_comply_explanation``: the recipient says deleting, or notifying those it passed
    the data to, is impossible or would involve disproportionate effort (§7022(c)(4)). Only for
    a request to delete, and only with a detailed explanation (refused otherwise, before
    anything is written); it is kept on the notification, noted on the timeline for staff, and
    relayed to the consumer by email (§7022(c)(4): "relayed to the consumer")."""
    if not token:
        return None
    explanation = cannot_comply_explanation.strip()
    notifications = RecipientNotification.objects.for_tenant(tenant)
    notification = (
        notifications.filter(ack_token_hash=token_hash(token))
        .select_related("privacy_request__tenant", "recipient")
        .first()
    )
    if notification is None:
        return None
    if explanation:
        _impossibility_check(notification, explanation)
    with transaction.atomic():
        now = clock.now()
        first_time = (
            notifications.filter(pk=notification.pk, acknowledged_at__isnull=True).update(
                acknowledged_at=now
            )
            == 1
        )
        if explanation and (
            notifications.filter(pk=notification.pk, cannot_comply_explanation="").update(
                cannot_comply_explanation=explanation
            )
            == 1
        ):
            _impossibility_relay(notification, explanation, now)
    notification.refresh_from_db(fields=["acknowledged_at", "cannot_comply_explanation"])
    return Acknowledged(notification, first_time)


def _impossibility_check(notification: RecipientNotification, explanation: str) -> None:
    if notification.privacy_request.request_type != rules.DELETE:
        raise Refused(
            "cannot_comply_not_expected",
            "Only a request to delete may be answered impossible (§7022(b)(3), (c)(4)).",
            "cannot_comply_explanation",
        )
    problem = correction_rules.impossibility_problem(explanation)
    if problem is not None:
        raise Refused("explanation_required", problem, "cannot_comply_explanation")
    if len(explanation) > IMPOSSIBILITY_LENGTH:
        raise Refused(
            "explanation_too_long",
            f"Keep the explanation under {IMPOSSIBILITY_LENGTH} characters.",
            "cannot_comply_explanation",
        )


IMPOSSIBILITY_LENGTH = 2000
IMPOSSIBILITY_SUBJECT = gettext_noop("About your request %(reference)s: what could not be deleted")


def _impossibility_relay(
    notification: RecipientNotification, explanation: str, now: datetime
) -> None:
    privacy_request = notification.privacy_request
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        label=notification.recipient.name,
        message=f"{notification.recipient.name} said it could not delete, or could not notify "
        "those it passed the data to (§7022(c)(4)); its explanation is relayed to the consumer.",
        reason=explanation,
        data={"recipient_notification": notification.pk},
    )
    consumer_email_send(
        privacy_request,
        template="optout/impossibility_relayed",
        subject=IMPOSSIBILITY_SUBJECT,
        now=now,
        additions={"explanation": explanation},
    )


def recipients_forward_statement(
    *, privacy_request: PrivacyRequest, statement: CorrectionStatement
) -> None:
    """``settings.PRIVACY_REQUEST_STATEMENT_ADDED``: pass the consumer's statement on contested
    health information to every active recipient (§7023(f)(4): "any person with whom it
    discloses, shares, or sells the personal information"), through the outbox, once each."""
    tenant = privacy_request.tenant
    now = clock.now()
    payload = {
        "reference": privacy_request.reference,
        "request_type": privacy_request.request_type,
        "section": "§7023(f)(4)",
        "instruction": "Keep this statement with the consumer's record of the information it "
        "concerns, and pass it on with that information.",
        "consumer": {
            "name": privacy_request.requester_name,
            "email": privacy_request.requester_email,
        },
        "information": privacy_request.correction_field,
        "statement": {"item": statement.item, "text": statement.text},
    }
    told = []
    for recipient in (
        Recipient.objects.for_tenant(tenant).filter(active=True).select_related("endpoint")
    ):
        common = {
            "tenant": tenant,
            "dedupe_key": f"correction-statement:{statement.pk}:{recipient.pk}",
            "about_key": privacy_request.outbox_about_key,
            "about_label": privacy_request.reference,
            "now": now,
        }
        if recipient.endpoint is not None:
            if not recipient.endpoint.active:
                continue
            outbox_webhook_add(
                endpoint=recipient.endpoint,
                event=STATEMENT_EVENT,
                payload={**payload, "recipient": recipient.name},
                **common,
            )
        elif recipient.email:
            outbox_email_add(
                recipient=recipient.email,
                subject=f"Privacy request {privacy_request.reference}: a consumer's statement",
                body=(
                    f"{recipient.name},\n\nThe consumer of privacy request "
                    f"{privacy_request.reference} contests the accuracy of health information "
                    "and sent this statement (§7023(f)(4)). "
                    f"{payload['instruction']}\n\n"
                    f"Consumer: {privacy_request.requester_name or '(no name given)'}, "
                    f"{privacy_request.requester_email or '(no email)'}\n"
                    f"Information: {statement.item}\n\n{statement.text}\n"
                ),
                **common,
            )
        else:
            continue
        told.append(recipient.name)
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        message=(
            f"The consumer's statement was passed on to {', '.join(told)} (§7023(f)(4))."
            if told
            else "No active recipient to pass the consumer's statement on to (§7023(f)(4))."
        ),
        data={"correction_statement": statement.pk, "recipients": told},
    )


def delivery_state(notification: RecipientNotification) -> str:
    """The state staff see: "acknowledged", else the outbox message's (waiting, retrying, sent,
    failed)."""
    if notification.acknowledged_at is not None:
        return ACKNOWLEDGED
    return OutboxStatus(notification.message.status).value
