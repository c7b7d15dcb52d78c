"""Staff actions on privacy requests: their forms, ``QUEUE_ACTIONS``, and the plumbing that runs
them, on one request (a button on its page opening a small form, ``<id>/extend/``) or on several
selected in the queue (a changelist action with an intermediate form page).

Every action calls one service per request; a refusal (``Refused``) is reported to the
staff member with the service's own words, per request, at level ERROR.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminDateWidget
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.module_loading import import_string

from core.refusals import Refused
from tenants.admin_base import require_act, tenant_members
from tenants.context import staff_tenant
from tenants.models import Tenant

from .. import lifecycle
from ..models import ConfirmationMethod, DenialReason, Outcome, PrivacyRequest
from ..selectors import privacy_request_available_actions
from ..services import (
    privacy_request_assign,
    privacy_request_close,
    privacy_request_close_preview,
    privacy_request_extend,
    privacy_request_mark_verified,
    privacy_request_record_confirmation,
    privacy_request_start,
)
from ..services.consumer_messages import (
    ACKNOWLEDGEMENT_SUBJECT,
    EXTENSION_SUBJECT,
    RenderedMessage,
    consumer_email_address,
    consumer_message_render,
)
from ..services.transitions import PERSONAL_PARAGRAPH_MAX

MAX_BULK = 200  # one service call (one transaction) per request; keep a click bounded


class QueueActionForm(forms.Form):
    """An action's form; ``privacy_request`` is set on a single request's page (not in bulk)."""

    def __init__(
        self,
        *args: Any,
        tenant: Tenant | None = None,
        privacy_request: PrivacyRequest | None = None,
        **kwargs: Any,
    ) -> None:
        self.tenant = tenant
        self.privacy_request = privacy_request
        super().__init__(*args, **kwargs)


class AssignForm(QueueActionForm):
    assignee = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Nobody (unassign)"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = tenant_members(self.tenant)


class MarkVerifiedForm(QueueActionForm):
    method = forms.CharField(
        label="How the identity was verified",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="E.g. “matched name, email and phone with our customer records” (§7060–§7062).",
    )


class StartWorkForm(QueueActionForm):
    pass


BY_HAND_CHOICES = [
    ("", "—"),
    (ConfirmationMethod.ORAL, "By phone (read it out)"),
    (ConfirmationMethod.MAIL, "By letter"),
    (ConfirmationMethod.IN_PERSON, "In person"),
]


class ExtendForm(QueueActionForm):
    reason = forms.CharField(
        label="Reason for the extension",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The consumer is told this reason (§7021(b)).",
    )
    new_respond_by = forms.DateField(
        label="New respond-by date",
        required=False,
        widget=AdminDateWidget,
        help_text="Leave empty for the latest allowed: 90 days after the request was received.",
    )
    notice_method = forms.ChoiceField(
        label="How you told the consumer",
        choices=BY_HAND_CHOICES,
        required=False,
        help_text="Only when there is no email address on file: tell the consumer first, then "
        "record how (§7021(b)). With an email address, the notice is emailed.",
    )
    notice_text = forms.CharField(
        label="What you told them",
        widget=forms.Textarea(attrs={"rows": 10}),
        required=False,
        help_text="A script to read or send; put your reason in it and keep what you said.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.privacy_request
        if request is not None and not consumer_email_address(request):
            self.fields["notice_text"].initial = consumer_message_render(
                request, template="extension", subject=EXTENSION_SUBJECT
            ).body


# Outcomes that deny a request in whole or in part: only they take a denial reason, an
# explanation and a legal basis (lifecycle.check_close). close_form.js shows those fields only
# for them; without JavaScript all fields show and the service refuses a wrong combination.
DENIAL_OUTCOMES = (Outcome.DENIED, Outcome.COMPLIED_IN_PART)
_DENIAL_FIELD = {"data-denial-field": "true"}


class CloseForm(QueueActionForm):
    outcome = forms.ChoiceField(
        choices=Outcome.choices,
        widget=forms.Select(
            attrs={
                "data-denial-outcomes": " ".join(DENIAL_OUTCOMES),
                "data-in-part-outcome": Outcome.COMPLIED_IN_PART,
            }
        ),
    )
    denial_reason = forms.ChoiceField(
        label="Reason for denial",
        choices=[("", "—"), *DenialReason.choices],
        required=False,
        widget=forms.Select(attrs=_DENIAL_FIELD),
        help_text="Needed when denying in whole or in part (§7101(b), §7102).",
    )
    done_explanation = forms.CharField(
        label="What we did",
        widget=forms.Textarea(attrs={"rows": 3, "data-in-part-field": "true"}),
        required=False,
        help_text="Needed when complying in part: what you did, in plain words (e.g. “We "
        "deleted your account and your order history.”). The answer gives it before what you "
        "could not do and why.",
    )
    explanation = forms.CharField(
        label="Explanation to the consumer",
        widget=forms.Textarea(attrs={"rows": 4, **_DENIAL_FIELD}),
        required=False,
        help_text="Needed when denying: plain words (§7022(f), §7023(f), §7024(e)).",
    )
    legal_basis = forms.CharField(
        label="Legal basis of the exemption",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs=_DENIAL_FIELD),
        help_text="Needed when the reason is “exempt”.",
    )
    fraud_documentation = forms.CharField(
        label="Documented belief of fraud",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Needed when the reason is fraud: what you found and why it shows fraud "
        "(§7023(h), §7026(e), §7027(f)). Kept with the record; not sent to the requester.",
    )
    personal_paragraph = forms.CharField(
        label="Your own paragraph (optional)",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=PERSONAL_PARAGRAPH_MAX,
        help_text="Added to the answer as you write it, after the text the regulations require. "
        "Use “Preview the answer” to read the whole message before you send it.",
    )
    assessment = forms.CharField(
        label="Assessment of the correction (totality of the circumstances)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Requests to correct decided on the merits: the nature of the information, "
        "how the business obtained it, what the documentation shows (§7023(b)). Kept with the "
        "record; not sent to the consumer.",
    )
    documentation_considered = forms.CharField(
        label="Documentation considered",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Requests to correct: the consumer's, the business's or another source's "
        "documentation (§7023(b)(1)(C), §7023(d)); “none” if there was none.",
    )
    information_source = forms.CharField(
        label="Source of the inaccurate information (optional)",
        max_length=200,
        required=False,
        help_text="Requests to correct: named in the answer if you fill it in (§7023(i)).",
    )
    open_tasks_reason = forms.CharField(
        label="Why close while a system has not answered",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Only when closing as complied while a data system's task is still open: "
        "kept on the request's timeline.",
    )

    class Media:
        js = ["requests_app/admin/close_form.js"]


class ConfirmationForm(QueueActionForm):
    method = forms.ChoiceField(
        label="How receipt was confirmed",
        choices=[
            (ConfirmationMethod.ORAL, "Orally (e.g. on the call)"),
            (ConfirmationMethod.MAIL, "Letter"),
            (ConfirmationMethod.IN_PERSON, "In person"),
            (ConfirmationMethod.EMAIL, "Email (sends the confirmation email now)"),
        ],
    )
    text = forms.CharField(
        label="What you told them",
        widget=forms.Textarea(attrs={"rows": 12}),
        required=False,
        help_text="The confirmation must describe how you verify identity and say when to "
        "expect an answer (§7021(a)): this script does both. Read it out or send it, and keep "
        "here what you said.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.privacy_request is not None:
            self.fields["text"].initial = consumer_message_render(
                self.privacy_request, template="acknowledgement", subject=ACKNOWLEDGEMENT_SUBJECT
            ).body


def _run_assign(privacy_request: PrivacyRequest, actor: Any, data: dict[str, Any]) -> str:
    assignee = data["assignee"]
    privacy_request_assign(privacy_request=privacy_request, actor=actor, assignee=assignee)
    return f"assigned to {assignee.get_username()}." if assignee else "unassigned."


def _run_verify(privacy_request: PrivacyRequest, actor: Any, data: dict[str, Any]) -> str:
    privacy_request_mark_verified(
        privacy_request=privacy_request, actor=actor, method=data["method"]
    )
    return "identity marked verified."


def _run_start(privacy_request: PrivacyRequest, actor: Any, data: dict[str, Any]) -> str:
    privacy_request_start(privacy_request=privacy_request, actor=actor)
    return "work started."


def _run_extend(privacy_request: PrivacyRequest, actor: Any, data: dict[str, Any]) -> str:
    extended = privacy_request_extend(
        privacy_request=privacy_request,
        actor=actor,
        reason=data["reason"],
        new_respond_by=data.get("new_respond_by"),
        notice_method=data.get("notice_method", ""),
        notice_text=data.get("notice_text", ""),
    )
    told = (
        "the consumer was emailed the reason"
        if consumer_email_address(extended)
        else "your notice to the consumer is recorded"
    )
    return f"extended to {extended.respond_by:%Y-%m-%d}; {told}."


def _run_close(privacy_request: PrivacyRequest, actor: Any, data: dict[str, Any]) -> str:
    closed = privacy_request_close(
        privacy_request=privacy_request,
        actor=actor,
        outcome=data["outcome"],
        denial_reason=data.get("denial_reason", ""),
        explanation=data.get("explanation", ""),
        legal_basis=data.get("legal_basis", ""),
        fraud_documentation=data.get("fraud_documentation", ""),
        personal_paragraph=data.get("personal_paragraph", ""),
        open_tasks_reason=data.get("open_tasks_reason", ""),
        done_explanation=data.get("done_explanation", ""),
        assessment=data.get("assessment", ""),
        documentation_considered=data.get("documentation_considered", ""),
        information_source=data.get("information_source", ""),
    )
    return f"closed: {closed.get_outcome_display().lower()}."


def _preview_close(privacy_request: PrivacyRequest, data: dict[str, Any]) -> RenderedMessage:
    return privacy_request_close_preview(
        privacy_request=privacy_request,
        outcome=data["outcome"],
        denial_reason=data.get("denial_reason", ""),
        explanation=data.get("explanation", ""),
        legal_basis=data.get("legal_basis", ""),
        fraud_documentation=data.get("fraud_documentation", ""),
        personal_paragraph=data.get("personal_paragraph", ""),
        done_explanation=data.get("done_explanation", ""),
        assessment=data.get("assessment", ""),
        documentation_considered=data.get("documentation_considered", ""),
        information_source=data.get("information_source", ""),
    )


def _run_confirm(privacy_request: PrivacyRequest, actor: Any, data: dict[str, Any]) -> str:
    confirmed = privacy_request_record_confirmation(
        privacy_request=privacy_request,
        actor=actor,
        method=data["method"],
        text=data.get("text", ""),
        note=data["note"],
    )
    return f"receipt confirmation recorded ({confirmed.get_confirmation_method_display().lower()})."


@dataclass(frozen=True)
class QueueAction:
    slug: str
    label: str
    form_class: type[QueueActionForm]
    run: Callable[[PrivacyRequest, Any, dict[str, Any]], str]
    # The message the action would send, shown before it is run (a single request only).
    preview: Callable[[PrivacyRequest, dict[str, Any]], RenderedMessage] | None = None


# One per lifecycle action; which a request offers is ``lifecycle.available_actions``.
QUEUE_ACTIONS: dict[str, QueueAction] = {
    action.slug: action
    for action in (
        QueueAction(lifecycle.ASSIGN, "Assign", AssignForm, _run_assign),
        QueueAction(lifecycle.MARK_VERIFIED, "Mark verified", MarkVerifiedForm, _run_verify),
        QueueAction(lifecycle.START_WORK, "Start work", StartWorkForm, _run_start),
        QueueAction(lifecycle.EXTEND, "Extend deadline", ExtendForm, _run_extend),
        QueueAction(
            lifecycle.CLOSE, "Close with outcome", CloseForm, _run_close, preview=_preview_close
        ),
        QueueAction(
            lifecycle.RECORD_CONFIRMATION,
            "Record receipt confirmation",
            ConfirmationForm,
            _run_confirm,
        ),
    )
}
assert set(QUEUE_ACTIONS) == set(lifecycle.ACTIONS)  # noqa: S101 - one button per action


class QueueActionsMixin:
    """Runs ``QUEUE_ACTIONS`` for ``PrivacyRequestAdmin``: the action buttons on a request's page,
    the per-request form page (``action_view``, routed by ``get_urls``) and the changelist
    actions (``run_bulk_action``). Uses the admin's ``has_act_permission`` and URL helpers."""

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None and self.has_act_permission(request, obj):
            context["queue_actions"] = [
                (QUEUE_ACTIONS[slug].label, self._act_url(obj, slug))
                for slug in privacy_request_available_actions(obj)
            ] + [
                tool
                for path in settings.PRIVACY_REQUEST_PAGE_TOOLS
                if (tool := import_string(path)(obj)) is not None
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _apply(
        self,
        request: HttpRequest,
        queue_action: QueueAction,
        privacy_request: PrivacyRequest,
        data: dict[str, Any],
    ) -> Refused | None:
        """Run one action on one request and report it; a refusal is returned, never raised."""
        try:
            done = queue_action.run(privacy_request, request.user, data)
        except Refused as refusal:
            self.message_user(
                request, f"{privacy_request.reference}: {refusal.message}", messages.ERROR
            )
            return refusal
        self.message_user(request, f"{privacy_request.reference}: {done}", messages.SUCCESS)
        return None

    def _action_page(
        self,
        request: HttpRequest,
        queue_action: QueueAction,
        form: QueueActionForm,
        objects: list[PrivacyRequest],
        *,
        bulk: bool,
        preview: RenderedMessage | None = None,
    ) -> TemplateResponse:
        single = objects[0] if not bulk else None
        context = {
            **self.admin_site.each_context(request),
            "title": f"{queue_action.label}: {single.reference}"
            if single
            else f"{queue_action.label}: {len(objects)} requests",
            "opts": self.opts,
            "original": single,
            "objects": objects,
            "form": form,
            "media": self.media + form.media,
            "queue_action": queue_action,
            "preview": preview,
            "can_preview": queue_action.preview is not None and not bulk,
            "bulk": bulk,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "selected": [str(obj.pk) for obj in objects],
            "cancel_url": self._change_url(single)
            if single
            else reverse(f"admin:{self._url_name('changelist')}"),
        }
        return TemplateResponse(request, "admin/requests_app/privacyrequest/action.html", context)

    def action_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        queue_action = QUEUE_ACTIONS.get(action)
        if queue_action is None:
            raise Http404("No such action.")
        require_act(request)  # compliance reads the request but is told it may not act
        privacy_request = self.get_object(request, unquote(object_id))
        if privacy_request is None:  # another business's request answers like a missing one
            raise Http404("No such record.")
        tenant = staff_tenant(request)
        preview = None
        if request.method == "POST":
            form = queue_action.form_class(
                request.POST, tenant=tenant, privacy_request=privacy_request
            )
            if form.is_valid() and queue_action.preview is not None and "preview" in request.POST:
                try:  # nothing is run: the form comes back with the message under it
                    preview = queue_action.preview(privacy_request, form.cleaned_data)
                except Refused as refusal:
                    field = refusal.field if refusal.field in form.fields else None
                    form.add_error(field, refusal.message)
            elif form.is_valid():
                refusal = self._apply(request, queue_action, privacy_request, form.cleaned_data)
                if refusal is None:
                    return HttpResponseRedirect(self._change_url(privacy_request))
                if refusal.field in form.fields:
                    form.add_error(refusal.field, refusal.message)
        else:
            form = queue_action.form_class(tenant=tenant, privacy_request=privacy_request)
        return self._action_page(
            request, queue_action, form, [privacy_request], bulk=False, preview=preview
        )

    def run_bulk_action(
        self, request: HttpRequest, queryset: QuerySet, queue_action: QueueAction
    ) -> HttpResponse | None:
        """A changelist action: ask for the action's form, then run it per selected request."""
        selected = list(queryset.select_related("tenant")[: MAX_BULK + 1])
        if len(selected) > MAX_BULK:
            self.message_user(
                request,
                f"Select at most {MAX_BULK} requests at a time; nothing was changed.",
                messages.ERROR,
            )
            return None
        tenant = staff_tenant(request)
        needs_input = bool(queue_action.form_class.base_fields)
        if needs_input and "apply" not in request.POST:
            form = queue_action.form_class(tenant=tenant)
            return self._action_page(request, queue_action, form, selected, bulk=True)
        form = queue_action.form_class(request.POST if needs_input else {}, tenant=tenant)
        if not form.is_valid():
            return self._action_page(request, queue_action, form, selected, bulk=True)
        for privacy_request in selected:
            self._apply(request, queue_action, privacy_request, form.cleaned_data)
        return None


def changelist_action(queue_action: QueueAction) -> Callable[..., Any]:
    """The queue's changelist action for ``queue_action`` (``PrivacyRequestAdmin.actions``)."""

    def action(model_admin: QueueActionsMixin, request: HttpRequest, queryset: QuerySet):
        return model_admin.run_bulk_action(request, queryset, queue_action)

    action.__name__ = queue_action.slug
    return admin.action(description=f"{queue_action.label}…", permissions=["act"])(action)
