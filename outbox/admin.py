"""The outbox in the admin: messages (read-only records) and webhook endpoints (the secret is
shown once, when the endpoint is created)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from core.refusals import Refused
from tenants.admin_base import TenantScopedModelAdmin
from tenants.context import staff_tenant

from .models import OutboxMessage, OutboxStatus, WebhookEndpoint
from .services import webhook_endpoint_create, webhook_endpoint_update, webhook_url_check


def _local(moment: Any) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}" if moment else "—"


@admin.register(OutboxMessage)
class OutboxMessageAdmin(TenantScopedModelAdmin):
    """Messages waiting to leave, sent, or failed for good, newest first."""

    list_display = ("recipient", "subject", "about", "channel", "delivery", "sent")
    list_filter = ("status", "channel")
    search_fields = ("recipient", "subject", "about_label")
    show_full_result_count = False
    ordering = ("-created_at", "-pk")  # the outbox_newest index (tenant, -created_at)
    fields = (
        "about",
        "channel",
        "recipient",
        "sender",
        "reply_to",
        "subject",
        "delivery",
        "queued",
        "sent",
        "attempts",
        "next_attempt",
        "last_error",
        "body",
    )
    readonly_fields = ("about", "delivery", "queued", "sent", "next_attempt")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="about", ordering="about_label")
    def about(self, obj: OutboxMessage) -> str:
        return obj.about_label or "—"

    @admin.display(description="delivery", ordering="status")
    def delivery(self, obj: OutboxMessage) -> str:
        if obj.status == OutboxStatus.FAILED:
            return format_html(
                '<strong style="color:#ba2121">{}</strong> after {} attempts',
                obj.get_status_display(),
                obj.attempts,
            )
        return obj.get_status_display()

    @admin.display(description="queued", ordering="created_at")
    def queued(self, obj: OutboxMessage) -> str:
        return _local(obj.created_at)

    @admin.display(description="sent", ordering="sent_at")
    def sent(self, obj: OutboxMessage) -> str:
        return _local(obj.sent_at)

    @admin.display(description="next attempt")
    def next_attempt(self, obj: OutboxMessage) -> str:
        if obj.status in {OutboxStatus.SENT, OutboxStatus.FAILED}:
            return "—"
        return _local(obj.next_attempt_at)


class WebhookEndpointAddForm(forms.ModelForm):
    class Meta:
        model = WebhookEndpoint
        fields = ("name", "url")

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        try:
            webhook_url_check(url)
        except Refused as refusal:
            raise forms.ValidationError(refusal.message) from refusal
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(TenantScopedModelAdmin):
    """Where signed webhooks go: the business's own systems and its recipients."""

    ability = "settings"
    form = WebhookEndpointAddForm
    list_display = ("name", "url", "secret", "active", "created_at")
    ordering = ("name", "pk")
    fields = ("name", "url", "secret", "active", "created_at")
    readonly_fields = ("secret", "created_at")

    def get_fields(self, request: HttpRequest, obj: Any = None):
        return ("name", "url") if obj is None else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        # The URL is fixed once created: messages already queued were signed for it.
        return self.readonly_fields if obj is None else (*self.readonly_fields, "url")

    @admin.display(description="signing secret")
    def secret(self, obj: WebhookEndpoint) -> str:
        return f"{obj.secret_hint}…"

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool):
        if change:
            webhook_endpoint_update(endpoint=obj, name=obj.name, active=obj.active)
            return
        tenant = staff_tenant(request)
        if tenant is None:
            raise Http404("Choose a business first.")
        endpoint, secret = webhook_endpoint_create(
            tenant=tenant, name=form.cleaned_data["name"], url=form.cleaned_data["url"]
        )
        obj.pk = endpoint.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            f"Webhook endpoint “{endpoint.name}” created. Its signing secret, shown only now: "
            f"{secret} — store it in the receiving system to check each request's "
            "Privacy-Portal-Signature header.",
            messages.WARNING,
        )
