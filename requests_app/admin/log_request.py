"""Logging a request staff received by phone, email, mail or in person (§7020(c)).

``LogRequestForm`` collects it, with the time it actually arrived in the business's local time
(deadlines run from then, R-TL-2); ``LogRequestMixin`` is ``PrivacyRequestAdmin``'s add page,
which calls ``privacy_request_create`` and reports the deadlines it set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.widgets import AdminDateWidget, AdminSplitDateTime
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from phonenumber_field.formfields import PhoneNumberField

from core import clock
from core.refusals import Refused
from tenants.admin_base import require_act
from tenants.context import staff_tenant
from tenants.models import Tenant

from ..models import Channel, CorrectionField, KnowScope, PrivacyRequest, RequestType, Status
from ..services import Agent, Requester, privacy_request_create

STAFF_CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.MAIL, Channel.IN_PERSON)


@dataclass(frozen=True)
class QueueTool:
    """A link on the review queue to another app's page (``settings.PRIVACY_REQUEST_QUEUE_TOOLS``)
    and the request types that page logs, which this app's "Log a request" form then leaves to it
    (opt-outs and limits must also change the consumer's consent state, which only opt-out does)."""

    label: str
    url: str
    request_types: tuple[str, ...]


def queue_tools() -> list[QueueTool]:
    return [
        QueueTool(label, reverse(url_name), tuple(request_types))
        for label, url_name, request_types in settings.PRIVACY_REQUEST_QUEUE_TOOLS
    ]


def _logged_elsewhere() -> dict[str, str]:
    """Request type -> the label of the queue tool that logs it instead."""
    return {
        request_type: label
        for label, _, request_types in settings.PRIVACY_REQUEST_QUEUE_TOOLS
        for request_type in request_types
    }


class LogRequestForm(forms.Form):
    """A request staff received outside the portal (§7020(c)); deadlines run from when it
    actually arrived (R-TL-2), entered in the business's local time."""

    request_type = forms.ChoiceField(label="Type", choices=RequestType.choices)
    know_scope = forms.ChoiceField(
        label="What the request to know asks for",
        choices=[("", "—"), *KnowScope.choices],
        required=False,
        help_text="Requests to know only.",
    )
    # Amended §7020, §7024(h): the consumer may choose a period; none is everything since
    # January 1, 2022.
    know_period_start = forms.DateField(
        label="Period asked for: from",
        required=False,
        widget=AdminDateWidget,
        help_text="Requests to know only. Leave both dates empty when the consumer asks for "
        "everything since January 1, 2022.",
    )
    know_period_end = forms.DateField(
        label="Period asked for: to",
        required=False,
        widget=AdminDateWidget,
        help_text="The last day of the period the consumer chose (today at the latest).",
    )
    channel = forms.ChoiceField(
        label="Received by", choices=[(c.value, c.label) for c in STAFF_CHANNELS]
    )
    received_at = forms.SplitDateTimeField(label="Received at", widget=AdminSplitDateTime)
    language = forms.ChoiceField(
        label="Language for messages to the consumer", choices=settings.LANGUAGES
    )
    requester_name = forms.CharField(label="Name", max_length=200, required=False)
    requester_email = forms.EmailField(label="Email", required=False)
    requester_phone = PhoneNumberField(label="Phone", required=False)
    requester_state = forms.CharField(
        label="State of residence",
        max_length=2,
        min_length=2,
        required=False,
        help_text="Two-letter US state code, e.g. CA.",
    )
    correction_field = forms.ChoiceField(
        label="Information to correct",
        choices=[("", "—"), *CorrectionField.choices],
        required=False,
        help_text="Requests to correct only.",
    )
    correction_information = forms.CharField(
        label="What is wrong", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    correction_requested = forms.CharField(
        label="What it should say", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    agent_name = forms.CharField(label="Agent's name", max_length=200, required=False)
    agent_organization = forms.CharField(
        label="Agent's organization", max_length=200, required=False
    )
    agent_email = forms.EmailField(label="Agent's email", required=False)
    agent_phone = PhoneNumberField(label="Agent's phone", required=False)

    fieldsets = (
        (
            "Request",
            (
                "request_type",
                "know_scope",
                "know_period_start",
                "know_period_end",
                "channel",
                "received_at",
                "language",
            ),
        ),
        ("Requester", ("requester_name", "requester_email", "requester_phone", "requester_state")),
        (
            "Request to correct",
            ("correction_field", "correction_information", "correction_requested"),
        ),
        (
            "Authorized agent (if an agent made the request)",
            ("agent_name", "agent_organization", "agent_email", "agent_phone"),
        ),
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields[
            "received_at"
        ].help_text = f"When it actually reached the business, local time in {tenant.time_zone}."
        self.fields["language"].initial = (tenant.languages or ["en"])[0]
        elsewhere = _logged_elsewhere()
        if elsewhere:
            self.fields["request_type"].choices = [
                (value, label) for value, label in RequestType.choices if value not in elsewhere
            ]
            self.fields["request_type"].help_text = (
                "; ".join(
                    f"{RequestType(value).label}: use “{label}” on the queue"
                    for value, label in elsewhere.items()
                )
                + "."
            )

    def clean_received_at(self) -> datetime:
        received_at = self.cleaned_data["received_at"]
        if received_at > clock.now():
            raise forms.ValidationError("The received time cannot be in the future.")
        return received_at

    def clean_requester_state(self) -> str:
        return self.cleaned_data["requester_state"].strip().upper()

    def grouped(self) -> list[tuple[str, list[Any]]]:
        return [(title, [self[name] for name in names]) for title, names in self.fieldsets]


CORRECTION_FIELDS = ("correction_field", "correction_information", "correction_requested")
KNOW_PERIOD_FIELDS = ("know_period_start", "know_period_end")
# Service refusal fields → form fields (the rest are shown above the form).
_REFUSAL_FIELDS = {
    "received_at": "received_at",
    "know_scope": "know_scope",
    **{name: name for name in KNOW_PERIOD_FIELDS},
    **{name: name for name in CORRECTION_FIELDS},
}


class LogRequestMixin:
    """``PrivacyRequestAdmin``'s add page: log a request received outside the portal. Uses the
    admin's ``_change_url`` to go to the new request's page."""

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        require_act(request)  # logging a request acts: compliance is told it may not
        tenant = staff_tenant(request)
        if tenant is None:  # require_act already needs one; keeps the types honest
            raise PermissionDenied
        # Read and show the received time in the business's time zone, whatever the site's.
        with timezone.override(tenant.zone):
            if request.method == "POST":
                form = LogRequestForm(request.POST, tenant=tenant)
                if form.is_valid():
                    created = self._log_request(request, tenant, form)
                    if created is not None:
                        return HttpResponseRedirect(self._change_url(created))
            else:
                now = clock.now().replace(microsecond=0)
                form = LogRequestForm(tenant=tenant, initial={"received_at": now})
            context = {
                **self.admin_site.each_context(request),
                "title": "Log a request received by phone, email, mail or in person",
                "opts": self.opts,
                "form": form,
                "media": self.media + form.media,
                **(extra_context or {}),
            }
            response = TemplateResponse(
                request, "admin/requests_app/privacyrequest/log_request.html", context
            )
            response.render()
        return response

    def _log_request(
        self, request: HttpRequest, tenant: Tenant, form: LogRequestForm
    ) -> PrivacyRequest | None:
        data = form.cleaned_data
        agent = Agent(
            name=data["agent_name"],
            organization=data["agent_organization"],
            email=data["agent_email"],
            phone=str(data["agent_phone"] or ""),
        )
        try:
            created = privacy_request_create(
                tenant=tenant,
                request_type=data["request_type"],
                channel=data["channel"],
                requester=Requester(
                    name=data["requester_name"],
                    email=data["requester_email"],
                    phone=str(data["requester_phone"] or ""),
                    state=data["requester_state"],
                ),
                know_scope=data["know_scope"],
                received_at=data["received_at"],
                agent=agent if any(vars(agent).values()) else None,
                actor=request.user,
                language=data["language"],
                details={
                    **{
                        name: data[name]
                        for name in CORRECTION_FIELDS
                        if data["request_type"] == RequestType.CORRECT
                    },
                    # Given for another type, intake refuses them ("only a request to know").
                    **{name: data[name] for name in KNOW_PERIOD_FIELDS if data[name]},
                },
            )
        except Refused as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
            field = _REFUSAL_FIELDS.get(refusal.field or "")
            form.add_error(field, refusal.message)
            return None
        self.log_addition(request, created, [{"added": {}}])
        due = []
        if created.respond_by:
            due.append(f"respond by {created.respond_by:%Y-%m-%d}")
        if created.comply_by:
            due.append(f"comply by {created.comply_by:%Y-%m-%d}")
        if created.confirm_by and created.confirmed_at is None:
            due.append(
                f"confirm receipt by {created.confirm_by:%Y-%m-%d} and record how (§7021(a))"
            )
        if created.status == Status.CLOSED:
            # A third request to know within 12 months, denied at once as the business chose.
            self.message_user(
                request,
                f"Logged {created.reference} and closed it at once as denied: "
                f"{created.denial_explanation}",
                messages.WARNING,
            )
            return created
        self.message_user(
            request,
            f"Logged {created.reference}"
            + (f": {'; '.join(due)}." if due else ".")
            + (" Receipt was confirmed by email." if created.confirmed_at else ""),
            messages.SUCCESS,
        )
        return created
