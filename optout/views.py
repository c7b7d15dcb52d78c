"""The recipients' acknowledgement address, on each business's portal.

A recipient's server POSTs the notification's token (form field or JSON ``{"token": ...}``);
a person who got the notification by email opens the page and pastes the token into its form
(no token in the address, so none in logs). CSRF does not apply: no cookie authenticates the
POST, the token does.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import format_html
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tenants.portal import portal_page

from .recipient_services import recipient_notification_acknowledge

_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Acknowledge a privacy request notification - {business}</title></head><body><main>
<h1>Acknowledge a privacy request notification</h1>
<form method="post"><label for="token">Token from the notification</label>
<input id="token" name="token" required autocomplete="off">
<button type="submit">Acknowledge</button></form></main></body></html>"""


def _token(request: HttpRequest) -> str:
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return ""
        token = body.get("token") if isinstance(body, dict) else None
        return token.strip() if isinstance(token, str) else ""
    return request.POST.get("token", "").strip()


@csrf_exempt
@require_http_methods(["GET", "POST"])
@portal_page
def recipient_acknowledge(request: HttpRequest) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    if request.method == "GET":
        return HttpResponse(format_html(_FORM, business=tenant.legal_name))
    token = _token(request)
    if not token:
        return JsonResponse({"detail": "Send the notification's token."}, status=400)
    acknowledged = recipient_notification_acknowledge(tenant=tenant, token=token)
    if acknowledged is None:
        return JsonResponse({"detail": "No notification has this token."}, status=404)
    notification = acknowledged.notification
    return JsonResponse(
        {
            "status": "acknowledged",
            "acknowledged_at": notification.acknowledged_at.isoformat(),
            "first_time": acknowledged.first_time,
        }
    )
