"""The opt-out preference signal from a business's own website, and ``/.well-known/gpc.json``.

* ``signal_report`` (``/<slug>/signal/``): the embeddable script (``static/optout/gpc-v1.js``)
  that a business puts on its own site reads ``navigator.globalPrivacyControl`` and POSTs it with
  the site's first-party device id (R-7025-b-2). The body authenticates nobody, so there is no
  CSRF token and no cookie (the script sends none): whoever posts a device id can only opt that
  id out, never in. Only the business's own website (the origin of ``Tenant.website_url``) may
  call it from a browser (CORS); every POST counts against the address's rate limit like a
  portal form's. Bad input answers 4xx in JSON, having recorded nothing.
* ``gpc_json``: the GPC specification's site support resource, on the platform's address and on
  each business's own domain: ``{"gpc": true, "lastUpdate": "YYYY-MM-DD"}``.
* ``gpc_script`` (``/gpc.js``): the address businesses paste. It redirects to the current
  version of the script, whose hashed name is cached for good; the redirect itself is cached for
  a day, so a new version of the script reaches every site within a day with no new line to
  paste.
"""

from __future__ import annotations

import functools
import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.refusals import Refused
from tenants.models import Tenant
from tenants.portal import View, portal_endpoint

from .preference_signal import signal_received
from .services import consent_subject
from .subjects import SubjectKind

MAX_BODY_BYTES = 1024
GPC_JSON_MAX_AGE = 24 * 3600


def website_origin(tenant: Tenant) -> str | None:
    """``scheme://host[:port]`` of the business's website, as browsers send it in ``Origin``."""
    if not tenant.website_url:
        return None
    parts = urlsplit(tenant.website_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    default_port = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def _origin_allowed(request: HttpRequest) -> str | None:
    tenant = getattr(request, "portal_tenant", None)
    origin = request.headers.get("Origin", "")
    allowed = website_origin(tenant) if tenant is not None else None
    return allowed if allowed is not None and origin.lower() == allowed else None


def _cors(view: View) -> View:
    """Let the business's own website read the answers (and only it), errors included."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        origin = _origin_allowed(request)
        if origin is not None:
            response["Access-Control-Allow-Origin"] = origin
        patch_vary_headers(response, ["Origin"])
        response["Cache-Control"] = "no-store"
        return response

    return wrapper


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


def _device_id(request: HttpRequest) -> str:
    """The device id from a JSON body ``{"device_id": "...", "gpc": true}``; Refused if not."""
    if request.content_type not in {"application/json", "text/plain"}:
        raise Refused("invalid_body", "Send a JSON body (application/json or text/plain).")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise Refused("invalid_body", "The body is not JSON.") from None
    if not isinstance(body, dict):
        raise Refused("invalid_body", 'Send a JSON object: {"device_id": "...", "gpc": true}.')
    if body.get("gpc") is not True:
        # The absence of the signal is no choice at all (§7025(c)(5)): nothing to record.
        raise Refused("no_signal", '"gpc" must be true: only a signal is recorded here.', "gpc")
    device_id = body.get("device_id")
    if not isinstance(device_id, str):
        raise Refused("invalid_subject", '"device_id" is missing.', "device_id")
    return device_id


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
@_cors
@portal_endpoint
def signal_report(request: HttpRequest) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    if _origin_allowed(request) is None:
        return _error(
            "Only the business's own website may report a signal here (its address as set "
            "in the portal).",
            403,
        )
    if request.method == "OPTIONS":  # CORS preflight (a script sending application/json)
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = "POST"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "86400"
        return response
    if len(request.body) > MAX_BODY_BYTES:
        return _error("The body is too large.", 413)
    try:
        device = consent_subject(tenant, SubjectKind.DEVICE, _device_id(request))
    except Refused as refusal:
        return _error(refusal.message, 400)
    outcome = signal_received(tenant=tenant, device_subject=device)
    return JsonResponse(
        {
            "processed": outcome.processed,
            "opted_out": outcome.opted_out,
            "may_sell_or_share": not outcome.opted_out,
            "request_recorded": outcome.privacy_request is not None,
            "opted_out_since": outcome.opted_out_since.isoformat().replace("+00:00", "Z")
            if outcome.opted_out_since
            else None,
        }
    )


@require_http_methods(["GET", "HEAD"])
def gpc_json(request: HttpRequest) -> HttpResponse:
    """The site's statement that it honours the signal (GPC specification, "Site support
    resource"); on a business's own domain dated no earlier than the business's start."""
    last_update = settings.GPC_STATEMENT_DATE
    tenant = getattr(request, "portal_tenant", None)
    if tenant is not None and getattr(request, "portal_via_host", False):
        last_update = max(last_update, tenant.created_at.astimezone(tenant.zone).date().isoformat())
    response = JsonResponse({"gpc": True, "lastUpdate": last_update})
    response["Cache-Control"] = f"public, max-age={GPC_JSON_MAX_AGE}"
    return response


SCRIPT = "optout/gpc-v1.js"
SCRIPT_REDIRECT_MAX_AGE = 24 * 3600


@require_http_methods(["GET", "HEAD"])
def gpc_script(request: HttpRequest) -> HttpResponse:
    """The stable address of the embeddable script: a redirect to its current version."""
    del request
    response = HttpResponseRedirect(static(SCRIPT))
    response["Cache-Control"] = f"public, max-age={SCRIPT_REDIRECT_MAX_AGE}"
    return response
