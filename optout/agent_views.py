"""The authorized agent's opt-out and limit page on the portal (§7026(j), §7027(j)), and its
confirmation. Thin: bind the form, call ``agent_choice_submit``, redirect or re-render the
errors. The request waits for staff, who check the consumer's signed permission."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.views.decorators.http import require_http_methods

from core.calendar import end_of_day
from core.refusals import Refused
from requests_app.models import PrivacyRequest
from requests_app.services.intake import Agent, Requester
from tenants.portal import portal_page, portal_render, portal_reverse

from .agent_forms import AgentChoiceForm, offered_rights
from .staff_services import agent_choice_submit

# Session key, per business: the requests this browser's agent just submitted.
AGENT_SUBMITTED_KEY = "optout_agent_submitted_{tenant_id}"


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def agent_choice(request: HttpRequest) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    if not offered_rights(tenant):
        return portal_render(request, "optout/agent_choice.html", {"form": None})
    status = 200
    if request.method == "POST":
        form = AgentChoiceForm(request.POST, request.FILES, tenant=tenant)
        if form.is_valid():
            data = form.cleaned_data
            try:
                made = agent_choice_submit(
                    tenant=tenant,
                    rights=data["rights"],
                    agent=Agent(
                        name=data["agent_name"].strip(),
                        organization=data["agent_organization"].strip(),
                        email=data["agent_email"],
                        phone=str(data["agent_phone"] or ""),
                    ),
                    consumer=Requester(
                        email=data["consumer_email"], phone=str(data["consumer_phone"] or "")
                    ),
                    permission=data["permission"],
                    language=translation.get_language() or "en",
                )
            except Refused as refused:
                form.add_error(
                    refused.field if refused.field in form.fields else None, refused.message
                )
            else:
                request.session[AGENT_SUBMITTED_KEY.format(tenant_id=tenant.pk)] = [
                    choice.privacy_request.pk for choice in made
                ]
                return HttpResponseRedirect(portal_reverse(request, "agent_opt_out_sent"))
        status = 400
    else:
        form = AgentChoiceForm(tenant=tenant)
    return portal_render(request, "optout/agent_choice.html", {"form": form}, status=status)


@portal_page
@require_http_methods(["GET", "HEAD"])
def agent_choice_sent(request: HttpRequest) -> HttpResponse:
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    ids = request.session.get(AGENT_SUBMITTED_KEY.format(tenant_id=tenant.pk)) or []
    submitted = list(PrivacyRequest.objects.for_tenant(tenant).filter(pk__in=ids).order_by("pk"))
    if not submitted:
        return HttpResponseRedirect(portal_reverse(request, "agent_opt_out"))
    first = submitted[0]
    return portal_render(
        request,
        "optout/agent_choice_sent.html",
        {
            "submitted": submitted,
            "first": first,
            # The deadline is the end of its day in the business's time zone (§7026(f)).
            "comply_by_end": end_of_day(first.comply_by, tenant.zone),
            "permission_sent": first.documents.exists(),
        },
    )
