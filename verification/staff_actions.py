"""What staff do about an agent's, a household's or a parent's request, from the admin
(``VerificationAdmin``'s pages, linked from the request's verification section).

* ``documents/<verification_document_id>/``: a document given for verification, decrypted and
  downloaded (``services.documents.verification_document_open``: the assignee, compliance
  staff and admins only, §7023(d)(3); each opening on the timeline; a deleted one says when).
* ``<object_id>/accept-permission/``: the agent's signed permission or power of attorney was
  checked (``agent_permission_accept``, §7063(a)-(b)); refused until the staff member opened it.
* ``household-members/<household_member_id>/confirm/``: a member currently lives in the
  household, on what evidence (``household_membership_confirm``, §7031(a)(3)).
* ``parental-checks/<parental_check_id>/complete/``: the parent or guardian was verified by a
  method the business offers (``parental_check_complete``, §7070(a)(2)); a parent's ID is
  deleted at once (§7070(a)(2)(F)).

Each action is a small form page, like the retry page: GET shows it, only POST changes anything
(CSRF-checked by ``admin_view``); objects are found only in the chosen business (another
business's id answers 404 like a missing one); only roles with the "act" ability (staff,
compliance-and-staff, admins) act — compliance alone sees the verification record but does not
change it (issue 14 item 5). A refusal re-renders the form with the service's
words (400); success goes back to the request's page with a message.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.content_types import EXTENSIONS
from core.refusals import Refused
from requests_app.models import PrivacyRequest
from tenants.admin_base import admin_role, may
from tenants.context import staff_tenant
from tenants.models import Tenant
from tenants.selectors import acting_refusal_message

from .models import (
    AgentAuthorization,
    HouseholdMember,
    ParentalCheck,
    ParentalMethod,
    Verification,
    VerificationDocument,
)
from .services.agents import agent_permission_accept
from .services.documents import (
    DOCUMENT_DELETED,
    DOCUMENT_FORBIDDEN,
    verification_document_open,
)
from .services.households import household_membership_confirm, parental_check_complete
from .services.policies import verification_policy

REQUEST_CHANGE_URL = "admin:requests_app_privacyrequest_change"
DOCUMENT_URL = "admin:verification_verification_document"
ACCEPT_PERMISSION_URL = "admin:verification_verification_accept_permission"
CONFIRM_HOUSEHOLD_URL = "admin:verification_verification_confirm_household"
PARENTAL_CHECK_URL = "admin:verification_verification_parental_check"

ACTION_TEMPLATE = "admin/verification/staff_action.html"
REFUSED_TEMPLATE = "admin/verification/refused.html"
DOCUMENT_REFUSAL_STATUS = {DOCUMENT_FORBIDDEN: 403, DOCUMENT_DELETED: 410}

_TEXT = {"rows": 4, "cols": 70}


# --- Forms -------------------------------------------------------------------------------------


class AcceptPermissionForm(forms.Form):
    note = forms.CharField(
        label="What you checked",
        widget=forms.Textarea(attrs=_TEXT),
        max_length=2000,
        help_text="E.g. “signed and dated by the consumer, names the agent, covers requests to "
        "delete”. It is kept on the request's timeline (§7101).",
        error_messages={"required": "Say what you checked in the document."},
    )


class ConfirmHouseholdForm(forms.Form):
    evidence = forms.CharField(
        label="Evidence of current membership",
        widget=forms.Textarea(attrs=_TEXT),
        max_length=2000,
        help_text="What shows that this person currently lives in the household (§7031(a)(3)), "
        "e.g. “utility bill at the household's address dated last month”.",
        error_messages={"required": "Say what shows that this person lives in the household."},
    )


class ParentalCheckForm(forms.Form):
    method = forms.ChoiceField(
        label="How the parent or guardian was verified",
        help_text="Only the methods your business offers (§7070(a)(2)); set them in the "
        "verification policy.",
    )
    notes = forms.CharField(
        label="Notes",
        widget=forms.Textarea(attrs=_TEXT),
        max_length=2000,
        help_text="What you saw or heard, e.g. “call on 3 March, the parent answered the "
        "questions on the consent form”. A parent's ID is deleted as soon as this is saved "
        "(§7070(a)(2)(F)).",
        error_messages={"required": "Say how the check went."},
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        enabled = list(verification_policy(tenant).parental_methods or [])
        self.fields["method"].choices = [
            (value, label) for value, label in ParentalMethod.choices if value in enabled
        ]


# --- The views ---------------------------------------------------------------------------------


def _download_name(document: VerificationDocument) -> str:
    """The file name given, printable, ending in its real type's extension."""
    name = "".join(ch for ch in document.original_name if ch.isprintable()).strip() or "document"
    extension = EXTENSIONS.get(document.content_type, "")
    known = {extension, ".jpeg"} if extension == ".jpg" else {extension}
    if extension and not name.lower().endswith(tuple(known)):
        name += extension
    return name


class StaffActionsMixin:
    """``VerificationAdmin``'s staff actions (routed by ``staff_action_urls``). Uses the admin's
    ``admin_site``, ``opts`` and ``message_user``."""

    admin_site: Any
    opts: Any
    message_user: Callable[..., None]

    def staff_action_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "documents/<int:verification_document_id>/",
                wrap(self.document_view),
                name="verification_verification_document",
            ),
            path(
                "<path:object_id>/accept-permission/",
                wrap(self.accept_permission_view),
                name="verification_verification_accept_permission",
            ),
            path(
                "household-members/<int:household_member_id>/confirm/",
                wrap(self.confirm_household_view),
                name="verification_verification_confirm_household",
            ),
            path(
                "parental-checks/<int:parental_check_id>/complete/",
                wrap(self.parental_check_view),
                name="verification_verification_parental_check",
            ),
        ]

    # --- plumbing ---

    def _tenant(self, request: HttpRequest) -> Tenant:
        """The chosen business; without one (or the platform's cross-business view) nothing of
        any business is reachable here: 404, like a missing object."""
        tenant = staff_tenant(request)
        if tenant is None or not may(request, "queue"):
            raise Http404("No such record.")
        return tenant

    def _context(self, request: HttpRequest, privacy_request: PrivacyRequest, **extra: Any) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "reference": privacy_request.reference,
            "change_url": reverse(REQUEST_CHANGE_URL, args=[privacy_request.pk]),
            **extra,
        }

    def _refused(
        self,
        request: HttpRequest,
        privacy_request: PrivacyRequest,
        title: str,
        message: str,
        status: int,
    ) -> TemplateResponse:
        context = self._context(request, privacy_request, title=title, message=message)
        return TemplateResponse(request, REFUSED_TEMPLATE, context, status=status)

    def _action(
        self,
        request: HttpRequest,
        *,
        privacy_request: PrivacyRequest,
        form: forms.Form,
        title: str,
        about: list[str],
        submit: str,
        run: Callable[[dict[str, Any]], Any],
        done: str,
    ) -> HttpResponse:
        """Show ``form``; on POST, validate it and ``run`` the service with its data."""
        if not may(request, "act"):  # compliance reads the verification record, never acts
            message = acting_refusal_message(admin_role(request))
            return self._refused(request, privacy_request, title, message, 403)
        status = 200
        if request.method == "POST":
            status = 400
            if form.is_valid():
                try:
                    run(form.cleaned_data)
                except Refused as refusal:
                    field = refusal.field if refusal.field in form.fields else None
                    form.add_error(field, refusal.message)
                else:
                    self.message_user(request, done, messages.SUCCESS)
                    return HttpResponseRedirect(
                        reverse(REQUEST_CHANGE_URL, args=[privacy_request.pk])
                    )
        context = self._context(
            request, privacy_request, title=title, about=about, form=form, submit=submit
        )
        return TemplateResponse(request, ACTION_TEMPLATE, context, status=status)

    # --- documents ---

    def document_view(
        self, request: HttpRequest, verification_document_id: int
    ) -> HttpResponseBase:
        """Stream a verification document to staff who may open it, and record the opening.
        Always a download, never shown inline: the bytes are the consumer's."""
        tenant = self._tenant(request)
        document = (
            VerificationDocument.objects.for_tenant(tenant)
            .select_related("tenant", "privacy_request")
            .filter(pk=verification_document_id)
            .first()
        )
        if document is None:
            raise Http404("No such document.")
        try:
            content = verification_document_open(document=document, actor=request.user)
        except Refused as refusal:
            return self._refused(
                request,
                document.privacy_request,
                "Document not available",
                refusal.message,
                DOCUMENT_REFUSAL_STATUS.get(refusal.code, 409),
            )
        content_type = (
            document.content_type
            if document.content_type in EXTENSIONS
            else "application/octet-stream"
        )
        response = FileResponse(
            io.BytesIO(content),
            as_attachment=True,
            filename=_download_name(document),
            content_type=content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"
        return response

    # --- the agent's permission (§7063) ---

    def accept_permission_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tenant = self._tenant(request)
        verification = (
            Verification.objects.for_tenant(tenant)
            .select_related("privacy_request__tenant")
            .filter(pk=_int(unquote(object_id)))
            .first()
        )
        if verification is None:
            raise Http404("No such record.")
        privacy_request = verification.privacy_request
        authorization = (
            AgentAuthorization.objects.for_tenant(tenant)
            .filter(privacy_request=privacy_request)
            .first()
        )
        what = (
            "power of attorney"
            if authorization is not None and authorization.power_of_attorney
            else "signed permission"
        )
        about = [
            f"Request {privacy_request.reference} was made by an authorized agent. Accept the "
            f"agent's {what} once you have opened it and checked it: the consumer's signature, "
            "the agent's name, and the requests it covers (§7063(a)-(b)).",
            "If nothing else is asked of the consumer, the request is then verified by this "
            "evidence.",
        ]
        if authorization is None:
            about = [f"Request {privacy_request.reference} was not made by an authorized agent."]
        return self._action(
            request,
            privacy_request=privacy_request,
            form=AcceptPermissionForm(_posted(request)),
            title=f"Accept the {what}: {privacy_request.reference}",
            about=about,
            submit=f"Accept the {what}",
            run=lambda data: agent_permission_accept(
                privacy_request=privacy_request, actor=request.user, note=data["note"]
            ),
            done=f"The agent's {what} was accepted for {privacy_request.reference}.",
        )

    # --- households (§7031(a)(3)) ---

    def confirm_household_view(
        self, request: HttpRequest, household_member_id: int
    ) -> HttpResponse:
        tenant = self._tenant(request)
        member = (
            HouseholdMember.objects.for_tenant(tenant)
            .select_related("tenant", "household", "privacy_request__tenant")
            .filter(pk=household_member_id)
            .first()
        )
        if member is None:
            raise Http404("No such record.")
        privacy_request = member.privacy_request
        return self._action(
            request,
            privacy_request=privacy_request,
            form=ConfirmHouseholdForm(_posted(request)),
            title=f"Confirm household membership: {privacy_request.reference}",
            about=[
                f"{privacy_request.requester_name or 'This member'} joined household request "
                f"{member.household.code}. A household request is complied with only when each "
                "member is confirmed to be a current member of the household (§7031(a)(3)).",
            ],
            submit="Confirm household membership",
            run=lambda data: household_membership_confirm(
                member=member, actor=request.user, evidence=data["evidence"]
            ),
            done=f"Household membership of {privacy_request.reference} confirmed.",
        )

    # --- parents and guardians (§7070(a)(2)) ---

    def parental_check_view(self, request: HttpRequest, parental_check_id: int) -> HttpResponse:
        tenant = self._tenant(request)
        check = (
            ParentalCheck.objects.for_tenant(tenant)
            .select_related("privacy_request__tenant")
            .filter(pk=parental_check_id)
            .first()
        )
        if check is None:
            raise Http404("No such record.")
        privacy_request = check.privacy_request
        return self._action(
            request,
            privacy_request=privacy_request,
            form=ParentalCheckForm(_posted(request), tenant=tenant),
            title=f"Complete the parental check: {privacy_request.reference}",
            about=[
                f"Request {privacy_request.reference} is about a child under 13: the parent or "
                "guardian is verified, by a method your business offers, before the request is "
                "(§7070(a)(2), §7070(c)).",
                "A parent's government ID given for the check is deleted as soon as the check "
                "is saved (§7070(a)(2)(F)).",
            ],
            submit="Complete the parental check",
            run=lambda data: parental_check_complete(
                privacy_request=privacy_request,
                method=data["method"],
                actor=request.user,
                notes=data["notes"],
            ),
            done=f"The parent or guardian of {privacy_request.reference} is verified.",
        )


def _posted(request: HttpRequest) -> Any:
    """The form's data on POST (even empty: then its errors show), none on GET."""
    return request.POST if request.method == "POST" else None


def _int(value: str) -> int:
    """An object id from the URL; anything else is a missing object."""
    if not value.isdigit():
        raise Http404("No such record.")
    return int(value)
