"""The REST API under ``/api/``: each app's routes, and the schema with its docs page.

The schema and its docs page are public: no authentication, so they work before anyone has a key.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

_public = {"authentication_classes": [], "permission_classes": [AllowAny]}

urlpatterns = [
    path("", include("requests_app.api.urls")),
    path("", include("outbox.api.urls")),
    path("schema/", SpectacularAPIView.as_view(**_public), name="api-schema"),
    path(
        "docs/", SpectacularSwaggerView.as_view(url_name="api-schema", **_public), name="api-docs"
    ),
]
