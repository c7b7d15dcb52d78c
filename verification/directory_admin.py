"""The consumer directory in the admin (§7060(c)(1)): a business's admins upload a CSV of the
consumers it holds and see what each import did; nobody sees a hash or a value (there are no
values: the directory keeps keyed hashes only, §7060(d)).

The list of imports is read-only; its "Import a CSV" page calls
``verification.services.directory.directory_import`` and shows the report: how many rows were
read, imported and refused, and for each refused row its line, column and why.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from tenants.admin_base import TenantScopedModelAdmin, may
from tenants.context import staff_tenant

from .models import DirectoryImport
from .services.directory import IMPORT_COLUMNS, REPORT_LIMIT, directory_import

ALL_OR_NOTHING = "all"
PARTIAL = "partial"


class DirectoryUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, with a header row. Columns: "
        + ", ".join(IMPORT_COLUMNS)
        + ". Only consumer_id (your own id for the consumer) is required, and each consumer "
        "needs an email address, a phone number or an account number. Importing a consumer_id "
        "again replaces that consumer. For very large files, use "
        "`manage.py directory_import`.",
    )
    mode = forms.ChoiceField(
        label="If some rows are refused",
        choices=[
            (ALL_OR_NOTHING, "Import nothing, and list the refused rows"),
            (PARTIAL, "Import the good rows, and list the refused ones"),
        ],
        initial=ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )


def _local(moment: Any) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}" if moment else "—"


def refusals_table(directory_import: DirectoryImport) -> str:
    """The refused rows: line, column, why (never a value: the report holds none)."""
    if not directory_import.refusals:
        return "None"
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (item["line"], item["field"] or "(the row)", item["why"])
            for item in directory_import.refusals
        ),
    )
    more = ""
    if directory_import.rows_refused > len(directory_import.refusals):
        more = format_html(
            "<p>Only the first {} problems are listed.</p>", len(directory_import.refusals)
        )
    return format_html(
        "<table><thead><tr><th>Line</th><th>Column</th><th>Why</th></tr></thead>"
        "<tbody>{}</tbody></table>{}",
        rows,
        more,
    )


@admin.register(DirectoryImport)
class DirectoryImportAdmin(TenantScopedModelAdmin):
    """Imports of the consumer directory: who, when, what happened (read-only)."""

    ability = "settings"
    change_list_template = "admin/verification/directoryimport/change_list.html"
    list_display = (
        "started",
        "actor_label",
        "file_name",
        "mode",
        "rows_read",
        "rows_imported",
        "rows_refused",
        "outcome",
    )
    list_filter = ("succeeded", "all_or_nothing")
    fields = (
        "started",
        "finished",
        "actor_label",
        "file_name",
        "mode",
        "rows_read",
        "rows_imported",
        "rows_refused",
        "outcome",
        "refused_rows",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # imports are made on the upload page

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="started", ordering="started_at")
    def started(self, obj: DirectoryImport) -> str:
        return _local(obj.started_at)

    @admin.display(description="finished")
    def finished(self, obj: DirectoryImport) -> str:
        return _local(obj.finished_at)

    @admin.display(description="if rows were refused")
    def mode(self, obj: DirectoryImport) -> str:
        return "Import nothing" if obj.all_or_nothing else "Import the good rows"

    @admin.display(description="outcome", ordering="succeeded")
    def outcome(self, obj: DirectoryImport) -> str:
        if obj.succeeded:
            return "Imported" if not obj.rows_refused else "Imported, some rows refused"
        return "Nothing imported"

    @admin.display(description=f"refused rows (the first {REPORT_LIMIT})")
    def refused_rows(self, obj: DirectoryImport) -> str:
        return refusals_table(obj)

    # --- the upload page ---

    def get_urls(self) -> list[Any]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name=f"{prefix}_upload"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        extra = {"may_upload": may(request, self.ability), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a CSV of consumers; the report is the import's own page."""
        tenant = staff_tenant(request)
        if tenant is None or not may(request, self.ability):
            raise PermissionDenied
        if request.method == "POST":
            form = DirectoryUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                result = directory_import(
                    tenant=tenant,
                    rows_or_file=upload,
                    actor_label=request.user.get_username(),
                    all_or_nothing=form.cleaned_data["mode"] == ALL_OR_NOTHING,
                    file_name=upload.name,
                )
                level = messages.SUCCESS if result.succeeded else messages.ERROR
                if result.succeeded and result.rows_refused:
                    level = messages.WARNING
                self.message_user(
                    request,
                    f"{self.outcome(result)}: {result.rows_read} rows read, "
                    f"{result.rows_imported} consumers imported, {result.rows_refused} rows "
                    "refused.",
                    level,
                )
                return HttpResponseRedirect(
                    reverse(
                        f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                        args=[result.pk],
                    )
                )
        else:
            form = DirectoryUploadForm()
        response = TemplateResponse(
            request,
            "admin/verification/directoryimport/upload.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Import consumers into the verification directory",
                "form": form,
            },
        )
        response.render()
        return response
