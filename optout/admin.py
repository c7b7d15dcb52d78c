"""Recipients in the admin: the business's admins register them (third parties, service
providers, contractors); a request's page lists its notifications with their delivery state;
staff notify a recipient registered after a request was processed from the notifications' add
page (``recipient_notify_later``, recorded on the request's timeline)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from core.refusals import Refused
from outbox.models import OutboxStatus
from requests_app.admin.display import ALERT
from requests_app.admin.inlines import READ_ONLY_INLINE
from tenants.admin_base import TenantScopedInlineMixin, TenantScopedModelAdmin
from tenants.context import staff_tenant

from . import staff_admin  # noqa: F401 - registers the consent admin (looked up, logged, decided)
from .models import Recipient, RecipientNotification
from .recipient_services import (
    ACKNOWLEDGED,
    delivery_state,
    recipient_address_check,
    recipient_notify_later,
    recipient_notify_later_check,
    recipient_save,
)


def _local(moment: Any) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}" if moment else "—"


def _state(notification: RecipientNotification) -> str:
    """The delivery state; a failure stands out, with the outbox's reason."""
    state = delivery_state(notification)
    if state == ACKNOWLEDGED:
        return f"Acknowledged {_local(notification.acknowledged_at)}"
    label = OutboxStatus(state).label
    if state == OutboxStatus.FAILED:
        return format_html(
            '<strong class="{}">{}</strong>: {}', ALERT, label, notification.message.last_error
        )
    if state == OutboxStatus.RETRYING:
        return f"{label} ({notification.message.last_error})"
    return label


class RecipientForm(forms.ModelForm):
    class Meta:
        model = Recipient
        fields = (
            "name",
            "kind",
            "categories",
            "sold_or_shared",
            "sensitive_beyond_permitted",
            "delivery",
            "endpoint",
            "email",
            "active",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        probe = Recipient(
            delivery=cleaned.get("delivery") or "",
            endpoint=cleaned.get("endpoint"),
            email=cleaned.get("email") or "",
        )
        try:
            recipient_address_check(probe)
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


@admin.register(Recipient)
class RecipientAdmin(TenantScopedModelAdmin):
    """The business's recipients of personal information (§7022(b), §7023(c), §7026(f),
    §7027(g)): who is told of which complied request (``recipient_rules``), and how."""

    ability = "settings"
    form = RecipientForm
    list_display = (
        "name",
        "kind",
        "delivery",
        "sold_or_shared",
        "sensitive_beyond_permitted",
        "active",
    )
    list_filter = ("kind", "delivery", "active")
    search_fields = ("name",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            tenant = staff_tenant(request)
            if tenant is None:
                raise Http404("Choose a business first.")
            obj.tenant = tenant
        recipient_save(obj)


class RecipientNotificationInline(TenantScopedInlineMixin, admin.TabularInline):
    """A request's notifications to recipients and their delivery state (on its admin page)."""

    model = RecipientNotification
    fk_name = "privacy_request"
    read_only = True
    template = READ_ONLY_INLINE
    verbose_name = "recipient notification"
    verbose_name_plural = "recipients notified"
    fields = (
        "recipient_name",
        "channel",
        "state",
        "queued",
        "asked_by",
        "cannot_comply_explanation",
    )
    readonly_fields = fields
    ordering = ("created_at", "id")
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("recipient", "message")

    @admin.display(description="recipient")
    def recipient_name(self, obj: RecipientNotification) -> str:
        return str(obj.recipient)

    @admin.display(description="by")
    def channel(self, obj: RecipientNotification) -> str:
        return obj.message.recipient

    @admin.display(description="delivery")
    def state(self, obj: RecipientNotification) -> str:
        return _state(obj)

    @admin.display(description="queued")
    def queued(self, obj: RecipientNotification) -> str:
        return _local(obj.created_at)


class NotifyLaterForm(forms.ModelForm):
    class Meta:
        model = RecipientNotification
        fields = ("privacy_request", "recipient")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        privacy_request = cleaned.get("privacy_request")
        recipient = cleaned.get("recipient")
        if privacy_request is not None and recipient is not None:
            try:
                recipient_notify_later_check(privacy_request=privacy_request, recipient=recipient)
            except Refused as refused:
                raise ValidationError(refused.message) from refused
        return cleaned

    def _post_clean(self) -> None:
        pass  # the row is the service's to build (token, outbox message): nothing to validate


@admin.register(RecipientNotification)
class RecipientNotificationAdmin(TenantScopedModelAdmin):
    """Every notification to a recipient; "add" notifies a recipient of a request it was not
    told of (registered after the request was processed): staff ask, the timeline says who."""

    form = NotifyLaterForm
    list_display = ("privacy_request", "recipient", "state", "queued", "asked_by")
    list_select_related = ("privacy_request", "recipient", "message")
    search_fields = ("privacy_request__reference", "recipient__name")
    ordering = ("-created_at", "-id")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return ("privacy_request", "recipient", "state", "queued", "asked_by")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("privacy_request", "recipient")
        return ("privacy_request", "recipient", "state", "queued", "asked_by")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="delivery")
    def state(self, obj: RecipientNotification) -> str:
        return _state(obj)

    @admin.display(description="queued", ordering="created_at")
    def queued(self, obj: RecipientNotification) -> str:
        return _local(obj.created_at)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        notified = recipient_notify_later(
            privacy_request=form.cleaned_data["privacy_request"],
            recipient=form.cleaned_data["recipient"],
            actor=request.user,  # type: ignore[arg-type]
        )
        # The admin goes on with ``obj`` (its log entry, the redirect): make it the saved row.
        obj.__dict__.update(notified.__dict__)
