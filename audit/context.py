"""The HTTP request being served, for audit entries written deep in services.

Most services that write an audit entry (``timeline_add`` with a staff actor, the document
openings, the retention purge) are called with an actor but not with the HTTP request: passing
the request down every service signature would tie them to HTTP. ``AuditContextMiddleware``
remembers the request in a context variable for the time of one HTTP request, and
``audit_record`` reads who and from where from it when its caller passes no request. Outside an
HTTP request (commands, Celery tasks) there is none, and entries say "no address".

A ``ContextVar`` rather than a thread-local: each request handled by a thread or an asyncio task
sees only its own, and it is reset when the response is returned.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponseBase

_current: ContextVar[HttpRequest | None] = ContextVar("audit_http_request", default=None)


def current_http_request() -> HttpRequest | None:
    return _current.get()


class AuditContextMiddleware:
    """Remembers the request being served (in MIDDLEWARE and API_MIDDLEWARE)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        token = _current.set(request)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
