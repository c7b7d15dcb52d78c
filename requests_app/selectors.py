"""Reads for privacy requests: the queue, one request with its history, the outbox.

Tenant first, always through ``objects.for_tenant(tenant)``; querysets come with the
``select_related``/``prefetch_related`` their callers need, so listing N rows costs one query.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import F, Prefetch, Q, QuerySet

from privacyportal import clock
from tenants.models import Tenant

from . import deadlines, lifecycle
from .models import Communication, OutboxMessage, PrivacyRequest, RequestEvent


def tenant_today(tenant: Tenant, now: datetime | None = None) -> date:
    """The tenant's local date now: deadlines run to the end of their local day."""
    return deadlines.receipt_date(now or clock.now(), tenant.zone)


def _due_before(day: date) -> Q:
    # Only one of respond_by (know/delete/correct) and comply_by (opt-out/limit) is ever set.
    return Q(respond_by__lt=day) | Q(comply_by__lt=day)


def privacy_requests_for_queue(
    tenant: Tenant,
    *,
    type: str | None = None,  # the API's filter name
    status: str | None = None,
    channel: str | None = None,
    overdue: bool | None = None,
    due_before: date | None = None,
    today: date | None = None,
) -> QuerySet[PrivacyRequest]:
    """The tenant's requests, newest received first, optionally filtered.

    ``overdue=True``: open requests whose respond-by/comply-by day is before the tenant's local
    ``today`` (default: today from ``clock.now()``); ``overdue=False``: every other request.
    ``due_before``: respond-by or comply-by before that date.
    """
    queryset = PrivacyRequest.objects.for_tenant(tenant).select_related("assignee")
    if type:
        queryset = queryset.filter(request_type=type)
    if status:
        queryset = queryset.filter(status=status)
    if channel:
        queryset = queryset.filter(channel=channel)
    if overdue is not None:
        is_overdue = _due_before(today or tenant_today(tenant)) & ~Q(status=lifecycle.CLOSED)
        queryset = queryset.filter(is_overdue) if overdue else queryset.exclude(is_overdue)
    if due_before is not None:
        queryset = queryset.filter(_due_before(due_before))
    return queryset.order_by("-received_at", "-pk")


def privacy_request_get(
    tenant: Tenant, reference: str, *, with_history: bool = False
) -> PrivacyRequest | None:
    """One of the tenant's requests by reference (None when it is missing or another tenant's).

    ``with_history`` also loads its timeline and communications (two more queries, both scoped).
    """
    queryset = PrivacyRequest.objects.for_tenant(tenant).select_related("assignee")
    if with_history:
        queryset = queryset.prefetch_related(
            Prefetch(
                "events",
                queryset=RequestEvent.objects.for_tenant(tenant).order_by("at", "pk"),
            ),
            Prefetch(
                "communications",
                queryset=Communication.objects.for_tenant(tenant).order_by("created_at", "pk"),
            ),
        )
    return queryset.filter(reference=reference).first()


def outbox_messages_for_tenant(tenant: Tenant) -> QuerySet[OutboxMessage]:
    """The tenant's outbox emails, newest first, each with its request's reference (or None)."""
    return (
        OutboxMessage.objects.for_tenant(tenant)
        .annotate(reference=F("privacy_request__reference"))
        .order_by("-created_at", "-pk")
    )
