"""Record-keeping API routes, joined under ``/api/`` by privacyportal/api_urls.py."""

from django.urls import re_path

from .views import MetricsApi, RequestLogApi

urlpatterns = [
    re_path(r"^v1/records/request-log/?$", RequestLogApi.as_view(), name="api-v1-request-log"),
    re_path(r"^v1/records/metrics/?$", MetricsApi.as_view(), name="api-v1-records-metrics"),
]
