"""The page the business's website sends a signed-in consumer to (§7061(a)):
``verify/account/?assertion=TOKEN&ref=REFERENCE`` (``services.account``).

GET only shows a button (mail scanners and link previews open links: a GET must not use the
one-time assertion); POST accepts it. A refusal is a 400 page that says what to do.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from core.refusals import Refused
from tenants.portal import portal_page, portal_render

from .models import VerificationStatus
from .services.account import account_assertion_accept, privacy_request_by_reference


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return portal_render(
        request, "portal/verify_account_refused.html", {"message": message}, status=400
    )


@require_http_methods(["GET", "POST"])
@portal_page
def verify_account(request: HttpRequest) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    given = request.POST if request.method == "POST" else request.GET
    assertion = given.get("assertion", "").strip()
    reference = given.get("ref", "").strip().upper()
    privacy_request = privacy_request_by_reference(tenant=tenant, reference=reference)
    if not assertion or privacy_request is None:
        return _refused(
            request,
            gettext(
                "This link is incomplete, or no request has this reference. Go back to the "
                "business's website and follow its link to the privacy portal again."
            ),
        )
    context = {"assertion": assertion, "reference": privacy_request.reference}
    if request.method == "GET":
        return portal_render(request, "portal/verify_account.html", context)
    try:
        verification = account_assertion_accept(
            tenant=tenant, token=assertion, privacy_request=privacy_request
        )
    except Refused as refused:
        return _refused(request, refused.message)
    context["verified"] = verification.status == VerificationStatus.VERIFIED
    return portal_render(request, "portal/verify_account_done.html", context)
