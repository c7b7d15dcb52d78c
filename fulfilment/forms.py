"""The portal's form of secure delivery (§7024(f)): the email address a sign-in link goes to."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.forms import EMAIL_INVALID, REQUIRED, TOO_LONG, PortalForm


class DeliveryEmailForm(PortalForm):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("The email address you gave with the request."),
        error_messages={
            "required": REQUIRED["email"],
            "invalid": EMAIL_INVALID,
            "max_length": TOO_LONG,
        },
    )
