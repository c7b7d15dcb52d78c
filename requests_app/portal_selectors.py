"""Reads for the consumer portal: footer links, and one request as its consumer sees it.

Tenant first, through ``objects.for_tenant(tenant)`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.calendar import end_of_day
from tenants.models import Tenant

from . import consumer_text
from .models import DeleteCategory, PrivacyRequest

# The exact link titles the regulations prescribe (§7013(c), §7014(c), §7015(b)).
PRIVACY_POLICY = _("Privacy Policy")
DO_NOT_SELL_OR_SHARE = _("Do Not Sell or Share My Personal Information")
LIMIT_SENSITIVE = _("Limit the Use of My Sensitive Personal Information")
YOUR_PRIVACY_CHOICES = _("Your Privacy Choices")


@dataclass(frozen=True)
class FooterLink:
    label: str | Promise
    url: str
    privacy_choices_icon: bool = False


def footer_links(tenant: Tenant) -> list[FooterLink]:
    """The statutory links of the portal footer, each only when its target page exists.

    Either the "Do Not Sell or Share" and "Limit" links (when the business sells or shares, or
    uses sensitive personal information beyond §7027(m)), or instead the single "Your Privacy
    Choices" link with the §7015(b) icon. The targets are the business's own pages for now;
    when the portal gets its own opt-out and limit pages they become the default targets.
    """
    links: list[FooterLink] = []
    if tenant.privacy_policy_url:
        links.append(FooterLink(PRIVACY_POLICY, tenant.privacy_policy_url))
    if tenant.use_privacy_choices_link:
        if tenant.privacy_choices_url:
            links.append(
                FooterLink(
                    YOUR_PRIVACY_CHOICES, tenant.privacy_choices_url, privacy_choices_icon=True
                )
            )
        return links
    if tenant.sells_or_shares and tenant.opt_out_url:
        links.append(FooterLink(DO_NOT_SELL_OR_SHARE, tenant.opt_out_url))
    if tenant.uses_sensitive_beyond_7027m and tenant.limit_url:
        links.append(FooterLink(LIMIT_SENSITIVE, tenant.limit_url))
    return links


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
    )
