"""Consent API routes, joined under ``/api/`` by privacyportal/api_urls.py."""

from django.urls import re_path

from .views import ConsentLookupApi, MinorRecordApi, OptInPromptApi

urlpatterns = [
    re_path(r"^v1/consent/?$", ConsentLookupApi.as_view(), name="api-v1-consent"),
    re_path(
        r"^v1/consent/opt-in-prompts/?$",
        OptInPromptApi.as_view(),
        name="api-v1-consent-opt-in-prompts",
    ),
    re_path(r"^v1/consent/minors/?$", MinorRecordApi.as_view(), name="api-v1-consent-minors"),
]
