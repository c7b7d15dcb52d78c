"""The consumer's pages to download a released response package (§7024(f)). Thin: find the
package by its random id, check the sign-in, call ``services.delivery``.

* ``package_delivery``: signed in (freshly, for this package): the two forms offered; else the
  form that asks for an email address on the request and emails a one-time sign-in link;
* ``package_sign_in``: the emailed link; opening it changes nothing (mail scanners open links),
  the button uses it once;
* ``package_download`` / ``package_page``: the zip (attachment) and the readable page (inline),
  streamed, each a counted download;
* an expired or used-up package answers 410 with what to do instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_http_methods

from core import clock
from requests_app.forms import SignInForm
from tenants.portal import portal_page, portal_render

from .downloads import package_zip_response
from .forms import DeliveryEmailForm
from .models import ResponsePackage
from .services.delivery import (
    DELIVERY_LINK_MINUTES,
    DELIVERY_SESSION_MINUTES,
    Availability,
    delivery_sign_in_is_valid,
    delivery_sign_in_request,
    delivery_sign_in_use,
    package_availability,
    package_download_claim,
    package_for_portal,
    package_page_chunks,
)

# Per tenant: the package this browser signed in to, and until when (a fresh sign-in).
DELIVERY_KEY = "portal_delivery_{tenant_id}"


def _package_url(request: HttpRequest, name: str, package: ResponsePackage) -> str:
    kwargs = {"public_id": package.public_id}
    if not getattr(request, "portal_via_host", False):
        kwargs["tenant_slug"] = request.portal_tenant.slug  # type: ignore[attr-defined]
    return reverse(f"portal:{name}", kwargs=kwargs)


def _package(request: HttpRequest, public_id: str) -> ResponsePackage:
    package = package_for_portal(request.portal_tenant, public_id)  # type: ignore[attr-defined]
    if package is None:
        raise Http404
    return package


def _signed_in(request: HttpRequest, package: ResponsePackage) -> bool:
    stored = request.session.get(DELIVERY_KEY.format(tenant_id=package.tenant_id)) or {}
    return stored.get("package") == package.pk and stored.get("until", 0) > clock.now().timestamp()


def _gone(
    request: HttpRequest, package: ResponsePackage, availability: Availability
) -> HttpResponse:
    return portal_render(
        request,
        "portal/fulfilment/package_gone.html",
        {"package": package, "expired": availability is Availability.EXPIRED},
        status=410,
    )


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def package_delivery(request: HttpRequest, public_id: str) -> HttpResponse:
    package = _package(request, public_id)
    availability = package_availability(package)
    if availability is not Availability.OPEN:
        return _gone(request, package, availability)
    context = {"package": package, "minutes": DELIVERY_LINK_MINUTES}
    if _signed_in(request, package):
        return portal_render(
            request,
            "portal/fulfilment/package_delivery.html",
            context
            | {
                "zip_url": _package_url(request, "package_download", package),
                "page_url": _package_url(request, "package_page", package),
                "downloads_left": package.download_limit - package.download_count,
            },
        )
    if request.method == "POST":
        form = DeliveryEmailForm(request.POST)
        if form.is_valid():
            delivery_sign_in_request(
                package=package,
                email=form.cleaned_data["email"],
                link_base=request.build_absolute_uri(
                    _package_url(request, "package_sign_in", package)
                ),
                language=translation.get_language() or "en",
            )
            return portal_render(
                request, "portal/fulfilment/package_sign_in_ask.html", context | {"sent": True}
            )
        return portal_render(
            request,
            "portal/fulfilment/package_sign_in_ask.html",
            context | {"form": form},
            status=400,
        )
    return portal_render(
        request,
        "portal/fulfilment/package_sign_in_ask.html",
        context | {"form": DeliveryEmailForm()},
    )


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def package_sign_in(request: HttpRequest, public_id: str) -> HttpResponse:
    package = _package(request, public_id)
    availability = package_availability(package)
    if availability is not Availability.OPEN:
        return _gone(request, package, availability)
    context = {"package": package, "ask_url": _package_url(request, "package_delivery", package)}
    if request.method == "POST":
        form = SignInForm(request.POST)
        if not (
            form.is_valid() and delivery_sign_in_use(package=package, token=form.cleaned_data["t"])
        ):
            return portal_render(
                request,
                "portal/fulfilment/package_sign_in.html",
                context | {"invalid": True},
                status=410,
            )
        request.session.cycle_key()  # a new session id on sign-in
        until = clock.now() + timedelta(minutes=DELIVERY_SESSION_MINUTES)
        request.session[DELIVERY_KEY.format(tenant_id=package.tenant_id)] = {
            "package": package.pk,
            "until": until.timestamp(),
        }
        return HttpResponseRedirect(_package_url(request, "package_delivery", package))
    token = request.GET.get("t", "")
    if not delivery_sign_in_is_valid(package=package, token=token):
        return portal_render(
            request,
            "portal/fulfilment/package_sign_in.html",
            context | {"invalid": True},
            status=410,
        )
    return portal_render(
        request,
        "portal/fulfilment/package_sign_in.html",
        context | {"form": SignInForm(initial={"t": token})},
    )


def _download(request: HttpRequest, public_id: str, form: str) -> HttpResponse | None:
    """None when the download may go ahead (and was counted); else the page to answer."""
    package = _package(request, public_id)
    availability = package_availability(package)
    if availability is not Availability.OPEN:
        return _gone(request, package, availability)
    if not _signed_in(request, package):
        return HttpResponseRedirect(_package_url(request, "package_delivery", package))
    if not package_download_claim(package, form=form, request=request):
        package.refresh_from_db()
        return _gone(request, package, package_availability(package))
    request.delivery_package = package  # type: ignore[attr-defined]
    return None


@portal_page
@require_http_methods(["GET"])
def package_download(request: HttpRequest, public_id: str) -> HttpResponse:
    """The portable copy: the zip, decrypted a chunk at a time, as an attachment."""
    refused = _download(request, public_id, "zip")
    if refused is not None:
        return refused
    package: ResponsePackage = request.delivery_package  # type: ignore[attr-defined]
    return package_zip_response(package, f"{package.privacy_request.reference}-your-data.zip")


@portal_page
@require_http_methods(["GET"])
def package_page(request: HttpRequest, public_id: str) -> HttpResponse:
    """The readable page, inline and printable. Its style comes from the portal's stylesheet
    address (the page in the zip carries it inline, for reading offline): under the site's
    Content-Security-Policy no inline style runs, so the served copy links it instead."""
    refused = _download(request, public_id, "page")
    if refused is not None:
        return refused
    package: ResponsePackage = request.delivery_package  # type: ignore[attr-defined]
    stylesheet = _stylesheet_url(request)
    response = StreamingHttpResponse(
        _linked_style(package_page_chunks(package), stylesheet),
        content_type="text/html; charset=utf-8",
    )
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _stylesheet_url(request: HttpRequest) -> str:
    kwargs = {}
    if not getattr(request, "portal_via_host", False):
        kwargs["tenant_slug"] = request.portal_tenant.slug  # type: ignore[attr-defined]
    return reverse("portal:package_stylesheet", kwargs=kwargs)


def _linked_style(chunks: Iterator[bytes], stylesheet: str) -> Iterator[bytes]:
    """The page with its inline ``<style>`` element swapped for a ``<link>``. The element is in
    the head, which the first chunks hold: they are gathered until it ends (at most
    ``_HEAD_MAX`` bytes), then everything passes as it comes."""
    head = b""
    for chunk in chunks:
        head += chunk
        start, end = head.find(b"<style>"), head.find(b"</style>")
        if start != -1 and end != -1:
            link = f'<link rel="stylesheet" href="{stylesheet}">'.encode()
            yield head[:start] + link + head[end + len(b"</style>") :]
            break
        if len(head) > _HEAD_MAX or (start == -1 and b"<body" in head):
            yield head
            break
    else:
        if head:
            yield head
        return
    yield from chunks


_HEAD_MAX = 256 * 1024


@portal_page
@require_http_methods(["GET", "HEAD"])
def package_stylesheet(request: HttpRequest) -> HttpResponse:
    """The readable page's style, the same rules the zip's copy carries inline."""
    return HttpResponse(
        render_to_string("fulfilment/package/page.css"), content_type="text/css; charset=utf-8"
    )
