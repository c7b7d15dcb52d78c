"""The staff review queue: privacy requests, their timeline, communications and the outbox.

Everything here reads through ``TenantScopedModelAdmin`` (one business at a time) and every
change goes through ``requests_app.services``; a refusal (``RequestRefused``) is reported to the
staff member with the service's own words, per request, at level ERROR.

Staff act on requests in two ways, both calling the same services:

* buttons on a request's page, each opening a small form (``<id>/extend/`` and so on);
* the same actions on the queue for several selected requests (an intermediate form page).

The statutory fields are read-only: they change only through those actions. The documents a
consumer sent with a request to correct are listed on its page and open through a staff-only
download (``<id>/documents/<document id>/``) that records who viewed them (§7023(d)(1)).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminDateWidget, AdminSplitDateTime
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET
from phonenumber_field.formfields import PhoneNumberField

from privacyportal import clock
from tenants.admin_base import (
    TenantScopedInlineMixin,
    TenantScopedModelAdmin,
    local_today,
    may,
    tenant_members,
)
from tenants.context import staff_tenant
from tenants.models import Tenant

from . import deadlines
from .models import (
    DOCUMENT_EXTENSIONS,
    Channel,
    Communication,
    ConfirmationMethod,
    DeleteCategory,
    DeleteScope,
    DenialReason,
    Flag,
    KnowScope,
    OutboxMessage,
    Outcome,
    PrivacyRequest,
    RequestDocument,
    RequestEvent,
    RequestType,
    Status,
)
from .selectors import flagged_with, request_document_openings, request_documents
from .services import (
    Agent,
    Requester,
    RequestRefused,
    privacy_request_assign,
    privacy_request_close,
    privacy_request_create,
    privacy_request_extend,
    privacy_request_mark_verified,
    privacy_request_record_confirmation,
    privacy_request_start,
)
from .services.documents import request_document_open

# The deadline the queue tracks: respond-by (know/delete/correct) or comply-by (opt-out/limit).
DUE_DATE = Coalesce("respond_by", "comply_by")
OPEN = ~Q(status=Status.CLOSED)
MAX_BULK = 200  # one service call (one transaction) per request; keep a click bounded

CALENDAR_NAMES = {
    deadlines.CA_STATE: "CA state calendar",
    deadlines.WEEKENDS_ONLY: "weekends-only calendar",
}
TYPE_SHORT = {
    RequestType.KNOW: "Know",
    RequestType.DELETE: "Delete",
    RequestType.CORRECT: "Correct",
    RequestType.OPT_OUT: "Opt out",
    RequestType.LIMIT: "Limit",
    RequestType.OPT_IN: "Opt in",
}
STAFF_CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.MAIL, Channel.IN_PERSON)
# The intake flags (requests_app.services.portal) in the queue's few words; the model's labels
# are the long form, shown on the request's page.
FLAG_SHORT = {
    Flag.KNOW_LIMIT_EXCEEDED: "3rd request to know in 12 months",
    Flag.REPEAT_CORRECTION: "Repeat correction within 6 months of a denial (§7023(g))",
}
AWAITING_CONFIRMATION = "Awaiting the consumer's confirmation (two-step delete, §7020(d))"
NEVER_CONFIRMED = "Never confirmed by the consumer (two-step delete, §7020(d))"
LANGUAGE_NAMES = dict(settings.LANGUAGES)
ALERT = "color:#ba2121;font-weight:bold"  # the words say it too: never colour alone
BR = mark_safe("<br>")  # a separator between escaped items


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _local(instant: datetime | None, tenant: Tenant) -> str:
    if instant is None:
        return "—"
    return f"{instant.astimezone(tenant.zone):%Y-%m-%d %H:%M %Z}"


def _due_q(lookup: str, value: date) -> Q:
    """``DUE_DATE <lookup> value`` written so the (tenant, respond_by) index can serve it."""
    return Q(**{f"respond_by__{lookup}": value}) | Q(
        respond_by__isnull=True, **{f"comply_by__{lookup}": value}
    )


# --- List filters --------------------------------------------------------------------------


class DeadlineFilter(admin.SimpleListFilter):
    """Open requests by how close their deadline is, in the business's own "today"."""

    title = "deadline"
    parameter_name = "deadline"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("overdue", "Overdue"),
            ("due_today", "Due today"),
            ("due_soon", f"Due in the next {deadlines.DUE_SOON_DAYS} days"),
            ("this_week", "Due within 7 days"),
            ("confirmation_due", "Receipt confirmation due"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        today = local_today(staff_tenant(request))
        soon = today + timedelta(days=deadlines.DUE_SOON_DAYS)
        filters = {
            "overdue": _due_q("lt", today),
            "due_today": _due_q("exact", today),
            "due_soon": _due_q("gt", today) & _due_q("lte", soon),
            "this_week": _due_q("gte", today) & _due_q("lte", today + timedelta(days=6)),
            "confirmation_due": Q(confirm_by__isnull=False, confirmed_at__isnull=True),
        }
        if value not in filters:
            return queryset.none()
        return queryset.filter(OPEN & filters[value])


class AssigneeFilter(admin.SimpleListFilter):
    """Assignee, offered from this business's members only (never RelatedFieldListFilter,
    which would list every user of every business)."""

    title = "assignee"
    parameter_name = "assignee"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        members = tenant_members(staff_tenant(request)).only("pk", "username")
        return [("none", "Unassigned")] + [(str(u.pk), u.get_username()) for u in members]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value in {key for key, _ in self.lookup_choices}:
            return queryset.filter(assignee_id=int(value))
        return queryset.none()


class FlaggedFilter(admin.SimpleListFilter):
    """Requests carrying one intake flag (a database filter, the same on SQLite and PostgreSQL)."""

    title = "flagged"
    parameter_name = "flagged"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(flag.value, FLAG_SHORT.get(flag, flag.label)) for flag in Flag]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if value not in Flag.values:
            return queryset.none()
        return queryset.filter(flagged_with(value))


class ConsumerConfirmationFilter(admin.SimpleListFilter):
    """The second step of a two-step request to delete (§7020(d)); the deadline runs regardless (A-18)."""

    title = "consumer's confirmation"
    parameter_name = "consumer_confirmation"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("awaiting", "Awaiting the consumer's confirmation"),
            ("confirmed", "Confirmed by the consumer"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if value == "awaiting":
            return queryset.filter(OPEN, awaiting_consumer_confirmation=True)
        if value == "confirmed":
            return queryset.filter(consumer_confirmed_at__isnull=False)
        return queryset.none()


# --- Action forms and the actions themselves -------------------------------------------------


class QueueActionForm(forms.Form):
    def __init__(self, *args: Any, tenant: Tenant | None = None, **kwargs: Any) -> None:
        self.tenant = tenant
        super().__init__(*args, **kwargs)


class AssignForm(QueueActionForm):
    assignee = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Nobody (unassign)"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = tenant_members(self.tenant)


class MarkVerifiedForm(QueueActionForm):
    method = forms.CharField(
        label="How the identity was verified",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="E.g. “matched name, email and phone with our customer records” (§7060–§7062).",
    )


class StartWorkForm(QueueActionForm):
    pass


class ExtendForm(QueueActionForm):
    reason = forms.CharField(
        label="Reason for the extension",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The consumer is told this reason (§7021(b)).",
    )
    new_respond_by = forms.DateField(
        label="New respond-by date",
        required=False,
        widget=AdminDateWidget,
        help_text="Leave empty for the latest allowed: 90 days after the request was received.",
    )


class CloseForm(QueueActionForm):
    outcome = forms.ChoiceField(choices=Outcome.choices)
    denial_reason = forms.ChoiceField(
        label="Reason for denial",
        choices=[("", "—"), *DenialReason.choices],
        required=False,
        help_text="Needed when denying in whole or in part (§7101(b), §7102).",
    )
    explanation = forms.CharField(
        label="Explanation to the consumer",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Needed when denying: plain words (§7022(f), §7023(f), §7024(e)).",
    )
    legal_basis = forms.CharField(
        label="Legal basis of the exemption",
        max_length=300,
        required=False,
        help_text="Needed when the reason is “exempt”.",
    )


class ConfirmationForm(QueueActionForm):
    method = forms.ChoiceField(
        label="How receipt was confirmed",
        choices=[
            (ConfirmationMethod.ORAL, "Orally (e.g. on the call)"),
            (ConfirmationMethod.MAIL, "Letter"),
            (ConfirmationMethod.IN_PERSON, "In person"),
            (ConfirmationMethod.EMAIL, "Email"),
        ],
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


def _run_assign(privacy_request: PrivacyRequest, actor: Any, data: dict[str, Any]) -> str:
    assignee = data["assignee"]
    privacy_request_assign(privacy_request=privacy_request, actor=actor, assignee=assignee)
    return f"assigned to {assignee.get_username()}." if assignee else "unassigned."


def _run_verify(privacy_request: PrivacyRequest, actor: Any, data: dict[str, Any]) -> str:
    privacy_request_mark_verified(
        privacy_request=privacy_request, actor=actor, method=data["method"]
    )
    return "identity marked verified."


def _run_start(privacy_request: PrivacyRequest, actor: Any, data: dict[str, Any]) -> str:
    privacy_request_start(privacy_request=privacy_request, actor=actor)
    return "work started."


def _run_extend(privacy_request: PrivacyRequest, actor: Any, data: dict[str, Any]) -> str:
    extended = privacy_request_extend(
        privacy_request=privacy_request,
        actor=actor,
        reason=data["reason"],
        new_respond_by=data.get("new_respond_by"),
    )
    told = (
        "the consumer was emailed the reason"
        if extended.agent_email or extended.requester_email
        else "no email address on file: tell the consumer the reason another way (§7021(b))"
    )
    return f"extended to {extended.respond_by:%Y-%m-%d}; {told}."


def _run_close(privacy_request: PrivacyRequest, actor: Any, data: dict[str, Any]) -> str:
    closed = privacy_request_close(
        privacy_request=privacy_request,
        actor=actor,
        outcome=data["outcome"],
        denial_reason=data.get("denial_reason", ""),
        explanation=data.get("explanation", ""),
        legal_basis=data.get("legal_basis", ""),
    )
    return f"closed: {closed.get_outcome_display().lower()}."


def _run_confirm(privacy_request: PrivacyRequest, actor: Any, data: dict[str, Any]) -> str:
    confirmed = privacy_request_record_confirmation(
        privacy_request=privacy_request, actor=actor, method=data["method"], note=data["note"]
    )
    return f"receipt confirmation recorded ({confirmed.get_confirmation_method_display().lower()})."


def _open(pr: PrivacyRequest) -> bool:
    return pr.status != Status.CLOSED


@dataclass(frozen=True)
class QueueAction:
    slug: str
    label: str
    form_class: type[QueueActionForm]
    run: Callable[[PrivacyRequest, Any, dict[str, Any]], str]
    offered: Callable[[PrivacyRequest], bool]  # whether the request page shows the button


QUEUE_ACTIONS: dict[str, QueueAction] = {
    action.slug: action
    for action in (
        QueueAction("assign", "Assign", AssignForm, _run_assign, _open),
        QueueAction(
            "mark_verified",
            "Mark verified",
            MarkVerifiedForm,
            _run_verify,
            lambda pr: (
                pr.needs_verification
                and pr.status in {Status.RECEIVED, Status.AWAITING_VERIFICATION}
            ),
        ),
        QueueAction(
            "start_work",
            "Start work",
            StartWorkForm,
            _run_start,
            lambda pr: (
                pr.status == Status.VERIFIED
                or (pr.status == Status.RECEIVED and not pr.needs_verification)
            ),
        ),
        QueueAction(
            "extend",
            "Extend deadline",
            ExtendForm,
            _run_extend,
            lambda pr: _open(pr) and pr.respond_by is not None and pr.extended_at is None,
        ),
        QueueAction("close", "Close with outcome", CloseForm, _run_close, _open),
        QueueAction(
            "record_confirmation",
            "Record receipt confirmation",
            ConfirmationForm,
            _run_confirm,
            lambda pr: pr.confirm_by is not None and pr.confirmed_at is None,
        ),
    )
}


def _changelist_action(queue_action: QueueAction) -> Callable[..., Any]:
    def action(model_admin: PrivacyRequestAdmin, request: HttpRequest, queryset: QuerySet):
        return model_admin.run_bulk_action(request, queryset, queue_action)

    action.__name__ = queue_action.slug
    return admin.action(description=f"{queue_action.label}…", permissions=["act"])(action)


# --- Logging a request received by phone, email, mail or in person -----------------------------


class LogRequestForm(forms.Form):
    """A request staff received outside the portal (§7020(c)); deadlines run from when it
    actually arrived (R-TL-2), entered in the business's local time."""

    request_type = forms.ChoiceField(label="Type", choices=RequestType.choices)
    know_scope = forms.ChoiceField(
        label="What the request to know asks for",
        choices=[("", "—"), *KnowScope.choices],
        required=False,
        help_text="Requests to know only.",
    )
    channel = forms.ChoiceField(
        label="Received by", choices=[(c.value, c.label) for c in STAFF_CHANNELS]
    )
    received_at = forms.SplitDateTimeField(label="Received at", widget=AdminSplitDateTime)
    language = forms.ChoiceField(
        label="Language for messages to the consumer", choices=settings.LANGUAGES
    )
    requester_name = forms.CharField(label="Name", max_length=200, required=False)
    requester_email = forms.EmailField(label="Email", required=False)
    requester_phone = PhoneNumberField(label="Phone", required=False)
    requester_state = forms.CharField(
        label="State of residence",
        max_length=2,
        min_length=2,
        required=False,
        help_text="Two-letter US state code, e.g. CA.",
    )
    agent_name = forms.CharField(label="Agent's name", max_length=200, required=False)
    agent_organization = forms.CharField(
        label="Agent's organization", max_length=200, required=False
    )
    agent_email = forms.EmailField(label="Agent's email", required=False)
    agent_phone = PhoneNumberField(label="Agent's phone", required=False)

    fieldsets = (
        ("Request", ("request_type", "know_scope", "channel", "received_at", "language")),
        ("Requester", ("requester_name", "requester_email", "requester_phone", "requester_state")),
        (
            "Authorized agent (if an agent made the request)",
            ("agent_name", "agent_organization", "agent_email", "agent_phone"),
        ),
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields[
            "received_at"
        ].help_text = f"When it actually reached the business, local time in {tenant.time_zone}."
        self.fields["language"].initial = (tenant.languages or ["en"])[0]

    def clean_received_at(self) -> datetime:
        received_at = self.cleaned_data["received_at"]
        if received_at > clock.now():
            raise forms.ValidationError("The received time cannot be in the future.")
        return received_at

    def clean_requester_state(self) -> str:
        return self.cleaned_data["requester_state"].strip().upper()

    def grouped(self) -> list[tuple[str, list[Any]]]:
        return [(title, [self[name] for name in names]) for title, names in self.fieldsets]


# Service refusal fields → form fields (the rest are shown above the form).
_REFUSAL_FIELDS = {"received_at": "received_at", "know_scope": "know_scope"}


# --- Inlines ---------------------------------------------------------------------------------


READ_ONLY_INLINE = "admin/requests_app/privacyrequest/readonly_tabular.html"


class RequestEventInline(TenantScopedInlineMixin, admin.TabularInline):
    model = RequestEvent
    read_only = True
    template = READ_ONLY_INLINE
    verbose_name = "timeline entry"
    verbose_name_plural = "timeline"
    fields = ("when", "kind", "actor_label", "message", "reason")
    readonly_fields = fields
    ordering = ("at", "id")
    extra = 0
    can_delete = False

    @admin.display(description="when")
    def when(self, obj: RequestEvent) -> str:
        return f"{timezone.localtime(obj.at):%Y-%m-%d %H:%M %Z}"


class CommunicationInline(TenantScopedInlineMixin, admin.TabularInline):
    model = Communication
    read_only = True
    template = READ_ONLY_INLINE
    fields = ("sent", "template", "channel", "recipient", "subject")
    readonly_fields = fields
    ordering = ("created_at", "id")
    extra = 0
    can_delete = False
    show_change_link = True

    @admin.display(description="sent")
    def sent(self, obj: Communication) -> str:
        return f"{timezone.localtime(obj.created_at):%Y-%m-%d %H:%M %Z}"


class RequestDocumentInline(TenantScopedInlineMixin, admin.TabularInline):
    """The documentation the consumer sent (§7023(d)(1)): listed here, opened through the
    staff-only download, which records the viewing on the timeline."""

    model = RequestDocument
    read_only = True
    template = READ_ONLY_INLINE
    verbose_name = "document from the consumer"
    verbose_name_plural = "documents from the consumer (§7023(d)(1): open them before deciding)"
    fields = ("document_name", "content_type", "size_label", "uploaded", "opened", "view_link")
    readonly_fields = fields
    ordering = ("uploaded_at", "id")
    extra = 0
    can_delete = False

    def _opening(self, obj: RequestDocument) -> RequestEvent | None:
        # One query for all of the request's documents, not one per row (Django makes a new
        # inline instance for every page, so this cache lives as long as the page).
        openings: dict[int, dict[int, RequestEvent]] = self.__dict__.setdefault("_openings", {})
        if obj.privacy_request_id not in openings:
            openings[obj.privacy_request_id] = request_document_openings(
                obj.tenant, obj.privacy_request_id
            )
        return openings[obj.privacy_request_id].get(obj.pk)

    @admin.display(description="name")
    def document_name(self, obj: RequestDocument) -> str:
        return obj.original_name

    @admin.display(description="size")
    def size_label(self, obj: RequestDocument) -> str:
        return filesizeformat(obj.size)

    @admin.display(description="uploaded")
    def uploaded(self, obj: RequestDocument) -> str:
        return f"{timezone.localtime(obj.uploaded_at):%Y-%m-%d %H:%M %Z}"

    @admin.display(description="opened")
    def opened(self, obj: RequestDocument) -> str:
        event = self._opening(obj)
        if event is None:
            return format_html('<span style="{}">⚠ Not opened yet</span>', ALERT)
        return f"Opened by {event.actor_label}, {timezone.localtime(event.at):%Y-%m-%d %H:%M %Z}"

    @admin.display(description="")
    def view_link(self, obj: RequestDocument) -> str:
        url = reverse(
            "admin:requests_app_privacyrequest_document", args=[obj.privacy_request_id, obj.pk]
        )
        return format_html('<a href="{}">View</a>', url)


def _download_name(document: RequestDocument) -> str:
    """The consumer's file name, without control characters, ending in its real type's extension
    (the type was read from the content at upload: a "scan" that is a PDF downloads as .pdf)."""
    name = "".join(ch for ch in document.original_name if ch.isprintable()).strip() or "document"
    extension = DOCUMENT_EXTENSIONS.get(document.content_type, "")
    known = {extension, ".jpeg"} if extension == ".jpg" else {extension}
    if extension and not name.lower().endswith(tuple(known)):
        name += extension
    return name


# --- The queue -------------------------------------------------------------------------------


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(TenantScopedModelAdmin):
    """The review queue. Open requests first, soonest deadline first."""

    list_display = (
        "reference",
        "type_label",
        "status",
        "received",
        "deadline",
        "days_left",
        "assignee_name",
        "confirmation",
        "language_name",
        "flags_column",
    )
    list_display_links = ("reference",)
    list_filter = (
        "request_type",
        "status",
        "channel",
        DeadlineFilter,
        AssigneeFilter,
        FlaggedFilter,
        ConsumerConfirmationFilter,
    )
    search_fields = ("reference", "requester_email", "requester_name")
    # One join, no per-row queries: the tenant gives the time zone, the assignee the name.
    list_select_related = ("tenant", "assignee")
    # No COUNT(*) over the whole queue next to the filtered count (100,000 rows per tenant).
    show_full_result_count = False
    list_per_page = 50
    ordering = (
        Case(When(status=Status.CLOSED, then=Value(1)), default=Value(0)).asc(),
        DUE_DATE.asc(nulls_last=True),
        "pk",
    )
    actions = [_changelist_action(action) for action in QUEUE_ACTIONS.values()]
    # The documents first: staff must open them before deciding (§7023(d)(1)).
    inlines = (RequestDocumentInline, RequestEventInline, CommunicationInline)
    change_form_template = "admin/requests_app/privacyrequest/change_form.html"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "request_type",
                    "know_scope",
                    "channel",
                    "received",
                    "status",
                    "assignee_name",
                )
            },
        ),
        (
            "Deadlines",
            {
                "fields": (
                    "deadline",
                    "days_left",
                    "confirmation",
                    "extended",
                    "extension_reason",
                )
            },
        ),
        (
            "Requester",
            {
                "fields": (
                    "requester_name",
                    "requester_email",
                    "requester_phone",
                    "requester_state",
                    "is_california_consumer",
                )
            },
        ),
        (
            "Authorized agent",
            {
                "fields": (
                    "submitted_by_agent",
                    "agent_name",
                    "agent_organization",
                    "agent_email",
                    "agent_phone",
                )
            },
        ),
        (
            "Response",
            {
                "fields": (
                    "verified",
                    "outcome",
                    "denial_reason",
                    "denial_legal_basis",
                    "denial_explanation",
                    "responded",
                )
            },
        ),
    )
    readonly_fields = (
        "received",
        "assignee_name",
        "deadline",
        "days_left",
        "confirmation",
        "extended",
        "verified",
        "responded",
        "language_name",
        "flags_detail",
        "delete_scope_label",
        "delete_categories_label",
        "consumer_confirmation",
    )
    # "Request details", shown after the first fieldset; the type-specific ones only for their
    # type. Model fields shown by these (in words) are kept out of "Other details".
    detail_fields = ("language_name", "flags_detail")
    type_detail_fields = {
        RequestType.DELETE: (
            "delete_scope_label",
            "delete_categories_label",
            "consumer_confirmation",
        ),
        RequestType.CORRECT: (
            "correction_field",
            "correction_information",
            "correction_requested",
        ),
    }
    shown_as_details = frozenset(
        {
            "language",
            "flags",
            "delete_scope",
            "delete_categories",
            "awaiting_consumer_confirmation",
            "consumer_confirmed_at",
            "correction_field",
            "correction_information",
            "correction_requested",
        }
    )

    # Bookkeeping shown elsewhere (as "received", "deadline", …) or not at all.
    internal_fields = frozenset(
        {
            "id",
            "tenant",
            "received_at",
            "received_date",
            "calendar",
            "confirm_by",
            "respond_by",
            "comply_by",
            "extended_at",
            "confirmed_at",
            "confirmation_method",
            "verified_at",
            "responded_at",
            "assignee",
            "next_due_at",
            "due_state",
            "created_at",
            "updated_at",
        }
    )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None):
        details = self.detail_fields
        if obj is not None:
            details += self.type_detail_fields.get(obj.request_type, ())
        first, *others = self.fieldsets
        fieldsets = [first, ("Request details", {"fields": details}), *others]
        # Request details added to the model later still show, under "Other details".
        listed = {name for _, options in self.fieldsets for name in options["fields"]}
        rest = [
            field.name
            for field in PrivacyRequest._meta.concrete_fields
            if field.name not in listed
            and field.name not in self.internal_fields
            and field.name not in self.shown_as_details
        ]
        return [*fieldsets, ("Other details", {"fields": rest})] if rest else fieldsets

    def get_inlines(self, request: HttpRequest, obj: Any = None):
        # Only requests to correct take documents (services.portal); other pages skip the list.
        if obj is None or obj.request_type != RequestType.CORRECT:
            return [inline for inline in self.inlines if inline is not RequestDocumentInline]
        return self.inlines

    # --- columns ---

    @admin.display(description="type", ordering="request_type")
    def type_label(self, obj: PrivacyRequest) -> str:
        return TYPE_SHORT.get(obj.request_type, obj.request_type)

    @admin.display(description="received", ordering="received_at")
    def received(self, obj: PrivacyRequest) -> str:
        return _local(obj.received_at, obj.tenant)

    @admin.display(description="deadline", ordering=DUE_DATE)
    def deadline(self, obj: PrivacyRequest) -> str:
        due = obj.active_due_date
        if due is None:
            return "—"
        what = "respond by" if obj.respond_by else "comply by"
        calendar = CALENDAR_NAMES.get(obj.calendar, obj.calendar)
        extended = ", extended" if obj.extended_at else ""
        return f"{due:%Y-%m-%d} ({calendar}; {what}{extended})"

    @admin.display(description="days left", ordering=DUE_DATE)
    def days_left(self, obj: PrivacyRequest) -> str:
        if obj.status == Status.CLOSED:
            return f"Closed ({obj.get_outcome_display().lower()})"
        due = obj.active_due_date
        if due is None:
            return "—"
        left = deadlines.days_left(due, local_today(obj.tenant))
        if left < 0:
            return format_html('<span style="{}">⚠ {} overdue</span>', ALERT, _days(-left))
        if left == 0:
            return format_html('<span style="{}">⚠ Due today</span>', ALERT)
        if left <= deadlines.DUE_SOON_DAYS:
            return format_html("<strong>{} left</strong>", _days(left))
        return f"{_days(left)} left"

    @admin.display(description="assignee", ordering="assignee__username")
    def assignee_name(self, obj: PrivacyRequest) -> str:
        return obj.assignee.get_username() if obj.assignee_id else "—"

    @admin.display(description="receipt confirmation")
    def confirmation(self, obj: PrivacyRequest) -> str:
        if obj.confirm_by is None:
            return "—"
        if obj.confirmed_at is not None:
            return f"Confirmed ({obj.get_confirmation_method_display().lower()})"
        if obj.status == Status.CLOSED:
            return "Not confirmed"
        left = deadlines.days_left(obj.confirm_by, local_today(obj.tenant))
        if left < 0:
            return format_html(
                '<span style="{}">⚠ Confirmation overdue (was due {})</span>',
                ALERT,
                f"{obj.confirm_by:%Y-%m-%d}",
            )
        return format_html("<strong>Confirmation due by {}</strong>", f"{obj.confirm_by:%Y-%m-%d}")

    @admin.display(description="language", ordering="language")
    def language_name(self, obj: PrivacyRequest) -> str:
        return LANGUAGE_NAMES.get(obj.language, obj.language)

    @admin.display(description="flags")
    def flags_column(self, obj: PrivacyRequest) -> str:
        notes = [FLAG_SHORT.get(flag, flag) for flag in obj.flags or []]
        if obj.awaiting_consumer_confirmation:
            notes.append(AWAITING_CONFIRMATION if obj.is_open else NEVER_CONFIRMED)
        if not notes:
            return "—"
        return format_html_join(BR, "⚑ {}", ((note,) for note in notes))

    @admin.display(description="flags")
    def flags_detail(self, obj: PrivacyRequest) -> str:
        if not obj.flags:
            return "None"
        labels = {flag.value: flag.label for flag in Flag}
        return format_html_join(BR, "⚑ {}", ((labels.get(flag, flag),) for flag in obj.flags))

    @admin.display(description="what to delete")
    def delete_scope_label(self, obj: PrivacyRequest) -> str:
        # Blank means everything (the model's default for requests logged by staff or the API).
        return DeleteScope(obj.delete_scope or DeleteScope.ALL).label

    @admin.display(description="categories to delete")
    def delete_categories_label(self, obj: PrivacyRequest) -> str:
        if not obj.delete_categories:
            return "—" if obj.delete_scope == DeleteScope.SELECTED else "All (no selection)"
        labels = {category.value: str(category.label) for category in DeleteCategory}
        return format_html_join(
            BR,
            "{}",
            ((labels.get(category, category),) for category in obj.delete_categories),
        )

    @admin.display(description="consumer's confirmation (§7020(d))")
    def consumer_confirmation(self, obj: PrivacyRequest) -> str:
        if obj.consumer_confirmed_at is not None:
            return f"Confirmed {_local(obj.consumer_confirmed_at, obj.tenant)}"
        if obj.awaiting_consumer_confirmation:
            return AWAITING_CONFIRMATION if obj.is_open else NEVER_CONFIRMED
        return "Not needed"

    @admin.display(description="extended")
    def extended(self, obj: PrivacyRequest) -> str:
        return _local(obj.extended_at, obj.tenant) if obj.extended_at else "No"

    @admin.display(description="verified")
    def verified(self, obj: PrivacyRequest) -> str:
        if not obj.needs_verification:
            return "Not verified (§7060(b): not required)"
        return _local(obj.verified_at, obj.tenant) if obj.verified_at else "Not yet"

    @admin.display(description="responded")
    def responded(self, obj: PrivacyRequest) -> str:
        return _local(obj.responded_at, obj.tenant)

    # --- permissions: the detail page is read-only; actions call services ---

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_act_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may(request, self.ability, obj)

    # --- URLs: one small form per action on a request ---

    def get_urls(self) -> list[Any]:
        # One route per action (…/<id>/extend/): the object id is the only URL argument, so the
        # cross-tenant walk fills these in like the change and history pages.
        def view_for(slug: str) -> Callable[..., HttpResponse]:
            def view(request: HttpRequest, object_id: str) -> HttpResponse:
                return self.action_view(request, object_id, slug)

            view.__name__ = f"{slug}_view"
            return view

        return [
            *(
                path(
                    f"<path:object_id>/{slug.replace('_', '-')}/",
                    self.admin_site.admin_view(view_for(slug)),
                    name=self._url_name(slug),
                )
                for slug in QUEUE_ACTIONS
            ),
            path(
                "<path:object_id>/documents/<int:document_id>/",
                self.admin_site.admin_view(require_GET(self.document_view)),
                name=self._url_name("document"),
            ),
            *super().get_urls(),
        ]

    def document_view(self, request: HttpRequest, object_id: str, document_id: int) -> FileResponse:
        """Stream one of the consumer's documents to staff, and record who viewed it.

        Only staff whose role at the chosen business has the queue ability; anything else (another
        business's request or document, no business chosen, the platform view) answers 404 like a
        missing document. Always a download, never shown inline: the bytes are the consumer's.
        """
        tenant = staff_tenant(request)
        privacy_request = self.get_object(request, unquote(object_id))
        if tenant is None or privacy_request is None or not self.has_act_permission(request):
            raise Http404("No such document.")
        document = request_documents(tenant, privacy_request.pk).filter(pk=document_id).first()
        if document is None:
            raise Http404("No such document.")
        try:
            handle = request_document_open(document=document, actor=request.user)
        except RequestRefused as refusal:
            raise Http404(refusal.message) from refusal
        content_type = (
            document.content_type
            if document.content_type in DOCUMENT_EXTENSIONS
            else "application/octet-stream"
        )
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=_download_name(document),
            content_type=content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def _url_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def _change_url(self, privacy_request: PrivacyRequest) -> str:
        return reverse(f"admin:{self._url_name('change')}", args=[privacy_request.pk])

    def _act_url(self, privacy_request: PrivacyRequest, slug: str) -> str:
        return reverse(f"admin:{self._url_name(slug)}", args=[privacy_request.pk])

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None and self.has_act_permission(request, obj):
            context["queue_actions"] = [
                (action.label, self._act_url(obj, action.slug))
                for action in QUEUE_ACTIONS.values()
                if action.offered(obj)
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _apply(
        self,
        request: HttpRequest,
        queue_action: QueueAction,
        privacy_request: PrivacyRequest,
        data: dict[str, Any],
    ) -> RequestRefused | None:
        """Run one action on one request and report it; a refusal is returned, never raised."""
        try:
            done = queue_action.run(privacy_request, request.user, data)
        except RequestRefused as refusal:
            self.message_user(
                request, f"{privacy_request.reference}: {refusal.message}", messages.ERROR
            )
            return refusal
        self.message_user(request, f"{privacy_request.reference}: {done}", messages.SUCCESS)
        return None

    def _action_page(
        self,
        request: HttpRequest,
        queue_action: QueueAction,
        form: QueueActionForm,
        objects: list[PrivacyRequest],
        *,
        bulk: bool,
    ) -> TemplateResponse:
        single = objects[0] if not bulk else None
        context = {
            **self.admin_site.each_context(request),
            "title": f"{queue_action.label}: {single.reference}"
            if single
            else f"{queue_action.label}: {len(objects)} requests",
            "opts": self.opts,
            "original": single,
            "objects": objects,
            "form": form,
            "media": self.media + form.media,
            "queue_action": queue_action,
            "bulk": bulk,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "selected": [str(obj.pk) for obj in objects],
            "cancel_url": self._change_url(single)
            if single
            else reverse(f"admin:{self._url_name('changelist')}"),
        }
        return TemplateResponse(request, "admin/requests_app/privacyrequest/action.html", context)

    def action_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        queue_action = QUEUE_ACTIONS.get(action)
        if queue_action is None:
            raise Http404("No such action.")
        if not self.has_act_permission(request):
            raise PermissionDenied
        privacy_request = self.get_object(request, unquote(object_id))
        if privacy_request is None:  # another business's request answers like a missing one
            raise Http404("No such record.")
        tenant = staff_tenant(request)
        if request.method == "POST":
            form = queue_action.form_class(request.POST, tenant=tenant)
            if form.is_valid():
                refusal = self._apply(request, queue_action, privacy_request, form.cleaned_data)
                if refusal is None:
                    return HttpResponseRedirect(self._change_url(privacy_request))
                if refusal.field in form.fields:
                    form.add_error(refusal.field, refusal.message)
        else:
            form = queue_action.form_class(tenant=tenant)
        return self._action_page(request, queue_action, form, [privacy_request], bulk=False)

    def run_bulk_action(
        self, request: HttpRequest, queryset: QuerySet, queue_action: QueueAction
    ) -> HttpResponse | None:
        """A changelist action: ask for the action's form, then run it per selected request."""
        selected = list(queryset.select_related("tenant")[: MAX_BULK + 1])
        if len(selected) > MAX_BULK:
            self.message_user(
                request,
                f"Select at most {MAX_BULK} requests at a time; nothing was changed.",
                messages.ERROR,
            )
            return None
        tenant = staff_tenant(request)
        needs_input = bool(queue_action.form_class.base_fields)
        if needs_input and "apply" not in request.POST:
            form = queue_action.form_class(tenant=tenant)
            return self._action_page(request, queue_action, form, selected, bulk=True)
        form = queue_action.form_class(request.POST if needs_input else {}, tenant=tenant)
        if not form.is_valid():
            return self._action_page(request, queue_action, form, selected, bulk=True)
        for privacy_request in selected:
            self._apply(request, queue_action, privacy_request, form.cleaned_data)
        return None

    # --- logging a request received by phone, email, mail or in person ---

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        tenant = staff_tenant(request)
        if tenant is None:  # has_add_permission already needs one; keeps the types honest
            raise PermissionDenied
        # Read and show the received time in the business's time zone, whatever the site's.
        with timezone.override(tenant.zone):
            if request.method == "POST":
                form = LogRequestForm(request.POST, tenant=tenant)
                if form.is_valid():
                    created = self._log_request(request, tenant, form)
                    if created is not None:
                        return HttpResponseRedirect(self._change_url(created))
            else:
                now = clock.now().replace(microsecond=0)
                form = LogRequestForm(tenant=tenant, initial={"received_at": now})
            context = {
                **self.admin_site.each_context(request),
                "title": "Log a request received by phone, email, mail or in person",
                "opts": self.opts,
                "form": form,
                "media": self.media + form.media,
                **(extra_context or {}),
            }
            response = TemplateResponse(
                request, "admin/requests_app/privacyrequest/log_request.html", context
            )
            response.render()
        return response

    def _log_request(
        self, request: HttpRequest, tenant: Tenant, form: LogRequestForm
    ) -> PrivacyRequest | None:
        data = form.cleaned_data
        agent = Agent(
            name=data["agent_name"],
            organization=data["agent_organization"],
            email=data["agent_email"],
            phone=str(data["agent_phone"] or ""),
        )
        try:
            created = privacy_request_create(
                tenant=tenant,
                request_type=data["request_type"],
                channel=data["channel"],
                requester=Requester(
                    name=data["requester_name"],
                    email=data["requester_email"],
                    phone=str(data["requester_phone"] or ""),
                    state=data["requester_state"],
                ),
                know_scope=data["know_scope"],
                received_at=data["received_at"],
                agent=agent if any(vars(agent).values()) else None,
                actor=request.user,
                language=data["language"],
            )
        except RequestRefused as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
            field = _REFUSAL_FIELDS.get(refusal.field or "")
            form.add_error(field, refusal.message)
            return None
        self.log_addition(request, created, [{"added": {}}])
        due = []
        if created.respond_by:
            due.append(f"respond by {created.respond_by:%Y-%m-%d}")
        if created.comply_by:
            due.append(f"comply by {created.comply_by:%Y-%m-%d}")
        if created.confirm_by and created.confirmed_at is None:
            due.append(
                f"confirm receipt by {created.confirm_by:%Y-%m-%d} and record how (§7021(a))"
            )
        self.message_user(
            request,
            f"Logged {created.reference}"
            + (f": {'; '.join(due)}." if due else ".")
            + (" Receipt was confirmed by email." if created.confirmed_at else ""),
            messages.SUCCESS,
        )
        return created


# --- Communications and the outbox (read-only records) --------------------------------------


class _ReadOnlyRecordAdmin(TenantScopedModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="request", ordering="privacy_request__reference")
    def request_reference(self, obj: Any) -> str:
        if obj.privacy_request_id is None:
            return "—"
        url = reverse("admin:requests_app_privacyrequest_change", args=[obj.privacy_request_id])
        return format_html('<a href="{}">{}</a>', url, obj.privacy_request.reference)


@admin.register(Communication)
class CommunicationAdmin(_ReadOnlyRecordAdmin):
    """Every message sent to a consumer or agent: the record of the date and nature of responses."""

    list_display = ("sent", "request_reference", "template", "channel", "recipient", "subject")
    list_select_related = ("privacy_request",)
    list_filter = ("template", "channel")
    search_fields = ("recipient", "subject")
    show_full_result_count = False
    # Newest first by primary key: served by the primary key index within a business.
    ordering = ("-pk",)
    fields = (
        "request_reference",
        "sent",
        "template",
        "language",
        "channel",
        "recipient",
        "subject",
        "body",
    )
    readonly_fields = ("request_reference", "sent")

    @admin.display(description="sent", ordering="created_at")
    def sent(self, obj: Communication) -> str:
        return f"{timezone.localtime(obj.created_at):%Y-%m-%d %H:%M %Z}"


@admin.register(OutboxMessage)
class OutboxMessageAdmin(_ReadOnlyRecordAdmin):
    """Emails waiting to leave or already sent, newest first."""

    list_display = ("recipient", "subject", "request_reference", "status", "sent")
    list_select_related = ("privacy_request",)
    list_filter = ("status",)
    search_fields = ("recipient", "subject")
    show_full_result_count = False
    ordering = ("-created_at", "-pk")  # the outbox_newest index (tenant, -created_at)
    fields = (
        "request_reference",
        "recipient",
        "subject",
        "status",
        "queued",
        "sent",
        "attempts",
        "last_error",
        "body",
    )
    readonly_fields = ("request_reference", "queued", "sent")

    @admin.display(description="queued", ordering="created_at")
    def queued(self, obj: OutboxMessage) -> str:
        return f"{timezone.localtime(obj.created_at):%Y-%m-%d %H:%M %Z}"

    @admin.display(description="sent", ordering="sent_at")
    def sent(self, obj: OutboxMessage) -> str:
        return f"{timezone.localtime(obj.sent_at):%Y-%m-%d %H:%M %Z}" if obj.sent_at else "—"
