"""The review queue: ``PrivacyRequestAdmin``, the changelist of privacy requests and each
request's read-only page, registered for ``PrivacyRequest``.

It puts the other modules together: columns and fields from ``display``, ``filters``, inlines,
the actions' routes and buttons (``actions``), the add page (``log_request``) and the document
download (``documents``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET

from audit.models import AuditAction
from audit.reads import AuditedReadMixin
from audit.services import audit_record
from tenants.admin_base import TenantScopedModelAdmin, may
from tenants.context import staff_tenant

from .. import vocabulary as words
from ..models import QUEUE_CLOSED_LAST, QUEUE_DUE_DATE, PrivacyRequest, RequestType
from .actions import QUEUE_ACTIONS, QueueActionsMixin, changelist_action
from .display import RequestDisplayMixin
from .documents import DocumentDownloadMixin
from .filters import (
    AgentFilter,
    AssigneeFilter,
    ConsumerConfirmationFilter,
    DeadlineFilter,
    FlaggedFilter,
)
from .inlines import (
    AgentPermissionInline,
    CommunicationInline,
    CorrectionStatementInline,
    RequestDocumentInline,
    RequestEventInline,
)
from .log_request import LogRequestMixin, queue_tools


def queue_extensions() -> list[Any]:
    """The queue's extensions (``settings.PRIVACY_REQUEST_QUEUE_EXTENSIONS``): objects with
    ``columns`` (``list_display`` callables taking a request), ``filters`` (``SimpleListFilter``
    classes) and ``select_related`` (relations of ``PrivacyRequest`` the columns read)."""
    return [import_string(name) for name in settings.PRIVACY_REQUEST_QUEUE_EXTENSIONS]


REFERENCE_SHAPE = re.compile(r"[A-Za-z]{2,4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}")
EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(
    AuditedReadMixin,
    RequestDisplayMixin,
    QueueActionsMixin,
    LogRequestMixin,
    DocumentDownloadMixin,
    TenantScopedModelAdmin,
):
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
        AgentFilter,
    )
    search_fields = ("reference", "requester_email", "requester_name")
    search_help_text = "A reference (e.g. LL-7KQ3-9XW2), an email address, or part of a name."
    # One join, no per-row queries: the tenant gives the time zone, the assignee the name.
    list_select_related = ("tenant", "assignee")
    # No COUNT(*) over the whole queue next to the filtered count (100,000 rows per tenant).
    show_full_result_count = False
    list_per_page = 50
    # Served by the request_queue_deadline index (models.py): keep the two in step.
    ordering = (QUEUE_CLOSED_LAST.asc(), QUEUE_DUE_DATE.asc(nulls_last=True), "pk")

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        """A whole reference or email address is looked up exactly, through the indexes on
        (tenant, reference) and (tenant, requester_email); anything else searches by substring
        (a scan of the business's requests, so it is slower on a large queue)."""
        term = search_term.strip()
        if REFERENCE_SHAPE.fullmatch(term):
            return queryset.filter(reference=term.upper()), False
        if EMAIL_SHAPE.fullmatch(term):
            return queryset.filter(requester_email__in={term, term.lower()}), False
        return super().get_search_results(request, queryset, search_term)

    # --- the apps above requests_app add columns and filters (settings.PRIVACY_REQUEST_QUEUE_
    # EXTENSIONS; requests_app never imports them): each names the relations its column reads,
    # joined into the page's one query, so the queue stays at a flat number of queries ---

    def get_list_display(self, request: HttpRequest) -> Any:
        columns = [column for extension in queue_extensions() for column in extension.columns]
        return (*super().get_list_display(request), *columns)

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = [f for extension in queue_extensions() for f in extension.filters]
        return (*super().get_list_filter(request), *filters)

    def get_list_select_related(self, request: HttpRequest) -> Any:
        joined = [name for extension in queue_extensions() for name in extension.select_related]
        return (*super().get_list_select_related(request), *joined)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        # The apps above requests_app add their own ways to log requests (queue_tools) and
        # pages to look things up: a reader who may not act (compliance) gets only the latter.
        acts = self.has_add_permission(request)
        tools = [tool for tool in queue_tools() if acts or not tool.request_types]
        response = super().changelist_view(request, {"queue_tools": tools, **(extra_context or {})})
        self._audit_listed(request, response)
        return response

    def _audit_listed(self, request: HttpRequest, response: Any) -> None:
        """The queue shows names and email addresses: a page of it is a read of those requests
        (R-7101-a-2), one entry naming the references shown. A page that lists nothing, or an
        answer that is not the list (a redirect after an action), writes none."""
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        tenant = staff_tenant(request)
        if changelist is None or tenant is None:
            return
        references = [privacy_request.reference for privacy_request in changelist.result_list]
        if references:
            audit_record(
                tenant,
                action=AuditAction.READ,
                target="queue",
                summary=f"Listed {len(references)} requests in the queue",
                actor=request.user,
                request=request,
                detail={"references": references, "query": request.GET.urlencode()[:500]},
            )

    actions = [changelist_action(action) for action in QUEUE_ACTIONS.values()]
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
                    "done_explanation",
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
        "know_period_label",
    )
    # "Request details", shown after the first fieldset; the type-specific ones only for their
    # type. Model fields shown by these (in words) are kept out of "Other details".
    detail_fields = ("language_name", "flags_detail")
    type_detail_fields = {
        RequestType.KNOW: ("know_period_label",),
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
            "know_period_start",
            "know_period_end",
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
        # Only requests to correct take the consumer's documents, and an agent's opt-out or
        # limit the consumer's signed permission (services.intake); other pages skip the list.
        inlines = list(self.inlines)
        if obj is None or obj.request_type != RequestType.CORRECT:
            inlines.remove(RequestDocumentInline)
        elif obj.outcome:
            inlines.insert(1, CorrectionStatementInline)
        if (
            obj is not None
            and obj.channel == words.AGENT
            and obj.request_type in words.COMPLY_TYPES
        ):
            inlines.insert(0, AgentPermissionInline)
        if obj is None:
            return inlines
        # The apps above requests_app add their lists (e.g. the recipients' notifications).
        return inlines + [import_string(path) for path in settings.PRIVACY_REQUEST_ADMIN_INLINES]

    # --- permissions: the detail page is read-only; actions call services ---

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def audit_read(self, obj: PrivacyRequest) -> tuple[str, str]:
        return f"privacy_request:{obj.reference}", f"Opened {obj.reference} in the admin"

    def has_act_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Compliance reads the queue and acts on nothing (issue 14 item 5): the buttons, the
        # action pages and the changelist's actions all need "act".
        return may(request, "act", obj)

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

    def _url_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def _change_url(self, privacy_request: PrivacyRequest) -> str:
        return reverse(f"admin:{self._url_name('change')}", args=[privacy_request.pk])

    def _act_url(self, privacy_request: PrivacyRequest, slug: str) -> str:
        return reverse(f"admin:{self._url_name(slug)}", args=[privacy_request.pk])
