"""Opt-out's portal addresses, joined into the ``portal`` namespace (privacyportal/portal_urls.py)."""

from django.urls import path

from . import signal_views, views

urlpatterns = [
    # The addresses every business's footer links point to (§7013(c), §7014(c), §7015(b)).
    path("do-not-sell-or-share/", views.opt_out, name="opt_out"),
    path("limit-sensitive/", views.limit, name="limit"),
    path("privacy-choices/", views.privacy_choices, name="privacy_choices"),
    path("recipients/acknowledge/", views.recipient_acknowledge, name="recipient_acknowledge"),
    path("signal/", signal_views.signal_report, name="gpc_signal"),
]
