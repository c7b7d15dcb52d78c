"""Reads for privacy requests: the queue, one request with its history, its documents.

Tenant first, always through ``objects.for_tenant(tenant)``; querysets come with the
``select_related``/``prefetch_related`` their callers need, so listing N rows costs one query.
"""

from __future__ import annotations

import functools
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import CharField, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat

from core.model_rows import queryset_with_fast_rows
from outbox.models import OutboxMessage
from tenants.models import Role, Tenant
from tenants.selectors import tenant_today

from . import lifecycle, limits
from . import vocabulary as words
from .models import (
    Communication,
    EventKind,
    PrivacyRequest,
    RequestDocument,
    RequestEvent,
)

# The timeline entries about a consumer's document ("document added", "document opened") hold
# its id under this key in ``data``; services.documents writes them, the §7023(d)(1) check
# before closing a correction and the admin read them back.
DOCUMENT_KEY = "document_id"
# The attribute under which the queue's rows carry their assignee's username.
ASSIGNEE_USERNAME = "assignee_username"


def _due_before(day: date) -> Q:
    # Only one of respond_by (know/delete/correct) and comply_by (opt-out/limit) is ever set.
    return Q(respond_by__lt=day) | Q(comply_by__lt=day)


def privacy_requests_for_queue(
    tenant: Tenant,
    *,
    type: str | None = None,  # the API's filter name
    status: str | None = None,
    channel: str | None = None,
    flagged: str | None = None,
    overdue: bool | None = None,
    due_before: date | None = None,
    today: date | None = None,
) -> QuerySet[PrivacyRequest]:
    """The tenant's requests, newest received first, optionally filtered, each with its
    assignee's username as ``ASSIGNEE_USERNAME`` (None when unassigned).

    ``overdue=True``: open requests whose respond-by/comply-by day is before the tenant's local
    ``today`` (default: today from ``clock.now()``); ``overdue=False``: every other request.
    ``due_before``: respond-by or comply-by before that date.
    ``flagged``: requests carrying that intake flag (see ``flagged_with``).
    """
    # The assignee's username rides along as an annotation (ASSIGNEE_USERNAME): a page of 50
    # then builds 50 model instances, not 50 plus one user per assigned row.
    queryset = PrivacyRequest.objects.for_tenant(tenant).annotate(
        **{ASSIGNEE_USERNAME: F(f"assignee__{get_user_model().USERNAME_FIELD}")}
    )
    if type:
        queryset = queryset.filter(request_type=type)
    if status:
        queryset = queryset.filter(status=status)
    if channel:
        queryset = queryset.filter(channel=channel)
    if flagged:
        queryset = queryset.filter(flagged_with(flagged))
    if overdue is not None:
        is_overdue = _due_before(today or tenant_today(tenant)) & ~Q(status=words.CLOSED)
        queryset = queryset.filter(is_overdue) if overdue else queryset.exclude(is_overdue)
    if due_before is not None:
        queryset = queryset.filter(_due_before(due_before))
    # A page is only read: its instances are built without Model.__init__'s per-field work.
    return queryset_with_fast_rows(queryset.order_by("-received_at", "-pk"))


def privacy_request_for_update(privacy_request: PrivacyRequest) -> PrivacyRequest:
    """The request read again under a row lock (PostgreSQL), inside the caller's transaction:
    every write path checks its rules against the current state, not a copy read earlier."""
    return (
        PrivacyRequest.objects.for_tenant(privacy_request.tenant)
        .select_for_update()
        .select_related("tenant")
        .get(pk=privacy_request.pk)
    )


def privacy_request_available_actions(privacy_request: PrivacyRequest) -> tuple[str, ...]:
    """The staff actions the request offers now (``lifecycle.available_actions``): what the
    admin shows as buttons and the API lists as ``available_actions``."""
    return _available_actions(
        privacy_request.request_type,
        privacy_request.status,
        privacy_request.respond_by is not None,
        privacy_request.extended_at is not None,
        privacy_request.confirm_by is not None,
        privacy_request.confirmed_at is not None,
    )


# A pure function of six facts with a few hundred combinations (types x statuses x four
# flags): each is worked out once per process, not once per row of every list page.
@functools.lru_cache(maxsize=1024)
def _available_actions(
    request_type: str,
    status: str,
    respond_by_set: bool,
    extended: bool,
    confirm_by_set: bool,
    confirmed: bool,
) -> tuple[str, ...]:
    return lifecycle.available_actions(
        lifecycle.RequestFacts(
            request_type=request_type,
            status=status,
            respond_by_set=respond_by_set,
            extended=extended,
            confirm_by_set=confirm_by_set,
            confirmed=confirmed,
        )
    )


def know_requests_answered_on(tenant: Tenant, *, email: str, received: date) -> list[date]:
    """Receipt dates of the consumer's requests to know, answered in whole or in part, received
    in the 12 months up to ``received`` (Civ. Code §1798.130(b); requirements A-10).

    A disclosure made to confirm a correction (§7023(j)) never counts. Only answered requests
    count: they were verified before they were answered (§7060), so they
    are the consumer's own. Open, unverified, denied and withdrawn requests do not count, so
    whoever files requests under someone else's email address never uses up that person's two.
    """
    return list(
        PrivacyRequest.objects.for_tenant(tenant)
        .filter(
            request_type=words.KNOW,
            requester_email__iexact=email,
            outcome__in=words.ANSWERED,
            received_date__gte=limits.add_months(received, -limits.KNOW_WINDOW_MONTHS),
            received_date__lte=received,
            # §7023(j): a disclosure confirming a correction is not counted.
            confirms_correction__isnull=True,
        )
        .values_list("received_date", flat=True)
    )


def corrections_denied_since(
    tenant: Tenant, *, email: str, correction_field: str, since: datetime
) -> list[tuple[str, datetime, str]]:
    """(reference, answered at, what was said to be wrong) of the consumer's requests to correct
    the same piece of information that were denied since ``since`` (§7023(g))."""
    return list(
        PrivacyRequest.objects.for_tenant(tenant)
        .filter(
            request_type=words.CORRECT,
            requester_email__iexact=email,
            outcome=words.DENIED,
            correction_field=correction_field,
            responded_at__gte=since,
        )
        .values_list("reference", "responded_at", "correction_information")
    )


def flagged_with(flag: str) -> Q:
    """Requests whose ``flags`` list holds ``flag``.

    Matched on the JSON text with the quotes around the value (``"flag"`` cannot match inside
    another flag's name): ``flags__contains`` is PostgreSQL-only for a JSON list (SQLite does
    not support it), while this works on both. Flags are plain ASCII names, so case folding
    changes nothing.
    """
    return Q(flags__icontains=f'"{flag}"')


def privacy_request_get(
    tenant: Tenant, reference: str, *, with_history: bool = False
) -> PrivacyRequest | None:
    """One of the tenant's requests by reference (None when it is missing or another tenant's).

    ``with_history`` also loads its timeline, communications and the consumer's documents
    (three more queries, all scoped).
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
                queryset=with_delivery(
                    Communication.objects.for_tenant(tenant).order_by("created_at", "pk")
                ),
            ),
            Prefetch(
                "documents",
                queryset=RequestDocument.objects.for_tenant(tenant).order_by("uploaded_at", "pk"),
            ),
        )
    return queryset.filter(reference=reference).first()


def request_documents(tenant: Tenant, privacy_request_id: int) -> QuerySet[RequestDocument]:
    """The consumer's documents sent with one of the tenant's requests, oldest first."""
    return (
        RequestDocument.objects.for_tenant(tenant)
        .filter(privacy_request_id=privacy_request_id)
        .order_by("uploaded_at", "pk")
    )


# §7023(d)(3) (R-7023-d-3): the consumer's documentation is used only to handle the correction and
# for the §7101 records. Besides the staff member assigned to the request, only these roles (the
# business's compliance staff, with or without the staff role, and its admins; platform
# superusers act as admins) may open it.
DOCUMENT_ROLES = frozenset({Role.COMPLIANCE, Role.COMPLIANCE_STAFF, Role.ADMIN})


def may_open_request_documents(
    *,
    user: AbstractBaseUser | AnonymousUser,
    role: str | None,
    privacy_request: PrivacyRequest,
) -> bool:
    """Whether ``user``, whose role at the request's business is ``role`` (None: no member),
    may open the documents the consumer sent with ``privacy_request``."""
    if role is None or not user.is_authenticated:
        return False
    if role in DOCUMENT_ROLES:
        return True
    return privacy_request.assignee_id is not None and privacy_request.assignee_id == user.pk


def request_document_openings(tenant: Tenant, privacy_request_id: int) -> dict[int, RequestEvent]:
    """For each of the request's documents that staff have opened: the first such opening."""
    events = (
        RequestEvent.objects.for_tenant(tenant)
        .filter(privacy_request_id=privacy_request_id, kind=EventKind.DOCUMENT_OPENED)
        .order_by("at", "pk")
    )
    openings: dict[int, RequestEvent] = {}
    for event in events:
        openings.setdefault(event.data[DOCUMENT_KEY], event)
    return openings


def with_delivery(communications: QuerySet[Communication]) -> QuerySet[Communication]:
    """Communications with the state of the outbox message that carries each one
    (``delivery_status``, ``delivery_error``; None for a communication sent by hand)."""
    # all_tenants, bound to each communication's own business by the OuterRef.
    message = OutboxMessage.all_tenants.filter(
        tenant_id=OuterRef("tenant_id"),
        dedupe_key=Concat(Value("comm:"), Cast(OuterRef("pk"), output_field=CharField())),
    )
    return communications.annotate(
        delivery_status=Subquery(message.values("status")[:1]),
        delivery_error=Subquery(message.values("last_error")[:1]),
    )
