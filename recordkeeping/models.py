"""Record-keeping's own rows: each business's retention setting and the purge's log.

``RetentionPolicy``: how long a business keeps the personal information of answered requests,
24 months at least from the response (§7101(a); requirements A-9). ``PurgedRequest`` marks a
request whose personal information the purge removed (kept here, not on ``PrivacyRequest``:
requests_app sits below record-keeping and needs no migration for it). ``RetentionPurge`` is
one row per run per business saying what was removed (§7101(a), (e); read by compliance).
"""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models

from tenants.models import TenantOwnedModel

MIN_RETENTION_MONTHS = 24
RETENTION_TOO_SHORT = (
    "Records must be kept for at least 24 months after the response (CCPA regulations "
    "§7101(a)); choose 24 months or more."
)


class RetentionPolicy(TenantOwnedModel):
    """How many months after the response a closed request keeps its personal information; made
    with its defaults when first needed (``recordkeeping.retention.retention_policy``)."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    months = models.PositiveSmallIntegerField(
        "months kept after the response",
        default=MIN_RETENTION_MONTHS,
        validators=[MinValueValidator(MIN_RETENTION_MONTHS, message=RETENTION_TOO_SHORT)],
        help_text="At least 24 (§7101(a)). Open requests are never purged.",
    )

    class Meta(TenantOwnedModel.Meta):
        verbose_name = "retention policy"
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        return f"{self.months} months after the response"


class PurgedRequest(TenantOwnedModel):
    """A closed request whose personal information was removed after the retention period."""

    privacy_request = models.OneToOneField(
        "requests_app.PrivacyRequest", on_delete=models.CASCADE, related_name="+"
    )
    purged_at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        pass


class RetentionPurge(TenantOwnedModel):
    """One purge run for one business: when, up to which response date, and what it removed."""

    ran_at = models.DateTimeField()
    cutoff = models.DateTimeField(help_text="Requests answered before this moment were purged.")
    months = models.PositiveSmallIntegerField()
    requests = models.PositiveIntegerField(default=0)
    communications = models.PositiveIntegerField(default=0)
    documents = models.PositiveIntegerField(default=0)
    status_links = models.PositiveIntegerField(default=0)
    events = models.PositiveIntegerField(default=0)

    class Meta(TenantOwnedModel.Meta):
        indexes = [models.Index(fields=["tenant", "-ran_at"], name="retention_purge_recent")]

    def __str__(self) -> str:
        return f"Purge of {self.ran_at:%Y-%m-%d}: {self.requests} requests"
