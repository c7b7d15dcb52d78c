"""The consumer portal's forms: requests to know, delete and correct, and the status page.

They only collect and check input; ``requests_app.services.portal`` writes. Every message is in
plain words and translated; the templates tie each message to its field (aria-describedby) and
list them all at the top. Browsers' own validation is off (``novalidate``) so every visitor gets
the same, accessible messages.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from core.refusals import Refused
from core.uploads import upload_check

from . import consumer_text
from .models import CorrectionField, DeleteCategory, DeleteScope, KnowScope
from .services import Agent, Requester
from .services.portal import PortalSubmission

CONSUMER = "consumer"
AGENT = "agent"
OUTSIDE_US = "outside"
# An authorized agent is a person, or a business registered with the California Secretary of
# State (§7001(d)); the values of verification's AgentKind, which reads them from the extras.
AGENT_PERSON = "person"
AGENT_BUSINESS = "business"
UPLOAD_ERRORS = {
    "invalid": _("We could not read this file. Send a PDF, JPEG or PNG file."),
    "empty": _("The file is empty."),
    "max_length": _("The file name is too long. Rename the file and send it again."),
}
UPLOAD_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"

US_STATES = [
    ("AL", _("Alabama")),
    ("AK", _("Alaska")),
    ("AZ", _("Arizona")),
    ("AR", _("Arkansas")),
    ("CA", _("California")),
    ("CO", _("Colorado")),
    ("CT", _("Connecticut")),
    ("DE", _("Delaware")),
    ("DC", _("District of Columbia")),
    ("FL", _("Florida")),
    ("GA", _("Georgia")),
    ("HI", _("Hawaii")),
    ("ID", _("Idaho")),
    ("IL", _("Illinois")),
    ("IN", _("Indiana")),
    ("IA", _("Iowa")),
    ("KS", _("Kansas")),
    ("KY", _("Kentucky")),
    ("LA", _("Louisiana")),
    ("ME", _("Maine")),
    ("MD", _("Maryland")),
    ("MA", _("Massachusetts")),
    ("MI", _("Michigan")),
    ("MN", _("Minnesota")),
    ("MS", _("Mississippi")),
    ("MO", _("Missouri")),
    ("MT", _("Montana")),
    ("NE", _("Nebraska")),
    ("NV", _("Nevada")),
    ("NH", _("New Hampshire")),
    ("NJ", _("New Jersey")),
    ("NM", _("New Mexico")),
    ("NY", _("New York")),
    ("NC", _("North Carolina")),
    ("ND", _("North Dakota")),
    ("OH", _("Ohio")),
    ("OK", _("Oklahoma")),
    ("OR", _("Oregon")),
    ("PA", _("Pennsylvania")),
    ("RI", _("Rhode Island")),
    ("SC", _("South Carolina")),
    ("SD", _("South Dakota")),
    ("TN", _("Tennessee")),
    ("TX", _("Texas")),
    ("UT", _("Utah")),
    ("VT", _("Vermont")),
    ("VA", _("Virginia")),
    ("WA", _("Washington")),
    ("WV", _("West Virginia")),
    ("WI", _("Wisconsin")),
    ("WY", _("Wyoming")),
]

PHONE_INVALID = _("Enter a phone number like (213) 555-0123, or start with + and the country code.")
REQUIRED = {
    "name": _("Enter the full name of the person the request is about."),
    "email": _("Enter an email address, like name@example.com."),
    "state": _("Choose the state where the person lives, or “I live outside the United States”."),
    "requester_role": _("Choose whether you are the consumer or an authorized agent."),
    "know_scope": _("Choose what you want to know."),
    "delete_scope": _("Choose what you want us to delete."),
    "correction_field": _("Choose which information is wrong."),
    "correction_information": _("Tell us what is wrong now."),
    "correction_requested": _("Tell us what it should say."),
    "reference": _("Enter your reference number, like AB-7KQ3-9XW2."),
}
EMAIL_INVALID = _("Enter an email address in the right format, like name@example.com.")
INVALID_CHOICE = _("Choose one of the options shown.")
TOO_LONG = _("This is too long: use at most %(limit_value)d characters.")


def _required(name: str) -> dict[str, Any]:
    return {"required": REQUIRED[name], "invalid_choice": INVALID_CHOICE, "max_length": TOO_LONG}


def reference_field() -> forms.CharField:
    """A request's reference number, as the consumer types it from our email."""
    return forms.CharField(
        label=_("Reference number"),
        max_length=30,
        help_text=_("It is in the email we sent you, for example AB-7KQ3-9XW2."),
        error_messages=_required("reference"),
    )


def request_email_field() -> forms.EmailField:
    """An email address on a request (where a one-time sign-in link may go)."""
    return forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("The email address you gave with the request."),
        error_messages={
            "required": REQUIRED["email"],
            "invalid": EMAIL_INVALID,
            "max_length": TOO_LONG,
        },
    )


class PortalForm(forms.Form):
    """Shared behaviour: plain messages, no browser validation, and the honeypot.

    The honeypot is a text field people never see or reach (moved off screen by CSS, hidden from
    screen readers, out of the tab order); bots that fill every field fill it too.
    """

    use_required_attribute = False
    # Labels say "(optional)" for these; every other field is needed.
    optional_fields: frozenset[str] = frozenset()

    leave_empty = forms.CharField(label=_("Leave this field empty"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("leave_empty"):
            raise forms.ValidationError(
                _("We could not accept this form. Please check it and send it again."),
                code="honeypot",
            )
        return cleaned


class RequestForm(PortalForm):
    """Who is asking, and about whom: the fields every request type needs."""

    request_type = ""
    optional_fields = frozenset(
        {
            "phone",
            "agent_organization",
            "agent_phone",
            "agent_permission_file",
            "agent_entity_number",
        }
    )

    requester_role = forms.ChoiceField(
        label=_("Who is making this request?"),
        choices=[
            (CONSUMER, _("I am the consumer: the request is about my own information")),
            (AGENT, _("I am an authorized agent making the request for someone else")),
        ],
        widget=forms.RadioSelect,
        initial=CONSUMER,
        error_messages=_required("requester_role"),
    )
    name = forms.CharField(label=_("Full name"), max_length=200, error_messages=_required("name"))
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        required=False,
        help_text=_(
            "We send the confirmation and our answer here. An authorized agent may leave it "
            "empty and give their own email address below."
        ),
        error_messages={"invalid": EMAIL_INVALID, "max_length": TOO_LONG},
    )
    phone = PhoneNumberField(
        label=_("Phone number"),
        required=False,
        region="US",
        help_text=_("Only if you want us to be able to call about this request."),
        error_messages={"invalid": PHONE_INVALID},
    )
    state = forms.ChoiceField(
        label=_("State where the person lives"),
        choices=[
            ("", _("Choose a state")),
            *US_STATES,
            (OUTSIDE_US, _("I live outside the United States")),
        ],
        error_messages=_required("state"),
    )
    agent_name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        required=False,
        error_messages={"max_length": TOO_LONG},
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
        required=False,
        error_messages={"invalid": EMAIL_INVALID, "max_length": TOO_LONG},
    )
    agent_phone = PhoneNumberField(
        label=_("Your phone number"),
        required=False,
        region="US",
        error_messages={"invalid": PHONE_INVALID},
    )

    agent_kind = forms.ChoiceField(
        label=_("Are you acting as a person or as a business?"),
        choices=[
            (AGENT_PERSON, _("As a person")),
            (AGENT_BUSINESS, _("As a business registered with the California Secretary of State")),
        ],
        widget=forms.RadioSelect,
        required=False,
        initial=AGENT_PERSON,  # none chosen: a person
        error_messages={"invalid_choice": INVALID_CHOICE},
    )
    agent_entity_number = forms.CharField(
        label=_("Secretary of State entity number"),
        max_length=20,
        required=False,
        help_text=_(
            "Only for a business: the number the California Secretary of State gave it, like "
            "C0806592."
        ),
        error_messages={"max_length": TOO_LONG},
    )
    agent_permission_file = forms.FileField(
        label=_("The consumer’s signed permission"),
        required=False,
        help_text=_(
            "PDF, JPEG or PNG, up to 10 MB. If you do not have it now, we will ask you for it."
        ),
        error_messages=UPLOAD_ERRORS,
        widget=forms.ClearableFileInput(attrs={"accept": UPLOAD_ACCEPT}),
    )
    agent_power_of_attorney = forms.BooleanField(
        label=_("I hold a power of attorney from the consumer"),
        required=False,
        help_text=_("With a power of attorney, the consumer’s signed permission is not needed."),
    )
    agent_power_of_attorney_file = forms.FileField(
        label=_("The power of attorney"),
        required=False,
        help_text=_("PDF, JPEG or PNG, up to 10 MB. Only if you hold a power of attorney."),
        error_messages=UPLOAD_ERRORS,
        widget=forms.ClearableFileInput(attrs={"accept": UPLOAD_ACCEPT}),
    )
    about_child_under_13 = forms.BooleanField(
        label=_("The request is about my child, who is under 13"),
        required=False,
        help_text=_("We will first check that you are the child’s parent or guardian."),
    )

    AGENT_FIELDS = (
        "agent_name",
        "agent_organization",
        "agent_email",
        "agent_phone",
        "agent_kind",
        "agent_entity_number",
        "agent_permission_file",
        "agent_power_of_attorney",
        "agent_power_of_attorney_file",
    )

    def _upload(self, name: str) -> UploadedFile | None:
        upload = self.cleaned_data.get(name)
        if not upload:
            return None
        try:
            upload_check(upload, field=name)
        except Refused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from refused
        return upload

    def clean_agent_permission_file(self) -> UploadedFile | None:
        return self._upload("agent_permission_file")

    def clean_agent_power_of_attorney_file(self) -> UploadedFile | None:
        return self._upload("agent_power_of_attorney_file")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        role = cleaned.get("requester_role")
        if role == AGENT:
            if not cleaned.get("agent_name"):
                self.add_error("agent_name", _("Enter your full name as the authorized agent."))
            if not cleaned.get("agent_email"):
                self.add_error(
                    "agent_email",
                    _("Enter your email address as the authorized agent, like name@example.com."),
                )
            if (
                cleaned.get("agent_kind") == AGENT_BUSINESS
                and not cleaned.get("agent_entity_number", "").strip()
            ):
                self.add_error(
                    "agent_entity_number",
                    _(
                        "A business acting as an authorized agent must be registered with the "
                        "California Secretary of State: give its entity number."
                    ),
                )
            if (
                cleaned.get("agent_power_of_attorney")
                and not cleaned.get("agent_power_of_attorney_file")
                and "agent_power_of_attorney_file" not in self.errors
            ):
                self.add_error(
                    "agent_power_of_attorney_file",
                    _("Send a copy of the power of attorney, or untick the box above."),
                )
        elif role == CONSUMER:
            if "email" in cleaned and not cleaned.get("email"):
                self.add_error("email", REQUIRED["email"])
            # The agent's kind comes pre-chosen ("a person"): only a changed one is a detail.
            filled = [
                name
                for name in self.AGENT_FIELDS
                if cleaned.get(name)
                and not (name == "agent_kind" and cleaned[name] == AGENT_PERSON)
            ]
            if filled:
                self.add_error(
                    filled[0],
                    _(
                        "You chose “I am the consumer”, but gave an agent’s details. Clear the "
                        "agent fields, or choose “I am an authorized agent”."
                    ),
                )
        return cleaned

    def submission(self, *, language: str) -> PortalSubmission:
        """The cleaned form as the service's input."""
        data = self.cleaned_data
        state = data["state"]
        agent = None
        if data["requester_role"] == AGENT:
            agent = Agent(
                name=data["agent_name"].strip(),
                organization=data["agent_organization"].strip(),
                email=data["agent_email"],
                phone=str(data["agent_phone"] or ""),
            )
        extras: dict[str, Any] = {"child_under_13": bool(data.get("about_child_under_13"))}
        if agent is not None:
            # Read by verification's intake hook (verification.services.agents).
            extras |= {
                "agent_kind": data.get("agent_kind") or AGENT_PERSON,
                "agent_entity_number": (data.get("agent_entity_number") or "").strip(),
                "agent_power_of_attorney": bool(data.get("agent_power_of_attorney")),
            }
            for name in ("agent_permission_file", "agent_power_of_attorney_file"):
                if data.get(name):
                    extras[name] = data[name]
        return PortalSubmission(
            request_type=self.request_type,
            requester=Requester(
                name=data["name"].strip(),
                email=data["email"],
                phone=str(data["phone"] or ""),
                state="" if state == OUTSIDE_US else state,
            ),
            agent=agent,
            is_california_consumer=state == "CA",
            language=language,
            extras=extras,
            **self.details(),
        )

    def details(self) -> dict[str, Any]:
        return {}


KNOW_PERIOD_ALL = "all"
KNOW_PERIOD_CHOSEN = "chosen"
DATE_INVALID = _("Enter a date like 03/31/2024.")
# What a browser without a date picker sends too: month/day/year, or year-month-day.
DATE_INPUT_FORMATS = ["%m/%d/%Y", "%Y-%m-%d", "%m-%d-%Y"]


class KnowForm(RequestForm):
    request_type = "know"
    # The page asks what they want first, then for which period (amended §7020, §7024(h)).
    field_order = ["know_scope", "know_period", "know_period_start", "know_period_end"]
    optional_fields = RequestForm.optional_fields | {"know_period_start", "know_period_end"}

    know_scope = forms.ChoiceField(
        label=_("What do you want to know?"),
        choices=[(scope, consumer_text.KNOW_SCOPES[scope]) for scope in KnowScope.values],
        widget=forms.RadioSelect,
        error_messages=_required("know_scope"),
    )
    # §7024(h): everything since January 1, 2022 is the default and comes first.
    know_period = forms.ChoiceField(
        label=_("For which period?"),
        choices=[
            (KNOW_PERIOD_ALL, consumer_text.KNOW_PERIOD_EVERYTHING_CHOICE),
            (KNOW_PERIOD_CHOSEN, _("Only a period I choose")),
        ],
        widget=forms.RadioSelect,
        initial=KNOW_PERIOD_ALL,
        required=False,  # none chosen: everything
        error_messages={"invalid_choice": INVALID_CHOICE},
    )
    know_period_start = forms.DateField(
        label=_("First day of the period"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        help_text=_(
            "Only if you chose “Only a period I choose”. January 1, 2022 or later, for "
            "example 03/31/2024."
        ),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": DATE_INVALID},
    )
    know_period_end = forms.DateField(
        label=_("Last day of the period"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        help_text=_("Only if you chose “Only a period I choose”. Today at the latest."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": DATE_INVALID},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("know_period") == KNOW_PERIOD_CHOSEN:
            # The rest of the period's rules are intake's, for every channel alike.
            if "know_period_start" in cleaned and not cleaned["know_period_start"]:
                self.add_error("know_period_start", _("Enter the first day of the period."))
            if "know_period_end" in cleaned and not cleaned["know_period_end"]:
                self.add_error("know_period_end", _("Enter the last day of the period."))
        return cleaned

    def details(self) -> dict[str, Any]:
        data = self.cleaned_data
        chosen = data.get("know_period") == KNOW_PERIOD_CHOSEN
        return {
            "know_scope": data["know_scope"],
            # Dates typed before choosing "everything" again are not a request for a period.
            "know_period_start": data.get("know_period_start") if chosen else None,
            "know_period_end": data.get("know_period_end") if chosen else None,
        }


class DeleteForm(RequestForm):
    request_type = "delete"
    field_order = ["delete_scope", "delete_categories"]

    # §7022(h): the single "delete all" choice comes first and is the default; the selective
    # choice exists only next to it.
    delete_scope = forms.ChoiceField(
        label=_("What do you want us to delete?"),
        choices=[
            (DeleteScope.ALL, _("Delete all my personal information")),
            (DeleteScope.SELECTED, _("Delete only some kinds of information")),
        ],
        widget=forms.RadioSelect,
        initial=DeleteScope.ALL,
        error_messages=_required("delete_scope"),
    )
    delete_categories = forms.MultipleChoiceField(
        label=_("Which kinds of information?"),
        help_text=_("Only if you chose “Delete only some kinds of information”."),
        choices=DeleteCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": INVALID_CHOICE},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("delete_scope") == DeleteScope.SELECTED and not cleaned.get(
            "delete_categories"
        ):
            self.add_error(
                "delete_categories",
                _(
                    "Choose at least one kind of information, or choose “Delete all my personal information”."
                ),
            )
        return cleaned

    def details(self) -> dict[str, Any]:
        scope = self.cleaned_data["delete_scope"]
        categories = self.cleaned_data.get("delete_categories") or []
        return {
            "delete_scope": scope,
            "delete_categories": tuple(categories) if scope == DeleteScope.SELECTED else (),
        }


class CorrectForm(RequestForm):
    request_type = "correct"
    field_order = [
        "correction_field",
        "correction_information",
        "correction_requested",
        "document",
        "see_specific_pieces",
    ]
    optional_fields = RequestForm.optional_fields | {"document", "see_specific_pieces"}

    correction_field = forms.ChoiceField(
        label=_("Which information is wrong?"),
        choices=[("", _("Choose one")), *CorrectionField.choices],
        error_messages=_required("correction_field"),
    )
    correction_information = forms.CharField(
        label=_("What does it say now?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_required("correction_information"),
    )
    correction_requested = forms.CharField(
        label=_("What should it say?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_required("correction_requested"),
    )
    document = forms.FileField(
        label=_("A document that shows the right information"),
        required=False,
        error_messages={
            "invalid": _("We could not read this file. Send a PDF, JPEG or PNG file."),
            "empty": _("The file is empty."),
            "max_length": _("The file name is too long. Rename the file and send it again."),
        },
        help_text=_("PDF, JPEG or PNG, up to 10 MB. For example a bill or an official letter."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )

    # §7023(j): the disclosure that confirms the correction does not count as a request to know.
    see_specific_pieces = forms.BooleanField(
        label=_("Once corrected, show me all the information you hold about me, so I can check"),
        required=False,
        help_text=_(
            "We will send you all the specific pieces of personal information we hold about you. "
            "This does not count toward your two requests to know in 12 months."
        ),
    )

    def clean_document(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("document")
        if not upload:
            return None
        try:
            upload_check(upload)
        except Refused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from refused
        return upload

    def details(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "correction_field": data["correction_field"],
            "correction_information": data["correction_information"],
            "correction_requested": data["correction_requested"],
            "correction_disclosure_wanted": bool(data.get("see_specific_pieces")),
            "documents": (data["document"],) if data.get("document") else (),
        }


class CorrectionStatementForm(PortalForm):
    """§7023(f)(4): the consumer's statement about contested health information."""

    item = forms.CharField(
        label=_("Which piece of information is your statement about?"),
        max_length=200,
        error_messages={
            "required": _("Say which piece of information your statement is about."),
            "max_length": _("Describe the information in at most 200 characters."),
        },
    )
    text = forms.CharField(
        label=_("Your statement"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=5000,
        help_text=_("Up to 250 words."),
        error_messages={
            "required": _("Write your statement."),
            "max_length": _("Your statement can have at most 250 words."),
        },
    )


class StatusLookupForm(PortalForm):
    reference = reference_field()
    email = request_email_field()


class ChoiceForm(PortalForm):
    """A yes/no decision posted by one of two equally styled buttons (§7004(a)(2))."""

    YES = "yes"
    NO = "no"
    choice = forms.ChoiceField(choices=[(YES, YES), (NO, NO)])


class SignInForm(PortalForm):
    t = forms.CharField(max_length=100, widget=forms.HiddenInput)
