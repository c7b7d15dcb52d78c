"""Opt-out's portal addresses, joined into the ``portal`` namespace (privacyportal/portal_urls.py)."""

from django.urls import path

from . import opt_in_views, views

urlpatterns = [
    path("recipients/acknowledge/", views.recipient_acknowledge, name="recipient_acknowledge"),
]

# Opting back in (§7028(a)): the request, its separate confirmation, and the result.
urlpatterns += [
    path("opt-in/", opt_in_views.opt_in, name="opt_in"),
    path("opt-in/confirm/", opt_in_views.opt_in_confirm_page, name="opt_in_confirm"),
    path("opt-in/done/", opt_in_views.opt_in_done, name="opt_in_done"),
]
