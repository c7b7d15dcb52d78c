"""Verification API routes, joined under ``/api/`` by privacyportal/api_urls.py."""

from django.urls import re_path

from .views import DirectoryRecordsAddApi

urlpatterns = [
    re_path(
        r"^v1/verification/directory/?$",
        DirectoryRecordsAddApi.as_view(),
        name="api-v1-verification-directory",
    ),
]
