"""The opt-out and limit links of every portal page's footer (``settings.PORTAL_FOOTER_LINKS``).

Either the "Do Not Sell or Share" and "Limit" links (when the business sells or shares, or uses
sensitive personal information beyond §7027(m)), or instead the single "Your Privacy Choices"
link with the §7015(b) icon. Each link is shown only when its target exists, so the portal never
links to a dead end (§7004(a)(5)(B)). The targets are the business's own pages for now; the
opt-out issue gives the portal its own pages, which become the default targets.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant
from tenants.portal import FooterLink

# The exact link titles the regulations prescribe (§7013(c), §7014(c), §7015(b)).
DO_NOT_SELL_OR_SHARE = _("Do Not Sell or Share My Personal Information")
LIMIT_SENSITIVE = _("Limit the Use of My Sensitive Personal Information")
YOUR_PRIVACY_CHOICES = _("Your Privacy Choices")


def footer_links(tenant: Tenant, request: HttpRequest) -> list[FooterLink]:
    if tenant.use_privacy_choices_link:
        if not tenant.privacy_choices_url:
            return []
        return [
            FooterLink(YOUR_PRIVACY_CHOICES, tenant.privacy_choices_url, privacy_choices_icon=True)
        ]
    links = []
    if tenant.sells_or_shares and tenant.opt_out_url:
        links.append(FooterLink(DO_NOT_SELL_OR_SHARE, tenant.opt_out_url))
    if tenant.uses_sensitive_beyond_7027m and tenant.limit_url:
        links.append(FooterLink(LIMIT_SENSITIVE, tenant.limit_url))
    return links
