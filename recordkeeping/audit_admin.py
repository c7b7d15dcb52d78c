"""The "Audit trail" page of the admin: the compliance role of the chosen business reads its
trail newest first (filtered by date range, actor, action and target), exports it as CSV or JSON
(streamed), and verifies its hash chain (issue 14 item 3; §7101(a), R-7101-a-2).

Only the compliance role reads the trail (ability "audit"): staff and admins act on requests and
settings, and the trail records their acts; they get a 403 page saying so. Reading, exporting
and verifying are themselves written to the trail. Routed by wrapping the site's ``get_urls``,
like the request log page, and linked from the admin index through ``settings.ADMIN_INDEX_TOOLS``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from audit.models import AuditAction
from audit.services import audit_record
from core import clock
from tenants.admin_base import may
from tenants.context import staff_tenant

from .audit_trail import (
    FILTER_TEXT_LENGTH,
    TrailFilter,
    TrailFilterRefused,
    audit_actor_labels,
    audit_chain_verify,
    audit_entries,
    audit_export_csv,
    audit_export_json,
)

ABILITY = "audit"  # tenants.selectors.ROLE_ABILITIES: the compliance role only
TEMPLATE = "admin/recordkeeping/audit_trail.html"
TITLE = "Audit trail"
PAGE_SIZE = 50
TARGET = "audit_trail"
FORBIDDEN = (
    "Only the compliance role of this business reads its audit trail: staff and admins act on "
    "requests and settings, and the trail is the record of those acts (CCPA regulations "
    "§7101(a)). Ask your business's admin for the compliance role if you need it."
)
EXPORT_TYPES = {
    "csv": ("text/csv; charset=utf-8", audit_export_csv),
    "json": ("application/json; charset=utf-8", audit_export_json),
}


class TrailFilterForm(forms.Form):
    since = forms.DateField(label="From", required=False, widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(
        label="To (included)", required=False, widget=forms.DateInput({"type": "date"})
    )
    actor = forms.ChoiceField(label="Who", required=False)
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any"), *AuditAction.choices]
    )
    target = forms.CharField(
        label="Target",
        required=False,
        max_length=FILTER_TEXT_LENGTH,
        help_text="Exact, e.g. privacy_request:LL-7KQ3-9XW2; end with * for a prefix.",
    )
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, actors: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["actor"].choices = [("", "Anyone"), *((a, a) for a in actors)]

    def trail_filter(self) -> TrailFilter:
        data = self.cleaned_data
        return TrailFilter(
            since=data.get("since"),
            until=data.get("until"),
            actor=data.get("actor") or "",
            action=data.get("action") or "",
            target=(data.get("target") or "").strip(),
        )


def _page(request: HttpRequest, status: int = 200, **context: Any) -> TemplateResponse:
    response = TemplateResponse(
        request,
        TEMPLATE,
        {**admin.site.each_context(request), "title": TITLE, **context},
        status=status,
    )
    response.render()
    return response


def _refused(request: HttpRequest) -> TemplateResponse | None:
    tenant = staff_tenant(request)
    if tenant is None or not may(request, ABILITY):
        return _page(request, status=403, message=FORBIDDEN, forbidden=True)
    return None


def _form(request: HttpRequest, tenant: Any) -> TrailFilterForm:
    return TrailFilterForm(request.GET or None, actors=audit_actor_labels(tenant))


@require_GET
def audit_trail_view(request: HttpRequest) -> HttpResponse:
    """The trail, newest first, a page at a time (``before``: the page's keyset, a seq)."""
    refused = _refused(request)
    if refused is not None:
        return refused
    tenant = staff_tenant(request)
    form = _form(request, tenant)
    if request.GET and not form.is_valid():
        return _page(request, status=400, form=form, message="Check the filters below.")
    trail_filter = form.trail_filter() if request.GET else TrailFilter()
    try:
        entries = audit_entries(tenant, trail_filter)
    except TrailFilterRefused as refused_filter:
        return _page(request, status=400, form=form, message=str(refused_filter))
    before = form.cleaned_data.get("before") if request.GET else None
    if before:
        entries = entries.filter(seq__lt=before)
    page = list(entries.select_related(None)[: PAGE_SIZE + 1])
    older = page[PAGE_SIZE - 1].seq if len(page) > PAGE_SIZE else None
    page = page[:PAGE_SIZE]
    audit_record(
        tenant,
        action=AuditAction.READ,
        target=TARGET,
        summary="Read the audit trail",
        request=request,
        detail={"filter": trail_filter.as_detail(), "entries": len(page)},
    )
    query = request.GET.copy()
    query.pop("before", None)
    older_url = None
    if older is not None:
        query["before"] = str(older)
        older_url = f"?{query.urlencode()}"
        query.pop("before")
    export_query = query.urlencode()
    return _page(
        request,
        form=form,
        entries=page,
        older_url=older_url,
        newest_url="?" + export_query if before else None,
        export_csv=f"{reverse('admin:recordkeeping_audit_trail_export')}?{export_query}"
        + ("&" if export_query else "")
        + "format=csv",
        export_json=f"{reverse('admin:recordkeeping_audit_trail_export')}?{export_query}"
        + ("&" if export_query else "")
        + "format=json",
        verify_url=reverse("admin:recordkeeping_audit_trail_verify"),
        verification=request.session.pop("audit_verification", None),
    )


@require_GET
def audit_trail_export_view(request: HttpRequest) -> HttpResponse:
    """The filtered trail as a CSV or JSON file, oldest first, streamed; the export is audited
    before the first byte."""
    refused = _refused(request)
    if refused is not None:
        return refused
    tenant = staff_tenant(request)
    form = _form(request, tenant)
    file_format = (request.GET.get("format") or "csv").strip().lower()
    if file_format not in EXPORT_TYPES:
        return _page(
            request,
            status=400,
            form=form,
            message=f"The format must be csv or json, not {file_format[:20]!r}.",
        )
    if not form.is_valid():
        return _page(request, status=400, form=form, message="Check the filters below.")
    trail_filter = form.trail_filter()
    try:
        entries = audit_entries(tenant, trail_filter)
    except TrailFilterRefused as refused_filter:
        return _page(request, status=400, form=form, message=str(refused_filter))
    audit_record(
        tenant,
        action=AuditAction.EXPORT,
        target=TARGET,
        summary=f"Exported the audit trail as {file_format.upper()}",
        request=request,
        detail={"filter": trail_filter.as_detail(), "format": file_format},
    )
    content_type, lines = EXPORT_TYPES[file_format]
    response = StreamingHttpResponse(lines(entries), content_type=content_type)
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    filename = f"{tenant.slug}-audit-trail-{stamp}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def audit_trail_verify_view(request: HttpRequest) -> HttpResponse:
    """Walk the whole chain; the result is shown on the trail page (and recorded)."""
    refused = _refused(request)
    if refused is not None:
        return refused
    tenant = staff_tenant(request)
    report = audit_chain_verify(tenant)
    audit_record(
        tenant,
        action=AuditAction.VERIFY,
        target=TARGET,
        summary=f"Verified the audit chain: {report.describe()}",
        request=request,
        detail={"entries": report.entries, "intact": report.intact},
    )
    if report.intact:
        text = f"The chain is intact: {report.entries} entries."
    else:
        text = f"The chain is broken at {report.broken.describe()}."  # type: ignore[union-attr]
    request.session["audit_verification"] = {"intact": report.intact, "text": text}
    return redirect("admin:recordkeeping_audit_trail")


def install_audit_trail_page(site: admin.AdminSite) -> None:
    if getattr(site, "_audit_trail_installed", False):
        return
    original_get_urls = site.get_urls

    def get_urls() -> list[Any]:
        return [
            path(
                "records/audit-trail/",
                site.admin_view(audit_trail_view),
                name="recordkeeping_audit_trail",
            ),
            path(
                "records/audit-trail/export/",
                site.admin_view(audit_trail_export_view),
                name="recordkeeping_audit_trail_export",
            ),
            path(
                "records/audit-trail/verify/",
                site.admin_view(audit_trail_verify_view),
                name="recordkeeping_audit_trail_verify",
            ),
            *original_get_urls(),
        ]

    site.get_urls = get_urls
    site._audit_trail_installed = True


install_audit_trail_page(admin.site)
