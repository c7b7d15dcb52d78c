"""What a request's page lists below its fields: the consumer's documents, the timeline and the
communications sent. All read-only records, scoped to the chosen business."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from outbox.models import OutboxStatus
from tenants.admin_base import TenantScopedInlineMixin, admin_role

from ..models import Communication, CorrectionStatement, RequestDocument, RequestEvent
from ..selectors import may_open_request_documents, request_document_openings, with_delivery
from .display import ALERT

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
    fields = ("sent", "template", "channel", "recipient", "subject", "delivery")
    readonly_fields = fields
    ordering = ("created_at", "id")
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> Any:
        return with_delivery(super().get_queryset(request))

    @admin.display(description="delivery")
    def delivery(self, obj: Communication) -> str:
        """Whether the email left: a failure stands out, with the outbox's reason."""
        status = getattr(obj, "delivery_status", None)
        if status is None:
            return "—"  # recorded by hand (a call, a letter): nothing to deliver
        label = OutboxStatus(status).label
        if status == OutboxStatus.FAILED:
            return format_html(
                '<strong class="{}">{}</strong>: {}', ALERT, label, obj.delivery_error
            )
        return label

    @admin.display(description="sent")
    def sent(self, obj: Communication) -> str:
        return f"{timezone.localtime(obj.created_at):%Y-%m-%d %H:%M %Z}"


class RequestDocumentInline(TenantScopedInlineMixin, admin.TabularInline):
    """The documentation the consumer sent (§7023(d)(1)): listed here, opened through the
    staff-only download, which records the viewing on the timeline. Only the assigned staff
    member and compliance staff get the link (§7023(d)(3)); others see why not."""

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

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        # Django makes this inline for one page and passes the request here, with the request
        # being shown as ``obj``: decide once whether this reader may open its documents.
        self._may_open = obj is not None and may_open_request_documents(
            user=request.user, role=admin_role(request), privacy_request=obj
        )
        return super().get_formset(request, obj, **kwargs)

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
            return format_html('<span class="{}">⚠ Not opened yet</span>', ALERT)
        return f"Opened by {event.actor_label}, {timezone.localtime(event.at):%Y-%m-%d %H:%M %Z}"

    @admin.display(description="")
    def view_link(self, obj: RequestDocument) -> str:
        if not getattr(self, "_may_open", False):
            return format_html(
                '<span class="help">{}</span>',
                "Only the assigned staff member and compliance staff can open it (§7023(d)(3)).",
            )
        url = reverse(
            "admin:requests_app_privacyrequest_document", args=[obj.privacy_request_id, obj.pk]
        )
        return format_html('<a href="{}">View</a>', url)


class AgentPermissionInline(RequestDocumentInline):
    """The consumer's signed permission an authorized agent sent with a request to opt out or to
    limit (§7026(j), §7027(j)): staff open it before applying or denying the request. Opened,
    and shown, like a consumer's documentation."""

    verbose_name = "the consumer's signed permission, sent by the agent"
    verbose_name_plural = (
        "the consumer's signed permission, sent by the agent (§7026(j), §7027(j): open it "
        "before deciding)"
    )


class CorrectionStatementInline(TenantScopedInlineMixin, admin.TabularInline):
    """The consumer's statements on contested health information (§7023(f)(4)): kept with the
    record and passed on to the recipients."""

    model = CorrectionStatement
    read_only = True
    template = READ_ONLY_INLINE
    verbose_name = "consumer's statement (§7023(f)(4))"
    verbose_name_plural = "consumer's statements (§7023(f)(4))"
    fields = ("submitted", "item", "text", "word_count")
    readonly_fields = fields
    ordering = ("submitted_at", "id")
    extra = 0
    can_delete = False

    @admin.display(description="sent")
    def submitted(self, obj: CorrectionStatement) -> str:
        return f"{timezone.localtime(obj.submitted_at):%Y-%m-%d %H:%M %Z}"
