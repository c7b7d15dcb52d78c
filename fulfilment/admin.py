"""The data systems and their tasks in the admin.

* ``DataSystemAdmin``: the business's admins register their systems; a webhook system's signing
  secret is shown once, when it is made, and only its first characters afterwards;
* ``SystemTaskAdmin``: every task, read-only, with a page where staff answer one (a person's
  task, or a system's that cannot call the API) through ``system_task_answer``;
* ``SystemTaskInline`` (``settings.PRIVACY_REQUEST_ADMIN_INLINES``: requests_app never imports
  fulfilment): each system's progress on a request's page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from audit.reads import AuditedReadMixin
from core.refusals import Refused
from requests_app.admin.inlines import READ_ONLY_INLINE
from tenants.admin_base import TenantScopedInlineMixin, TenantScopedModelAdmin, require_act
from tenants.context import staff_tenant

from . import task_rules as rules
from .models import DataSystem, SystemTask, TaskOutcome, TaskState
from .services import (
    data_system_check,
    data_system_deactivate,
    data_system_save,
    subject_identifiers,
    system_task_answer,
)


def _local(moment: Any) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}" if moment else "—"


# --- Data systems --------------------------------------------------------------------------------


class DataSystemForm(forms.ModelForm):
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
    list_display = ("name", "kind", "method", "handled_types", "owner", "active")
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
        form = SystemTaskAnswerForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                system_task_answer(
                    task=task,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                    basis=form.cleaned_data["basis"],
                    explanation=form.cleaned_data["explanation"],
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


# The answer to a request to know categories (§7024(j)-(l)): its own page and module.
from . import categories_admin  # noqa: E402, F401
