"""The portal's financial incentive pages (§7016, §7004(a)(2), (a)(4)). Thin: the rules are in
``incentive_services`` and ``incentive_rules``.

* ``incentives/``: the business's published programs.
* ``incentives/<program_slug>/``: the notice of financial incentive (the published version, in
  the page's language) and, after it, the choice: an email address and two buttons of the same
  element, class and size, "Join the program" and "Don't join" (§7004(a)(2)(D)-(E)). Nothing is
  chosen in advance, and the labels are ours, never the business's (§7004(a)(4)(A)). One POST
  joins; the answer is the confirmation page.
* ``incentives/<program_slug>/withdraw/``: an email address and one button; one POST withdraws,
  the same number of steps as joining (§7004(a)(2): the more privacy-protective path is not
  longer; §7016(d)(4)).

A draft, a withdrawn or an unknown program is the portal's 404 page. POSTs are rate-limited by
``portal_page``; the forms carry the honeypot (``PortalForm``). No JavaScript.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from core.refusals import Refused
from requests_app.forms import PortalForm
from tenants.portal import not_found, portal_page, portal_render, portal_reverse

from .incentive_selectors import (
    page_language,
    program_notice,
    program_text,
    published_program,
    published_programs,
)
from .incentive_services import incentive_enroll, incentive_enrollment_withdraw
from .models import IncentiveProgram

JOIN = "join"
DECLINE = "decline"
EMAIL_MISSING = _("Enter your email address to join, like name@example.com.")
EMAIL_INVALID = _("Enter an email address, like name@example.com.")


class IncentiveChoiceForm(PortalForm):
    """The join page's form: the address, and which of the two equal buttons was pressed."""

    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("Only needed to join: we use it to give you the incentive."),
        max_length=254,
        required=False,
        error_messages={"invalid": EMAIL_INVALID, "max_length": EMAIL_INVALID},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    choice = forms.ChoiceField(
        choices=[(JOIN, JOIN), (DECLINE, DECLINE)],
        error_messages={"required": _("Choose “Join the program” or “Don't join”.")},
    )

    def clean(self):  # type: ignore[no-untyped-def]
        cleaned = super().clean()
        if cleaned.get("choice") == JOIN and not (cleaned.get("email") or "").strip():
            self.add_error("email", EMAIL_MISSING)
        return cleaned


class IncentiveWithdrawForm(PortalForm):
    email = forms.EmailField(
        label=_("The email address you joined with"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": _("Enter the email address you joined with."),
            "invalid": EMAIL_INVALID,
            "max_length": EMAIL_INVALID,
        },
    )


def _program_or_none(request: HttpRequest, program_slug: str) -> IncentiveProgram | None:
    return published_program(request.portal_tenant, program_slug)  # type: ignore[attr-defined]


def _urls(request: HttpRequest, program: IncentiveProgram) -> dict[str, str]:
    page = portal_reverse(request, "incentives") + f"{program.slug}/"
    return {"page_url": page, "withdraw_url": page + "withdraw/"}


def _language(request: HttpRequest) -> str:
    return page_language(request.portal_tenant, translation.get_language() or "en")  # type: ignore[attr-defined]


@portal_page
@require_http_methods(["GET", "HEAD"])
def incentives(request: HttpRequest) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    language = _language(request)
    listed = []
    for program in published_programs(tenant):
        text = program_text(program, language)
        if text is not None:
            listed.append({"text": text, **_urls(request, program)})
    if not listed:
        return not_found(request)
    return portal_render(request, "portal/notices/incentives.html", {"programs": listed})


def _render_program(
    request: HttpRequest, program: IncentiveProgram, form: IncentiveChoiceForm, status: int = 200
) -> HttpResponse:
    language = _language(request)
    notice = program_notice(program, language)
    text = program_text(program, language)
    if notice is None or text is None:
        return not_found(request)
    return portal_render(
        request,
        "portal/notices/incentive.html",
        {"program": program, "text": text, "notice": notice, "form": form}
        | _urls(request, program),
        status=status,
    )


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def incentive(request: HttpRequest, program_slug: str) -> HttpResponse:
    program = _program_or_none(request, program_slug)
    if program is None:
        return not_found(request)
    if request.method != "POST":
        return _render_program(request, program, IncentiveChoiceForm())
    form = IncentiveChoiceForm(request.POST)
    if not form.is_valid():
        return _render_program(request, program, form, status=400)
    text = program_text(program, _language(request))
    context = {"program": program, "text": text} | _urls(request, program)
    if form.cleaned_data["choice"] == DECLINE:
        # Nothing is saved: not joining needs no record, and asks for nothing.
        return portal_render(request, "portal/notices/incentive_declined.html", context)
    try:
        joined = incentive_enroll(
            program=program,
            email=form.cleaned_data["email"],
            language=_language(request),
            request=request,
        )
    except Refused as refused:
        form.add_error("email" if refused.field == "email" else None, refused.message)
        return _render_program(request, program, form, status=400)
    return portal_render(
        request,
        "portal/notices/incentive_joined.html",
        context | {"email": joined.enrollment.email},
    )


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def incentive_withdraw(request: HttpRequest, program_slug: str) -> HttpResponse:
    program = _program_or_none(request, program_slug)
    if program is None:
        return not_found(request)
    text = program_text(program, _language(request))
    context = {"program": program, "text": text} | _urls(request, program)
    status = 200
    if request.method == "POST":
        form = IncentiveWithdrawForm(request.POST)
        if form.is_valid():
            try:
                incentive_enrollment_withdraw(
                    program=program, email=form.cleaned_data["email"], request=request
                )
            except Refused as refused:
                form.add_error("email" if refused.field == "email" else None, refused.message)
            else:
                # The same answer whether or not the address was a member: nobody learns who is.
                return portal_render(
                    request,
                    "portal/notices/incentive_withdrawn.html",
                    context | {"email": form.cleaned_data["email"].strip().lower()},
                )
        status = 400
    else:
        form = IncentiveWithdrawForm()
    return portal_render(
        request, "portal/notices/incentive_withdraw.html", context | {"form": form}, status=status
    )
