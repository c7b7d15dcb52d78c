"""The public request-metrics pages (§7102(a)(2), §7011(e)(5)): what the business published,
exactly as published (``recordkeeping.models.PublishedMetrics``), in plain language, in English
or Spanish; a year never published is the portal's 404 page."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from core.calendar import local_date
from tenants.portal import not_found, portal_page, portal_render

from .publishing import published_latest, published_years

TYPE_LABELS = {
    "know": _("Requests to know what personal information is collected"),
    "delete": _("Requests to delete personal information"),
    "correct": _("Requests to correct personal information"),
    "opt_out": _("Requests to opt out of the sale or sharing of personal information"),
    "limit": _("Requests to limit the use of sensitive personal information"),
}
DENIAL_LABELS = {
    "unverifiable": _("We could not verify the request"),
    "not_a_consumer": _("The request was not made by a consumer"),
    "exempt": _("The information is exempt from disclosure"),
    "other": _("Other reasons"),
}
STATISTIC_LABELS = {
    "median": _("Median number of days to respond"),
    "mean": _("Average (mean) number of days to respond"),
}


@portal_page
@require_http_methods(["GET", "HEAD"])
def metrics_index(request: HttpRequest) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    years = list(published_years(tenant=tenant))
    if not years:
        return not_found(request)
    return portal_render(request, "portal/recordkeeping/metrics_index.html", {"years": years})


@portal_page
@require_http_methods(["GET", "HEAD"])
def metrics_year(request: HttpRequest, year: int) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    published = published_latest(tenant=tenant, year=year)
    if published is None:
        return not_found(request)
    figures = published.figures
    field = "median_days" if published.statistic == "median" else "mean_days"
    rows = [
        {
            "label": TYPE_LABELS.get(row["request_type"], row["label"]),
            "received": row["received"],
            "complied": row["complied_in_whole_or_in_part"],
            "denied": row["denied"],
            "withdrawn": row["withdrawn"],
            "pending": row["pending"],
            "days": row[field],
            "breakdown": [
                (label, row["denial_breakdown"].get(key, 0)) for key, label in DENIAL_LABELS.items()
            ],
            "any_denial": any(row["denial_breakdown"].values()),
        }
        for row in figures["rows"]
    ]
    return portal_render(
        request,
        "portal/recordkeeping/metrics_year.html",
        {
            "published": published,
            "year": year,
            "rows": rows,
            "all_individuals": published.population == "all",
            "statistic_label": STATISTIC_LABELS[published.statistic],
            "is_median": published.statistic == "median",
            "period_start": date(year, 1, 1),
            "period_end": date(year, 12, 31),
            "published_on": local_date(published.published_at, tenant.zone),
            "other_years": [other for other in published_years(tenant=tenant) if other != year],
        },
    )
