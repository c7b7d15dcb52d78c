"""The notices' footer links on every portal page (``settings.PORTAL_FOOTER_LINKS``)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant
from tenants.portal import FooterLink, portal_absolute_url, portal_reverse

from .models import NoticeKind, NoticeVersion

# The exact title the regulations use for the link (§7011(a)).
PRIVACY_POLICY = _("Privacy Policy")


def policy_published(tenant: Tenant) -> bool:
    """Whether the business has a privacy policy published on the portal: one indexed EXISTS
    (``notices_version_current``), the footer's only query."""
    return (
        NoticeVersion.objects.for_tenant(tenant)
        .filter(
            document=NoticeKind.PRIVACY_POLICY,
            superseded_at__isnull=True,
            unpublished_at__isnull=True,
        )
        .exists()
    )


def footer_links(tenant: Tenant, request: HttpRequest) -> list[FooterLink]:
    """ "Privacy Policy": the portal's own page when the business published its policy here,
    else the business's own address, else no link (never a dead end, §7004(a)(5)(B))."""
    if policy_published(tenant):
        return [FooterLink(PRIVACY_POLICY, portal_reverse(request, "privacy_policy"))]
    if tenant.privacy_policy_url:
        return [FooterLink(PRIVACY_POLICY, tenant.privacy_policy_url)]
    return []


def privacy_policy_address(tenant: Tenant) -> str:
    """The privacy policy's full address, for emails: the portal's page when published here,
    else the business's own address ("" when it has none)."""
    if policy_published(tenant):
        return portal_absolute_url(tenant, "privacy_policy")
    return tenant.privacy_policy_url
