"""URLconf for a business's own domain (tenants.middleware sets it): only its portal, at the root."""

from django.urls import include, path

urlpatterns = [path("", include("requests_app.urls"))]
