"""The WSGI entry of gunicorn (``privacyportal.wsgi:application``), of ``manage.py runserver``
(``WSGI_APPLICATION``), of the demo and of the benchmarks.

API requests with a key and no cookies take the API's own middleware chain
(``settings.API_MIDDLEWARE``); everything else the full one (``privacyportal.handlers``).
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyportal.settings")
django.setup(set_prefix=False)  # what django.core.wsgi.get_wsgi_application does first

from privacyportal.handlers import PortalApplication  # noqa: E402  (needs the apps loaded)

application = PortalApplication()
