"""The consumer portal's pages: every installed app's ``portal_urls.py``, joined into the one
``portal`` namespace (in INSTALLED_APPS order).

Included at ``/<tenant_slug>/`` by ``privacyportal.urls`` and at the root of a business's own
domain by ``privacyportal.host_urls``. Reverse a page with ``tenants.portal.portal_reverse`` or
the ``{% portal_url %}`` tag, which pick the right form for the address the visitor uses.
"""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps

app_name = "portal"

urlpatterns = [
    pattern
    for config in apps.get_app_configs()
    if not config.name.startswith("django.") and find_spec(f"{config.name}.portal_urls") is not None
    for pattern in import_module(f"{config.name}.portal_urls").urlpatterns
]
