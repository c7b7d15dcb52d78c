"""The opt-out, limit and "Your Privacy Choices" forms: only what the business needs.

No account, no verification and no information beyond what is necessary (§7026(c)-(d),
§7027(d)-(e)): besides the browser the form is sent from (its device cookie), the form asks at
most for the one identifier the business chose (``Tenant.opt_out_identifier``), always
optional. Nothing else: no name, no honeypot, no "are you sure" step (§7026(b), §7004(a)(2)(A)).

Which right is exercised comes from the button pressed (``choice``): one button on the opt-out
and limit pages; on "Your Privacy Choices" the single "opt out of all" button first, then one per
right (§7026(h), §7027(i)).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _
from phonenumber_field.phonenumber import to_python as phone_to_python

from core.refusals import Refused
from tenants.models import OptOutIdentifier, Tenant

from .subjects import normalize_email, normalize_phone

# The "opt out of all" choice of the privacy choices page: every right still open.
ALL = "all"

_IDENTIFIER_FIELDS = {
    OptOutIdentifier.EMAIL: (
        "email",
        forms.CharField(
            label=_("Your email address"),
            required=False,
            max_length=254,
            help_text=_("Your choice then also applies wherever we know this address."),
            widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        ),
    ),
    OptOutIdentifier.PHONE: (
        "phone",
        forms.CharField(
            label=_("Your phone number"),
            required=False,
            max_length=40,
            help_text=_("Your choice then also applies wherever we know this number."),
            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        ),
    ),
}


class ConsentChoiceForm(forms.Form):
    """One submit: the optional identifier and the button pressed."""

    use_required_attribute = False
    # The identifier field is always optional: its label says so (tenants' _field.html).
    optional_fields = frozenset({"email", "phone"})

    choice = forms.ChoiceField(
        choices=(),
        required=False,
        error_messages={"invalid_choice": _("Choose one of the buttons.")},
    )

    def __init__(self, *args: Any, tenant: Tenant, rights: Sequence[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rights = list(rights)
        identifier = _IDENTIFIER_FIELDS.get(tenant.opt_out_identifier)
        self.identifier_name = identifier[0] if identifier else ""
        if identifier:
            name, field = identifier
            self.fields[name] = copy.deepcopy(field)
        # "all" is every right still open: also from a page left open while one of them was
        # made elsewhere (another tab), where it is then the one left.
        values = [*self.rights, ALL]
        self.fields["choice"].choices = [(value, value) for value in values]  # type: ignore[attr-defined]

    @property
    def identifier(self) -> forms.BoundField | None:
        return self[self.identifier_name] if self.identifier_name else None

    def clean_email(self) -> str:
        raw = self.cleaned_data.get("email", "").strip()
        if not raw:
            return ""
        message = _("Enter an email address like name@example.com, or leave this field empty.")
        try:
            email = normalize_email(raw)
            # The request records the address too: what its model refuses, refuse here, with
            # this message, rather than half-way through recording the choice.
            validate_email(email)
        except (Refused, ValidationError):
            raise forms.ValidationError(message, code="invalid") from None
        return email

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone", "").strip()
        if not raw:
            return ""
        message = _(
            "Enter a phone number like (415) 555-0100, or +44 20 7946 0000 outside the US, or "
            "leave this field empty."
        )
        try:
            normalized = normalize_phone(raw)
        except Refused:
            raise forms.ValidationError(message, code="invalid") from None
        number = phone_to_python(normalized)
        if number is None or not number.is_valid():
            raise forms.ValidationError(message, code="invalid")
        return normalized

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.rights:
            raise forms.ValidationError(
                _("There is nothing left to choose here: your choices are shown on this page."),
                code="nothing_to_choose",
            )
        return cleaned

    def chosen_rights(self) -> list[str]:
        """The rights the button pressed asks for. Without a button value (some browsers send
        none when Enter is pressed in a field) the page's first button counts: the single
        right of the opt-out and limit pages, "all" on the privacy choices page."""
        choice = self.cleaned_data.get("choice") or (ALL if len(self.rights) > 1 else "")
        if choice == ALL or not choice:
            return list(self.rights)
        return [choice]
