"""Record-keeping's own rows: each business's retention setting and the purge's log.

``RetentionPolicy``: how long a business keeps the personal information of answered requests,
24 months at least from the response (§7101(a); requirements A-9). ``PurgedRequest`` marks a
request whose personal information the purge removed (kept here, not on ``PrivacyRequest``:
requests_app sits below record-keeping and needs no migration for it). ``RetentionPurge`` is
one row per run per business saying what was removed (§7101(a), (e); read by compliance).
"""

from __future__ import annotations

from django.conf import settings
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


class PublishedMetrics(TenantOwnedModel):
    """One publication of a year's §7102 metrics (§7102(a)(2), §7011(e)(5)): the statistic and
    population the business chose and the figures exactly as published. Publishing again adds a
    row; the public page shows the latest, and the earlier ones stay as the record of what was
    disclosed when."""

    STATISTICS = (("median", "Median"), ("mean", "Mean"))
    POPULATIONS = (("all", "All individuals"), ("consumers", "Consumers only"))

    year = models.PositiveSmallIntegerField()
    statistic = models.CharField(max_length=10, choices=STATISTICS)
    population = models.CharField(max_length=10, choices=POPULATIONS)
    figures = models.JSONField(help_text="recordkeeping.metrics.AnnualMetrics.as_dict()")
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TenantOwnedModel.Meta):
        verbose_name = "published metrics"
        verbose_name_plural = "published metrics"
        # The public page and footer read a business's latest publication of each year.
        indexes = [
            models.Index(fields=["tenant", "year", "-published_at"], name="published_metrics_year")
        ]

    def __str__(self) -> str:
        return f"Metrics for {self.year} ({self.statistic}, {self.population})"
