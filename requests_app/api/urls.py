"""Privacy request API routes, joined under ``/api/`` by privacyportal/api_urls.py.

The trailing slash of the collection and detail URLs is optional, so a client that leaves it off
gets the answer instead of a redirect (which a POST cannot follow).
"""

from django.urls import path, re_path

from .views import (
    PrivacyRequestCloseApi,
    PrivacyRequestCollectionApi,
    PrivacyRequestDetailApi,
    PrivacyRequestExtendApi,
)

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
]
