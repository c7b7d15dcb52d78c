"""A household member joins a household request with its code (§7031(a)): their own request,
verified on its own. Thin: the form is checked here, ``services.households`` writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from core.refusals import Refused
from tenants.portal import portal_page, portal_render

from .services.households import household_join as household_join_service


class HouseholdJoinForm(forms.Form):
    use_required_attribute = False

    code = forms.CharField(
        label=_("Household code"),
        max_length=20,
        help_text=_("The code the member who made the request gave you, like HH-7KQ3-9XW2."),
        error_messages={"required": _("Enter the household code, like HH-7KQ3-9XW2.")},
    )
    name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        error_messages={"required": _("Enter the full name of the person the request is about.")},
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We send the link to confirm who you are here."),
        error_messages={
            "required": _("Enter an email address, like name@example.com."),
            "invalid": _("Enter an email address in the right format, like name@example.com."),
        },
    )
    under_13 = forms.BooleanField(
        label=_("This member is under 13"),
        required=False,
        help_text=_(
            "A parent or guardian fills in this form for them, with their own email address."
        ),
    )
    leave_empty = forms.CharField(label=_("Leave this field empty"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("leave_empty"):
            raise forms.ValidationError(
                _("We could not accept this form. Please check it and send it again."),
                code="honeypot",
            )
        return cleaned


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def household_join(request: HttpRequest) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    if request.method == "POST":
        form = HouseholdJoinForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                member = household_join_service(
                    tenant=tenant,
                    code=data["code"],
                    name=data["name"],
                    email=data["email"],
                    under_13=data["under_13"],
                    language=translation.get_language() or "en",
                )
            except Refused as refused:
                form.add_error(
                    refused.field if refused.field in form.fields else None, refused.message
                )
            else:
                return portal_render(
                    request,
                    "portal/verification_household_joined.html",
                    {"privacy_request": member.privacy_request, "under_13": member.under_13},
                )
        status = 400
    else:
        form = HouseholdJoinForm()
        status = 200
    return portal_render(
        request, "portal/verification_household_join.html", {"form": form}, status=status
    )
