"""The page that hands a business its footer snippet (``notices.snippet``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from tenants.portal import portal_page, portal_render

from .snippet import footer_snippet_html


@portal_page
@require_http_methods(["GET", "HEAD"])
def footer_snippet(request: HttpRequest) -> HttpResponse:
    return portal_render(
        request, "portal/notices/footer_snippet.html", {"snippet": footer_snippet_html(request)}
    )
