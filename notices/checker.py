"""The completeness checker's facts, gathered from the database (``checker_rules`` decides)."""

from __future__ import annotations

from tenants.models import Tenant
from tenants.selectors import tenant_today

from . import checker_rules
from .checker_rules import Finding, NoticeFacts
from .models import NoticeText, NoticeVersion

TEXT_FIELDS = (
    "introduction",
    "offline_practices",
    "sale_purposes",
    "disclosure_purposes",
    "minors_processes",
    "no_verification_reason",
    "third_parties_controlling_collection",
    "contact",
)


def notice_facts(tenant: Tenant) -> NoticeFacts:
    texts = {
        text.language: {name: getattr(text, name).strip() for name in TEXT_FIELDS}
        for text in NoticeText.objects.for_tenant(tenant)
    }
    last_policy = (
        NoticeVersion.objects.for_tenant(tenant)
        .filter(document=checker_rules.PRIVACY_POLICY)
        .order_by("-published_at")
        .values_list("effective_date", flat=True)
        .first()
    )
    return NoticeFacts(
        today=tenant_today(tenant),
        languages=tuple(tenant.languages),
        texts=texts,
        policy_last_updated=last_policy,
    )


def findings_for(tenant: Tenant, document: str | None = None) -> list[Finding]:
    """The required elements ``tenant``'s notices miss (all, or ``document``'s)."""
    return checker_rules.findings(notice_facts(tenant), document)
