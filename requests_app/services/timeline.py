"""The timeline: the one way anything is written on a request's record of who did what, when.

* ``timeline_add`` writes one entry in the caller's transaction;
* ``timeline_add_all`` writes entries built with ``timeline_entry`` in one statement (intake);
* ``timeline_milestone_add`` writes one deadline milestone for many requests with one
  ``INSERT … SELECT``, at most once each (the sweep).

An entry says only what happened: the services that call these write it in the same
transaction as the change it records.

Most staff changes pass through here, so this is where they reach the audit trail (issue 14
item 3): an entry written by a staff member, or by an API key acting (its label), also writes one
audit entry, in the same transaction ("change" unless the caller says otherwise, e.g. a
document opening is a "download"). Entries of the portal itself, the consumer or the sweep are
not staff acts and write none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from audit.context import current_http_request
from audit.models import AuditAction
from audit.services import audit_record
from core.fast_insert import insert_new
from core.model_rows import new_instance
from tenants.models import ApiKey

from ..models import PrivacyRequest, RequestEvent

SYSTEM_ACTOR = "Privacy portal"


def actor_label(actor: AbstractBaseUser | None, default: str = SYSTEM_ACTOR) -> str:
    """How an actor is named on the timeline: a staff member's username, or ``default``."""
    if actor is None:
        return default
    return actor.get_username()


def timeline_entry(
    privacy_request: PrivacyRequest,
    *,
    kind: str,
    message: str,
    at: datetime,
    actor: AbstractBaseUser | None = None,
    label: str | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> RequestEvent:
    """An unsaved timeline entry; ``label`` names the actor when it is not a staff member."""
    return new_instance(  # RequestEvent(...), see core.model_rows
        RequestEvent,
        tenant_id=privacy_request.tenant_id,
        privacy_request=privacy_request,
        kind=kind,
        at=at,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=label or actor_label(actor),
        message=message,
        reason=reason,
        data=data or {},
    )


def timeline_add(
    privacy_request: PrivacyRequest,
    *,
    audit_action: str = AuditAction.CHANGE,
    audit_summary: str | None = None,
    **entry: Any,
) -> RequestEvent:
    """Write one timeline entry (the arguments of ``timeline_entry``), and its audit entry when
    a staff member or an API key wrote it (``audit_action``, ``audit_summary``: what the audit
    trail calls it; the default summary is the entry's kind)."""
    event = timeline_entry(privacy_request, **entry)
    insert_new(event)
    if _acted_by_staff_or_key(event):
        _audit(privacy_request, [event], action=audit_action, summary=audit_summary)
    return event


def timeline_add_all(events: Sequence[RequestEvent], *, keys_audited: bool = True) -> None:
    """Write entries built with ``timeline_entry``, in one INSERT where the database allows;
    one audit entry per request for the entries a staff member or an API key wrote.

    ``keys_audited=False``: an API key's entries are not audited (intake: the business's system
    passing on a consumer's own request reads and changes nobody's record; the request's
    timeline already names the key). A staff member's entries always are."""
    insert_new(*events)
    acted: dict[int, list[RequestEvent]] = {}
    for event in events:
        if event.actor_id is not None or (keys_audited and _acted_by_staff_or_key(event)):
            acted.setdefault(event.privacy_request_id, []).append(event)
    for by_request in acted.values():
        _audit(by_request[0].privacy_request, by_request, action=AuditAction.CHANGE)


def _acted_by_staff_or_key(event: RequestEvent) -> bool:
    if event.actor_id is not None:
        return True
    # API keys act with no user: the API names them "API key <prefix>…" (tenants.api).
    http_request = current_http_request()
    return (
        http_request is not None
        and isinstance(getattr(http_request, "auth", None), ApiKey)
        and event.actor_label.startswith("API key ")
    )


def _audit(
    privacy_request: PrivacyRequest,
    events: Sequence[RequestEvent],
    *,
    action: str,
    summary: str | None = None,
) -> None:
    kinds = [event.kind for event in events]
    # The kinds, never the entries' messages: those may quote the consumer's details.
    said = ", ".join(str(event.get_kind_display()) for event in events)
    audit_record(
        privacy_request.tenant,
        action=action,
        target=f"privacy_request:{privacy_request.reference}",
        summary=summary or f"{said}: {privacy_request.reference}",
        actor=events[0].actor,
        detail={"events": kinds},
    )


def timeline_milestone_add(
    *,
    privacy_request_ids: Sequence[int],
    kind: str,
    at: datetime,
    label: str,
    message: str,
    milestone_key: str,
) -> list[int]:
    """One entry per request for a deadline milestone; returns the requests it was new for.

    Requests whose entry is already there (dedupe key ``sweep:<id>:<milestone key>``) are
    skipped, so a rerun or a concurrent sweep records each milestone once. ``INSERT … SELECT``
    straight from the requests (PostgreSQL and SQLite both take it): the tenant id comes from
    each request's own row, and no model instance is built per entry.
    """
    event = RequestEvent._meta
    request = PrivacyRequest._meta
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(event.get_field(name).column)
        for name in (
            "tenant",
            "privacy_request",
            "kind",
            "at",
            "actor_label",
            "message",
            "reason",
            "data",
            "dedupe_key",
        )
    )
    placeholders = ", ".join(["%s"] * len(privacy_request_ids))
    table, request_table = quote(event.db_table), quote(request.db_table)
    request_id, tenant_id = quote(request.pk.column), quote(request.get_field("tenant").column)
    # Identifiers come from the models' own metadata; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {tenant_id}, {request_id}, "  # noqa: S608
        f"%s, %s, %s, %s, '', %s, %s || CAST({request_id} AS VARCHAR(20)) || %s "
        f"FROM {request_table} WHERE {request_id} IN ({placeholders}) ON CONFLICT DO NOTHING"
    )
    returning = connection.features.can_return_rows_from_bulk_insert
    if returning:
        sql += f" RETURNING {quote(event.get_field('privacy_request').column)}"
    params = [
        kind,
        connection.ops.adapt_datetimefield_value(at),
        label,
        message,
        "{}",
        "sweep:",
        f":{milestone_key}",
        *privacy_request_ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            return [pk for (pk,) in cursor.fetchall()]
    # SQLite before 3.35 has no RETURNING: the entries this statement wrote carry ``at``.
    keys = {f"sweep:{pk}:{milestone_key}": pk for pk in privacy_request_ids}
    return [
        keys[key]
        for key in RequestEvent.all_tenants.filter(dedupe_key__in=list(keys), at=at).values_list(
            "dedupe_key", flat=True
        )
    ]
