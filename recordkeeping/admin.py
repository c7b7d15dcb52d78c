"""The "Request log (§7101)" page of the admin: the compliance and admin roles of the chosen
business download its §7101(b) request log for a date range, as CSV or JSON.

Records are secured by role (R-7101-a-2): the staff role gets a 403 page saying so. The page has
no model, so it is routed by wrapping the site's ``get_urls`` (like ``tenants.admin``) and linked
from the admin index through ``settings.ADMIN_INDEX_TOOLS``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.views.decorators.http import require_GET

from tenants.admin_base import TenantScopedModelAdmin, may
from tenants.context import staff_tenant

from .exports import PURPOSE_MAX_LENGTH, parse_export, request_log_download
from .models import RetentionPolicy, RetentionPurge
from .request_log import RangeRefused
from .retention import retention_policy

ABILITY = "records"  # tenants.selectors.ROLE_ABILITIES: compliance and admin
TEMPLATE = "admin/recordkeeping/request_log.html"
TITLE = "Request log (§7101)"


class RequestLogForm(forms.Form):
    since = forms.DateField(label="From (date received)", widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(label="To (included)", widget=forms.DateInput({"type": "date"}))
    format = forms.ChoiceField(
        label="Format", choices=[("csv", "CSV"), ("json", "JSON")], initial="csv"
    )
    # §7101(d): the log is used only to comply with the CCPA; each export says what for.
    purpose = forms.CharField(
        label="Purpose of this export",
        max_length=PURPOSE_MAX_LENGTH,
        help_text="Required (§7101(d)): why the log is exported, e.g. “Annual compliance "
        "review”. It is written to the audit trail with the export.",
    )


def _page(
    request: HttpRequest, *, form: Any, message: str = "", status: int = 200
) -> TemplateResponse:
    response = TemplateResponse(
        request,
        TEMPLATE,
        {**admin.site.each_context(request), "title": TITLE, "form": form, "message": message},
        status=status,
    )
    response.render()
    return response


@require_GET
def request_log_view(request: HttpRequest) -> HttpResponse:
    """GET without a range: the form. GET with one: the download, or the form with why not (400)."""
    tenant = staff_tenant(request)
    if tenant is None or not may(request, ABILITY):
        return _page(
            request,
            form=None,
            message="Only the compliance and admin roles of this business may export its "
            "request log. Ask your business's admin if you need it.",
            status=403,
        )
    if not request.GET:
        return _page(request, form=RequestLogForm())
    form = RequestLogForm(request.GET)
    try:
        asked = parse_export(
            since=request.GET.get("since"),
            until=request.GET.get("until"),
            file_format=request.GET.get("format"),
            purpose=request.GET.get("purpose"),
        )
    except RangeRefused as refused:
        return _page(request, form=form, message=str(refused), status=400)
    return request_log_download(tenant=tenant, asked=asked, request=request, channel="admin")


def install_request_log_page(site: admin.AdminSite) -> None:
    if getattr(site, "_request_log_installed", False):
        return
    original_get_urls = site.get_urls

    def get_urls() -> list[Any]:
        return [
            path(
                "records/request-log/",
                site.admin_view(request_log_view),
                name="recordkeeping_request_log",
            ),
            *original_get_urls(),
        ]

    site.get_urls = get_urls
    site._request_log_installed = True


install_request_log_page(admin.site)


# --- Retention (§7101(a), (e); recordkeeping.retention) ---------------------------------------


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(TenantScopedModelAdmin):
    """How long the business keeps answered requests' personal information; its admins only.
    One per business, made with its defaults (24 months) when first listed."""

    ability = "settings"
    fields = ("months",)
    list_display = ("__str__",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made with its defaults when first needed

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        tenant = staff_tenant(request)
        if tenant is not None and self.has_view_permission(request):
            retention_policy(tenant)
        return super().changelist_view(request, extra_context)


@admin.register(RetentionPurge)
class RetentionPurgeAdmin(TenantScopedModelAdmin):
    """What each retention purge removed (§7101(a), (e)); compliance reads it, no one edits."""

    ability = "records"
    list_display = (
        "ran_at",
        "cutoff",
        "months",
        "requests",
        "communications",
        "documents",
        "status_links",
        "events",
    )
    fields = list_display
    readonly_fields = list_display
    ordering = ("-ran_at", "-id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The compliance dashboard's pages (§7102; model-less, installed on the site like the log's).
from . import dashboard_admin  # noqa: E402, F401
