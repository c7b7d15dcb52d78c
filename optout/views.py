"""Opt-out's portal pages: "Do Not Sell or Share My Personal Information" (§7013, §7026), "Limit
the Use of My Sensitive Personal Information" (§7014, §7027) and "Your Privacy Choices" (§7015);
and the recipients' acknowledgement address.

The choice pages are thin: which rights the business offers and what the browser chose come
from ``optout.portal_selectors``; a submission goes to ``choice_submit``, which records the
request, applies it and closes it as complied in one transaction. Then the page is shown again
(post/redirect/get), confirming that the request was honored, with the state (§7025(c)(6) as
amended, §7026(g), §7027(h)). One page, one submit: no account, no verification, no confirmation
email, no page in between (§7026(b)-(d), §7027(c)-(e), §7004(a)(4)(B)).

The recipients' acknowledgement address:

A recipient's server POSTs the notification's token (form field or JSON ``{"token": ...}``);
a person who got the notification by email opens the page and pastes the token into its form
(no token in the address, so none in logs). CSRF does not apply: no cookie authenticates the
POST, the token does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils import translation
from django.utils.html import format_html
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.refusals import Refused
from requests_app import vocabulary as words
from requests_app.services.intake import Requester
from tenants.portal import portal_page, portal_render, portal_reverse

from .choice_services import choice_submit
from .devices import device_cookie_set, device_id_for, device_id_from_request
from .forms import ConsentChoiceForm
from .models import ConsentRight
from .portal_selectors import choice_statuses, rights_offered
from .preference_signal import STATUS_TEMPLATE
from .recipient_services import recipient_notification_acknowledge
from .services import consent_subject
from .subjects import SubjectKind

_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Acknowledge a privacy request notification - {business}</title></head><body><main>
<h1>Acknowledge a privacy request notification</h1>
<form method="post"><label for="token">Token from the notification</label>
<input id="token" name="token" required autocomplete="off">
<label for="cannot_comply_explanation">Only if you cannot delete, or cannot notify those you passed
the data to: explain why in detail (it is relayed to the consumer, §7022(c)(4))</label>
<textarea id="cannot_comply_explanation" name="cannot_comply_explanation" rows="5"></textarea>
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


def _cannot_comply(request: HttpRequest) -> str:
    """The recipient's explanation that it cannot comply (§7022(c)(4)), "" when none."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return ""
        value = body.get("cannot_comply_explanation") if isinstance(body, dict) else None
        return value if isinstance(value, str) else ""
    return request.POST.get("cannot_comply_explanation", "")


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
    try:
        acknowledged = recipient_notification_acknowledge(
            tenant=tenant, token=token, cannot_comply_explanation=_cannot_comply(request)
        )
    except Refused as refused:
        return JsonResponse(
            {"detail": refused.message, "code": refused.code, "field": refused.field}, status=400
        )
    if acknowledged is None:
        return JsonResponse({"detail": "No notification has this token."}, status=404)
    notification = acknowledged.notification
    return JsonResponse(
        {
            "status": "acknowledged",
            "acknowledged_at": notification.acknowledged_at.isoformat(),
            "first_time": acknowledged.first_time,
            "cannot_comply_explanation": notification.cannot_comply_explanation,
        }
    )


# --- The choice pages --------------------------------------------------------------------------

# Per business: the requests this browser has just made, by right, for the confirmation.
JUST_MADE_KEY = "optout_just_made_{tenant_id}"

SALE = ConsentRight.SALE_SHARING
SENSITIVE = ConsentRight.SENSITIVE_USE


def _drop_signal_region(request: HttpRequest) -> bool:
    """A page that shows the sale/sharing state in full says "Opt-Out Request Honored" itself:
    the signal's status region (``preference_signal``) would say it twice. Drop it, and say
    whether this view carried the signal, which the page's own status then mentions. A
    region showing the consumer's consent despite the signal (§7025(c)(3)) stays."""
    regions = getattr(request, "portal_regions", [])
    honoured = [
        region
        for region in regions
        if region.template == STATUS_TEMPLATE and region.context["status"].kind == "honoured"
    ]
    request.portal_regions = [region for region in regions if region not in honoured]  # type: ignore[attr-defined]
    return any(region.context["status"].signal for region in honoured)


def _choice_page(
    request: HttpRequest, *, name: str, page_rights: Sequence[str], template: str
) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    offered = [right for right in page_rights if right in rights_offered(tenant)]
    session_key = JUST_MADE_KEY.format(tenant_id=tenant.pk)
    statuses = choice_statuses(
        tenant,
        device_id=device_id_from_request(request),
        rights=offered,
        just_made=request.session.get(session_key),
    )
    still_open = [status.right for status in statuses if not status.restricted]
    status_code = 200
    if request.method == "POST" and not offered:
        # Nothing to opt out of or limit here: the page says why (§7013(g), §7014(g)).
        form = ConsentChoiceForm(tenant=tenant, rights=[])
        status_code = 400
    elif request.method == "POST":
        if not still_open:
            # A second submit of a choice already honored (the back button): nothing to do.
            return HttpResponseRedirect(portal_reverse(request, name))
        form = ConsentChoiceForm(request.POST, tenant=tenant, rights=still_open)
        if form.is_valid():
            response = _submit(request, form, name=name, session_key=session_key)
            if response is not None:
                return response
        status_code = 400
    else:
        form = ConsentChoiceForm(tenant=tenant, rights=still_open)
    context = {
        "form": form,
        "signal_sent": _drop_signal_region(request) if SALE in offered else False,
        "offered": offered,
        "statuses": statuses,
        "sale_offered": SALE in offered,
        "sensitive_offered": SENSITIVE in offered,
        "still_open": still_open,
    }
    return portal_render(request, template, context, status=status_code)


def _submit(
    request: HttpRequest, form: ConsentChoiceForm, *, name: str, session_key: str
) -> HttpResponse | None:
    """Record and apply the choice; the redirect to the confirmation, or None (form errors)."""
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    device_id, new_device = device_id_for(request)
    subjects = [consent_subject(tenant, SubjectKind.DEVICE, device_id)]
    email = form.cleaned_data.get("email", "")
    phone = form.cleaned_data.get("phone", "")
    if email:
        subjects.append(consent_subject(tenant, SubjectKind.EMAIL, email))
    if phone:
        subjects.append(consent_subject(tenant, SubjectKind.PHONE, phone))
    try:
        made = choice_submit(
            tenant=tenant,
            rights=form.chosen_rights(),
            channel=words.WEBFORM,
            subjects=subjects,
            requester=Requester(email=email, phone=phone),
            language=translation.get_language() or "en",
        )
    except Refused as refused:
        # The form checks what intake checks; should intake still refuse, say so at the field.
        field = {"requester_email": "email", "requester_phone": "phone"}.get(
            refused.field or "", refused.field
        )
        form.add_error(field if field in form.fields else None, refused.message)
        return None
    request.session[session_key] = {
        **request.session.get(session_key, {}),
        **{choice.right: choice.privacy_request.pk for choice in made},
    }
    response = HttpResponseRedirect(portal_reverse(request, name))
    if new_device:
        device_cookie_set(response, device_id)
    return response


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def opt_out(request: HttpRequest) -> HttpResponse:
    """The notice of right to opt out and its form, where the footer link lands (§7013(a))."""
    return _choice_page(
        request, name="opt_out", page_rights=[SALE], template="portal/choice_opt_out.html"
    )


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def limit(request: HttpRequest) -> HttpResponse:
    """The notice of right to limit and its form (§7014(a))."""
    return _choice_page(
        request, name="limit", page_rights=[SENSITIVE], template="portal/choice_limit.html"
    )


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def privacy_choices(request: HttpRequest) -> HttpResponse:
    """Both rights on one page with one form (§7015(c)); "opt out of all" first (§7026(h))."""
    return _choice_page(
        request,
        name="privacy_choices",
        page_rights=[SALE, SENSITIVE],
        template="portal/choice_privacy_choices.html",
    )
