"""Outgoing messages and the webhook endpoints they may go to."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from tenants.models import TenantOwnedModel


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    RETRYING = "retrying", "Sending failed; will retry"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed: gave up after retries"


# What the relay still has to send (the relay index's condition and the relay's own filter).
TO_SEND = (OutboxStatus.PENDING, OutboxStatus.RETRYING)


class OutboxChannel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook (signed HTTP POST)"


class WebhookEndpoint(TenantOwnedModel):
    """A URL of the business's own systems, or of a recipient, that receives signed webhooks.

    Each POST carries an HMAC-SHA256 signature made with this endpoint's secret
    (``outbox.signing``). The secret is shown once when the endpoint is created and stored
    encrypted (``core.encryption``), never in the clear.
    """

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret_encrypted = models.TextField(editable=False)
    secret_hint = models.CharField(
        max_length=12, editable=False, help_text="The first characters, to tell secrets apart."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


class OutboxMessage(TenantOwnedModel):
    """A message waiting to leave (or gone), written in the same transaction as its cause.

    ``next_attempt_at`` is both the retry time and the lease: claiming a message moves it into
    the future, so no other relay can claim it while it is being sent (``services``).
    """

    # outbox_newest (tenant, -created_at) serves every lookup by tenant.
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    channel = models.CharField(
        max_length=10, choices=OutboxChannel.choices, default=OutboxChannel.EMAIL
    )
    # Indexed only where set (outbox_endpoint): most messages are emails, and a full index
    # would be written on every intake.
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # An email address, or the webhook's URL as it was when the message was written.
    recipient = models.CharField(max_length=500)
    sender = models.CharField(
        max_length=300, blank=True, help_text="Email: the From header (blank: the platform's)."
    )
    reply_to = models.CharField(max_length=254, blank=True)
    # Email: the subject. Webhook: the event, e.g. "privacy_request.created".
    subject = models.CharField(max_length=200)
    # Email: the text. Webhook: the JSON body, exactly as signed and sent, except that a
    # secret it carries (a one-time link) shows as a redaction here (``outbox.sealing``).
    body = models.TextField()
    # With a secret: the body as sent, encrypted, for the relay only; emptied once sent or
    # given up. Blank for a message without secrets.
    body_encrypted = models.TextField(blank=True, default="", editable=False)
    # What the message is about, e.g. "privacy_request:42" and its reference "LL-7KQ3-9XW2".
    about_key = models.CharField(max_length=60, blank=True)
    about_label = models.CharField(max_length=60, blank=True)
    # Unique through a constraint, not unique=True: on PostgreSQL that would add a second
    # (LIKE) index that no query uses, written on every email.
    dedupe_key = models.CharField(max_length=160)
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = "outbox message"
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="outbox_newest"),
            # The relay reads only what is still to send.
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_relay_due",
                condition=Q(status__in=TO_SEND),
            ),
            models.Index(
                fields=["endpoint"], name="outbox_endpoint", condition=Q(endpoint__isnull=False)
            ),
            # A request's page lists the messages about it.
            models.Index(
                fields=["tenant", "about_key"], name="outbox_about", condition=~Q(about_key="")
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="outbox_unique_dedupe_key"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"
