"""The notices' footer links on every portal page (``settings.PORTAL_FOOTER_LINKS``)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant
from tenants.portal import FooterLink

# The exact title the regulations use for the link (§7011(a)).
PRIVACY_POLICY = _("Privacy Policy")


def footer_links(tenant: Tenant, request: HttpRequest) -> list[FooterLink]:
    """The privacy policy, when the business has given its address."""
    if not tenant.privacy_policy_url:
        return []
    return [FooterLink(PRIVACY_POLICY, tenant.privacy_policy_url)]


def privacy_policy_address(tenant: Tenant) -> str:
    """The privacy policy's full address, for emails ("" when the business has none)."""
    return tenant.privacy_policy_url
