"""Communications: read-only records in the admin, newest first.

Every message sent to a consumer or agent is kept as a ``Communication`` (the record of the date
and nature of responses); its delivery is the outbox's (``outbox.admin``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from audit.reads import AuditedReadMixin
from tenants.admin_base import TenantScopedModelAdmin

from ..models import Communication


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
class CommunicationAdmin(AuditedReadMixin, _ReadOnlyRecordAdmin):
    """Every message sent to a consumer or agent: the record of the date and nature of responses."""

    def audit_read(self, obj: Communication) -> tuple[str, str]:
        # A message shows the consumer's address and what was said to them.
        reference = obj.privacy_request.reference if obj.privacy_request_id else "no request"
        target = f"privacy_request:{reference}" if obj.privacy_request_id else "communication"
        return target, f"Opened communication {obj.pk} ({reference}) in the admin"

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
