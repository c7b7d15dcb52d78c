"""The notices' public pages, joined into the ``portal`` namespace (privacyportal/portal_urls.py):
the privacy policy with its version history (issue 15 items 4 and 6), the notice at collection
(§7012), whose URL name the request forms and the footer link to, the footer snippet for the
business's own site, and the financial incentive pages (their own module,
``incentive_portal_urls``)."""

from django.urls import path

from . import snippet_views, views
from .incentive_portal_urls import urlpatterns as incentive_urlpatterns

urlpatterns = [
    path("privacy-policy/", views.privacy_policy, name="privacy_policy"),
    path("privacy-policy/versions/", views.privacy_policy_versions, name="privacy_policy_versions"),
    path(
        "privacy-policy/versions/<int:number>/",
        views.privacy_policy_version,
        name="privacy_policy_version",
    ),
    path("notice-at-collection/", views.notice_at_collection, name="notice_at_collection"),
    # The footer links as HTML for the business's own site (§7011(d), §7013(c), §7015(b)).
    path("privacy-links/", snippet_views.footer_snippet, name="footer_snippet"),
    *incentive_urlpatterns,
]
