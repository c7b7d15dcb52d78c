"""Consent lookup API routes, joined under ``/api/`` by privacyportal/api_urls.py."""

from django.urls import re_path

from .views import ConsentLookupApi

urlpatterns = [
    re_path(r"^v1/consent/?$", ConsentLookupApi.as_view(), name="api-v1-consent"),
]
