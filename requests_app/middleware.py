"""``?lang=es`` on any page switches the language, and a cookie remembers the choice.

The language switch on every portal page is a plain link (works without JavaScript). Django's
LocaleMiddleware, which runs first, already reads the cookie and the browser's Accept-Language.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

ONE_YEAR = 365 * 24 * 3600


class LanguageFromQueryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.GET.get("lang", "")
        if chosen not in dict(settings.LANGUAGES):
            return self.get_response(request)
        translation.activate(chosen)
        request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            chosen,
            max_age=ONE_YEAR,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        return response
