"""Record-keeping's portal addresses, joined into the ``portal`` namespace
(privacyportal/portal_urls.py): the published §7102 request metrics (§7102(a)(2), §7011(e)(5))."""

from django.urls import path

from . import portal_views

urlpatterns = [
    path("metrics/", portal_views.metrics_index, name="metrics_index"),
    path("metrics/<int:year>/", portal_views.metrics_year, name="metrics_year"),
]
