"""The consumer portal's pages. Thin: resolve the tenant, bind a form, call a service, then
redirect or re-render with the errors. No ORM writes here (services.portal and
services.status_links do them).

Every POST is rate-limited per IP address and per email address (a friendly 429 page), carries
a CSRF token, and on any invalid input re-renders the form with field-level messages and creates
nothing. The pages work without JavaScript.
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.views.decorators.http import require_http_methods

from core import clock
from core.refusals import Refused
from tenants.models import RequestMethod
from tenants.portal import portal_page, portal_render, portal_reverse

from . import consumer_text
from .forms import (
    ChoiceForm,
    CorrectForm,
    CorrectionStatementForm,
    DeleteForm,
    KnowForm,
    RequestForm,
    SignInForm,
    StatusLookupForm,
)
from .models import PrivacyRequest
from .portal_selectors import (
    STATUS_KEY,
    request_for_consumer,
    statements_for_consumer,
    status_page_links,
)
from .services.corrections import correction_statement_add, statement_allowed
from .services.portal import (
    portal_request_submit,
    privacy_request_consumer_confirm_delete,
    privacy_request_withdraw,
)
from .services.status_links import (
    STATUS_LINK_MINUTES,
    status_link_is_valid,
    status_link_request,
    status_link_use,
)

# Session keys, per tenant: what this browser just submitted (and, in portal_selectors, which
# request it may see).
SUBMITTED_KEY = "portal_submitted_{tenant_id}"
STATUS_SESSION_MINUTES = 60


def _redirect(request: HttpRequest, name: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(portal_reverse(request, name))


def _session_request(request: HttpRequest, key: str) -> PrivacyRequest | None:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    stored = request.session.get(key.format(tenant_id=tenant.pk))
    if not stored:
        return None
    if key == STATUS_KEY and stored.get("until", 0) < clock.now().timestamp():
        request.session.pop(key.format(tenant_id=tenant.pk), None)
        return None
    return PrivacyRequest.objects.for_tenant(tenant).filter(pk=stored.get("id")).first()


def _remember(
    request: HttpRequest, key: str, privacy_request: PrivacyRequest, **extra: Any
) -> None:
    request.session[key.format(tenant_id=privacy_request.tenant_id)] = {
        "id": privacy_request.pk,
        **extra,
    }


# --- Pages ------------------------------------------------------------------------------------


@portal_page
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    # The ways the business designated for requests (§7020) besides this portal's forms, in
    # its own order; the page lists each with its details (address, number, postal address).
    other_methods = [m for m in tenant.request_methods or [] if m != RequestMethod.WEBFORM]
    return portal_render(request, "portal/home.html", {"other_methods": other_methods})


def _request_form(
    request: HttpRequest, form_class: type[RequestForm], template: str
) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    if request.method == "POST":
        form = form_class(request.POST, request.FILES)
        if form.is_valid():
            try:
                submitted = portal_request_submit(
                    tenant=tenant,
                    submission=form.submission(language=translation.get_language() or "en"),
                )
            except Refused as refused:
                form.add_error(
                    refused.field if refused.field in form.fields else None, refused.message
                )
            else:
                privacy_request = submitted.privacy_request
                if submitted.ask_again_on is not None:
                    _remember(
                        request,
                        SUBMITTED_KEY,
                        privacy_request,
                        ask_again_on=submitted.ask_again_on.isoformat(),
                    )
                    return _redirect(request, "know_limit")
                _remember(request, SUBMITTED_KEY, privacy_request)
                if privacy_request.awaiting_consumer_confirmation:
                    return _redirect(request, "delete_confirm")
                return _redirect(request, "submitted")
        status = 400
    else:
        form = form_class()
        status = 200
    return portal_render(request, template, {"form": form}, status=status)


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def know(request: HttpRequest) -> HttpResponse:
    return _request_form(request, KnowForm, "portal/request_know.html")


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    return _request_form(request, DeleteForm, "portal/request_delete.html")


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def correct(request: HttpRequest) -> HttpResponse:
    return _request_form(request, CorrectForm, "portal/request_correct.html")


@portal_page
@require_http_methods(["GET", "HEAD"])
def submitted(request: HttpRequest) -> HttpResponse:
    """The confirmation page: reference number and the date of our answer (§7021)."""
    privacy_request = _session_request(request, SUBMITTED_KEY)
    if privacy_request is None:
        return _redirect(request, "home")
    view = request_for_consumer(privacy_request.tenant, privacy_request.pk)
    description = consumer_text.verification_description(privacy_request.tenant)
    return portal_render(
        request,
        "portal/submitted.html",
        {"view": view, "verification_description": description},
    )


@portal_page
@require_http_methods(["GET", "HEAD"])
def know_limit(request: HttpRequest) -> HttpResponse:
    """A third request to know within 12 months: why, and when they can ask again."""
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    stored = request.session.get(SUBMITTED_KEY.format(tenant_id=tenant.pk)) or {}
    privacy_request = _session_request(request, SUBMITTED_KEY)
    if privacy_request is None or not stored.get("ask_again_on"):
        return _redirect(request, "home")
    return portal_render(
        request,
        "portal/know_limit.html",
        {
            "privacy_request": privacy_request,
            "ask_again_on": date.fromisoformat(stored["ask_again_on"]),
        },
    )


def _confirm_delete_choice(request: HttpRequest, privacy_request: PrivacyRequest) -> str | None:
    """Apply a confirm/cancel choice of the two-step delete; the outcome for the next page."""
    form = ChoiceForm(request.POST)
    if not form.is_valid():
        return None
    try:
        if form.cleaned_data["choice"] == ChoiceForm.YES:
            privacy_request_consumer_confirm_delete(privacy_request=privacy_request)
            return "confirmed"
        privacy_request_withdraw(privacy_request=privacy_request)
        return "cancelled"
    except Refused:
        return None


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def delete_confirm(request: HttpRequest) -> HttpResponse:
    """The second step of a two-step request to delete (§7020(d)), with equal buttons."""
    privacy_request = _session_request(request, SUBMITTED_KEY)
    if (
        privacy_request is None
        or not privacy_request.is_open
        or not (privacy_request.awaiting_consumer_confirmation)
    ):
        return _redirect(request, "submitted" if privacy_request else "home")
    if request.method == "POST":
        result = _confirm_delete_choice(request, privacy_request)
        if result == "cancelled":
            return _redirect(request, "cancelled")
        if result == "confirmed":
            return _redirect(request, "submitted")
    view = request_for_consumer(privacy_request.tenant, privacy_request.pk)
    return portal_render(
        request, "portal/delete_confirm.html", {"view": view, "form": ChoiceForm()}
    )


@portal_page
@require_http_methods(["GET", "HEAD"])
def cancelled(request: HttpRequest) -> HttpResponse:
    privacy_request = _session_request(request, SUBMITTED_KEY)
    if privacy_request is None:
        return _redirect(request, "home")
    return portal_render(request, "portal/cancelled.html", {"privacy_request": privacy_request})


# --- Status ----------------------------------------------------------------------------------


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    """Ask for a one-time sign-in link: reference number and email address. The answer is the
    same whether or not they match (no enumeration, R-P-2)."""
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    if request.method == "POST":
        form = StatusLookupForm(request.POST)
        if form.is_valid():
            status_link_request(
                tenant=tenant,
                reference=form.cleaned_data["reference"],
                email=form.cleaned_data["email"],
                link_base=request.build_absolute_uri(portal_reverse(request, "status_sign_in")),
                language=translation.get_language() or "en",
            )
            return _redirect(request, "status_check_email")
        return portal_render(request, "portal/status_lookup.html", {"form": form}, status=400)
    return portal_render(request, "portal/status_lookup.html", {"form": StatusLookupForm()})


@portal_page
@require_http_methods(["GET", "HEAD"])
def status_check_email(request: HttpRequest) -> HttpResponse:
    return portal_render(
        request, "portal/status_check_email.html", {"minutes": STATUS_LINK_MINUTES}
    )


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def status_sign_in(request: HttpRequest) -> HttpResponse:
    """The link from the email. Opening it (GET) changes nothing, because mail scanners open
    links too; the visitor's "Show my request" button (POST) uses it, once."""
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    if request.method == "POST":
        form = SignInForm(request.POST)
        privacy_request = (
            status_link_use(tenant=tenant, token=form.cleaned_data["t"])
            if form.is_valid()
            else None
        )
        if privacy_request is None:
            return portal_render(request, "portal/status_link_invalid.html", status=410)
        request.session.cycle_key()  # a new session id on sign-in
        until = clock.now() + timedelta(minutes=STATUS_SESSION_MINUTES)
        _remember(request, STATUS_KEY, privacy_request, until=until.timestamp())
        return _redirect(request, "status_detail")
    token = request.GET.get("t", "")
    if not status_link_is_valid(tenant=tenant, token=token):
        return portal_render(request, "portal/status_link_invalid.html", status=410)
    return portal_render(
        request, "portal/status_sign_in.html", {"form": SignInForm(initial={"t": token})}
    )


def _signed_in_request(request: HttpRequest) -> PrivacyRequest | None:
    return _session_request(request, STATUS_KEY)


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def status_detail(request: HttpRequest) -> HttpResponse:
    """Status, deadlines, timeline and every message sent, for the request the link opened.
    The two-step delete can be confirmed or cancelled here too."""
    privacy_request = _signed_in_request(request)
    if privacy_request is None:
        return _redirect(request, "status")
    if request.method == "POST":
        if privacy_request.awaiting_consumer_confirmation:
            _confirm_delete_choice(request, privacy_request)
        return _redirect(request, "status_detail")
    view = request_for_consumer(privacy_request.tenant, privacy_request.pk)
    context = {
        "view": view,
        "form": ChoiceForm(),
        "links": status_page_links(privacy_request, request),
    }
    return portal_render(request, "portal/status_detail.html", context)


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def withdraw(request: HttpRequest) -> HttpResponse:
    """Withdraw an open request, after a confirmation with two equal buttons."""
    privacy_request = _signed_in_request(request)
    if privacy_request is None:
        return _redirect(request, "status")
    if not privacy_request.is_open:
        return _redirect(request, "status_detail")
    if request.method == "POST":
        form = ChoiceForm(request.POST)
        if form.is_valid() and form.cleaned_data["choice"] == ChoiceForm.YES:
            # Closed in the meantime: the status page shows how.
            with contextlib.suppress(Refused):
                privacy_request_withdraw(privacy_request=privacy_request)
        return _redirect(request, "status_detail")
    view = request_for_consumer(privacy_request.tenant, privacy_request.pk)
    return portal_render(request, "portal/withdraw.html", {"view": view, "form": ChoiceForm()})


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def correction_statement(request: HttpRequest) -> HttpResponse:
    """§7023(f)(4): the consumer whose correction of health information was denied (in whole or
    in part) sends a statement of at most 250 words per item, after signing in to the request."""
    privacy_request = _signed_in_request(request)
    if privacy_request is None:
        return _redirect(request, "status")
    if not statement_allowed(privacy_request):
        return _redirect(request, "status_detail")
    form = CorrectionStatementForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                correction_statement_add(
                    privacy_request=privacy_request,
                    item=form.cleaned_data["item"],
                    text=form.cleaned_data["text"],
                )
            except Refused as refused:
                form.add_error(
                    refused.field if refused.field in form.fields else None,
                    consumer_text.statement_refusal(refused.code),
                )
            else:
                return _redirect(request, "correction_statement_sent")
        status = 400
    view = request_for_consumer(privacy_request.tenant, privacy_request.pk)
    return portal_render(
        request,
        "portal/correction_statement.html",
        {"view": view, "form": form, "statements": statements_for_consumer(privacy_request)},
        status=status,
    )


@portal_page
@require_http_methods(["GET", "HEAD"])
def correction_statement_sent(request: HttpRequest) -> HttpResponse:
    privacy_request = _signed_in_request(request)
    if privacy_request is None:
        return _redirect(request, "status")
    view = request_for_consumer(privacy_request.tenant, privacy_request.pk)
    return portal_render(
        request,
        "portal/correction_statement_sent.html",
        {"view": view, "statements": statements_for_consumer(privacy_request)},
    )


@portal_page
@require_http_methods(["POST"])
def status_sign_out(request: HttpRequest) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    request.session.pop(STATUS_KEY.format(tenant_id=tenant.pk), None)
    return _redirect(request, "status")
