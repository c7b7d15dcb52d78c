"""The one writer of the audit trail: ``audit_record``.

Who: the staff member (``actor``), else whoever the HTTP request carries (an API key, named by
its non-secret prefix, or a signed-in staff member), else the portal itself. When: ``core.clock``.
From where: the client address (``tenants.ratelimit.client_ip``, which trusts X-Forwarded-For only
from our own proxies) and the user agent, from the request given or the one being served
(``audit.context``).

The entry is written in the caller's transaction when there is one, so a change that is rolled
back leaves no entry, and in its own otherwise. The business's chain head is locked (by an
upsert, ``_append``: PostgreSQL's equivalent of ``select_for_update`` that also makes the head at
the first entry) for the rest of that transaction: writers of one business take turns, each
numbering its entry after the last one committed, so the chain never forks (the unique
(tenant, seq) constraint is the backstop). Writers of different businesses never wait for each
other. Two statements per entry on PostgreSQL, whatever the entry is about: an audited API list
costs two statements more, not one per row.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.http import HttpRequest

from core import clock
from tenants.models import ApiKey, Tenant
from tenants.ratelimit import client_ip

from . import chain
from .context import current_http_request
from .models import ActorKind, AuditChainHead, AuditEntry

USER_AGENT_LENGTH = AuditEntry._meta.get_field("user_agent").max_length or 300
SUMMARY_LENGTH = AuditEntry._meta.get_field("summary").max_length or 500
TARGET_LENGTH = AuditEntry._meta.get_field("target").max_length or 200
SYSTEM_LABEL = "Privacy portal"
_AUDITED_ATTR = "_audit_targets"


@dataclass(frozen=True)
class Actor:
    """Who acted, as an entry records it."""

    user_id: int | None
    label: str
    kind: str


def _http_request(request: Any) -> HttpRequest | None:
    if request is None:
        return current_http_request()
    # A DRF Request wraps the HttpRequest (and copies user and auth onto it).
    return getattr(request, "_request", request)


def api_key_label(api_key: ApiKey) -> str:
    """An API key as entries name it: its name and its prefix, never the secret."""
    return f"API key {api_key.hint}… ({api_key.name})"


def resolve_actor(actor: AbstractBaseUser | None, http_request: HttpRequest | None) -> Actor:
    if actor is not None and actor.pk is not None:
        return Actor(actor.pk, actor.get_username(), ActorKind.STAFF)
    if http_request is not None:
        auth = getattr(http_request, "auth", None)
        if isinstance(auth, ApiKey):
            return Actor(None, api_key_label(auth), ActorKind.API_KEY)
        user = getattr(http_request, "user", None)
        if user is not None and user.is_authenticated:
            return Actor(user.pk, user.get_username(), ActorKind.STAFF)
    return Actor(None, SYSTEM_LABEL, ActorKind.SYSTEM)


def _address(http_request: HttpRequest | None) -> str:
    if http_request is None:
        return ""
    try:
        return str(ipaddress.ip_address(client_ip(http_request)))
    except ValueError:
        return ""  # "unknown": no address to record


def _user_agent(http_request: HttpRequest | None) -> str:
    if http_request is None:
        return ""
    return http_request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH]


def audit_record(
    tenant: Tenant,
    *,
    action: str,
    target: str,
    summary: str,
    actor: AbstractBaseUser | None = None,
    request: Any = None,
    detail: Mapping[str, Any] | None = None,
    actor_kind: str | None = None,
) -> AuditEntry:
    """Append one entry to ``tenant``'s trail and return it.

    ``target`` names what was acted on ("privacy_request:LL-7KQ3-9XW2", "request_log");
    ``summary`` says what in a line, by reference, never with a consumer's personal information;
    ``detail`` holds the rest (a stated purpose, the references a list returned, a range).
    ``request`` is the HttpRequest (or DRF Request) when the caller has it; ``actor_kind``
    overrides the kind resolved (e.g. a consumer's own action).
    """
    http_request = _http_request(request)
    who = resolve_actor(actor, http_request)
    entry = AuditEntry(
        tenant=tenant,
        occurred_at=clock.now(),
        actor_id=who.user_id,
        actor_label=who.label[:200],
        actor_kind=actor_kind or who.kind,
        action=action,
        target=target[:TARGET_LENGTH],
        summary=summary[:SUMMARY_LENGTH],
        detail=chain.canonical_detail(detail),
        ip_address=_address(http_request),
        user_agent=_user_agent(http_request),
    )
    # No savepoint inside the caller's transaction: if this fails, so does the caller's change
    # (no act without its entry); and it saves two statements on every audited call.
    with transaction.atomic(savepoint=False):
        _append(entry)
    if http_request is not None:
        http_request.__dict__.setdefault(_AUDITED_ATTR, set()).add(entry.target)
    return entry


def _append(entry: AuditEntry) -> None:
    """Number, chain and write ``entry``: two statements on PostgreSQL, three on SQLite.

    1. Upsert the business's head, ``ON CONFLICT DO UPDATE`` ... ``RETURNING``: made at the first
       entry, and in every case locked until the transaction ends and read at its latest
       committed version (a writer that waited for the lock reads the number and hash the
       previous writer committed: no fork, whatever the isolation level).
    2. Insert the entry and move the head to it; one statement on PostgreSQL (a data-modifying
       CTE), two on SQLite (which has none, and runs one writer at a time anyway).
    """
    quote = connection.ops.quote_name
    head_table = quote(AuditChainHead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {head_table} (tenant_id, last_seq, last_hash) VALUES (%s, 0, %s) "  # noqa: S608
            f"ON CONFLICT (tenant_id) DO UPDATE SET last_seq = {head_table}.last_seq "
            "RETURNING id, last_seq, last_hash",
            [entry.tenant_id, chain.genesis_hash(entry.tenant_id)],
        )
        head_id, last_seq, last_hash = cursor.fetchone()
        entry.seq = last_seq + 1
        entry.prev_hash = last_hash
        entry.entry_hash = chain.entry_hash(last_hash, chain.encode(entry_fields(entry)))
        fields = [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(quote(f.column) for f in fields)
        values = [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in fields]
        placeholders = ", ".join(["%s"] * len(fields))
        table = quote(AuditEntry._meta.db_table)
        insert = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) RETURNING id"  # noqa: S608
        move_head = f"UPDATE {head_table} SET last_seq = %s, last_hash = %s WHERE id = %s"  # noqa: S608
        if connection.vendor == "postgresql":
            cursor.execute(
                # Identifiers come from the models' metadata; every value is a parameter.
                f"WITH written AS ({insert}) {move_head} RETURNING (SELECT id FROM written)",  # noqa: S608
                [*values, entry.seq, entry.entry_hash, head_id],
            )
            (entry.pk,) = cursor.fetchone()
        else:
            cursor.execute(insert, values)
            (entry.pk,) = cursor.fetchone()
            cursor.execute(move_head, [entry.seq, entry.entry_hash, head_id])
    entry._state.adding = False
    entry._state.db = connection.alias


def statements_per_entry() -> int:
    """What one entry costs a request in statements (``_append``); the query-count tests of
    audited paths add it to their budgets."""
    return 2 if connection.vendor == "postgresql" else 3


def audited_in_request(request: Any, target: str) -> bool:
    """Whether an entry about ``target`` was written while serving this HTTP request.

    The admin's own log of an addition or change (``audit.admin_changes``) comes after the
    service it called, which may have written the entry already (a timeline entry with the
    staff member as actor): one act, one entry.
    """
    http_request = _http_request(request)
    return http_request is not None and target in http_request.__dict__.get(_AUDITED_ATTR, ())


def entry_fields(entry: AuditEntry) -> dict[str, object]:
    """The fields ``audit.chain`` encodes, by their names there."""
    return {name: getattr(entry, name) for name in chain.FIELDS}
