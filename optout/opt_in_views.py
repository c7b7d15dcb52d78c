"""The portal's opt-in pages (§7028(a)): ask, then confirm separately. Thin: the rules are in
``opt_in_services``.

1. ``opt-in/``: what this browser may opt back into (nothing pre-checked); sending it records
   the request and keeps its confirmation token in the session (never in an address, so never
   in a log), then goes to
2. ``opt-in/confirm/``: a separate page with two equal buttons, "Yes" and "No", posting the
   token from a hidden field. Only "Yes" changes the consent state. A token used already, or
   expired, is answered 410 with a page that offers to start again.
3. ``opt-in/done/``: what changed, and that the consumer may opt out again at any time
   (§7026, §7070(b), §7071(b)).

No JavaScript, and nothing submits itself.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from core import clock
from core.refusals import Refused
from core.tokens import token_usable
from requests_app.forms import ChoiceForm, PortalForm
from tenants.models import Tenant
from tenants.portal import portal_page, portal_render, portal_reverse

from .devices import device_id_from_request
from .models import ConsentRight, OptInConfirmation
from .opt_in_services import (
    CONFIRMATION_EXPIRED,
    CONFIRMATION_USED,
    OPT_IN_CONFIRM_MINUTES,
    opt_in_confirm,
    opt_in_decline,
    opt_in_offer,
    opt_in_request,
)
from .services import Subject, consent_subject
from .subjects import SubjectKind

# Session keys, per business: the token waiting for its confirmation, and what was decided.
WAITING_KEY = "portal_opt_in_{tenant_id}"
DONE_KEY = "portal_opt_in_done_{tenant_id}"

RIGHT_LABELS = {
    ConsentRight.SALE_SHARING: _("Allow the sale and sharing of my personal information"),
    ConsentRight.SENSITIVE_USE: _(
        "Allow the use of my sensitive personal information for purposes beyond providing "
        "the goods or services I ask for"
    ),
}


class OptInForm(PortalForm):
    """Step 1: which rights to opt back into; no box is ticked in advance (§7004(a)(2))."""

    rights = forms.MultipleChoiceField(
        label=_("What do you want to opt back in to?"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one thing to opt back in to.")},
    )

    def __init__(self, *args: object, rights: tuple[str, ...], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["rights"].choices = [  # type: ignore[attr-defined]
            (right, RIGHT_LABELS[ConsentRight(right)]) for right in rights
        ]


class OptInConfirmForm(ChoiceForm):
    """Step 2: "Yes" or "No", with the token posted back from a hidden field."""

    t = forms.CharField(max_length=100, widget=forms.HiddenInput)


def _key(key: str, tenant: Tenant) -> str:
    return key.format(tenant_id=tenant.pk)


def _device(request: HttpRequest, tenant: Tenant) -> Subject | None:
    device_id = device_id_from_request(request)
    return consent_subject(tenant, SubjectKind.DEVICE, device_id) if device_id else None


def _signal(request: HttpRequest) -> bool:
    return request.headers.get("Sec-GPC", "").strip() == "1"


def _page_url(request: HttpRequest, name: str, fallback: str) -> str:
    """A portal page's address; the business's own page while the portal has none."""
    try:
        return portal_reverse(request, name)
    except NoReverseMatch:
        return fallback or portal_reverse(request, "home")


def _invalid(request: HttpRequest, reason: str) -> HttpResponse:
    status = 410 if reason in {CONFIRMATION_USED, CONFIRMATION_EXPIRED} else 400
    return portal_render(
        request,
        "optout/opt_in_invalid.html",
        {"reason": reason, "minutes": OPT_IN_CONFIRM_MINUTES},
        status=status,
    )


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def opt_in(request: HttpRequest) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    device = _device(request, tenant)
    offer = opt_in_offer(tenant, device)
    if offer.parent_needed or not offer.rights:
        return portal_render(request, "optout/opt_in_nothing.html", {"offer": offer})
    status = 200
    if request.method == "POST":
        assert device is not None  # noqa: S101 - an offer needs a browser
        form = OptInForm(request.POST, rights=offer.rights)
        if form.is_valid():
            try:
                raw, _confirmation = opt_in_request(
                    tenant=tenant,
                    device=device,
                    rights=form.cleaned_data["rights"],
                    language=translation.get_language() or "en",
                    signal_present=_signal(request),
                )
            except Refused as refused:
                form.add_error("rights" if refused.field == "rights" else None, refused.message)
            else:
                request.session[_key(WAITING_KEY, tenant)] = raw
                return HttpResponseRedirect(portal_reverse(request, "opt_in_confirm"))
        status = 400
    else:
        form = OptInForm(rights=offer.rights)
    return portal_render(
        request, "optout/opt_in.html", {"form": form, "offer": offer}, status=status
    )


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def opt_in_confirm_page(request: HttpRequest) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    device = _device(request, tenant)
    if request.method == "POST":
        form = OptInConfirmForm(request.POST)
        if device is None or not form.is_valid():
            return _invalid(request, "invalid")
        token = form.cleaned_data["t"]
        try:
            if form.cleaned_data["choice"] == ChoiceForm.YES:
                opted_in = opt_in_confirm(
                    tenant=tenant, device=device, token=token, signal_present=_signal(request)
                )
                done = {"outcome": "confirmed", "rights": list(opted_in.rights)}
            else:
                opt_in_decline(tenant=tenant, device=device, token=token)
                done = {"outcome": "declined", "rights": []}
        except Refused as refused:
            return _invalid(request, refused.code)
        request.session.pop(_key(WAITING_KEY, tenant), None)
        request.session[_key(DONE_KEY, tenant)] = done
        return HttpResponseRedirect(portal_reverse(request, "opt_in_done"))
    raw = request.session.get(_key(WAITING_KEY, tenant))
    if not raw or device is None:
        return HttpResponseRedirect(portal_reverse(request, "opt_in"))
    scoped = OptInConfirmation.objects.for_tenant(tenant).filter(device_hash=device.hash)
    confirmation = token_usable(scoped, raw, clock.now()).first()
    if confirmation is None:
        request.session.pop(_key(WAITING_KEY, tenant), None)
        return _invalid(request, CONFIRMATION_EXPIRED)
    return portal_render(
        request,
        "optout/opt_in_confirm.html",
        {
            "form": OptInConfirmForm(initial={"t": raw}),
            "rights": confirmation.rights,
            "minutes": OPT_IN_CONFIRM_MINUTES,
        },
    )


@portal_page
@require_http_methods(["GET", "HEAD"])
def opt_in_done(request: HttpRequest) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    done = request.session.get(_key(DONE_KEY, tenant))
    if not done:
        return HttpResponseRedirect(portal_reverse(request, "opt_in"))
    return portal_render(
        request,
        "optout/opt_in_done.html",
        {
            "confirmed": done["outcome"] == "confirmed",
            "sale_sharing": ConsentRight.SALE_SHARING in done["rights"],
            "sensitive_use": ConsentRight.SENSITIVE_USE in done["rights"],
            "opt_out_url": _page_url(request, "opt_out", tenant.opt_out_url),
            "limit_url": _page_url(request, "limit", tenant.limit_url),
        },
    )
