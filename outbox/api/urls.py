"""Outbox API routes, joined under ``/api/`` by privacyportal/api_urls.py."""

from django.urls import re_path

from .views import OutboxMessageListApi

urlpatterns = [
    re_path(r"^v1/outbox/?$", OutboxMessageListApi.as_view(), name="api-v1-outbox"),
]
