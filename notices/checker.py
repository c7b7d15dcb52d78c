"""The completeness checker's facts, gathered from the database (``checker_rules`` decides).

Four queries whatever the size of the inventory: the inventory is aggregated in the database,
and the texts, the published versions and the practices are one query each; the settings come
from the tenant already in hand.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q

from tenants.models import Tenant
from tenants.selectors import tenant_today

from . import categories, checker_rules
from .checker_rules import Finding, NoticeFacts
from .models import InventoryCategory, NoticeText, NoticeVersion, PrivacyPractices

TEXT_FIELDS = tuple(checker_rules.TEXT_FIELDS)
PRACTICES_FIELDS = (
    "knows_sells_under_16",
    "no_reasonable_verification",
    "registered_data_broker",
    "data_broker_registration_url",
    "reviewed_at",
)


def _inventory(tenant: Tenant) -> dict[str, int]:
    sensitive = [c.code for c in categories.SENSITIVE_PERSONAL_INFORMATION]
    return InventoryCategory.objects.for_tenant(tenant).aggregate(
        categories=Count("pk"),
        sold_or_shared=Count("pk", filter=Q(sold=True) | Q(shared=True)),
        # A JSON list: "not the empty list" reads the same on PostgreSQL and SQLite.
        discloses=Count("pk", filter=~Q(disclosed_to=[])),
        # Only a sensitive category's use counts (InventoryCategory.clean refuses it on others).
        sensitive_beyond=Count(
            "pk", filter=Q(category__in=sensitive, sensitive_use_beyond_7027m=True)
        ),
    )


def _published(tenant: Tenant) -> dict[str, dict[str, date]]:
    """The versions consumers see now: document -> language -> effective date."""
    published: dict[str, dict[str, date]] = {}
    current = (
        NoticeVersion.objects.for_tenant(tenant)
        .filter(
            document__in=checker_rules.DOCUMENTS,
            superseded_at__isnull=True,
            unpublished_at__isnull=True,
        )
        .values_list("document", "language", "effective_date")
    )
    for document, language, effective in current:
        published.setdefault(document, {})[language] = effective
    return published


def notice_facts(tenant: Tenant) -> NoticeFacts:
    inventory = _inventory(tenant)
    texts = {
        row["language"]: {name: (row[name] or "").strip() for name in TEXT_FIELDS}
        for row in NoticeText.objects.for_tenant(tenant).values("language", *TEXT_FIELDS)
    }
    practices = PrivacyPractices.objects.for_tenant(tenant).values(*PRACTICES_FIELDS).first() or {}
    return NoticeFacts(
        today=tenant_today(tenant),
        languages=tuple(tenant.languages or ()),
        texts=texts,
        published=_published(tenant),
        inventory_categories=inventory["categories"],
        inventory_sells_or_shares=inventory["sold_or_shared"] > 0,
        inventory_discloses=inventory["discloses"] > 0,
        inventory_sensitive_beyond_7027m=inventory["sensitive_beyond"] > 0,
        contact_email=(tenant.contact_email or "").strip(),
        sells_or_shares=tenant.sells_or_shares,
        sells_or_shares_offline=tenant.sells_or_shares_offline,
        uses_sensitive_beyond_7027m=tenant.uses_sensitive_beyond_7027m,
        knows_sells_under_16=practices.get("knows_sells_under_16", False),
        no_reasonable_verification=practices.get("no_reasonable_verification", False),
        registered_data_broker=practices.get("registered_data_broker", False),
        data_broker_registration_url=(practices.get("data_broker_registration_url") or "").strip(),
        practices_reviewed_at=practices.get("reviewed_at"),
    )


def findings_for(tenant: Tenant, document: str | None = None) -> list[Finding]:
    """The required elements ``tenant``'s notices miss (all, or ``document``'s and the
    business's)."""
    return checker_rules.findings(notice_facts(tenant), document)
