"""The embeddable footer snippet (issue 15 item 4): the portal's footer links as a few lines of
HTML a business pastes into its own site's footer, so its homepage carries the links the
regulations require (§7011(d), §7012(c), §7013(c), §7014(c), §7015(b)).

The links are the portal's own footer links, from the same registry (``PORTAL_FOOTER_LINKS``), as
absolute addresses: what a consumer finds at the foot of a portal page, they find at the foot of
the business's site. The snippet sets no class, no style, no font size and no colour: its links
take the host page's own link styles, so they are as conspicuous as the site's other footer
links and can never be shrunk or greyed by us (§7003(c), R-7003-c-1). The "Your Privacy
Choices" icon is sized in ``em``: one line of the host's text high, the size of the icons
around it (§7015(b), R-7015-b-2), with a text alternative.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from tenants.portal import footer_links


def footer_snippet_html(request: HttpRequest) -> SafeString:
    """The snippet for the business of this portal request, in the page's language."""
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    links = [(link, request.build_absolute_uri(link.url)) for link in footer_links(tenant, request)]
    html = render_to_string(
        "notices/footer_snippet.html", {"tenant": tenant, "links": links}, request=None
    )
    return SafeString(html.strip() + "\n")
