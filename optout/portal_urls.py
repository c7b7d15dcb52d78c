"""Opt-out's portal addresses, joined into the ``portal`` namespace (privacyportal/portal_urls.py)."""

from django.urls import path

from . import signal_views, views

urlpatterns = [
    path("recipients/acknowledge/", views.recipient_acknowledge, name="recipient_acknowledge"),
    path("signal/", signal_views.signal_report, name="gpc_signal"),
]
