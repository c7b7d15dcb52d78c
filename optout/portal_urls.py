"""Opt-out's portal addresses, joined into the ``portal`` namespace (privacyportal/portal_urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("recipients/acknowledge/", views.recipient_acknowledge, name="recipient_acknowledge"),
]
