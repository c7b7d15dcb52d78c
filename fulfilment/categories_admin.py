"""Staff's page for the answer to a request to know categories (§7024(j)-(l)).

``admin/fulfilment/know-categories/<privacy_request_id>/``: the business's inventory as a checklist,
ticked at first from the data systems' answers (``know_categories_checklist``: what the systems
that answered done hold or found; everything when no answer names a category), each category
with the systems that found it and those holding it that have not answered; staff tick or
untick what applies to this consumer, preview the message word for word, and send it through
``know_categories_send``. Linked from the request's page (``settings.PRIVACY_REQUEST_PAGE_TOOLS``:
requests_app never imports fulfilment). Another business's request answers 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.refusals import Refused
from requests_app.models import PrivacyRequest
from tenants.admin_base import require_act
from tenants.context import staff_tenant

from .services.know_categories import (
    CATEGORY_SCOPES,
    know_categories_checklist,
    know_categories_preview,
    know_categories_send,
)

URL_NAME = "fulfilment_know_categories"


def know_categories_tool(privacy_request: PrivacyRequest) -> tuple[str, str] | None:
    """The request page's link to this page, for an open request to know categories."""
    if privacy_request.know_scope not in CATEGORY_SCOPES or not privacy_request.is_open:
        return None
    return (
        "Categories answer (§7024(k))…",
        reverse(f"admin:{URL_NAME}", args=[privacy_request.pk]),
    )


class KnowCategoriesForm(forms.Form):
    categories = forms.MultipleChoiceField(
        label="Categories of personal information collected about this consumer",
        widget=forms.CheckboxSelectMultiple,
        required=False,  # the service says what is missing
        help_text="Ticked at first from the data systems' answers (see above): tick or untick "
        "what applies to this consumer. Each ticked category's sources, purposes and "
        "recipients go in the answer.",
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = choices


def know_categories_view(request: HttpRequest, privacy_request_id: int) -> HttpResponse:
    require_act(request)
    tenant = staff_tenant(request)
    privacy_request = (
        PrivacyRequest.objects.for_tenant(tenant).filter(pk=privacy_request_id).first()
        if tenant is not None
        else None
    )
    if privacy_request is None:  # another business's request answers like a missing one
        raise Http404("No such request.")
    checklist = know_categories_checklist(privacy_request)
    choices = checklist.choices
    form = KnowCategoriesForm(
        request.POST or None,
        choices=[(choice.code, choice.label) for choice in choices],
        initial={"categories": [choice.code for choice in choices if choice.ticked]},
    )
    page_url = reverse("admin:requests_app_privacyrequest_change", args=[privacy_request.pk])
    preview = None
    status = 200
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["categories"]
        try:
            if "send" in request.POST:
                communication = know_categories_send(
                    privacy_request=privacy_request, categories=chosen, actor=request.user
                )
                messages.success(
                    request,
                    f"{privacy_request.reference}: categories answer sent to "
                    f"{communication.recipient}.",
                )
                return HttpResponseRedirect(page_url)
            preview = know_categories_preview(privacy_request=privacy_request, categories=chosen)
        except Refused as refused:
            form.add_error(None, refused.message)
            status = 400
    elif request.method == "POST":
        status = 400
    context = {
        **admin.site.each_context(request),
        "title": f"Categories answer: {privacy_request.reference}",
        "privacy_request": privacy_request,
        "form": form,
        # Each box with what the systems said of its category (same order as the choices).
        "boxes": list(zip(form["categories"], choices, strict=True)),
        "checklist": checklist,
        "preview": preview,
        "cancel_url": page_url,
        "opts": PrivacyRequest._meta,
    }
    return TemplateResponse(
        request, "admin/fulfilment/know_categories.html", context, status=status
    )


def install_know_categories_page(site: admin.AdminSite) -> None:
    if getattr(site, "_know_categories_installed", False):
        return
    original_get_urls = site.get_urls

    def get_urls() -> list[Any]:
        return [
            path(
                "fulfilment/know-categories/<int:privacy_request_id>/",
                site.admin_view(know_categories_view),
                name=URL_NAME,
            ),
            *original_get_urls(),
        ]

    site.get_urls = get_urls  # type: ignore[method-assign]
    site._know_categories_installed = True  # type: ignore[attr-defined]


install_know_categories_page(admin.site)
