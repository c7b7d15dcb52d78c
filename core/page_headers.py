"""``Permissions-Policy`` on every page: the browser features no page of the portal uses are off.

Django 5.2 sets neither this header nor a Content-Security-Policy (django-csp's CSPMiddleware
sets that one, from ``settings.CONTENT_SECURITY_POLICY``). Both are for HTML pages: answers under
the same excluded prefixes (the JSON API, ``/api/v1/``) go without them, so the API's lean
middleware chain (privacyportal.handlers) and the full one give the same answers.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

HEADER = "Permissions-Policy"


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.policy = ", ".join(
            f"{feature}=({' '.join(allowed)})"
            for feature, allowed in settings.PERMISSIONS_POLICY.items()
        )
        self.excluded = tuple(settings.CONTENT_SECURITY_POLICY.get("EXCLUDE_URL_PREFIXES", ()))

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.policy and not request.path_info.startswith(self.excluded):
            response.headers.setdefault(HEADER, self.policy)
        return response
