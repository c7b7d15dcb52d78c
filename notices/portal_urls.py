"""The notices' public pages, joined into the ``portal`` namespace (privacyportal/portal_urls.py):
the privacy policy with its version history (issue 15 items 4 and 6) and the notice at
collection (§7012), whose URL name the request forms and the footer link to."""

from django.urls import path

from . import views

urlpatterns = [
    path("privacy-policy/", views.privacy_policy, name="privacy_policy"),
    path("privacy-policy/versions/", views.privacy_policy_versions, name="privacy_policy_versions"),
    path(
        "privacy-policy/versions/<int:number>/",
        views.privacy_policy_version,
        name="privacy_policy_version",
    ),
    path("notice-at-collection/", views.notice_at_collection, name="notice_at_collection"),
]
