"""Publishing a year's §7102 metrics (§7102(a)(2), §7011(e)(5)) and reading what was published.

``metrics_publish`` stores a snapshot: the figures as computed at that moment, with the
statistic (median or mean, R-7102-a1F-1) and the population (§7102(b)) the business chose, so
the public page shows exactly what was published even if later corrections change the counts.
Publishing again adds a snapshot; the latest one of a year is the one shown.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from audit.models import AuditAction
from audit.services import audit_record
from core import clock
from tenants.models import Tenant
from tenants.selectors import tenant_today

from . import dashboard_rules as rules
from . import metric_rules
from .metrics import annual_metrics
from .models import PublishedMetrics


class PublishRefused(ValueError):
    """Why a year's metrics cannot be published, in words for the person who asked."""


@transaction.atomic
def metrics_publish(
    *, tenant: Tenant, year: int, statistic: str, population: str, actor: Any
) -> PublishedMetrics:
    if statistic not in rules.STATISTICS:
        raise PublishRefused("Choose the median or the mean number of days (§7102(a)(1)(F)).")
    if population not in metric_rules.POPULATIONS:
        raise PublishRefused("Choose all individuals or consumers only (§7102(b)).")
    today = tenant_today(tenant)
    if not rules.publishable(year, today):
        raise PublishRefused(
            f"The metrics for {year} can be published once the year has ended: §7102(a) asks "
            "for the previous calendar year."
        )
    figures = annual_metrics(tenant=tenant, year=year, population=population).as_dict()
    published = PublishedMetrics(
        tenant=tenant,
        year=year,
        statistic=statistic,
        population=population,
        figures=figures,
        published_at=clock.now(),
        published_by=actor,
    )
    try:
        published.full_clean()
    except ValidationError as invalid:
        raise PublishRefused("; ".join(invalid.messages)) from None
    with transaction.atomic():
        published.save()
        # A change a compliance officer makes: on the audit trail (issue 14 item 3).
        audit_record(
            tenant,
            action=AuditAction.CHANGE,
            target=f"metrics:{year}",
            summary=f"Published the {year} metrics ({statistic}, {population})",
            actor=actor,
            detail={"year": year, "statistic": statistic, "population": population},
        )
    return published


def published_latest(*, tenant: Tenant, year: int) -> PublishedMetrics | None:
    """The business's latest publication of ``year``, or None if it never published it."""
    return (
        PublishedMetrics.objects.for_tenant(tenant)
        .filter(year=year)
        .order_by("-published_at", "-id")
        .first()
    )


def published_years(*, tenant: Tenant) -> dict[int, Any]:
    """{year: when it was last published}, newest year first."""
    rows = (
        PublishedMetrics.objects.for_tenant(tenant)
        .order_by()
        .values("year")
        .annotate(last=Max("published_at"))
        .order_by("-year")
    )
    return {row["year"]: row["last"] for row in rows}


def published_history(*, tenant: Tenant, year: int) -> list[PublishedMetrics]:
    """Every publication of ``year``, newest first (the record of what was disclosed when)."""
    return list(
        PublishedMetrics.objects.for_tenant(tenant)
        .filter(year=year)
        .select_related("published_by")
        .order_by("-published_at", "-id")
    )
