"""The staff queue's list filters: deadline, assignee, intake flag, consumer's confirmation.

Each is a ``SimpleListFilter`` whose choices come from the chosen business only (never Django's
``RelatedFieldListFilter``, which reads every business's rows); an unknown value matches nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from tenants.admin_base import local_today, tenant_members
from tenants.context import staff_tenant

from .. import deadlines
from ..models import QUEUE_CLOSED_LAST, QUEUE_DUE_DATE, Flag, Status
from ..selectors import flagged_with
from .display import FLAG_SHORT

OPEN = ~Q(status=Status.CLOSED)


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
        if value == "confirmation_due":
            return queryset.filter(OPEN & Q(confirm_by__isnull=False, confirmed_at__isnull=True))
        due = {
            "overdue": Q(queue_due__lt=today),
            "due_today": Q(queue_due=today),
            "due_soon": Q(queue_due__gt=today, queue_due__lte=soon),
            "this_week": Q(queue_due__gte=today, queue_due__lte=today + timedelta(days=6)),
        }
        if value not in due:
            return queryset.none()
        # "Open" and "due" in the terms of the request_queue_deadline index (models.py), so the
        # page and its count come from the index (status is never NULL: same rows as OPEN).
        return (
            queryset.alias(queue_closed=QUEUE_CLOSED_LAST, queue_due=QUEUE_DUE_DATE)
            .filter(queue_closed=0)
            .filter(due[value])
        )


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


class AgentFilter(admin.SimpleListFilter):
    """Requests an authorized agent made for a consumer (§7001(d), §7063): they wait for the
    consumer's signed permission or power of attorney, which staff check."""

    title = "made by"
    parameter_name = "made_by"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("agent", "Made by an authorized agent"), ("consumer", "Made by the consumer")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if value not in {"agent", "consumer"}:
            return queryset.none()
        return queryset.filter(submitted_by_agent=value == "agent")
