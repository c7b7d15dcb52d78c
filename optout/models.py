"""Consent state per business and subject, its history, and device-to-consumer links (§7025–§7027).

Subjects are stored only as keyed hashes (``optout.subjects``). Written only by
``optout.services``; read through ``Model.objects.for_tenant(tenant)``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tenants.models import TenantOwnedModel

SUBJECT_HASH_LENGTH = 64


class SubjectKindChoice(models.TextChoices):
    EMAIL = "email", "Email address"
    PHONE = "phone", "Phone number"
    ACCOUNT = "account", "Account id"
    DEVICE = "device", "Browser or device"


class ConsentRight(models.TextChoices):
    SALE_SHARING = "sale_sharing", "Sale and sharing (§7026)"
    SENSITIVE_USE = "sensitive_use", "Use of sensitive personal information (§7027)"


class ConsentSource(models.TextChoices):
    """Where a change came from (§7026(a) methods, §7025 signals, §7026(j) agents)."""

    FORM = "form", "Portal form"
    SIGNAL = "signal", "Opt-out preference signal"
    AGENT = "agent", "Authorized agent"
    STAFF = "staff", "Staff"
    API = "api", "API"
    PHONE = "phone", "Phone call, logged by staff"
    MAIL = "mail", "Mail, logged by staff"


class ConsentState(TenantOwnedModel):
    """Whether a subject has opted out of sale/sharing and limited the use of sensitive personal
    information. No row means no choice made: sale and use are allowed.

    ``version`` grows by one with every change: the lookup's ETag and the cache's guard against
    an older answer overwriting a newer one.
    """

    subject_hash = models.CharField(max_length=SUBJECT_HASH_LENGTH)
    subject_kind = models.CharField(max_length=10, choices=SubjectKindChoice.choices)
    sale_sharing_opted_out = models.BooleanField(default=False)
    sale_sharing_changed_at = models.DateTimeField(null=True, blank=True)
    sale_sharing_source = models.CharField(max_length=10, choices=ConsentSource.choices, blank=True)
    sensitive_use_limited = models.BooleanField(default=False)
    sensitive_use_changed_at = models.DateTimeField(null=True, blank=True)
    sensitive_use_source = models.CharField(
        max_length=10, choices=ConsentSource.choices, blank=True
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        constraints = [
            # Also the lookup's index (tenant, subject_hash).
            models.UniqueConstraint(
                fields=["tenant", "subject_hash"], name="consent_state_unique_subject"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_subject_kind_display()} {self.subject_hash[:8]}…"


class ConsentChange(TenantOwnedModel):
    """One change of a consent state: which right, to what, from where, when, and on which
    request. Never edited or deleted: the history of the consumer's choices."""

    # Changes are read through their state (the history index), never by tenant alone.
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    state = models.ForeignKey(
        ConsentState, on_delete=models.CASCADE, related_name="changes", db_index=False
    )
    right = models.CharField(max_length=20, choices=ConsentRight.choices)
    # True: opted out of sale/sharing, or use of sensitive information limited.
    restricted = models.BooleanField()
    source = models.CharField(max_length=10, choices=ConsentSource.choices)
    at = models.DateTimeField()
    privacy_request = models.ForeignKey(
        "requests_app.PrivacyRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    # The device whose opt-out this carries over to a consumer (or back), when it is one.
    carried_from = models.CharField(max_length=SUBJECT_HASH_LENGTH, blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["state", "at"], name="consent_change_history")]

    def __str__(self) -> str:
        return f"{self.get_right_display()}: {'restricted' if self.restricted else 'allowed'}"


class DeviceLink(TenantOwnedModel):
    """A browser (device id) known to belong to a consumer, e.g. after they signed in or gave
    their email with a signal. Opt-outs carry over along it (§7025(c)(1))."""

    device_hash = models.CharField(max_length=SUBJECT_HASH_LENGTH)
    consumer_hash = models.CharField(max_length=SUBJECT_HASH_LENGTH)
    linked_at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "device_hash", "consumer_hash"], name="device_link_unique"
            ),
        ]
        # Carrying a consumer's opt-out to their devices reads by consumer.
        indexes = [models.Index(fields=["tenant", "consumer_hash"], name="device_link_consumer")]

    def __str__(self) -> str:
        return f"device {self.device_hash[:8]}… → {self.consumer_hash[:8]}…"
