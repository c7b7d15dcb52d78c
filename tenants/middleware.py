"""Which business's portal a consumer is on: from the host (custom domain) or the path prefix.

Sets ``request.portal_tenant`` (a Tenant, or None) and ``request.portal_via_host``:

* a request whose host is a tenant's ``domain`` gets that tenant and is routed with the portal-only
  URLconf (``settings.PORTAL_HOST_URLCONF``), so ``https://privacy.acme.example/know/`` works;
* otherwise the first path segment is tried as a tenant slug (``/acme/know/``).

The platform's own prefixes (``/admin/``, ``/api/``, ``/static/``...; ``RESERVED_SLUGS``) are never
portal pages: for them nothing is looked up, so the API and the admin pay no extra query. Every
other request costs one indexed query. An unknown slug leaves ``portal_tenant`` None: the portal
views answer it with the 404 page, never with a default tenant. Staff pages take their tenant
from the session (tenants.context) instead.

A portal speaks only the languages its business offers: a language chosen elsewhere (``?lang=``,
the cookie from another business's portal, the browser's Accept-Language) that this business
does not offer gives way to the business's first language, so requests are never taken, and
answered, in a language the business does not work in (§7003(b)).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from .models import RESERVED_SLUGS
from .selectors import portal_tenant_for

ONE_YEAR = 365 * 24 * 3600
# What a Tenant.slug (a SlugField) can be: the <slug:...> converter of privacyportal/urls.py.
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


class LanguageFromQueryMiddleware:
    """``?lang=es`` on any page switches the language, and a cookie remembers the choice.

    The language switch on every portal page is a plain link (works without JavaScript). Django's
    LocaleMiddleware, which runs first, already reads the cookie and the browser's
    Accept-Language; ``PortalTenantMiddleware`` then keeps a portal to its business's languages.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.GET.get("lang", "")
        if chosen not in dict(settings.LANGUAGES):
            return self.get_response(request)
        translation.activate(chosen)
        request.LANGUAGE_CODE = chosen  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            chosen,
            max_age=ONE_YEAR,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        return response


class PortalTenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.portal_tenant = None  # type: ignore[attr-defined]
        request.portal_via_host = False  # type: ignore[attr-defined]
        segment = request.path_info.lstrip("/").split("/", 1)[0]
        if segment not in RESERVED_SLUGS:
            if not _SLUG.fullmatch(segment):
                # No tenant has it as a slug; "/a%00/" must not reach PostgreSQL, which refuses
                # NUL in a string (a 500 for anyone). The host alone may still name a tenant.
                segment = ""
            try:
                host = request.get_host()
            except DisallowedHost:
                host = ""  # CommonMiddleware answers 400 for a host we do not serve
            tenant, via_host = portal_tenant_for(host, segment)
            request.portal_tenant = tenant  # type: ignore[attr-defined]
            offered = (tenant.languages if tenant is not None else None) or []
            if offered and translation.get_language() not in offered:
                translation.activate(offered[0])
                request.LANGUAGE_CODE = offered[0]  # type: ignore[attr-defined]
            if via_host:
                request.portal_via_host = True  # type: ignore[attr-defined]
                request.urlconf = settings.PORTAL_HOST_URLCONF  # type: ignore[attr-defined]
        return self.get_response(request)
