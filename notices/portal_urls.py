"""Notices' portal addresses, joined into the ``portal`` namespace (privacyportal/portal_urls.py).

The financial incentive pages live in their own module (``incentive_portal_urls``)."""

from django.urls import path

from . import snippet_views
from .incentive_portal_urls import urlpatterns as incentive_urlpatterns

urlpatterns = [
    # The footer links as HTML for the business's own site (§7011(d), §7013(c), §7015(b)).
    path("privacy-links/", snippet_views.footer_snippet, name="footer_snippet"),
    *incentive_urlpatterns,
]
