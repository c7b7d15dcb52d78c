"""Notices API routes, joined under ``/api/`` by privacyportal/api_urls.py."""

from django.urls import re_path

from .views import InventoryApi, NoticeFindingsApi

urlpatterns = [
    re_path(r"^v1/inventory/?$", InventoryApi.as_view(), name="api-v1-inventory"),
    re_path(r"^v1/notices/findings/?$", NoticeFindingsApi.as_view(), name="api-v1-notice-findings"),
]
