"""The consumer's verification forms: confirm the email link, ask for a new link, give the data
points a request still needs and, for the reasonably high degree, sign the declaration
(§7062(c), §7001(ii)).

They only collect and check input (a date that is no date is refused here, before anything is
matched or counted); ``verification.services`` writes. Messages are plain and translated.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.forms import (
    TOO_LONG,
    PortalForm,
    reference_field,
    request_email_field,
)
from requests_app.services.status_links import normalize_reference

from . import degrees
from .normalize import Unreadable, normalize

# The labels of models.DataPoint, translated, and a hint for each (§7060(c)(2): never a Social
# Security, driver's licence, financial account or health number).
POINT_LABELS = {
    degrees.PHONE: _("Phone number"),
    degrees.NAME: _("Full name"),
    degrees.POSTAL_ADDRESS: _("Postal address"),
    degrees.ACCOUNT: _("Account or customer number"),
    degrees.DATE_OF_BIRTH: _("Date of birth"),
    degrees.LAST_PURCHASE_DATE: _("Date of last purchase"),
    degrees.LAST_PURCHASE_AMOUNT: _("Amount of last purchase"),
}
POINT_HINTS = {
    degrees.PHONE: _("The phone number you gave us, for example (415) 555-0100."),
    degrees.NAME: _("Your first and last name, as you gave them to us."),
    degrees.POSTAL_ADDRESS: _("Street, city and ZIP code, as you gave them to us."),
    degrees.ACCOUNT: _("It is on your receipts, bills or account page."),
    degrees.DATE_OF_BIRTH: _("For example 03/31/1990."),
    degrees.LAST_PURCHASE_DATE: _("The day of your most recent purchase, for example 03/31/2026."),
    degrees.LAST_PURCHASE_AMOUNT: _("In dollars, for example 42.50."),
}
POINT_AUTOCOMPLETE = {
    degrees.PHONE: "tel",
    degrees.NAME: "name",
    degrees.POSTAL_ADDRESS: "street-address",
    degrees.DATE_OF_BIRTH: "bday",
}
UNREADABLE = {
    degrees.DATE_OF_BIRTH: _("Write the date like 03/31/1990."),
    degrees.LAST_PURCHASE_DATE: _("Write the date like 03/31/2026."),
    degrees.LAST_PURCHASE_AMOUNT: _("Write the amount in dollars, like 42.50."),
}
DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y"]


class ConfirmEmailForm(PortalForm):
    """The "Confirm my email address" button of the emailed link (the token rides along)."""

    t = forms.CharField(max_length=100, widget=forms.HiddenInput)


class NewLinkForm(PortalForm):
    reference = reference_field()
    email = request_email_field()

    def clean_reference(self) -> str:
        return normalize_reference(self.cleaned_data["reference"])


class VerifyForm(PortalForm):
    """The data points still needed (each optional: §7060(d), ask no more than needed) and,
    when ``with_declaration``, the declaration signed by typing name and date (§7001(ii))."""

    declaration_fields = ("declaration_name", "declaration_date")

    def __init__(
        self, *args: Any, points: Iterable[str], with_declaration: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.points = tuple(points)
        self.with_declaration = with_declaration
        optional = set(self.points)
        for point in self.points:
            attrs = {"autocomplete": POINT_AUTOCOMPLETE.get(point, "off")}
            if point == degrees.LAST_PURCHASE_AMOUNT:
                attrs["inputmode"] = "decimal"
            self.fields[point] = forms.CharField(
                label=POINT_LABELS[point],
                help_text=POINT_HINTS[point],
                required=False,
                max_length=200,
                error_messages={"max_length": TOO_LONG},
                widget=forms.TextInput(attrs=attrs),
            )
        if with_declaration:
            self.fields["declaration_name"] = forms.CharField(
                label=_("Type your full name"),
                help_text=_("Typing your name signs the statement above."),
                required=False,
                max_length=200,
                error_messages={"max_length": TOO_LONG},
                widget=forms.TextInput(attrs={"autocomplete": "name"}),
            )
            self.fields["declaration_date"] = forms.DateField(
                label=_("Type today's date"),
                help_text=_("For example 03/31/2026."),
                required=False,
                input_formats=DATE_FORMATS,
                error_messages={"invalid": _("Write the date like 03/31/2026.")},
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
            optional |= {"declaration_name", "declaration_date"}
        self.optional_fields = frozenset(optional)

    def _clean_point(self, point: str) -> str:
        value = (self.cleaned_data.get(point) or "").strip()
        if value:
            try:
                normalize(point, value)
            except Unreadable:
                raise forms.ValidationError(
                    UNREADABLE.get(point, _("We could not read this. Please check it.")),
                    code="unreadable",
                ) from None
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for point in self.points:
            if point in cleaned and point not in self.errors:
                try:
                    cleaned[point] = self._clean_point(point)
                except forms.ValidationError as error:
                    self.add_error(point, error)
        if self.with_declaration:
            name = (cleaned.get("declaration_name") or "").strip()
            day = cleaned.get("declaration_date")
            if name and not day and "declaration_date" not in self.errors:
                self.add_error("declaration_date", _("Type today's date to sign the declaration."))
            if day and not name:
                self.add_error(
                    "declaration_name", _("Type your full name to sign the declaration.")
                )
        return cleaned

    def values(self) -> dict[str, str]:
        return {point: self.cleaned_data.get(point) or "" for point in self.points}

    def signature(self) -> tuple[str, Any] | None:
        """(typed name, typed date) when the declaration was signed, else None."""
        if not self.with_declaration:
            return None
        name = (self.cleaned_data.get("declaration_name") or "").strip()
        day = self.cleaned_data.get("declaration_date")
        return (name, day) if name and day else None
