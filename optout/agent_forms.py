"""The authorized agent's opt-out and limit form (§7026(j), §7027(j)): who the agent is, whose
choice it is, which choice, and the consumer's signed permission. It only collects and checks
input; ``optout.staff_services.agent_choice_submit`` writes.

Plain, translated messages, each tied to its field by the templates; no browser validation.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from core.refusals import Refused
from core.uploads import upload_check
from requests_app.forms import EMAIL_INVALID, PHONE_INVALID, TOO_LONG, PortalForm
from tenants.models import Tenant

from .models import ConsentRight

RIGHT_LABELS = {
    ConsentRight.SALE_SHARING: _("Opt out of the sale and sharing of their personal information"),
    ConsentRight.SENSITIVE_USE: _("Limit the use of their sensitive personal information"),
}


def offered_rights(tenant: Tenant) -> list[str]:
    """The rights this business must offer: it sells or shares, or uses sensitive personal
    information beyond §7027(m)."""
    rights = []
    if tenant.sells_or_shares:
        rights.append(ConsentRight.SALE_SHARING)
    if tenant.uses_sensitive_beyond_7027m:
        rights.append(ConsentRight.SENSITIVE_USE)
    return rights


class AgentChoiceForm(PortalForm):
    optional_fields = frozenset(
        {"agent_organization", "agent_phone", "consumer_email", "consumer_phone"}
    )

    rights = forms.MultipleChoiceField(
        label=_("What does the consumer ask for?"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one: opt out, limit, or both."),
            "invalid_choice": _("Choose one of the options shown."),
        },
    )
    consumer_email = forms.EmailField(
        label=_("The consumer’s email address"),
        max_length=254,
        required=False,
        help_text=_("Give the consumer’s email address or phone number, or both."),
        error_messages={"invalid": EMAIL_INVALID, "max_length": TOO_LONG},
    )
    consumer_phone = PhoneNumberField(
        label=_("The consumer’s phone number"),
        required=False,
        region="US",
        error_messages={"invalid": PHONE_INVALID},
    )
    agent_name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        error_messages={
            "required": _("Enter your full name as the authorized agent."),
            "max_length": TOO_LONG,
        },
    )
    agent_organization = forms.CharField(
        label=_("Your organization"),
        max_length=200,
        required=False,
        error_messages={"max_length": TOO_LONG},
    )
    agent_email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("We send our answer here."),
        error_messages={
            "required": _(
                "Enter your email address as the authorized agent, like name@example.com."
            ),
            "invalid": EMAIL_INVALID,
            "max_length": TOO_LONG,
        },
    )
    agent_phone = PhoneNumberField(
        label=_("Your phone number"),
        required=False,
        region="US",
        error_messages={"invalid": PHONE_INVALID},
    )
    permission = forms.FileField(
        label=_("The consumer’s signed permission"),
        required=False,
        help_text=_(
            "A PDF, JPEG or PNG file of up to 10 MB: the consumer’s written permission for you "
            "to make this request, signed by them. Without it we record your request but may "
            "deny it."
        ),
        error_messages={
            "invalid": _("We could not read this file. Send a PDF, JPEG or PNG file."),
            "empty": _("The file is empty."),
            "max_length": _("The file name is too long. Rename the file and send it again."),
        },
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rights"].choices = [
            (right, RIGHT_LABELS[ConsentRight(right)]) for right in offered_rights(tenant)
        ]

    def clean_permission(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("permission")
        if not upload:
            return None
        try:
            upload_check(upload, field="permission")
        except Refused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from refused
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        named = ("consumer_email", "consumer_phone")
        if not any(cleaned.get(name) for name in named) and not any(
            name in self.errors for name in named
        ):
            self.add_error(
                "consumer_email", _("Enter the consumer’s email address or phone number.")
            )
        return cleaned
