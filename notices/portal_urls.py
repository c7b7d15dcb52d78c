"""Notices' portal addresses, joined into the ``portal`` namespace (privacyportal/portal_urls.py).

The financial incentive pages live in their own module (``incentive_portal_urls``)."""

from .incentive_portal_urls import urlpatterns as incentive_urlpatterns

urlpatterns = [*incentive_urlpatterns]
