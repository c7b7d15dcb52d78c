"""Notices' portal addresses, joined into the ``portal`` namespace (privacyportal/portal_urls.py)."""

from django.urls import path

from . import snippet_views

urlpatterns = [
    # The footer links as HTML for the business's own site (§7011(d), §7013(c), §7015(b)).
    path("privacy-links/", snippet_views.footer_snippet, name="footer_snippet"),
]
