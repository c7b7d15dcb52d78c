"""Recipients: the third parties, service providers and contractors a business passes personal
information to, and the notifications they get when a request is complied with."""

from __future__ import annotations

from django.db import models

from tenants.models import TenantOwnedModel

from . import recipient_rules as rules


class RecipientKind(models.TextChoices):
    THIRD_PARTY = rules.THIRD_PARTY, "Third party"
    SERVICE_PROVIDER = rules.SERVICE_PROVIDER, "Service provider"
    CONTRACTOR = rules.CONTRACTOR, "Contractor"


class RecipientDelivery(models.TextChoices):
    WEBHOOK = "webhook", "Signed webhook"
    EMAIL = "email", "Email"


class Recipient(TenantOwnedModel):
    """A third party, service provider or contractor that receives the business's consumers'
    personal information, and how it is told of complied requests (``recipient_rules``)."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=RecipientKind.choices)
    categories = models.TextField(
        help_text="The categories of personal information it receives, e.g. identifiers, "
        "commercial information."
    )
    sold_or_shared = models.BooleanField(
        default=False,
        help_text="The business sells or shares personal information with it (§7022(b)(3)).",
    )
    sensitive_beyond_permitted = models.BooleanField(
        default=False,
        help_text="It uses or receives sensitive personal information for purposes other than "
        "those of §7027(m) (§7027(g)(2)-(4)).",
    )
    delivery = models.CharField(max_length=10, choices=RecipientDelivery.choices)
    endpoint = models.ForeignKey(
        "outbox.WebhookEndpoint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="For webhook delivery: the endpoint its notifications are signed for and sent to.",
    )
    email = models.EmailField(blank=True, help_text="For email delivery.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(delivery="webhook", endpoint__isnull=False)
                    | (models.Q(delivery="email") & ~models.Q(email=""))
                ),
                name="recipient_has_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display().lower()})"


class RecipientNotification(TenantOwnedModel):
    """One recipient's notification of one complied request: its outbox message carries the
    delivery state; ``acknowledged_at`` is set when the recipient acknowledges it.

    Only the hash of the acknowledgement token is stored; the token itself travels only in the
    message, sealed there (``outbox.sealing``).
    """

    privacy_request = models.ForeignKey(
        "requests_app.PrivacyRequest", on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="notifications")
    message = models.ForeignKey("outbox.OutboxMessage", on_delete=models.PROTECT, related_name="+")
    # Blank when the compliance sent it; a staff member's name when they asked for it later.
    asked_by = models.CharField(max_length=150, blank=True)
    # Unique through a constraint: unique=True would add a LIKE index on PostgreSQL that the
    # acknowledgement's equality lookup never uses.
    ack_token_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["privacy_request", "recipient"], name="recipient_notified_once"
            ),
            models.UniqueConstraint(fields=["ack_token_hash"], name="recipient_ack_token_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient.name}: {self.privacy_request_id}"
