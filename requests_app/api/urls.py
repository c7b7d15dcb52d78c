"""Privacy request API routes, joined under ``/api/`` by privacyportal/api_urls.py.

The trailing slash of the collection and detail URLs is optional, so a client that leaves it off
gets the answer instead of a redirect (which a POST cannot follow).
"""

from django.urls import path, re_path

from .corrections import CorrectionCheckApi
from .views import (
    PrivacyRequestAssignApi,
    PrivacyRequestCloseApi,
    PrivacyRequestCollectionApi,
    PrivacyRequestDetailApi,
    PrivacyRequestExtendApi,
    PrivacyRequestRecordConfirmationApi,
    PrivacyRequestStartApi,
    PrivacyRequestVerifyApi,
)

urlpatterns = [
    re_path(
        r"^v1/corrections/check/?$", CorrectionCheckApi.as_view(), name="api-v1-corrections-check"
    ),
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
    path(
        "v1/requests/<str:reference>/verify",
        PrivacyRequestVerifyApi.as_view(),
        name="api-v1-request-verify",
    ),
    path(
        "v1/requests/<str:reference>/start",
        PrivacyRequestStartApi.as_view(),
        name="api-v1-request-start",
    ),
    path(
        "v1/requests/<str:reference>/assign",
        PrivacyRequestAssignApi.as_view(),
        name="api-v1-request-assign",
    ),
    path(
        "v1/requests/<str:reference>/record-confirmation",
        PrivacyRequestRecordConfirmationApi.as_view(),
        name="api-v1-request-record-confirmation",
    ),
]
