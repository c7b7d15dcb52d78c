"""The consumer's answer to an authorized agent's request (§7063(a)(2)): did they give the
agent permission? Two equal buttons (§7004(a)(2)); the link works once. Thin: the form is
checked here, ``services.agents`` writes."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from requests_app import consumer_text
from tenants.portal import portal_page, portal_render

from .services.agents import agent_confirmation_answer, agent_confirmation_request

YES = "yes"
NO = "no"


class AgentAnswerForm(forms.Form):
    use_required_attribute = False

    t = forms.CharField(max_length=100, widget=forms.HiddenInput)
    choice = forms.ChoiceField(
        choices=[(YES, YES), (NO, NO)],
        error_messages={
            "required": _("Choose “Yes” or “No”."),
            "invalid_choice": _("Choose “Yes” or “No”."),
        },
    )
    leave_empty = forms.CharField(label=_("Leave this field empty"), required=False)


def _invalid(request: HttpRequest) -> HttpResponse:
    return portal_render(request, "portal/verification_agent_invalid.html", status=404)


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def verify_agent(request: HttpRequest) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    if request.method == "POST":
        form = AgentAnswerForm(request.POST)
        if not form.is_valid() or form.cleaned_data.get("leave_empty"):
            token = str(request.POST.get("t", ""))[:100]
            privacy_request = agent_confirmation_request(tenant=tenant, token=token)
            if privacy_request is None:
                return _invalid(request)
            return _question(request, privacy_request, token, form, status=400)
        gave_permission = form.cleaned_data["choice"] == YES
        privacy_request = agent_confirmation_answer(
            tenant=tenant, token=form.cleaned_data["t"], gave_permission=gave_permission
        )
        if privacy_request is None:
            return _invalid(request)
        return portal_render(
            request,
            "portal/verification_agent_done.html",
            {"privacy_request": privacy_request, "gave_permission": gave_permission},
        )
    token = str(request.GET.get("t", ""))[:100]
    privacy_request = agent_confirmation_request(tenant=tenant, token=token)
    if privacy_request is None:
        return _invalid(request)
    return _question(request, privacy_request, token, AgentAnswerForm(initial={"t": token}))


def _question(
    request: HttpRequest, privacy_request, token: str, form: AgentAnswerForm, status: int = 200
) -> HttpResponse:
    return portal_render(
        request,
        "portal/verification_agent.html",
        {
            "privacy_request": privacy_request,
            "token": token,
            "form": form,
            "type_label": consumer_text.REQUEST_TYPE_PHRASES.get(
                privacy_request.request_type, privacy_request.get_request_type_display().lower()
            ),
        },
        status=status,
    )
