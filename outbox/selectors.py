"""Reads of the outbox: a business's messages, and the delivery state of given messages."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from core.model_rows import queryset_with_fast_rows
from tenants.models import Tenant

from .models import OutboxMessage


def outbox_messages_for_tenant(tenant: Tenant) -> QuerySet[OutboxMessage]:
    """The business's outgoing messages, newest first (the outbox_newest index), for the API's
    list: read only, so its instances are built in one step (``core.model_rows``)."""
    return queryset_with_fast_rows(
        OutboxMessage.objects.for_tenant(tenant).order_by("-created_at", "-pk")
    )


def outbox_messages_about(tenant: Tenant, about_key: str) -> QuerySet[OutboxMessage]:
    """Every message about one thing (e.g. ``privacy_request:42``), oldest first."""
    return (
        OutboxMessage.objects.for_tenant(tenant)
        .filter(about_key=about_key)
        .order_by("created_at", "pk")
    )


def outbox_messages_by_dedupe_key(
    tenant: Tenant, dedupe_keys: Iterable[str]
) -> dict[str, OutboxMessage]:
    """The business's messages with these dedupe keys, by key (one query, the unique index)."""
    keys = list(dedupe_keys)
    if not keys:
        return {}
    return {
        message.dedupe_key: message
        for message in OutboxMessage.objects.for_tenant(tenant).filter(dedupe_key__in=keys)
    }
