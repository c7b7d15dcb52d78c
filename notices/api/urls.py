"""Notices API routes, joined under ``/api/`` by privacyportal/api_urls.py."""

from django.urls import re_path

from .views import InventoryApi

urlpatterns = [
    re_path(r"^v1/inventory/?$", InventoryApi.as_view(), name="api-v1-inventory"),
]
