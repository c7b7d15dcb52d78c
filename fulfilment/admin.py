"""The data systems and their tasks in the admin.

* ``DataSystemAdmin``: the business's admins register their systems and the categories of their
  data inventory each holds (a multiple choice of that inventory only); a webhook system's
  signing secret is shown once, when it is made, and only its first characters afterwards;
* ``SystemTaskAdmin``: every task, read-only, with a page where staff answer one (a person's
  task, or a system's that cannot call the API) through ``system_task_answer``; a request to
  know's answer may say which inventory categories were found;
* ``SystemTaskInline`` (``settings.PRIVACY_REQUEST_ADMIN_INLINES``: requests_app never imports
  fulfilment): each system's progress on a request's page.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms.models import construct_instance
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from audit.models import AuditAction
from audit.reads import AuditedReadMixin
from audit.services import audit_record
from core.refusals import Refused
from core.uploads import UPLOAD_MAX_BYTES, OversizeUpload
from notices import categories as statute
from requests_app import vocabulary as words
from requests_app.admin.inlines import READ_ONLY_INLINE
from requests_app.models import PrivacyRequest
from tenants.admin_base import TenantScopedInlineMixin, TenantScopedModelAdmin, may, require_act
from tenants.context import staff_tenant

from . import task_rules as rules
from . import withholding
from .downloads import package_zip_response
from .models import (
    DataSystem,
    HandDeliveryMethod,
    PackagePart,
    PartFormat,
    ResponsePackage,
    SystemTask,
    TaskOutcome,
    TaskState,
)
from .selectors import inventory_codes
from .services import (
    data_system_check,
    data_system_deactivate,
    data_system_save,
    package_awaits_hand_delivery,
    package_hand_deliveries,
    package_hand_delivery_record,
    package_open,
    package_part_attach,
    package_part_mark_exempt,
    package_preview,
    package_staff_download_log,
    released_package,
    request_parts,
    response_package_release,
    subject_identifiers,
    system_task_answer,
)


def _local(moment: Any) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}" if moment else "—"


# --- Data systems --------------------------------------------------------------------------------


def inventory_choices(tenant: Any) -> list[tuple[str, str]]:
    """The business's data inventory as (code, statutory label) choices, in the statute's order."""
    if tenant is None:
        return []
    return [(code, statute.category(code).label) for code in inventory_codes(tenant)]


class DataSystemForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        label="Categories of personal information it holds",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="From the business's data inventory. When the system answers a request to "
        "know done, these are ticked in the consumer's categories answer (§7024(k)(1)), "
        "unless its answer says which it found. Missing one? Add it to the data inventory "
        "(notices) first.",
    )
    webhook_url = forms.URLField(
        label="Webhook address",
        required=False,
        assume_scheme="https",
        help_text="For the webhook method: the https address each task is POSTed to, signed "
        "(Privacy-Portal-Signature header). Changing it makes a new signing secret.",
    )
    new_secret = forms.BooleanField(
        label="Make a new signing secret",
        required=False,
        help_text="The new secret is shown once, after saving.",
    )

    class Meta:
        model = DataSystem
        fields = (
            "name",
            "kind",
            "categories",
            "owner",
            "owner_contact",
            "handles_know",
            "handles_delete",
            "handles_correct",
            "method",
            "webhook_url",
            "assignee",
            "due_days",
            "active",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.endpoint_id:
            self.fields["webhook_url"].initial = self.instance.endpoint.url
        # Only the business's own inventory: a code from elsewhere is not a choice (and the
        # service refuses it too).
        self.fields["categories"].choices = inventory_choices(  # type: ignore[attr-defined]
            getattr(self, "tenant", None)
        )

    def _post_clean(self) -> None:
        # The service's own checks, before anything is made (its endpoint, its secret).
        self.instance = construct_instance(self, self.instance, self._meta.fields)
        if self.instance.tenant_id is None:
            self.instance.tenant = self.tenant  # type: ignore[attr-defined]
        try:
            data_system_check(
                system=self.instance, webhook_url=self.cleaned_data.get("webhook_url") or ""
            )
        except ValidationError as error:
            self._update_errors(error)


@admin.register(DataSystem)
class DataSystemAdmin(TenantScopedModelAdmin):
    """The business's systems that hold personal information, who owns each, and how it gets
    its part of each verified request (issue 16 item 0)."""

    ability = "settings"
    form = DataSystemForm
    list_display = ("name", "kind", "held_categories", "method", "handled_types", "owner", "active")
    list_filter = ("kind", "method", "active")
    search_fields = ("name",)
    ordering = ("name", "pk")
    readonly_fields = ("signing_secret",)
    actions = ["deactivate"]

    def get_fields(self, request: HttpRequest, obj: Any = None):
        fields = list(DataSystemForm.Meta.fields)
        if obj is not None and obj.endpoint_id:
            fields.insert(fields.index("webhook_url") + 1, "signing_secret")
            fields.insert(fields.index("signing_secret") + 1, "new_secret")
        return fields

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.tenant = staff_tenant(request)
        return form

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("owner", "endpoint")

    @admin.display(description="requests")
    def handled_types(self, obj: DataSystem) -> str:
        return ", ".join(kind for kind in rules.HANDLED_TYPES if getattr(obj, f"handles_{kind}"))

    @admin.display(description="categories held")
    def held_categories(self, obj: DataSystem) -> str:
        return ", ".join(obj.categories or ()) or "—"

    @admin.display(description="signing secret")
    def signing_secret(self, obj: DataSystem) -> str:
        # Write-only: the secret was shown once; its first characters tell secrets apart.
        return f"{obj.endpoint.secret_hint}…" if obj.endpoint_id else "—"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            tenant = staff_tenant(request)
            if tenant is None:
                raise Http404("Choose a business first.")
            obj.tenant = tenant
        secret = data_system_save(
            system=obj,
            webhook_url=form.cleaned_data.get("webhook_url") or "",
            new_secret=bool(form.cleaned_data.get("new_secret")),
        )
        if secret:
            self.message_user(
                request,
                f"The signing secret of “{obj.name}”, shown only now: {secret} — store it in "
                "the system to check each task's Privacy-Portal-Signature header.",
                messages.WARNING,
            )

    @admin.action(
        description="Turn off the selected systems (no new tasks)", permissions=["change"]
    )
    def deactivate(self, request: HttpRequest, queryset: Any) -> None:
        for system in queryset:
            data_system_deactivate(system=system)
            self.message_user(request, f"{system.name}: turned off.")


# --- Tasks -------------------------------------------------------------------------------------


class SystemTaskAnswerForm(forms.Form):
    outcome = forms.ChoiceField(choices=TaskOutcome.choices)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=rules.NOTE_LENGTH,
        help_text="What was done, for the record.",
    )
    basis = forms.CharField(
        label="Basis of the exemption",
        required=False,
        max_length=rules.BASIS_LENGTH,
        help_text="Needed when the outcome is exempt: the exception of the CCPA or other law "
        "that lets the system keep or withhold the data.",
    )
    explanation = forms.CharField(
        label="Why deleting is impossible",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=rules.EXPLANATION_LENGTH,
        help_text="Needed when a deletion is answered impossible or disproportionate: the facts "
        "that give the consumer a meaningful understanding of why (§7022(b)(3)). The consumer "
        "reads it in the answer.",
    )
    categories_found = forms.MultipleChoiceField(
        label="Categories found",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Only with the outcome done: the categories of the business's data inventory "
        "found for this consumer; the categories answer ticks these (§7024(k)(1)). None "
        "ticked: the categories the system is recorded as holding stand for them.",
    )

    def __init__(self, *args: Any, task: SystemTask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if task.action == rules.FIND:
            self.fields["categories_found"].choices = inventory_choices(  # type: ignore[attr-defined]
                task.tenant
            )
            self.fields["categories_found"].initial = list(task.categories_found or ())
        else:  # only a request to know's answer lists categories
            del self.fields["categories_found"]


class TaskDisplay:
    """The columns a task shows in its list, on its page and on its request's page."""

    @admin.display(description="system", ordering="system__name")
    def system_name(self, obj: SystemTask) -> str:
        return obj.system.name

    @admin.display(description="state", ordering="state")
    def progress(self, obj: SystemTask) -> str:
        if obj.state == TaskState.ANSWERED:
            return f"Answered: {obj.get_outcome_display().lower()}"
        return str(obj.get_state_display())

    @admin.display(description="answered")
    def answered(self, obj: SystemTask) -> str:
        if obj.answered_at is None:
            return "—"
        return f"{_local(obj.answered_at)} by {obj.answered_by_label or 'staff'}"

    @admin.display(description="")
    def answer_link(self, obj: SystemTask) -> str:
        if obj.state != TaskState.OPEN:
            return ""
        url = reverse("admin:fulfilment_systemtask_answer", args=[obj.pk])
        return format_html('<a href="{}">Answer…</a>', url)


@admin.register(SystemTask)
class SystemTaskAdmin(AuditedReadMixin, TaskDisplay, TenantScopedModelAdmin):
    """Every task given to the business's systems, read-only; staff answer one on its page."""

    list_display = ("request_reference", "system_name", "action", "progress", "due_on", "answered")
    list_filter = ("state", "action")
    list_select_related = ("system", "privacy_request")
    search_fields = ("privacy_request__reference", "system__name")
    ordering = ("-pk",)
    show_full_result_count = False
    fields = (
        "request_reference",
        "system_name",
        "action",
        "progress",
        "due_on",
        "subject",
        "reminders_sent",
        "answered",
        "note",
        "basis",
        "explanation",
        "found",
        "answer_link",
    )
    readonly_fields = fields

    def audit_read(self, obj: SystemTask) -> tuple[str, str]:
        reference = obj.privacy_request.reference
        return f"privacy_request:{reference}", f"Opened system task {obj.pk} of {reference}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="request", ordering="privacy_request__reference")
    def request_reference(self, obj: SystemTask) -> str:
        url = reverse("admin:requests_app_privacyrequest_change", args=[obj.privacy_request_id])
        return format_html('<a href="{}">{}</a>', url, obj.privacy_request.reference)

    @admin.display(description="categories found")
    def found(self, obj: SystemTask) -> str:
        # What the answer said it found; otherwise what its system holds stands for it.
        if obj.categories_found:
            return ", ".join(obj.categories_found)
        if obj.outcome == rules.DONE and obj.system.categories:
            return f"Not said: the system holds {', '.join(obj.system.categories)}"
        return "—"

    @admin.display(description="consumer")
    def subject(self, obj: SystemTask) -> str:
        # What the system needs to find the consumer, while the task is open.
        if obj.state != TaskState.OPEN:
            return "—"
        found = subject_identifiers(obj.privacy_request)
        return "; ".join(f"{key}: {value}" for key, value in found.items()) or "—"

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<path:object_id>/answer/",
                self.admin_site.admin_view(self.answer_view),
                name="fulfilment_systemtask_answer",
            ),
            *super().get_urls(),
        ]

    def answer_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        require_act(request)
        task = self.get_object(request, unquote(object_id))
        if task is None:  # another business's task answers like a missing one
            raise Http404("No such record.")
        form = SystemTaskAnswerForm(request.POST or None, task=task)
        if request.method == "POST" and form.is_valid():
            try:
                system_task_answer(
                    task=task,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                    basis=form.cleaned_data["basis"],
                    explanation=form.cleaned_data["explanation"],
                    categories_found=form.cleaned_data.get("categories_found") or [],
                    actor=request.user,
                )
            except Refused as refused:
                form.add_error(
                    refused.field if refused.field in form.fields else None, refused.message
                )
            else:
                self.message_user(
                    request,
                    f"{task.system.name}'s task on {task.privacy_request.reference} answered.",
                )
                return HttpResponseRedirect(
                    reverse(
                        "admin:requests_app_privacyrequest_change",
                        args=[task.privacy_request_id],
                    )
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Answer {task.system.name}'s task: {task.privacy_request.reference}",
            "opts": self.opts,
            "task": task,
            "phrase": rules.ACTION_PHRASES[task.action],
            "subject": subject_identifiers(task.privacy_request)
            if task.state == TaskState.OPEN
            else {},
            "form": form,
            "cancel_url": reverse("admin:fulfilment_systemtask_change", args=[task.pk]),
        }
        return TemplateResponse(request, "admin/fulfilment/systemtask/answer.html", context)


class SystemTaskInline(TaskDisplay, TenantScopedInlineMixin, admin.TabularInline):
    """A request's tasks, one per system: its progress, due date, and who answered when."""

    model = SystemTask
    fk_name = "privacy_request"
    read_only = True
    template = READ_ONLY_INLINE
    verbose_name = "data system"
    verbose_name_plural = "data systems' tasks"
    fields = ("system_name", "action", "progress", "due_on", "answered", "answer_link")
    readonly_fields = fields
    ordering = ("system__name", "id")
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("system")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and rules.action_for(getattr(obj, "request_type", "")) is None:
            return False  # opt-outs and limits give no tasks
        return super().has_view_permission(request, obj)


# --- Response packages (issue 16 items 2 and 9) ------------------------------------------------


class PartUploadForm(forms.Form):
    file = forms.FileField(
        help_text="The consumer's data from one system, as JSON (a list of records) or CSV "
        "(a header line, then rows). Zip files are not accepted."
    )
    format = forms.ChoiceField(choices=PartFormat.choices)
    source = forms.CharField(
        max_length=100, help_text="Where the data comes from, e.g. “Paper files, head office”."
    )


class PartExemptForm(forms.Form):
    part = forms.IntegerField(widget=forms.HiddenInput)
    basis = forms.CharField(
        label="Withheld as exempt: basis",
        required=False,
        max_length=300,
        help_text="The exception that lets the business withhold this part (§7024(e)); the "
        "consumer is told it. Empty: the part is disclosed.",
    )


class HandDeliveryForm(forms.Form):
    """How a released package was delivered by hand (§7024(f)); the service checks the rest
    (released, the day neither in the future nor before the release)."""

    method = forms.ChoiceField(
        label="How it was delivered", choices=[("", "—"), *HandDeliveryMethod.choices]
    )
    description = forms.CharField(
        label="Description",
        max_length=300,
        required=False,
        help_text="Required for “other”: how, in a few words. Otherwise optional (the carrier and "
        "tracking number, the upload service).",
    )
    delivered_on = forms.DateField(
        label="Sent or handed over on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The business's local date (YYYY-MM-DD); not in the future, not before the "
        "release.",
    )
    note = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,
        help_text="For the record (staff only).",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("method") == HandDeliveryMethod.OTHER and not data.get("description"):
            self.add_error(
                "description",
                "Say how the data was delivered: required when the method is “other”.",
            )
        return data


def package_url(privacy_request_id: int) -> str:
    return reverse("admin:fulfilment_package", args=[privacy_request_id])


class PackageRecordMixin:
    """A package's records in the admin are read-only (written by the services), each linked to
    its request's package page."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="request", ordering="privacy_request__reference")
    def request_reference(self, obj: PackagePart | ResponsePackage) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            package_url(obj.privacy_request_id),
            obj.privacy_request.reference,
        )


@admin.register(PackagePart)
class PackagePartAdmin(PackageRecordMixin, AuditedReadMixin, TenantScopedModelAdmin):
    """Every part attached to a request to know, read-only; each request's package page lists
    its parts, what would be withheld and why, the consumer's page as a preview, and releases
    it (``response_package_release``)."""

    list_display = ("request_reference", "source", "format", "row_count", "size", "created_at")
    list_select_related = ("privacy_request",)
    search_fields = ("privacy_request__reference", "source")
    ordering = ("-pk",)
    fields = (
        "request_reference",
        "source",
        "format",
        "row_count",
        "columns",
        "size",
        "sha256",
        "idempotency_key",
        "exempt_basis",
        "created_at",
        "created_by_label",
    )
    readonly_fields = fields

    def audit_read(self, obj: PackagePart) -> tuple[str, str]:
        reference = obj.privacy_request.reference
        return f"privacy_request:{reference}", f"Opened package part {obj.pk} of {reference}"

    def get_urls(self) -> list[Any]:
        return [
            path(
                "request/<int:privacy_request_id>/package/",
                self.admin_site.admin_view(self.package_view),
                name="fulfilment_package",
            ),
            path(
                "request/<int:privacy_request_id>/package/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="fulfilment_package_preview",
            ),
            path(
                "request/<int:privacy_request_id>/package/download/",
                self.admin_site.admin_view(self.download_view),
                name="fulfilment_package_download",
            ),
            *super().get_urls(),
        ]

    def _request(self, request: HttpRequest, privacy_request_id: int) -> PrivacyRequest:
        if not self.has_view_permission(request):
            raise PermissionDenied
        tenant = staff_tenant(request)
        found = (
            PrivacyRequest.objects.for_tenant(tenant)
            .select_related("tenant")
            .filter(pk=privacy_request_id)
            .first()
            if tenant is not None
            else None
        )
        if found is None:  # another business's request answers like a missing one
            raise Http404("No such record.")
        return found

    def preview_view(self, request: HttpRequest, privacy_request_id: int) -> HttpResponse:
        # A read (audited as one): only GET, so that posting to it acts on nothing.
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        privacy_request = self._request(request, privacy_request_id)
        try:
            preview = package_preview(privacy_request)
        except Refused as refused:
            return HttpResponse(refused.message, content_type="text/plain", status=409)
        audit_record(
            privacy_request.tenant,
            action=AuditAction.READ,
            target=f"privacy_request:{privacy_request.reference}",
            summary=f"Previewed the response package of {privacy_request.reference}",
            actor=request.user,
            request=request,
        )
        return HttpResponse(preview.page)

    def download_view(self, request: HttpRequest, privacy_request_id: int) -> HttpResponse:
        """The released package's zip for staff to deliver by hand (§7024(f)), decrypted a
        chunk at a time; only staff who may act on the request, and logged on its timeline and
        in the audit trail before a byte leaves."""
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        privacy_request = self._request(request, privacy_request_id)
        require_act(request, privacy_request)
        package = released_package(privacy_request)
        if package is None:
            return HttpResponse(
                f"The package of {privacy_request.reference} is not released: there is nothing "
                "to download yet.",
                content_type="text/plain; charset=utf-8",
                status=409,
            )
        try:
            package_open(package).close()  # a missing file says so before anything is logged
        except (FileNotFoundError, ValueError):
            return HttpResponse(
                f"The file of response package {package.pk} cannot be read from storage.",
                content_type="text/plain; charset=utf-8",
                status=409,
            )
        package_staff_download_log(package=package, actor=request.user)
        return package_zip_response(
            package, f"{privacy_request.reference}-response-package-{package.pk}.zip"
        )

    def package_view(self, request: HttpRequest, privacy_request_id: int) -> HttpResponse:
        privacy_request = self._request(request, privacy_request_id)
        upload = PartUploadForm(prefix="upload")
        delivery_form = HandDeliveryForm(prefix="delivery")
        status = 200
        if request.method == "POST":
            require_act(request, privacy_request)
            done = self._act(request, privacy_request)
            if isinstance(done, HttpResponse):
                return done
            if isinstance(done, HandDeliveryForm):
                delivery_form = done
            else:
                upload = done
            status = 400  # a form came back with its errors
        parts = request_parts(privacy_request)
        summary = None
        problem = ""
        if parts:
            try:
                summary = package_preview(privacy_request).summary
            except Refused as refused:
                problem = refused.message
        withheld = (
            [
                {"label": withholding.kind_text(kind).label, "count": count}
                for kind, count in summary.withheld.items()
            ]
            if summary
            else []
        )
        by_part = {item.part.pk: item for item in summary.parts} if summary else {}
        released = released_package(privacy_request)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Response package: {privacy_request.reference}",
            "opts": self.opts,
            "privacy_request": privacy_request,
            "request_url": reverse(
                "admin:requests_app_privacyrequest_change", args=[privacy_request.pk]
            ),
            "rows": [
                {
                    "part": part,
                    "summary": by_part.get(part.pk),
                    "withheld": [
                        withholding.kind_text(kind).label
                        for kind in withholding.in_order(by_part[part.pk].withheld)
                    ]
                    if part.pk in by_part
                    else [],
                    "form": PartExemptForm(
                        prefix=f"part{part.pk}",
                        initial={"part": part.pk, "basis": part.exempt_basis},
                    ),
                }
                for part in parts
            ],
            "summary": summary,
            "withheld": withheld,
            "problem": problem,
            "released": released,
            "upload": upload,
            "may_act": may(request, "act", privacy_request),
            "preview_url": reverse("admin:fulfilment_package_preview", args=[privacy_request.pk]),
            # Delivery by hand (§7024(f)): when no email told the consumer of the release.
            "awaits_hand_delivery": released is not None and package_awaits_hand_delivery(released),
            "hand_deliveries": package_hand_deliveries(released) if released else [],
            "delivery_form": delivery_form,
            "download_url": reverse("admin:fulfilment_package_download", args=[privacy_request.pk]),
        }
        return TemplateResponse(request, "admin/fulfilment/package.html", context, status=status)

    def _act(self, request: HttpRequest, privacy_request: PrivacyRequest) -> Any:
        """One of the page's forms: upload a part, withhold one as exempt, release, record a
        delivery by hand. A form with errors comes back to be shown again."""
        here = HttpResponseRedirect(package_url(privacy_request.pk))
        action = request.POST.get("action")
        try:
            if action == "upload":
                form = PartUploadForm(request.POST, request.FILES, prefix="upload")
                if not form.is_valid():
                    return form
                uploaded = form.cleaned_data["file"]
                if isinstance(uploaded, OversizeUpload):
                    form.add_error(
                        "file",
                        f"The file is too large ({uploaded.size / 1048576:.1f} MB). In the "
                        f"admin a part may be at most {UPLOAD_MAX_BYTES // 1048576} MB: split "
                        "it, or have the system attach it through the API.",
                    )
                    return form
                try:
                    attached = package_part_attach(
                        privacy_request=privacy_request,
                        content=uploaded.file,
                        part_format=form.cleaned_data["format"],
                        source=form.cleaned_data["source"],
                        actor=request.user,
                    )
                except Refused as refused:
                    form.add_error("file" if refused.field == "file" else None, refused.message)
                    return form
                said = "attached" if attached.created else "was already attached (nothing added)"
                self.message_user(request, f"Part {attached.part.pk} {said}.")
                return here
            if action == "exempt":
                part_id = request.POST.get("part", "")
                form = PartExemptForm(request.POST, prefix=f"part{part_id}")
                part = (
                    PackagePart.objects.for_tenant(privacy_request.tenant)
                    .filter(privacy_request=privacy_request, pk=int(part_id or 0))
                    .first()
                    if part_id.isdigit()
                    else None
                )
                if part is None or not form.is_valid():
                    raise Http404("No such part.")
                package_part_mark_exempt(
                    part=part, basis=form.cleaned_data["basis"], actor=request.user
                )
                self.message_user(request, f"Part {part.pk} updated.")
                return here
            if action == "release":
                self._release(request, privacy_request)
                return here
            if action == "delivered":
                return self._record_delivery(request, privacy_request, here)
        except Refused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return here
        return here

    def _record_delivery(
        self, request: HttpRequest, privacy_request: PrivacyRequest, here: HttpResponse
    ) -> Any:
        form = HandDeliveryForm(request.POST, prefix="delivery")
        valid = form.is_valid()
        package = released_package(privacy_request)
        if package is None:
            form.add_error(
                None,
                f"The package of {privacy_request.reference} is not released: release it before "
                "recording how it was delivered.",
            )
            return form
        if not valid:
            return form
        try:
            delivery = package_hand_delivery_record(
                package=package,
                method=form.cleaned_data["method"],
                description=form.cleaned_data["description"],
                delivered_on=form.cleaned_data["delivered_on"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except Refused as refused:
            form.add_error(refused.field if refused.field in form.fields else None, refused.message)
            return form
        self.message_user(
            request,
            f"Delivery of response package {package.pk} recorded: "
            f"{delivery.get_method_display().lower()}, {delivery.delivered_on:%Y-%m-%d}.",
        )
        return here

    def _release(self, request: HttpRequest, privacy_request: PrivacyRequest) -> None:
        """Small packages are assembled and released now; larger ones by a Celery task
        (``response_package_release_task``), so a staff member's request never waits minutes."""
        parts = request_parts(privacy_request)
        if not parts:
            raise Refused(
                "no_parts",
                "No data is attached to this request yet: a package needs at least one part.",
                conflict=True,
            )
        if sum(part.size for part in parts) <= settings.PACKAGE_SYNC_MAX_BYTES:
            package = response_package_release(privacy_request=privacy_request, actor=request.user)
            self.message_user(request, f"Response package {package.pk} released.")
            return
        from .tasks import response_package_release_task

        tenant_id, part_id, user_id = privacy_request.tenant_id, parts[0].pk, request.user.pk
        attempt = uuid.uuid4().hex  # this click: a redelivered task notes a refusal once
        transaction.on_commit(
            lambda: response_package_release_task.delay(tenant_id, part_id, user_id, attempt)
        )
        self.message_user(
            request,
            "The package is large: it is being assembled and will show as released here in a "
            "few minutes.",
        )


@admin.register(ResponsePackage)
class ResponsePackageAdmin(PackageRecordMixin, AuditedReadMixin, TenantScopedModelAdmin):
    """The assembled and released packages, read-only."""

    list_display = ("request_reference", "state", "row_count", "size", "assembled_at")
    list_select_related = ("privacy_request",)
    list_filter = ("state",)
    search_fields = ("privacy_request__reference",)
    ordering = ("-pk",)
    fields = (
        "request_reference",
        "state",
        "period_start",
        "period_end",
        "language",
        "row_count",
        "left_out",
        "withheld",
        "size",
        "sha256",
        "assembled_at",
        "released_at",
        "download_until",
        "download_count",
        "download_limit",
    )
    readonly_fields = fields

    def audit_read(self, obj: ResponsePackage) -> tuple[str, str]:
        reference = obj.privacy_request.reference
        return f"privacy_request:{reference}", f"Opened response package {obj.pk} of {reference}"


class PackagePartInline(TenantScopedInlineMixin, admin.TabularInline):
    """A request to know's parts on its page, with the link to its package page."""

    model = PackagePart
    fk_name = "privacy_request"
    read_only = True
    template = "admin/fulfilment/package_inline.html"
    verbose_name = "part of the response package"
    verbose_name_plural = "response package (§7024): the data attached"
    fields = ("source", "format", "row_count", "exempt_basis", "created_at")
    readonly_fields = fields
    ordering = ("created_at", "id")
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and getattr(obj, "request_type", "") != words.KNOW:
            return False
        return super().has_view_permission(request, obj)


# The answer to a request to know categories (§7024(j)-(l)): its own page and module.
from . import categories_admin  # noqa: E402, F401
