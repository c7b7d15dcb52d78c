"""URLconf for a business's own domain (``settings.PORTAL_HOST_URLCONF``, set per request by
tenants.middleware): only its portal, at the root."""

from django.urls import include, path

from optout.signal_views import gpc_json
from tenants.portal import favicon

urlpatterns = [
    path("favicon.ico", favicon),
    path(".well-known/gpc.json", gpc_json),
    path("", include("privacyportal.portal_urls")),
]
