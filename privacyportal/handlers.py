"""The WSGI entry's two middleware chains: the full one, and the API's own for callers with a key.

A business's systems call ``/api/v1/`` with an API key and no cookies. For them most of
``settings.MIDDLEWARE`` does nothing but cost time: there is no session to load, no CSRF cookie
to check (DRF checks CSRF only for session users), no messages, no portal tenant (``/api/`` is a
reserved slug), no static file. Those requests go through ``settings.API_MIDDLEWARE`` instead,
which keeps everything that shapes an API answer: the security headers, the language (DRF's own
messages are translated, and the ``Content-Language`` / ``Vary`` headers), the host check,
``Content-Length``, ``X-Frame-Options``.

Everything else takes the full chain, unchanged: every other path (the API's docs page needs
its CSRF cookie), and any API request that carries a session, CSRF or language cookie (staff
using the API with their admin session: SessionAuthentication and its CSRF check) or a
``?lang=`` that ``LanguageFromQueryMiddleware`` would act on.

``privacyportal.wsgi.application`` (gunicorn, ``manage.py runserver`` through
``WSGI_APPLICATION``, the demo, the benchmarks) is a ``PortalApplication``. The tests send
every Django test ``Client`` request through the same choice (tests/helpers.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import SuspiciousOperation
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponseBase, QueryDict
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject

from optout.api.fast import CONSENT_PATHS, consent_lookup_fast

API_CHAIN_PREFIX = "/api/v1/"
_ANONYMOUS = AnonymousUser()
_load_lock = threading.Lock()


def _cookie_names() -> tuple[str, ...]:
    return (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME)


def takes_api_chain(environ: dict[str, Any]) -> bool:
    """Whether this request goes through ``settings.API_MIDDLEWARE`` (see the module's doc)."""
    if not environ.get("PATH_INFO", "").startswith(API_CHAIN_PREFIX):
        return False
    cookies = environ.get("HTTP_COOKIE")
    # A name anywhere in the header is enough: a false match only costs the full chain.
    if cookies and any(name in cookies for name in _cookie_names()):
        return False
    query = environ.get("QUERY_STRING")
    # LanguageFromQueryMiddleware reads the decoded ``lang`` parameter: look only when a query
    # could hold one ("%6Cang" decodes to "lang" too).
    return not (query and ("lang" in query or "%" in query) and _switches_language(query))


def _switches_language(query: str) -> bool:
    try:
        return QueryDict(query).get("lang", "") in dict(settings.LANGUAGES)
    except SuspiciousOperation:
        # Too many fields to parse: raised here, outside every chain, it was a 500. Whichever
        # chain reads the query next refuses it with Django's 400.
        return False


@contextmanager
def _middleware_setting(paths: list[str]) -> Iterator[None]:
    """``settings.MIDDLEWARE`` reads ``paths`` while a handler builds its chain (at start-up)."""
    with _load_lock:
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = paths
        try:
            yield
        finally:
            settings.MIDDLEWARE = full


class ApiLocaleMiddleware:
    """Django's LocaleMiddleware, for the API chain: the same language, request.LANGUAGE_CODE and
    headers, with less work.

    Without i18n_patterns in the URLconf, LocaleMiddleware takes the language from the cookie
    and Accept-Language and never from the path, yet reads the path twice (both times a regex
    and a failed lookup) and asks twice whether the URLconf has language prefixes; this asks
    once. Any request whose URLconf does use language prefixes goes to LocaleMiddleware itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.django = LocaleMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        if is_language_prefix_patterns_used(urlconf)[0]:
            return self.django(request)
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class ApiChainMixin(BaseHandler):
    """A handler whose chain is ``settings.API_MIDDLEWARE``, and whose innermost step first offers
    a consent lookup to its hot path (``optout.api.fast``).

    Its requests look like the full chain's to the code they reach, and its answers carry the
    same headers: the ``user`` is anonymous, found lazily, as AuthenticationMiddleware finds it
    when there is no session; whoever looks (DRF's SessionAuthentication, when no key came) makes
    the answer ``Vary: Cookie``, as SessionMiddleware does once the session was read; and there is
    no portal tenant (PortalTenantMiddleware's answer for ``/api/``).
    """

    def load_middleware(self, is_async: bool = False) -> None:
        with _middleware_setting(list(settings.API_MIDDLEWARE)):
            super().load_middleware(is_async)

    def _get_response(self, request: HttpRequest) -> HttpResponseBase:
        # The innermost step, inside the chain's middleware: the consent lookup's hot path
        # answers before the URL is resolved, or hands over to the URLconf's (DRF) view.
        if request.path_info in CONSENT_PATHS:
            response = consent_lookup_fast(request)
            if response is not None:
                return response
        return super()._get_response(request)

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        consulted: list[bool] = []

        def anonymous() -> AnonymousUser:
            consulted.append(True)
            return _ANONYMOUS

        request.user = SimpleLazyObject(anonymous)  # type: ignore[attr-defined]
        request.portal_tenant = None  # type: ignore[attr-defined]
        request.portal_via_host = False  # type: ignore[attr-defined]
        response = super().get_response(request)
        if consulted:
            patch_vary_headers(response, ("Cookie",))
        return response


class ApiWSGIHandler(ApiChainMixin, WSGIHandler):
    pass


class PortalApplication:
    """The WSGI application: each request to the full chain or the API's (``takes_api_chain``)."""

    def __init__(self) -> None:
        self.full = WSGIHandler()
        self.api = ApiWSGIHandler()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if takes_api_chain(environ):
            return self.api(environ, start_response)
        return self.full(environ, start_response)
