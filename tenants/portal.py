"""The portal shell every app's consumer pages join: the page decorator, rendering with the
business's chrome, tenant-aware reversing, and the footer links the apps contribute.

* ``portal_page`` wraps every portal view: it answers an unknown business with the 404 page and
  rate-limits POSTs (``tenants.ratelimit``), with a friendly 429 page.
* ``portal_render`` renders a page with the business and its footer links in the context.
* ``portal_reverse`` (and the ``{% portal_url %}`` tag) gives a page's URL on the address the
  visitor uses: the business's own domain, or ``/<slug>/``. ``portal_absolute_url`` (and the
  ``{% portal_absolute_url %}`` tag) gives the full address emails link to.
* Footer links: ``settings.PORTAL_FOOTER_LINKS`` lists, in order, functions ``(tenant,
  request) -> list[FooterLink]``; each app gives its own (notices the policy, optout the opt-out
  and limit links, requests_app the request pages), so no app lists another's pages.
* Page hooks: ``settings.PORTAL_PAGE_HOOKS`` lists, in order, functions ``(request, tenant,
  view) -> response`` that wrap every portal page (GET and POST) as middleware wraps a view:
  optout's processes an opt-out preference signal. A hook may add a region to the page
  (``page_region_add``), which the base template shows at the top of the main content.
  ``portal_endpoint`` is ``portal_page`` without the hooks, for answers that are no page (JSON).

Each app's pages live in its ``portal_urls.py``; ``privacyportal.portal_urls`` joins them into
the one ``portal`` namespace, under ``/<slug>/`` and at the root of a business's own domain.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.module_loading import import_string

from . import ratelimit
from .models import Tenant

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class FooterLink:
    label: str | Promise
    url: str
    privacy_choices_icon: bool = False


FooterLinks = Callable[[Tenant, HttpRequest], list[FooterLink]]
PageHook = Callable[[HttpRequest, Tenant, Callable[[], HttpResponse]], HttpResponse]


@dataclass(frozen=True)
class PageRegion:
    """A region a page hook adds to the page: a template, included with ``region`` = context."""

    template: str
    context: dict[str, Any]


@functools.cache
def _footer_providers(paths: tuple[str, ...]) -> tuple[FooterLinks, ...]:
    return tuple(import_string(path) for path in paths)


def footer_links(tenant: Tenant, request: HttpRequest) -> list[FooterLink]:
    """Every app's footer links for this business, in ``PORTAL_FOOTER_LINKS`` order."""
    providers = _footer_providers(tuple(settings.PORTAL_FOOTER_LINKS))
    return [link for provider in providers for link in provider(tenant, request)]


@functools.cache
def _page_hooks(paths: tuple[str, ...]) -> tuple[PageHook, ...]:
    return tuple(import_string(path) for path in paths)


def page_region_add(request: HttpRequest, region: PageRegion) -> None:
    """Show ``region`` on the page ``portal_render`` renders for this request."""
    request.portal_regions.append(region)  # type: ignore[attr-defined]


def portal_reverse(request: HttpRequest, name: str) -> str:
    """A portal page's URL on the address the visitor is using: custom domain or /<slug>/."""
    if getattr(request, "portal_via_host", False):
        return reverse(f"portal:{name}")
    return reverse(f"portal:{name}", kwargs={"tenant_slug": request.portal_tenant.slug})  # type: ignore[attr-defined]


def portal_absolute_url(tenant: Tenant, name: str) -> str:
    """A portal page's full address, for emails (no visitor's request to take the host from):
    ``https://<domain>/...`` for a business with its own domain, else
    ``PORTAL_BASE_URL/<slug>/...``."""
    if tenant.domain:
        path = reverse(f"portal:{name}", urlconf=settings.PORTAL_HOST_URLCONF)
        return f"https://{tenant.domain}{path}"
    return settings.PORTAL_BASE_URL + reverse(f"portal:{name}", kwargs={"tenant_slug": tenant.slug})


def portal_render(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """A portal page: the business and its footer links, then the page's own context."""
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    page = {
        "tenant": tenant,
        "footer_links": footer_links(tenant, request),
        "page_regions": getattr(request, "portal_regions", ()),
    }
    return render(request, template, page | (context or {}), status=status)


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers and bots ask for whatever a page's ``<link rel="icon">``
    says: the static file (its hashed name in production), on every host."""
    del request
    return HttpResponseRedirect(static("favicon.ico"))


def not_found(request: HttpRequest) -> HttpResponse:
    """The plain-language 404 page, also in the embedded demo (which runs with DEBUG on)."""
    return render(request, "404.html", status=404)


def portal_page(view: View) -> View:
    """Resolve the business (set by tenants.middleware), answer an unknown one with the 404 page,
    rate-limit POSTs, and run the page hooks."""
    return _portal_view(view, page_hooks=True)


def portal_endpoint(view: View) -> View:
    """``portal_page`` for a portal address that answers JSON rather than a page: no page hooks
    (a script's cross-site call carries the browser's headers, not its portal cookies)."""
    return _portal_view(view, page_hooks=False)


def _portal_view(view: View, *, page_hooks: bool) -> View:

    @functools.wraps(view)
    def wrapper(
        request: HttpRequest, tenant_slug: str | None = None, **kwargs: Any
    ) -> HttpResponse:
        tenant = getattr(request, "portal_tenant", None)
        if tenant is None or (tenant_slug is not None and tenant.slug != tenant_slug):
            return not_found(request)
        if request.method == "POST":
            wait = ratelimit.check_post(request, tenant_id=tenant.pk)
            if wait is not None:
                minutes = max(1, (wait + 59) // 60)
                response = (
                    portal_render(request, "portal/429.html", {"minutes": minutes}, status=429)
                    if page_hooks
                    else JsonResponse(
                        {
                            "detail": f"Too many requests from this address. Try again in "
                            f"{minutes} minute{'s' if minutes > 1 else ''}."
                        },
                        status=429,
                    )
                )
                response["Retry-After"] = str(wait)
                return response
        if not page_hooks:
            return view(request, **kwargs)
        request.portal_regions = []  # type: ignore[attr-defined]
        call: Callable[[], HttpResponse] = functools.partial(view, request, **kwargs)
        for hook in reversed(_page_hooks(tuple(settings.PORTAL_PAGE_HOOKS))):
            call = functools.partial(hook, request, tenant, call)
        return call()

    return wrapper


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A plain page instead of Django's technical one when a form's security token is missing
    or stale (usually: the page was open for a long time, or cookies are off)."""
    del reason
    return render(request, "portal/csrf_failure.html", status=403)
