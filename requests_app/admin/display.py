"""How a privacy request reads in the staff queue and on its page.

The queue's few words for types, calendars and intake flags, the alert style, local times, and
``RequestDisplayMixin``: the computed columns and read-only fields of ``PrivacyRequestAdmin``
(deadlines and days left in the business's own "today", confirmation, flags, details).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import admin
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.calendar import CA_STATE, WEEKENDS_ONLY
from tenants.admin_base import local_today
from tenants.models import Tenant

from .. import consumer_text, deadlines
from ..models import (
    QUEUE_DUE_DATE,
    DeleteCategory,
    DeleteScope,
    Flag,
    PrivacyRequest,
    RequestType,
    Status,
)

# The deadline the queue tracks: respond-by (know/delete/correct) or comply-by (opt-out/limit).
DUE_DATE = QUEUE_DUE_DATE

CALENDAR_NAMES = {
    CA_STATE: "CA state calendar",
    WEEKENDS_ONLY: "weekends-only calendar",
}
TYPE_SHORT = {
    RequestType.KNOW: "Know",
    RequestType.DELETE: "Delete",
    RequestType.CORRECT: "Correct",
    RequestType.OPT_OUT: "Opt out",
    RequestType.LIMIT: "Limit",
    RequestType.OPT_IN: "Opt in",
}
# The intake flags (requests_app.services.portal) in the queue's few words; the model's labels
# are the long form, shown on the request's page.
FLAG_SHORT = {
    Flag.KNOW_LIMIT_EXCEEDED: "3rd request to know in 12 months",
    Flag.REPEAT_CORRECTION: "Repeat correction within 6 months of a denial (§7023(g))",
}
AWAITING_CONFIRMATION = "Awaiting the consumer's confirmation (two-step delete, §7020(d))"
NEVER_CONFIRMED = "Never confirmed by the consumer (two-step delete, §7020(d))"
# An agent's request waits for the consumer's signed permission or power of attorney (§7063).
MADE_BY_AGENT = "Made by an authorized agent (§7063)"
LANGUAGE_NAMES = dict(settings.LANGUAGES)
# The class of an alert: red and bold (static/portal/admin.css; a style attribute would need the
# Content-Security-Policy to allow inline styles). The words say it too: never colour alone.
ALERT = "portal-alert"
BR = mark_safe("<br>")  # a separator between escaped items


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _local(instant: datetime | None, tenant: Tenant) -> str:
    if instant is None:
        return "—"
    return f"{instant.astimezone(tenant.zone):%Y-%m-%d %H:%M %Z}"


class RequestDisplayMixin:
    """The computed columns and read-only fields of ``PrivacyRequestAdmin`` (``list_display``,
    ``readonly_fields``): a request in words, deadlines in the business's time zone."""

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
        # One short line in the list; what the date is and its calendar are on hover and on
        # the request's page.
        what = "Respond by" if obj.respond_by else "Comply by"
        calendar = CALENDAR_NAMES.get(obj.calendar, obj.calendar)
        extended = " (extended)" if obj.extended_at else ""
        return format_html(
            '<span title="{}">{}{}</span>', f"{what}, {calendar}", f"{due:%Y-%m-%d}", extended
        )

    @admin.display(description="days left", ordering=DUE_DATE)
    def days_left(self, obj: PrivacyRequest) -> str:
        if obj.status == Status.CLOSED:
            return f"Closed ({obj.get_outcome_display().lower()})"
        due = obj.active_due_date
        if due is None:
            return "—"
        left = deadlines.days_left(due, local_today(obj.tenant))
        if left < 0:
            return format_html('<span class="{}">⚠ {} overdue</span>', ALERT, _days(-left))
        if left == 0:
            return format_html('<span class="{}">⚠ Due today</span>', ALERT)
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
                '<span class="{}">⚠ Confirmation overdue (was due {})</span>',
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
        if obj.submitted_by_agent:
            notes.append(MADE_BY_AGENT)
        if not notes:
            return "—"
        return format_html_join(BR, "⚑ {}", ((note,) for note in notes))

    @admin.display(description="flags")
    def flags_detail(self, obj: PrivacyRequest) -> str:
        if not obj.flags:
            return "None"
        labels = {flag.value: flag.label for flag in Flag}
        return format_html_join(BR, "⚑ {}", ((labels.get(flag, flag),) for flag in obj.flags))

    @admin.display(description="period asked for")
    def know_period_label(self, obj: PrivacyRequest) -> str:
        # Amended §7020, §7024(h): staff read it in the admin's language (English), in full.
        with translation.override("en"):
            phrase = consumer_text.know_period_phrase(obj.know_period_start, obj.know_period_end)
        return phrase[:1].upper() + phrase[1:]

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
