"""URLconf for a business's own domain (``settings.PORTAL_HOST_URLCONF``, set per request by
tenants.middleware): only its portal, at the root."""

from django.urls import include, path

from tenants.portal import favicon

urlpatterns = [
    path("favicon.ico", favicon),
    path("", include("privacyportal.portal_urls")),
]
