"""The consumer's verification pages (§7060–§7062). Thin: resolve the business, bind a form,
call a service, redirect or re-render with the message.

* ``verify_email``: the link the intake email carries. Opening it (GET) changes nothing, because
  mail scanners open links too; the "Confirm my email address" button (POST) uses it once, proves
  the address (``records.verification_link_use``), and remembers in this browser's session, per
  business and for ``VERIFY_SESSION_MINUTES``, which request it may verify.
* ``verify``: for that request only, asks for what it still needs (``degrees.points_to_ask``)
  and, for the reasonably high degree, the signed declaration (§7062(c), §7001(ii)); then says
  where it stands: verified, waiting for the business's system, or what did not match.
* ``verify_new_link``: a new link for an open request; the same answer whatever was typed
  (no enumeration, R-P-2), answered after the same time.

``portal_page`` rate-limits every POST per address and per email address (a 429 page); the
verification's own attempt limits (§7060(f)) answer 429 too.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.views.decorators.http import require_http_methods

from core import clock
from core.refusals import Refused
from requests_app.forms import ChoiceForm
from requests_app.models import PrivacyRequest
from requests_app.portal_selectors import request_for_consumer
from requests_app.services.status_links import STATUS_LOOKUP_SECONDS
from tenants.portal import portal_page, portal_render, portal_reverse
from tenants.ratelimit import client_ip

from . import degrees
from .forms import POINT_LABELS, ConfirmEmailForm, NewLinkForm, VerifyForm
from .models import LinkPurpose, MatcherState, Verification, VerificationStatus
from .services import records
from .services.fallbacks import verification_accept_categories_only
from .services.policies import verification_policy

# Which request this browser may verify (its id) and until when (a timestamp), per business.
VERIFY_KEY = "portal_verify_{tenant_id}"
VERIFY_SESSION_MINUTES = 60
# What the consumer last submitted to be matched: the points, to say which did not match.
TRIED_KEY = "portal_verify_tried_{tenant_id}"


def _redirect(request: HttpRequest, name: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(portal_reverse(request, name))


def _remembered(request: HttpRequest) -> PrivacyRequest | None:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    key = VERIFY_KEY.format(tenant_id=tenant.pk)
    stored = request.session.get(key)
    if not stored:
        return None
    if stored.get("until", 0) < clock.now().timestamp():
        request.session.pop(key, None)
        return None
    return PrivacyRequest.objects.for_tenant(tenant).filter(pk=stored.get("id")).first()


def _link_invalid(request: HttpRequest) -> HttpResponse:
    return portal_render(
        request, "portal/verify_link_invalid.html", {"form": NewLinkForm()}, status=410
    )


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def verify_email(request: HttpRequest) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    if request.method == "POST":
        form = ConfirmEmailForm(request.POST)
        privacy_request = (
            records.verification_link_use(
                tenant=tenant, token=form.cleaned_data["t"], purpose=LinkPurpose.EMAIL
            )
            if form.is_valid()
            else None
        )
        if privacy_request is None:
            return _link_invalid(request)
        request.session.cycle_key()  # a new session id once the address is proven
        until = clock.now() + timedelta(minutes=VERIFY_SESSION_MINUTES)
        request.session[VERIFY_KEY.format(tenant_id=tenant.pk)] = {
            "id": privacy_request.pk,
            "until": until.timestamp(),
        }
        request.session.pop(TRIED_KEY.format(tenant_id=tenant.pk), None)
        return _redirect(request, "verify")
    token = request.GET.get("t", "")
    if not records.verification_link_valid(tenant=tenant, token=token, purpose=LinkPurpose.EMAIL):
        return _link_invalid(request)
    return portal_render(
        request, "portal/verify_email.html", {"form": ConfirmEmailForm(initial={"t": token})}
    )


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def verify_new_link(request: HttpRequest) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    if request.method == "POST":
        form = NewLinkForm(request.POST)
        if not form.is_valid():
            return portal_render(request, "portal/verify_new_link.html", {"form": form}, status=400)
        # A match sends an email and a miss does nothing: both answer after the same time, so
        # the timing tells no more than the page (R-P-2).
        started = time.monotonic()
        records.verification_link_resend(
            tenant=tenant,
            reference=form.cleaned_data["reference"],
            email=form.cleaned_data["email"],
        )
        remaining = STATUS_LOOKUP_SECONDS - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
        return portal_render(request, "portal/verify_new_link_sent.html")
    return portal_render(request, "portal/verify_new_link.html", {"form": NewLinkForm()})


# --- The verification page ---------------------------------------------------------------------


def _page(
    request: HttpRequest,
    privacy_request: PrivacyRequest,
    verification: Verification,
    *,
    form: VerifyForm | None = None,
    message: str = "",
    status: int = 200,
) -> HttpResponse:
    """The page for where the verification stands."""
    view = request_for_consumer(privacy_request.tenant, privacy_request.pk)
    context = {"view": view, "privacy_request": privacy_request, "verification": verification}
    if verification.status == VerificationStatus.VERIFIED:
        return portal_render(request, "portal/verify_done.html", context, status=status)
    if verification.status == VerificationStatus.CHECKING or verification.matcher_state in {
        MatcherState.WAITING,
        MatcherState.FAILED,
    }:
        return portal_render(request, "portal/verify_checking.html", context, status=status)
    if not verification.is_open:
        return portal_render(request, "portal/verify_closed.html", context, status=status)
    policy = verification_policy(privacy_request.tenant)
    standing = records.effective_results(verification)
    result = records.assessment(verification)
    matched = [point for point, value in standing.items() if value == degrees.MATCHED]
    points = degrees.points_to_ask(
        offered=policy.asked_points, matched=matched, contested=verification.contested_points
    )
    with_declaration = result.declaration_missing
    if form is None:
        form = VerifyForm(points=points, with_declaration=with_declaration)
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    tried = request.session.get(TRIED_KEY.format(tenant_id=tenant.pk)) or []
    # Which points tried did not match (matched or not, never what is held, §7060(c)(1)).
    not_matched = [
        POINT_LABELS[point]
        for point in degrees.DATA_POINTS
        if point in tried
        and point in POINT_LABELS
        and standing.get(point) in {degrees.NOT_MATCHED, degrees.NOT_HELD}
    ]
    context |= {
        "form": form,
        "message": message,
        "not_matched": not_matched,
        "tries_left": max(0, policy.attempts_per_request - verification.failed_attempts),
        "tried": bool(tried),
        "declaration_statement": records.declaration_statement(translation.get_language() or "en"),
        "is_correction": bool(verification.contested_points),
        "categories_choice": degrees.categories_fallback(
            request_type=privacy_request.request_type,
            know_scope=privacy_request.know_scope,
            reached=result.reached,
        ),
        "points_missing": result.points_missing,
    }
    return portal_render(request, "portal/verify.html", context, status=status)


def _categories_choice(
    request: HttpRequest, privacy_request: PrivacyRequest, verification: Verification
) -> HttpResponse:
    """The consumer's answer to "continue with categories only?" (§7024(a)), two equal buttons
    (§7004(a)(2))."""
    form = ChoiceForm(request.POST)
    if form.is_valid() and form.cleaned_data["choice"] == ChoiceForm.YES:
        try:
            verification_accept_categories_only(
                verification=verification, actor_label=records.VERIFICATION_ACTOR
            )
        except Refused as refused:
            verification.refresh_from_db()
            return _page(
                request, privacy_request, verification, message=refused.message, status=400
            )
    return _redirect(request, "verify")


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    privacy_request = _remembered(request)
    verification = records.verification_for(privacy_request) if privacy_request else None
    if privacy_request is None or verification is None:
        return _redirect(request, "verify_new_link")
    if request.method != "POST":
        return _page(request, privacy_request, verification)
    if "choice" in request.POST:
        return _categories_choice(request, privacy_request, verification)
    if not verification.is_open:
        return _redirect(request, "verify")
    result = records.assessment(verification)
    standing = records.effective_results(verification)
    matched = [point for point, value in standing.items() if value == degrees.MATCHED]
    policy = verification_policy(tenant)
    form = VerifyForm(
        request.POST,
        points=degrees.points_to_ask(
            offered=policy.asked_points, matched=matched, contested=verification.contested_points
        ),
        with_declaration=result.declaration_missing,
    )
    if not form.is_valid():
        return _page(request, privacy_request, verification, form=form, status=400)
    signature = form.signature()
    declaration = (
        records.DeclarationInput(
            typed_name=signature[0],
            typed_date=signature[1],
            language=translation.get_language() or "en",
        )
        if signature
        else None
    )
    try:
        records.verification_submit(
            verification=verification,
            values=form.values(),
            declaration=declaration,
            ip_address=client_ip(request),
            user_agent=request.headers.get("user-agent", "")[:300],
        )
    except Refused as refused:
        verification.refresh_from_db()
        if refused.code == "locked":
            return portal_render(
                request, "portal/verify_locked.html", {"message": refused.message}, status=429
            )
        if refused.field and refused.field in form.fields:
            form.add_error(refused.field, refused.message)
            return _page(request, privacy_request, verification, form=form, status=400)
        return _page(
            request, privacy_request, verification, form=form, message=refused.message, status=400
        )
    request.session[TRIED_KEY.format(tenant_id=tenant.pk)] = [
        point for point, value in form.values().items() if value
    ]
    return _redirect(request, "verify")
