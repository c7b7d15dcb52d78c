"""The opt-out and limit links of every portal page's footer (``settings.PORTAL_FOOTER_LINKS``).

A business that sells or shares gets "Do Not Sell or Share My Personal Information" (§7013(c));
one that uses sensitive personal information beyond §7027(m) gets "Limit the Use of My Sensitive
Personal Information" (§7014(c)); or, when it chose the alternative link, the single "Your
Privacy Choices" link with the §7015(b) icon instead. Each points to the portal's own page,
which always exists, whatever other page the business also has (its own ``opt_out_url`` and the
like are mentioned on the portal's pages). A business that does neither gets no link: it needs
none (§7013(g), §7014(g)).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant
from tenants.portal import FooterLink, portal_reverse

# The exact link titles the regulations prescribe (§7013(c), §7014(c), §7015(b)).
DO_NOT_SELL_OR_SHARE = _("Do Not Sell or Share My Personal Information")
LIMIT_SENSITIVE = _("Limit the Use of My Sensitive Personal Information")
YOUR_PRIVACY_CHOICES = _("Your Privacy Choices")


def footer_links(tenant: Tenant, request: HttpRequest) -> list[FooterLink]:
    sells, sensitive = tenant.sells_or_shares, tenant.uses_sensitive_beyond_7027m
    if not (sells or sensitive):
        return []
    if tenant.use_privacy_choices_link:
        url = portal_reverse(request, "privacy_choices")
        return [FooterLink(YOUR_PRIVACY_CHOICES, url, privacy_choices_icon=True)]
    links = []
    if sells:
        links.append(FooterLink(DO_NOT_SELL_OR_SHARE, portal_reverse(request, "opt_out")))
    if sensitive:
        links.append(FooterLink(LIMIT_SENSITIVE, portal_reverse(request, "limit")))
    return links
