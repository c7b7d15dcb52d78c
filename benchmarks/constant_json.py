"""The smallest Django view: a constant JSON body, no middleware (``consent_lookup.py``'s yardstick).

The WSGI app ``benchmarks.constant_json:application`` with the settings
``benchmarks.constant_settings``, under the same gunicorn configuration as the portal.
"""

from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path

BODY = b'{"may_sell_or_share": true, "may_use_sensitive_information": true}'


def constant(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY, content_type="application/json")


urlpatterns = [path("constant/", constant)]
application = get_wsgi_application()
