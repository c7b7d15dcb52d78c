"""URLconf for a business's own domain (``settings.PORTAL_HOST_URLCONF``, set per request by
tenants.middleware): only its portal, at the root."""

from django.urls import include, path

urlpatterns = [path("", include("privacyportal.portal_urls"))]
