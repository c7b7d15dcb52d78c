"""REST API routes, included at ``/api/`` by privacyportal/urls.py.

The trailing slash of the collection and detail URLs is optional, so a client that leaves it off
gets the answer instead of a redirect (which a POST cannot follow). The schema and its docs page
are public: no authentication, so they work before anyone has a key.
"""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from .views import (
    OutboxMessageListApi,
    PrivacyRequestCloseApi,
    PrivacyRequestCollectionApi,
    PrivacyRequestDetailApi,
    PrivacyRequestExtendApi,
)

_public = {"authentication_classes": [], "permission_classes": [AllowAny]}

urlpatterns = [
    re_path(r"^v1/requests/?$", PrivacyRequestCollectionApi.as_view(), name="api-v1-requests"),
    re_path(
        r"^v1/requests/(?P<reference>[^/]+)/?$",
        PrivacyRequestDetailApi.as_view(),
        name="api-v1-request-detail",
    ),
    path(
        "v1/requests/<str:reference>/extend",
        PrivacyRequestExtendApi.as_view(),
        name="api-v1-request-extend",
    ),
    path(
        "v1/requests/<str:reference>/close",
        PrivacyRequestCloseApi.as_view(),
        name="api-v1-request-close",
    ),
    re_path(r"^v1/outbox/?$", OutboxMessageListApi.as_view(), name="api-v1-outbox"),
    path("schema/", SpectacularAPIView.as_view(**_public), name="api-schema"),
    path(
        "docs/", SpectacularSwaggerView.as_view(url_name="api-schema", **_public), name="api-docs"
    ),
]
