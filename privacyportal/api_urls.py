"""The REST API under ``/api/``: each app's routes, and the schema with its docs page.

The schema and its docs page are public: no authentication, so they work before anyone has a key.

Each app's routes are spliced in, not ``include()``d under an empty prefix: every level of
includes is one more ResolverMatch built on every API request, and these have no prefix or
namespace of their own to keep (names and reverse() are the same).
"""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from core.api_errors import api_not_found
from fulfilment.api import urls as fulfilment_api_urls
from notices.api import urls as notices_api_urls
from optout.api import urls as optout_api_urls
from outbox.api import urls as outbox_api_urls
from recordkeeping.api import urls as records_api_urls
from requests_app.api import urls as requests_api_urls
from verification.api import urls as verification_api_urls

_public = {"authentication_classes": [], "permission_classes": [AllowAny]}

urlpatterns = [
    *requests_api_urls.urlpatterns,
    *outbox_api_urls.urlpatterns,
    *optout_api_urls.urlpatterns,
    *verification_api_urls.urlpatterns,
    *records_api_urls.urlpatterns,
    *notices_api_urls.urlpatterns,
    *fulfilment_api_urls.urlpatterns,
    path("schema/", SpectacularAPIView.as_view(**_public), name="api-schema"),
    path(
        "docs/", SpectacularSwaggerView.as_view(url_name="api-schema", **_public), name="api-docs"
    ),
    # Last: every other address under /api/ answers the API's JSON 404.
    re_path(r"^", api_not_found),
]
