"""The "Compliance dashboard (§7102)" page of the admin (issue 14 items 6 and 7): one calendar
year's §7102 metrics with both median and mean, the population and the counting conventions,
charts with a data table beside each, the exports (CSV, JSON, a printable report), the
§7102(a)(2) reminder, and publishing the year for the public page.

For the "records" ability (compliance, compliance and staff, admin); the staff role gets a 403
page saying why. Model-less like the request log page (``recordkeeping.admin``): routed by
wrapping the site's ``get_urls``, linked from the admin index through
``settings.ADMIN_INDEX_TOOLS``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from audit.models import AuditAction
from audit.services import audit_record
from requests_app import deadlines
from tenants.admin_base import may
from tenants.context import staff_tenant
from tenants.models import Tenant
from tenants.portal import portal_absolute_url
from tenants.selectors import tenant_today

from . import charts, metric_rules
from . import dashboard_rules as rules
from .dashboard import MONTH_NAMES, MONTHS, YearDashboard, year_dashboard
from .exports import (
    MetricsAsked,
    MetricsQueryRefused,
    metrics_csv_download,
    metrics_json_download,
    parse_metrics_query,
)
from .publishing import PublishRefused, metrics_publish, published_history, published_years

ABILITY = "records"  # tenants.selectors.ROLE_ABILITIES: compliance, compliance_staff, admin
TEMPLATE = "admin/recordkeeping/dashboard.html"
PRINT_TEMPLATE = "admin/recordkeeping/dashboard_print.html"
TITLE = "Compliance dashboard (§7102)"
REFUSED = (
    "Only the compliance and admin roles of this business may see its compliance dashboard and "
    "export or publish its request metrics (records are kept for compliance review only, "
    "§7101(d)). Ask your business's admin if you need them."
)
YEARS_OFFERED = 5  # the current year and the four before it
POPULATION_LABELS = rules.POPULATION_LABELS


def _page(
    request: HttpRequest, context: dict[str, Any], *, status: int = 200, template: str = TEMPLATE
) -> TemplateResponse:
    response = TemplateResponse(
        request,
        template,
        {**admin.site.each_context(request), "title": TITLE, **context},
        status=status,
    )
    response.render()
    return response


def _refused(request: HttpRequest) -> TemplateResponse:
    return _page(request, {"refused": REFUSED}, status=403)


def _records_tenant(request: HttpRequest) -> Tenant | None:
    tenant = staff_tenant(request)
    return tenant if tenant is not None and may(request, ABILITY) else None


def _asked(request: HttpRequest, tenant: Tenant) -> MetricsAsked:
    """The year and population of the query string; the current local year by default."""
    year = request.GET.get("year") or str(tenant_today(tenant).year)
    return parse_metrics_query(year=year, population=request.GET.get("population"))


def _table(caption: str, headers: list[str], rows: list[list[Any]]) -> dict[str, Any]:
    return {"caption": caption, "headers": headers, "rows": rows}


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:g} %"


def dashboard_charts(dashboard: YearDashboard) -> list[dict[str, Any]]:
    """Each chart: its heading, its SVG (role="img", a title and a text alternative), a caption,
    and the table of the same numbers."""
    year = dashboard.metrics.year
    types = metric_rules.METRIC_TYPES
    short = {
        "know": "Know",
        "delete": "Delete",
        "correct": "Correct",
        "opt_out": "Opt-out of sale/sharing",
        "limit": "Limit",
    }
    type_labels = [metric_rules.TYPE_LABELS[request_type] for request_type in types]
    found: list[dict[str, Any]] = []

    totals = dashboard.month_totals
    busiest = max(range(12), key=lambda i: totals[i]) if sum(totals) else None
    found.append(
        {
            "id": "per-month",
            "title": f"Requests received per month in {year}, by type",
            "caption": (
                f"{sum(totals):,} requests received in {year}"
                + (
                    f"; the busiest month was {MONTH_NAMES[busiest]} ({totals[busiest]:,})."
                    if busiest is not None
                    else "."
                )
            ),
            "svg": charts.stacked_columns(
                chart_id="chart-per-month",
                title=f"Requests received per month in {year}, by type",
                description="Stacked columns, one per month. Totals: "
                + ", ".join(f"{MONTHS[i]} {totals[i]}" for i in range(12))
                + ". The table below gives each type's number.",
                categories=MONTHS,
                series=[(metric_rules.TYPE_LABELS[t], dashboard.per_month[t]) for t in types],
            ),
            "table": _table(
                "Requests received per month, by type",
                ["Month", *type_labels, "All types"],
                [
                    [MONTH_NAMES[i], *(dashboard.per_month[t][i] for t in types), totals[i]]
                    for i in range(12)
                ],
            ),
        }
    )

    total = dashboard.on_time_total
    found.append(
        {
            "id": "on-time",
            "title": f"Requests answered on time, {year}",
            "caption": (
                "Share of the requests complied with or denied whose response is dated on or "
                "before the deadline that applied (the respond-by date, extended if it was; "
                "the comply-by date for opt-out and limit). All types: "
                f"{_percent(total.rate)} ({total.on_time:,} of {total.on_time + total.late:,})."
            ),
            "svg": charts.bar_chart(
                chart_id="chart-on-time",
                title=f"Requests answered on time, {year}",
                description="Percentage answered on time, by type: "
                + "; ".join(f"{row.label} {_percent(row.rate)}" for row in dashboard.on_time)
                + ".",
                bars=[(short[row.request_type], row.rate or 0.0) for row in dashboard.on_time]
                + [("All types", total.rate or 0.0)],
                unit=" %",
                maximum=100,
            ),
            "table": _table(
                "Requests answered on time, by type",
                ["Type", "Answered", "On time", "Late", "No deadline recorded", "On time (%)"],
                [
                    [
                        row.label,
                        row.answered,
                        row.on_time,
                        row.late,
                        row.no_deadline,
                        _percent(row.rate),
                    ]
                    for row in (*dashboard.on_time, total)
                ],
            ),
        }
    )

    buckets = [label for label, _, _ in rules.DAYS_BUCKETS]
    found.append(
        {
            "id": "days",
            "title": f"Days to a substantive response, {year}",
            "caption": (
                "Requests complied with or denied, by the number of days from receipt to the "
                "response (for opt-out and limit, to the completion of compliance; A-7)."
            ),
            "svg": charts.bar_chart(
                chart_id="chart-days",
                title=f"Days to a substantive response, {year}",
                description="Number of requests answered in: "
                + "; ".join(f"{label} {dashboard.days_all[label]}" for label in buckets)
                + ".",
                bars=[(label, dashboard.days_all[label]) for label in buckets],
            ),
            "table": _table(
                "Requests by days to a substantive response, by type",
                ["Days", *type_labels, "All types"],
                [
                    [
                        label,
                        *(dashboard.days_by_type[t][label] for t in types),
                        dashboard.days_all[label],
                    ]
                    for label in buckets
                ],
            ),
        }
    )

    labels = rules.deadline_bucket_labels(deadlines.DUE_SOON_DAYS)
    as_of = rules.full_date(dashboard.today)
    found.append(
        {
            "id": "open",
            "title": f"Requests received in {year} still open, by deadline",
            "caption": (
                f"As of {as_of} (the business's local date), against each request's "
                "respond-by or comply-by date, in the review queue's terms. "
                f"{sum(dashboard.open_all.values()):,} open."
            ),
            "svg": charts.bar_chart(
                chart_id="chart-open",
                title=f"Requests received in {year} still open, by deadline, as of {as_of}",
                description="; ".join(
                    f"{labels[bucket]} {dashboard.open_all[bucket]}"
                    for bucket in rules.DEADLINE_BUCKETS
                )
                + ".",
                bars=[(labels[b], dashboard.open_all[b]) for b in rules.DEADLINE_BUCKETS],
            ),
            "table": _table(
                "Open requests by deadline, by type",
                ["Deadline", *type_labels, "All types"],
                [
                    [
                        labels[b],
                        *(dashboard.open_by_type[t][b] for t in types),
                        dashboard.open_all[b],
                    ]
                    for b in rules.DEADLINE_BUCKETS
                ],
            ),
        }
    )

    grounds = metric_rules.DENIAL_BUCKETS
    found.append(
        {
            "id": "denials",
            "title": f"Denials by reason, {year}",
            "caption": (
                "Requests denied in whole or in part, by the ground of §7102(a)(2)(A); every "
                "internal denial reason maps to one ground."
            ),
            "svg": charts.bar_chart(
                chart_id="chart-denials",
                title=f"Denials in whole or in part by reason, {year}",
                description="; ".join(
                    f"{metric_rules.DENIAL_BUCKET_LABELS[g]} {dashboard.denials_all[g]}"
                    for g in grounds
                )
                + ".",
                bars=[
                    (metric_rules.DENIAL_BUCKET_LABELS[g], dashboard.denials_all[g])
                    for g in grounds
                ],
            ),
            "table": _table(
                "Denials in whole or in part by reason, by type",
                ["Reason", *type_labels, "All types"],
                [
                    [
                        metric_rules.DENIAL_BUCKET_LABELS[g],
                        *(dashboard.metrics.row(t).denial_breakdown[g] for t in types),
                        dashboard.denials_all[g],
                    ]
                    for g in grounds
                ],
            ),
        }
    )
    for chart in found:
        chart["svg"] = mark_safe(chart["svg"])  # noqa: S308 - built by charts, every text escaped
    return found


def _context(request: HttpRequest, tenant: Tenant, asked: MetricsAsked) -> dict[str, Any]:
    today = tenant_today(tenant)
    dashboard = year_dashboard(
        tenant=tenant, year=asked.year, population=asked.population, today=today
    )
    published = published_years(tenant=tenant)
    query = urlencode({"year": asked.year, "population": asked.population})
    export = reverse("admin:recordkeeping_metrics_export")
    return {
        "tenant": tenant,
        "asked": asked,
        "dashboard": dashboard,
        "metrics": dashboard.metrics,
        "population_label": POPULATION_LABELS[asked.population],
        "population_labels": POPULATION_LABELS,
        "statistic_labels": rules.STATISTIC_LABELS,
        "years": [today.year - i for i in range(YEARS_OFFERED)],
        "charts": dashboard_charts(dashboard),
        "reminder": rules.disclosure_reminder(
            today=today, subject=tenant.discloses_request_metrics, published_years=set(published)
        ),
        "subject": tenant.discloses_request_metrics,
        "exports": {
            "csv": f"{export}?{query}&format=csv",
            "json": f"{export}?{query}&format=json",
            "print": f"{export}?{query}&format=print",
        },
        "publishable": rules.publishable(asked.year, today),
        "history": published_history(tenant=tenant, year=asked.year),
        "public_url": (
            portal_absolute_url(tenant, "metrics_index").rstrip("/") + f"/{asked.year}/"
            if asked.year in published
            else ""
        ),
        "as_of": rules.full_date(today),
        "generated_on": rules.full_date(today),
    }


@require_GET
def dashboard_view(request: HttpRequest) -> HttpResponse:
    tenant = _records_tenant(request)
    if tenant is None:
        return _refused(request)
    try:
        asked = _asked(request, tenant)
    except MetricsQueryRefused as refused:
        return _page(request, {"message": str(refused)}, status=400)
    return _page(request, _context(request, tenant, asked))


def metrics_report_page(
    request: HttpRequest, *, tenant: Tenant, asked: MetricsAsked
) -> HttpResponse:
    """The printable report of the year's figures (an HTML page with print CSS)."""
    return _page(request, _context(request, tenant, asked), template=PRINT_TEMPLATE)


@require_GET
def metrics_export_view(request: HttpRequest) -> HttpResponse:
    """``?year=&population=&format=csv|json|print``: the year's figures as a file or a report."""
    tenant = _records_tenant(request)
    if tenant is None:
        return _refused(request)
    try:
        asked = _asked(request, tenant)
    except MetricsQueryRefused as refused:
        return _page(request, {"message": str(refused)}, status=400)
    chosen = (request.GET.get("format") or "csv").strip().lower()
    if chosen in {"csv", "json", "print"}:
        # Every export is on the audit trail (§7101(a), R-7101-a-2; issue 14 item 3), though
        # these are counts, not anyone's personal information.
        audit_record(
            tenant,
            action=AuditAction.EXPORT,
            target=f"metrics:{asked.year}",
            summary=f"Exported the {asked.year} metrics ({asked.population}) as {chosen}",
            request=request,
            detail={"year": asked.year, "population": asked.population, "format": chosen},
        )
    if chosen == "csv":
        return metrics_csv_download(tenant=tenant, asked=asked)
    if chosen == "json":
        return metrics_json_download(tenant=tenant, asked=asked, today=tenant_today(tenant))
    if chosen == "print":
        return metrics_report_page(request, tenant=tenant, asked=asked)
    return _page(
        request,
        {"message": f"The format must be csv, json or print, not {chosen[:20]!r}."},
        status=400,
    )


@require_POST
def metrics_publish_view(request: HttpRequest) -> HttpResponse:
    """Publish the year with the chosen statistic and population (§7102(a)(2), R-7102-a1F-1)."""
    tenant = _records_tenant(request)
    if tenant is None:
        return _refused(request)
    try:
        asked = parse_metrics_query(
            year=request.POST.get("year"), population=request.POST.get("population")
        )
        published = metrics_publish(
            tenant=tenant,
            year=asked.year,
            statistic=(request.POST.get("statistic") or "").strip(),
            population=asked.population,
            actor=request.user,
        )
    except (MetricsQueryRefused, PublishRefused) as refused:
        return _page(request, {"message": str(refused)}, status=400)
    messages.success(
        request,
        f"The metrics for {published.year} are published "
        f"({rules.STATISTIC_LABELS[published.statistic].lower()}, "
        f"{POPULATION_LABELS[published.population].lower()}).",
    )
    query = urlencode({"year": asked.year, "population": asked.population})
    return HttpResponseRedirect(f"{reverse('admin:recordkeeping_dashboard')}?{query}")


def install_dashboard_pages(site: admin.AdminSite) -> None:
    if getattr(site, "_dashboard_installed", False):
        return
    original_get_urls = site.get_urls

    def get_urls() -> list[Any]:
        return [
            path(
                "records/dashboard/",
                site.admin_view(dashboard_view),
                name="recordkeeping_dashboard",
            ),
            path(
                "records/metrics/export/",
                site.admin_view(metrics_export_view),
                name="recordkeeping_metrics_export",
            ),
            path(
                "records/metrics/publish/",
                site.admin_view(metrics_publish_view),
                name="recordkeeping_metrics_publish",
            ),
            *original_get_urls(),
        ]

    site.get_urls = get_urls
    site._dashboard_installed = True


install_dashboard_pages(admin.site)
