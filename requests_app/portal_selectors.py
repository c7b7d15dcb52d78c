"""Reads for the consumer portal: one request as its consumer sees it.

Tenant first, through ``objects.for_tenant(tenant)`` only.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.module_loading import import_string

from core import clock
from core.calendar import end_of_day
from tenants.models import Tenant

from . import consumer_text
from . import vocabulary as words
from .models import CorrectionStatement, DeleteCategory, PrivacyRequest

# The session key of the status page's sign-in, per business: which request this browser may
# see (its id), and until when (a timestamp), after the consumer opened the emailed link.
STATUS_KEY = "portal_status_{tenant_id}"


def status_signed_in_request(tenant: Tenant, session: Any) -> PrivacyRequest | None:
    """The request this browser signed in to follow with the emailed link, while the sign-in
    lasts: whoever holds it received the link at the request's email address. None otherwise
    (no query when the session holds no sign-in)."""
    stored = session.get(STATUS_KEY.format(tenant_id=tenant.pk))
    if not stored or stored.get("until", 0) < clock.now().timestamp():
        return None
    return PrivacyRequest.objects.for_tenant(tenant).filter(pk=stored.get("id")).first()


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    label: str | Promise
    detail: str = ""


@dataclass(frozen=True)
class ConsumerView:
    """One request as the consumer sees it on the status page."""

    privacy_request: PrivacyRequest
    type_title: str | Promise
    status_label: str | Promise
    outcome_label: str | Promise | None
    respond_by_end: datetime | None  # end of the due day, tenant time
    timeline: list[TimelineEntry]
    communications: list
    documents: list
    selected_categories: list  # a selective request to delete: the kinds chosen (labels)
    know_period: str = ""  # a request to know: the period asked for, in the page's language
    # §7023(f)(4): a request to correct denied in whole or in part offers the statement page.
    statement_allowed: bool = False


def request_for_consumer(tenant: Tenant, privacy_request_id: int) -> ConsumerView | None:
    privacy_request = (
        PrivacyRequest.objects.for_tenant(tenant)
        .select_related("tenant")
        .prefetch_related("events", "communications", "documents")
        .filter(pk=privacy_request_id)
        .first()
    )
    if privacy_request is None:
        return None
    due: date | None = privacy_request.active_due_date
    timeline = [
        TimelineEntry(
            at=event.at,
            label=consumer_text.EVENTS[event.kind],
            # The extension reason is written for the consumer (§7021(b)); other reasons are staff notes.
            detail=event.reason if event.kind == "extended" else "",
        )
        for event in privacy_request.events.all()
        if event.kind in consumer_text.EVENTS
    ]
    return ConsumerView(
        privacy_request=privacy_request,
        type_title=consumer_text.REQUEST_TYPE_TITLES.get(
            privacy_request.request_type, privacy_request.get_request_type_display()
        ),
        status_label=consumer_text.STATUSES.get(privacy_request.status, privacy_request.status),
        outcome_label=consumer_text.OUTCOMES.get(privacy_request.outcome)
        if privacy_request.outcome
        else None,
        respond_by_end=end_of_day(due, tenant.zone) if due else None,
        timeline=timeline,
        communications=list(privacy_request.communications.all()),
        documents=list(privacy_request.documents.all()),
        selected_categories=[
            DeleteCategory(code).label
            for code in privacy_request.delete_categories or []
            if code in DeleteCategory.values
        ],
        know_period=consumer_text.know_period_phrase(
            privacy_request.know_period_start, privacy_request.know_period_end
        )
        if privacy_request.request_type == words.KNOW
        else "",
        statement_allowed=privacy_request.request_type == words.CORRECT
        and privacy_request.outcome in (words.DENIED, words.COMPLIED_IN_PART),
    )


def statements_for_consumer(privacy_request: PrivacyRequest) -> list[CorrectionStatement]:
    """The statements the consumer sent about this request (§7023(f)(4)), oldest first."""
    return list(
        CorrectionStatement.objects.for_tenant(privacy_request.tenant).filter(
            privacy_request=privacy_request
        )
    )


@dataclass(frozen=True)
class StatusPageLink:
    """A link an app above requests_app adds to the consumer's status page
    (``settings.PRIVACY_REQUEST_STATUS_LINKS``): a heading, a sentence and the link's text; with
    no ``url``, the sentence alone (nothing to follow)."""

    heading: str
    text: str
    label: str
    url: str


@functools.cache
def _status_link_providers(paths: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(import_string(path) for path in paths)


def status_page_links(privacy_request: PrivacyRequest, request: Any) -> list[StatusPageLink]:
    """What the apps above add to the consumer's status page, in settings order."""
    providers = _status_link_providers(tuple(settings.PRIVACY_REQUEST_STATUS_LINKS))
    return [link for provider in providers for link in provider(privacy_request, request)]
