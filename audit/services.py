"""The one writer of the audit trail: ``audit_record``.

Who: the staff member (``actor``), else whoever the HTTP request carries (an API key, named by
its non-secret prefix, or a signed-in staff member), else the portal itself. When: ``core.clock``.
From where: the client address (``tenants.ratelimit.client_ip``, which trusts X-Forwarded-For only
from our own proxies) and the user agent, from the request given or the one being served
(``audit.context``).

The entry is written in the caller's transaction when there is one, so a change that is rolled
back leaves no entry, and in its own otherwise. The business's chain head is locked
(``select_for_update``) for the rest of that transaction: writers of one business take turns,
each numbering its entry after the last one committed, so the chain never forks (the unique
(tenant, seq) constraint is the backstop). Writers of different businesses never wait for each
other.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
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
    with transaction.atomic():
        head = _locked_head(tenant)
        entry = AuditEntry(
            tenant=tenant,
            seq=head.last_seq + 1,
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
            prev_hash=head.last_hash,
        )
        entry.entry_hash = chain.entry_hash(entry.prev_hash, chain.encode(entry_fields(entry)))
        entry.save(force_insert=True)
        AuditChainHead.objects.for_tenant(tenant).filter(pk=head.pk).update(
            last_seq=entry.seq, last_hash=entry.entry_hash
        )
    if http_request is not None:
        http_request.__dict__.setdefault(_AUDITED_ATTR, set()).add(entry.target)
    return entry


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


def _locked_head(tenant: Tenant) -> AuditChainHead:
    """The business's chain head, locked until the transaction ends; made at the first entry.

    Two first writers may both find no head: both insert with ON CONFLICT DO NOTHING (one row
    wins) and then both lock that row, so they still take turns.
    """
    heads = AuditChainHead.objects.for_tenant(tenant).select_for_update()
    head = heads.first()
    if head is None:
        AuditChainHead.all_tenants.bulk_create(
            [AuditChainHead(tenant=tenant, last_seq=0, last_hash=chain.genesis_hash(tenant.pk))],
            ignore_conflicts=True,
        )
        head = heads.get()
    return head
