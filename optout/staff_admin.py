"""Consent in the admin, for the business's staff: look a consumer's consent up, log an opt-out
or a limit received outside the portal, decide an authorized agent's.

* ``ConsentStateAdmin`` (read-only): the search box takes an email address, a phone number or an
  account id, hashes it as the portal does (``consent_subject``) and finds that subject's state;
  its page shows the state and every change, with the request it came from (linked), the
  source, the time and who. Two more pages hang from it, linked from the review queue
  (``settings.PRIVACY_REQUEST_QUEUE_TOOLS``) and from a request's page:
  ``log/`` (an opt-out or limit received by phone, email, mail or in person, §7026(a)(2)-(3),
  or its denial as fraudulent, §7026(e), §7027(f)) and ``agent/<privacy_request_id>/`` (apply or
  deny an agent's request once its signed permission is opened, §7026(j), §7027(j)).
* ``RequestConsentChangeInline``: on an opt-out or limit request's page, the consent changes it
  made (``settings.PRIVACY_REQUEST_ADMIN_INLINES``: requests_app never imports optout).

Everything reads through the chosen business (``TenantScopedModelAdmin``); another business's
request answers 404 like a missing one. Views are thin: ``optout.staff_services`` writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from phonenumber_field.formfields import PhoneNumberField

from audit.reads import AuditedReadMixin
from core import clock
from core.refusals import Refused
from requests_app import vocabulary as words
from requests_app.admin.inlines import READ_ONLY_INLINE
from requests_app.models import PrivacyRequest
from requests_app.services.intake import Requester
from tenants.admin_base import (
    TenantScopedInlineMixin,
    TenantScopedModelAdmin,
    may,
    require_act,
)
from tenants.context import staff_tenant
from tenants.models import Tenant

from .choice_services import ChoiceMade
from .models import ConsentChange, ConsentRight, ConsentState, SubjectKindChoice
from .services import consent_subject
from .staff_services import (
    STAFF_CHANNELS,
    agent_choice_apply,
    agent_choice_deny,
    agent_denial_explanation,
    agent_permission_documents,
    choice_log,
    choice_log_fraudulent,
)
from .subjects import SubjectKind

REQUEST_CHANGE_URL = "admin:requests_app_privacyrequest_change"
REQUEST_CHANGELIST_URL = "admin:requests_app_privacyrequest_changelist"
_CHANNEL_LABELS = {
    words.PHONE: "Telephone",
    words.EMAIL: "Email",
    words.MAIL: "Mail",
    words.IN_PERSON: "In person",
}


def _local(moment: datetime | None) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}" if moment else "—"


def _subject_label(kind: str, subject_hash: str) -> str:
    return f"{SubjectKindChoice(kind).label} {subject_hash[:8]}…"


def _request_link(privacy_request: PrivacyRequest | None) -> str:
    if privacy_request is None:
        return "—"
    url = reverse(REQUEST_CHANGE_URL, args=[privacy_request.pk])
    return format_html('<a href="{}">{}</a>', url, privacy_request.reference)


def _who(change: ConsentChange) -> str:
    if change.actor is not None:
        return change.actor.get_username()
    return change.actor_label or "—"


def _what(change: ConsentChange) -> str:
    if change.right == ConsentRight.SALE_SHARING:
        return "Opted out" if change.restricted else "Opted in (sale and sharing allowed)"
    return "Limited" if change.restricted else "Limit lifted (use allowed)"


class _ConsentChangeColumns:
    """The columns a consent change shows, on a subject's page and on a request's."""

    @admin.display(description="when")
    def when(self, obj: ConsentChange) -> str:
        return _local(obj.at)

    @admin.display(description="change")
    def what(self, obj: ConsentChange) -> str:
        return _what(obj)

    @admin.display(description="source")
    def source_label(self, obj: ConsentChange) -> str:
        label = obj.get_source_display()
        return (
            f"{label} (carried over from a linked browser or consumer)"
            if obj.carried_from
            else label
        )

    @admin.display(description="request")
    def request_link(self, obj: ConsentChange) -> str:
        return _request_link(obj.privacy_request)

    @admin.display(description="by")
    def who(self, obj: ConsentChange) -> str:
        return _who(obj)

    @admin.display(description="subject")
    def subject(self, obj: ConsentChange) -> str:
        return _subject_label(obj.state.subject_kind, obj.state.subject_hash)


class ConsentHistoryInline(_ConsentChangeColumns, TenantScopedInlineMixin, admin.TabularInline):
    """A subject's every consent change, oldest first (the history of their choices)."""

    model = ConsentChange
    fk_name = "state"
    read_only = True
    template = READ_ONLY_INLINE
    verbose_name = "change"
    verbose_name_plural = "history of changes"
    fields = ("when", "right", "what", "source_label", "request_link", "who")
    readonly_fields = fields
    ordering = ("at", "id")
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("privacy_request", "actor")


# Request types whose page lists the consent changes they made.
_CONSENT_REQUEST_TYPES = frozenset({*words.COMPLY_TYPES, words.OPT_IN})


class RequestConsentChangeInline(
    _ConsentChangeColumns, TenantScopedInlineMixin, admin.TabularInline
):
    """On an opt-out, limit or opt-in request's page: the consent changes it made, and, for an
    authorized agent's request still open, the way to decide it."""

    model = ConsentChange
    fk_name = "privacy_request"
    read_only = True
    template = "admin/optout/request_consent_changes.html"
    verbose_name = "consent change"
    verbose_name_plural = "consent changes made by this request"
    fields = ("subject", "right", "what", "source_label", "when", "who")
    readonly_fields = fields
    ordering = ("at", "id")
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if isinstance(obj, PrivacyRequest) and obj.request_type not in _CONSENT_REQUEST_TYPES:
            return False
        return super().has_view_permission(request, obj)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("state", "actor")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        # Django makes this inline for one page: remember whether it offers the agent decision.
        self.decision_url = ""
        if (
            isinstance(obj, PrivacyRequest)
            and obj.is_open
            and obj.channel == words.AGENT
            and obj.request_type in words.COMPLY_TYPES
            and may(request, "act", obj)  # compliance reads the request, never decides it
        ):
            self.decision_url = reverse("admin:optout_consentstate_agent", args=[obj.pk])
        return super().get_formset(request, obj, **kwargs)


# --- Logging an opt-out or a limit received outside the portal --------------------------------

APPLY = "apply"
DENY_FRAUD = "deny_fraud"


class StaffChoiceForm(forms.Form):
    """An opt-out or a limit staff received by phone, email, mail or in person
    (§7026(a)(2)-(3)), entered in the business's local time; or its denial as fraudulent."""

    rights = forms.MultipleChoiceField(
        label="What the consumer asked for",
        choices=[
            (ConsentRight.SALE_SHARING, "Opt out of the sale and sharing of personal information"),
            (ConsentRight.SENSITIVE_USE, "Limit the use of sensitive personal information"),
        ],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one: opt out, limit, or both."},
    )
    channel = forms.ChoiceField(
        label="Received by", choices=[(value, _CHANNEL_LABELS[value]) for value in STAFF_CHANNELS]
    )
    received_at = forms.SplitDateTimeField(label="Received at", widget=AdminSplitDateTime)
    language = forms.ChoiceField(
        label="Language for messages to the consumer", choices=settings.LANGUAGES
    )
    requester_name = forms.CharField(label="Name", max_length=200, required=False)
    requester_email = forms.EmailField(label="Email", required=False)
    requester_phone = PhoneNumberField(label="Phone", required=False, region="US")
    account_id = forms.CharField(
        label="Account id",
        max_length=200,
        required=False,
        help_text="The consumer's account id at the business, if they gave it.",
    )
    note = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="E.g. what the consumer said; kept on the request's timeline.",
    )
    decision = forms.ChoiceField(
        label="Decision",
        choices=[
            (APPLY, "Apply it now (the consent state changes; closed as complied)"),
            (DENY_FRAUD, "Deny it: I have a documented, good-faith belief it is fraudulent"),
        ],
        widget=forms.RadioSelect,
        initial=APPLY,
    )
    explanation = forms.CharField(
        label="Explanation to the requester",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Only when denying: why, in plain words. The requester is told it (by email "
        "when there is an address; otherwise tell them by phone or letter) (§7026(e), §7027(f)).",
    )
    fraud_documentation = forms.CharField(
        label="Documented belief of fraud",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Only when denying: what you found and why it shows fraud. Kept with the "
        "record; not sent to the requester.",
    )

    fieldsets = (
        ("Request", ("rights", "channel", "received_at", "language", "note")),
        (
            "Consumer (at least an email address, a phone number or an account id)",
            ("requester_name", "requester_email", "requester_phone", "account_id"),
        ),
        ("Decision", ("decision", "explanation", "fraud_documentation")),
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "received_at"
        ].help_text = f"When it actually reached the business, local time in {tenant.time_zone}."
        self.fields["language"].initial = (tenant.languages or ["en"])[0]

    def clean_received_at(self) -> datetime:
        received_at = self.cleaned_data["received_at"]
        if received_at > clock.now():
            raise forms.ValidationError("The received time cannot be in the future.")
        return received_at

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        identifiers = ("requester_email", "requester_phone", "account_id")
        if not any(cleaned.get(name) for name in identifiers) and not any(
            name in self.errors for name in identifiers
        ):
            self.add_error(
                "requester_email",
                "Give the consumer's email address, phone number or account id: the opt-out "
                "or limit is applied to it.",
            )
        return cleaned

    def grouped(self) -> list[tuple[str, list[Any]]]:
        return [(title, [self[name] for name in names]) for title, names in self.fieldsets]


# Service refusal fields -> form fields (the rest are shown above the form).
_LOG_REFUSAL_FIELDS = {
    "rights": "rights",
    "channel": "channel",
    "received_at": "received_at",
    "requester": "requester_name",
    "requester_email": "requester_email",
    "email": "requester_email",
    "phone": "requester_phone",
    "account_id": "account_id",
    "language": "language",
    "denial_reason": "decision",
    "explanation": "explanation",
    "fraud_documentation": "fraud_documentation",
}


class AgentDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[
            (APPLY, "Apply it: the signed permission is in order"),
            ("deny", "Deny it: the agent did not provide the consumer's signed permission"),
        ],
        widget=forms.RadioSelect,
    )
    explanation = forms.CharField(
        label="Explanation to the agent",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Only when denying; emailed to the agent in the request's language.",
    )


@admin.register(ConsentState)
class ConsentStateAdmin(AuditedReadMixin, TenantScopedModelAdmin):
    """Consumers' and browsers' consent states, read-only: look one up by email address, phone
    number or account id. Opt-outs and limits are made through requests, never edited here."""

    def audit_read(self, obj: ConsentState) -> tuple[str, str]:
        # A subject's choices and their history: personal information, though the subject is
        # shown by its hash.
        return f"optout.consentstate:{obj.pk}", f"Opened consent state {obj.pk} in the admin"

    list_display = ("subject", "sale_sharing", "sensitive_use", "last_change", "version")
    # The box is shown for these; the search itself hashes the term (get_search_results).
    search_fields = ("subject_hash",)
    search_help_text = (
        "A consumer's email address, phone number or account id (exactly; it is hashed as the "
        "portal does, since only the hash is stored)."
    )
    show_full_result_count = False
    list_per_page = 50
    ordering = ("-id",)
    inlines = (ConsentHistoryInline,)
    fields = (
        "subject",
        "sale_sharing",
        "sale_sharing_changed",
        "sale_sharing_source",
        "sensitive_use",
        "sensitive_use_changed",
        "sensitive_use_source",
        "version",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: Any, search_term: str
    ) -> tuple[Any, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        tenant = staff_tenant(request)
        if tenant is None:  # hashes are per business: the platform view cannot search them
            return queryset.none(), False
        hashes = []
        for kind in (SubjectKind.EMAIL, SubjectKind.PHONE, SubjectKind.ACCOUNT):
            try:
                hashes.append(consent_subject(tenant, kind, term).hash)
            except Refused:
                continue  # not a value of this kind
        return queryset.filter(subject_hash__in=hashes), False

    @admin.display(description="subject")
    def subject(self, obj: ConsentState) -> str:
        return _subject_label(obj.subject_kind, obj.subject_hash)

    @admin.display(description="sale and sharing")
    def sale_sharing(self, obj: ConsentState) -> str:
        return "Opted out" if obj.sale_sharing_opted_out else "Allowed"

    @admin.display(description="sensitive information")
    def sensitive_use(self, obj: ConsentState) -> str:
        return "Limited" if obj.sensitive_use_limited else "Allowed"

    @admin.display(description="sale and sharing changed")
    def sale_sharing_changed(self, obj: ConsentState) -> str:
        return _local(obj.sale_sharing_changed_at)

    @admin.display(description="sensitive information changed")
    def sensitive_use_changed(self, obj: ConsentState) -> str:
        return _local(obj.sensitive_use_changed_at)

    @admin.display(description="last change")
    def last_change(self, obj: ConsentState) -> str:
        moments = [m for m in (obj.sale_sharing_changed_at, obj.sensitive_use_changed_at) if m]
        return _local(max(moments)) if moments else "—"

    # --- the pages hanging from it ---

    def get_urls(self) -> list[Any]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("log/", self.admin_site.admin_view(self.log_view), name=f"{prefix}_log"),
            path(
                "agent/<int:privacy_request_id>/",
                self.admin_site.admin_view(self.agent_view),
                name=f"{prefix}_agent",
            ),
            *super().get_urls(),
        ]

    def _page(self, request: HttpRequest, template: str, context: dict[str, Any]) -> Any:
        request_opts = PrivacyRequest._meta
        response = TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "request_opts": request_opts,
                **context,
            },
        )
        response.render()
        return response

    def log_view(self, request: HttpRequest) -> HttpResponse:
        """Log an opt-out or a limit received by phone, email, mail or in person."""
        tenant = staff_tenant(request)
        require_act(request)  # logging an opt-out acts: compliance is told it may not
        if tenant is None:  # require_act already needs one; keeps the types honest
            raise PermissionDenied
        with timezone.override(tenant.zone):
            if request.method == "POST":
                form = StaffChoiceForm(request.POST, tenant=tenant)
                if form.is_valid():
                    made = self._log(request, tenant, form)
                    if made:
                        return HttpResponseRedirect(
                            reverse(REQUEST_CHANGE_URL, args=[made[0].privacy_request.pk])
                        )
            else:
                now = clock.now().replace(microsecond=0)
                form = StaffChoiceForm(tenant=tenant, initial={"received_at": now})
            return self._page(
                request,
                "admin/optout/log_choice.html",
                {
                    "title": "Log an opt-out or limit received by phone, email, mail or in person",
                    "form": form,
                    "media": self.media + form.media,
                },
            )

    def _log(self, request: HttpRequest, tenant: Tenant, form: StaffChoiceForm) -> list[ChoiceMade]:
        data = form.cleaned_data
        common = {
            "tenant": tenant,
            "rights": data["rights"],
            "channel": data["channel"],
            "requester": Requester(
                name=data["requester_name"].strip(),
                email=data["requester_email"],
                phone=str(data["requester_phone"] or ""),
            ),
            "received_at": data["received_at"],
            "actor": request.user,
            "note": data["note"],
            "language": data["language"],
        }
        try:
            if data["decision"] == DENY_FRAUD:
                made = choice_log_fraudulent(
                    **common,
                    explanation=data["explanation"],
                    fraud_documentation=data["fraud_documentation"],
                )
            else:
                made = choice_log(**common, account_id=data["account_id"])
        except Refused as refusal:
            form.add_error(_LOG_REFUSAL_FIELDS.get(refusal.field or ""), refusal.message)
            return []
        for choice in made:
            privacy_request = choice.privacy_request
            self.log_addition(request, privacy_request, [{"added": {}}])
            if privacy_request.outcome == words.DENIED:
                told = (
                    "the requester was emailed the explanation"
                    if privacy_request.requester_email
                    else "no email address on file: tell the requester the explanation by "
                    "phone or letter"
                )
                self.message_user(
                    request,
                    f"Logged {privacy_request.reference} and denied it as fraudulent; {told}.",
                    messages.WARNING,
                )
            else:
                self.message_user(
                    request,
                    f"Logged {privacy_request.reference} "
                    f"({privacy_request.get_request_type_display().lower()}): applied and "
                    f"closed as complied; comply-by date {privacy_request.comply_by:%Y-%m-%d}.",
                    messages.SUCCESS,
                )
        return made

    def agent_view(self, request: HttpRequest, privacy_request_id: int) -> HttpResponse:
        """Apply or deny an authorized agent's opt-out or limit (§7026(j), §7027(j))."""
        tenant = staff_tenant(request)
        if tenant is None:
            raise Http404("No such record.")
        privacy_request = (
            PrivacyRequest.objects.for_tenant(tenant).filter(pk=privacy_request_id).first()
        )
        if privacy_request is None:  # another business's request answers like a missing one
            raise Http404("No such record.")
        require_act(request, privacy_request)  # compliance is told it may not decide
        change_url = reverse(REQUEST_CHANGE_URL, args=[privacy_request.pk])
        if request.method == "POST":
            form = AgentDecisionForm(request.POST)
            if form.is_valid():
                try:
                    done = self._decide(request, privacy_request, form.cleaned_data)
                except Refused as refusal:
                    field = "explanation" if refusal.field == "explanation" else None
                    form.add_error(field, refusal.message)
                else:
                    self.message_user(request, done, messages.SUCCESS)
                    return HttpResponseRedirect(change_url)
        else:
            form = AgentDecisionForm(
                initial={"explanation": agent_denial_explanation(privacy_request.language)}
            )
        with timezone.override(tenant.zone):  # the received time in the business's zone
            return self._page(
                request,
                "admin/optout/agent_decision.html",
                {
                    "title": f"Decide the authorized agent's request {privacy_request.reference}",
                    "form": form,
                    "original": privacy_request,
                    "change_url": change_url,
                    "documents": agent_permission_documents(privacy_request),
                },
            )

    def _decide(
        self, request: HttpRequest, privacy_request: PrivacyRequest, data: dict[str, Any]
    ) -> str:
        if data["decision"] == APPLY:
            agent_choice_apply(privacy_request=privacy_request, actor=request.user)
            return (
                f"{privacy_request.reference}: applied to the consumer's consent state and "
                "closed as complied; the agent was emailed."
            )
        agent_choice_deny(
            privacy_request=privacy_request,
            actor=request.user,
            explanation=data.get("explanation", ""),
        )
        return (
            f"{privacy_request.reference}: denied (no signed permission from the consumer); "
            "the agent was emailed why."
        )
