"""The privacy policy and the notice at collection, rendered from what the business told us.

A notice is generated from the data inventory (``InventoryCategory``), the business's own text
in the notice's language (``NoticeText``, Markdown: untrusted input, always through
``core.markup``), its ``PrivacyPractices`` and its request settings (``Tenant``). The result is
the HTML fragment a ``NoticeVersion`` keeps for good (§7011(e)(4), R-NOT-P-1), so its links are
full addresses (``portal_absolute_url``): the fragment is shown on the portal's pages, in the
admin's preview and in the version history, each at another address.

Every section has a stable English ``id`` (the same in Spanish), so the notice at collection
and anyone else can link straight into the section that holds what they point at (§7012(f)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from requests_app.consumer_text import verification_description
from tenants.models import RequestMethod, Tenant
from tenants.portal import portal_absolute_url

from .inventory import inventory_for_display
from .models import NoticeKind, NoticeText, NoticeVersion, PrivacyPractices

FINANCIAL_INCENTIVE_PREFIX = "financial_incentive:"

# The privacy policy's sections, in order, by their anchor (§7011(e); R-7011-*). Sections that
# apply only to some businesses (metrics) are left out of the page when they do not apply; the
# others are always there, saying "we do not" where the business does not.
POLICY_SECTIONS: tuple[str, ...] = (
    "categories",  # §7011(e)(1)(A)-(C), (E), (I) per category, retention §7012(e)(4)
    "selling-and-sharing",  # §7011(e)(1)(D)-(G)
    "sensitive",  # §7011(e)(1)(K), §7014(g)
    "disclosures",  # §7011(e)(1)(H)-(J)
    "retention",  # §7011(a), §7012(e)(4)
    "offline",  # §7011(a)
    "your-rights",  # §7011(e)(2)
    "how-to-make-a-request",  # §7011(e)(3)(A)-(B)
    "right-to-opt-out",  # §7011(e)(3)(C), §7013(d), (f), (g)
    "right-to-limit",  # §7011(e)(3)(D), §7014(d), (f), (g)
    "verification",  # §7011(e)(3)(E), §7062(g)
    "preference-signals",  # §7011(e)(3)(F)-(G), §7025(g)(2)
    "authorized-agents",  # §7011(e)(3)(H)
    "minors",  # §7011(e)(1)(G), (e)(3)(I)
    "metrics",  # §7011(e)(5), §7102 (only when subject to it)
    "financial-incentives",  # §7016 (the notices themselves are their own documents)
    "accessibility",  # §7003(b)(3), R-7003-b3-2
    "contact",  # §7011(e)(3)(J)
)

# The notice at collection's sections (§7012(e)(1)-(7)); "portal-forms" is what this portal's own
# request forms collect (the portal collects personal information too, R-7010-b-1).
NOTICE_AT_COLLECTION_SECTIONS: tuple[str, ...] = (
    "what-we-collect-and-why",  # §7012(e)(1)-(4)
    "do-not-sell-or-share",  # §7012(e)(5)
    "third-parties-controlling-collection",  # §7012(e)(6)
    "privacy-policy",  # §7012(e)(7)
    "portal-forms",
)

# Where the notice at collection's "more details" links go in the policy: straight to the
# section holding the information, never to the top of the policy (§7012(f)).
DEEP_LINKS = {
    "categories": "categories",
    "selling": "selling-and-sharing",
    "retention": "retention",
    "rights": "your-rights",
}


@dataclass(frozen=True)
class RenderedDocument:
    """A notice in one language, ready to publish: its title and its sanitized HTML."""

    title: str
    body_html: SafeString


def notice_text(tenant: Tenant, language: str) -> NoticeText:
    """The business's own text in ``language`` (an empty, unsaved one when it wrote none)."""
    found = NoticeText.objects.for_tenant(tenant).filter(language=language).first()
    return found or NoticeText(tenant=tenant, language=language)


def privacy_practices(tenant: Tenant) -> PrivacyPractices:
    """The business's practices (the defaults, unsaved, until it records its own)."""
    found = PrivacyPractices.objects.for_tenant(tenant).first()
    return found or PrivacyPractices(tenant=tenant)


def current_incentive_titles(tenant: Tenant, language: str) -> list[str]:
    """The titles of the notices of financial incentive now published in ``language``."""
    return list(
        NoticeVersion.objects.for_tenant(tenant)
        .filter(
            document__startswith=FINANCIAL_INCENTIVE_PREFIX,
            language=language,
            superseded_at__isnull=True,
            unpublished_at__isnull=True,
        )
        .order_by("title")
        .values_list("title", flat=True)
    )


def _links(tenant: Tenant) -> dict[str, str]:
    """Full addresses of the portal's pages a notice links to (by URL name: notices imports
    neither optout nor recordkeeping, whose pages these are)."""
    names = (
        "home",
        "know",
        "delete",
        "correct",
        "status",
        "opt_out",
        "limit",
        "privacy_choices",
        "privacy_policy",
        "notice_at_collection",
        "metrics_index",
    )
    return {name: portal_absolute_url(tenant, name) for name in names}


def _context(tenant: Tenant, language: str, effective_date: date) -> dict[str, Any]:
    inventory = inventory_for_display(tenant)
    practices = privacy_practices(tenant)
    sells = tenant.sells_or_shares or inventory.sells or inventory.shares
    limits = tenant.uses_sensitive_beyond_7027m or inventory.uses_sensitive_beyond_7027m
    methods = [m for m in tenant.request_methods or [] if m in RequestMethod.values]
    return {
        "tenant": tenant,
        "text": notice_text(tenant, language),
        "practices": practices,
        "inventory": inventory,
        "rows": inventory.personal + inventory.sensitive,
        "sells_or_shares": sells,
        "limits": limits,
        "methods": methods,
        "links": _links(tenant),
        "deep": DEEP_LINKS,
        "effective_date": effective_date,
        "verification": verification_description(tenant),
        "incentives": current_incentive_titles(tenant, language),
    }


TEMPLATES = {
    NoticeKind.PRIVACY_POLICY: "notices/privacy_policy.html",
    NoticeKind.NOTICE_AT_COLLECTION: "notices/notice_at_collection.html",
}


def document_title(kind: str) -> str:
    """The notice's title in the active language (the exact titles of §7011, §7012)."""
    if kind == NoticeKind.PRIVACY_POLICY:
        return gettext("Privacy Policy")
    return gettext("Notice at Collection")


def render_document(
    *, tenant: Tenant, kind: str, language: str, effective_date: date
) -> RenderedDocument:
    """``kind`` (the privacy policy or the notice at collection) in ``language`` as it would be
    published with ``effective_date`` as its "last updated" date (§7011(e)(4))."""
    if kind not in TEMPLATES:
        raise ValueError(f"notices renders the privacy policy and notice at collection, not {kind}")
    with translation.override(language):
        context = _context(tenant, language, effective_date)
        body = render_to_string(TEMPLATES[NoticeKind(kind)], context)
        return RenderedDocument(title=document_title(kind), body_html=SafeString(body))
