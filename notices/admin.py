"""The notices in the admin, for the business's admins only (ability "settings"; the staff and
compliance roles do not see them): the data inventory, the business's own notice text per
language, its privacy practices, the published versions (read only), and the "Notices" page that
previews each notice, lists the checker's findings, publishes (with an override reason when
there are findings) and unpublishes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from core.refusals import Refused
from tenants.admin_base import TenantScopedModelAdmin, may
from tenants.context import staff_tenant
from tenants.models import Tenant
from tenants.selectors import tenant_today

from . import checker
from .checker import TEXT_FIELDS
from .documents import render_document
from .inventory import inventory_category_save
from .models import InventoryCategory, NoticeText, NoticeVersion, PrivacyPractices
from .services import (
    PRACTICES_FIELDS,
    PUBLISHED_HERE,
    notice_publish,
    notice_text_save,
    notice_unpublish,
    privacy_practices_save,
)
from .versions import current_version, notice_versions


class LinesField(forms.CharField):
    """A list of short names edited one per line (stored as a JSON list of strings)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [line.strip() for line in str(text).splitlines() if line.strip()]


class InventoryCategoryForm(forms.ModelForm):
    sources = LinesField(label="Categories of sources", required=False)
    purposes = LinesField(label="Business or commercial purposes", required=False)
    third_parties = LinesField(
        label="Categories of third parties it is sold or shared to", required=False
    )
    disclosed_to = LinesField(
        label="Categories of recipients it is disclosed to for a business purpose",
        required=False,
    )

    tenant: Tenant | None = None  # set by InventoryCategoryAdmin.get_form

    class Meta:
        model = InventoryCategory
        fields = (
            "category",
            "name",
            "examples",
            "sources",
            "purposes",
            "retention",
            "sold",
            "shared",
            "third_parties",
            "disclosed_to",
            "sensitive_use_beyond_7027m",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and self.tenant is not None:
            self.instance.tenant = self.tenant  # so clean() sees the business's other rows
        for name in ("sources", "purposes", "third_parties", "disclosed_to"):
            self.fields[name].help_text = InventoryCategory._meta.get_field(name).help_text


@admin.register(InventoryCategory)
class InventoryCategoryAdmin(TenantScopedModelAdmin):
    """The data inventory (§7011(e)(1), §7012(e)): one row per statutory category collected."""

    ability = "settings"
    deletable = True  # a category no longer collected leaves the inventory (not a §7101 record)
    form = InventoryCategoryForm
    list_display = ("__str__", "name", "sold", "shared", "sensitive_use_beyond_7027m")
    list_filter = ("sold", "shared")
    ordering = ("category",)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change, **kwargs)
        # The form validates against this business's inventory (one row per category).
        return type(form.__name__, (form,), {"tenant": staff_tenant(request)})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            tenant = staff_tenant(request)
            if tenant is None:
                raise Http404("Choose a business first.")
            obj.tenant = tenant
        inventory_category_save(inventory_category=obj)


# --- The notices: the business's own text, its practices, publishing and the history ----------


class NoticeTextForm(forms.ModelForm):
    tenant: Tenant | None = None  # set by NoticeTextAdmin.get_form

    class Meta:
        model = NoticeText
        fields = ("language", *TEXT_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.tenant is not None:
            offered = set(self.tenant.languages or [])
            self.fields["language"].choices = [
                (code, name) for code, name in settings.LANGUAGES if code in offered
            ]
        for name in TEXT_FIELDS:
            self.fields[
                name
            ].help_text = (
                f"{self.fields[name].help_text} Markdown: links, lists, emphasis; no HTML."
            )

    def clean_language(self) -> str:
        language = self.cleaned_data["language"]
        if self.tenant is not None:
            others = NoticeText.objects.for_tenant(self.tenant).filter(language=language)
            if self.instance.pk is not None:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                raise forms.ValidationError(
                    "There is already a text in this language: edit that one instead."
                )
        return language


@admin.register(NoticeText)
class NoticeTextAdmin(TenantScopedModelAdmin):
    """What the business writes itself for its notices, per language (Markdown, sanitized)."""

    ability = "settings"
    form = NoticeTextForm
    list_display = ("__str__", "language", "updated_at")
    ordering = ("language",)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"tenant": staff_tenant(request)})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            tenant = staff_tenant(request)
            if tenant is None:
                raise Http404("Choose a business first.")
            obj.tenant = tenant
        notice_text_save(notice_text=obj, user=request.user, request=request)


@admin.register(PrivacyPractices)
class PrivacyPracticesAdmin(TenantScopedModelAdmin):
    """Facts the notices state that neither the inventory nor the settings hold; one per
    business."""

    ability = "settings"
    fields = PRACTICES_FIELDS
    list_display = ("__str__", "knows_sells_under_16", "no_reasonable_verification", "reviewed_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        tenant = staff_tenant(request)
        if tenant is None or PrivacyPractices.objects.for_tenant(tenant).exists():
            return False
        return super().has_add_permission(request)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            tenant = staff_tenant(request)
            if tenant is None:
                raise Http404("Choose a business first.")
            obj.tenant = tenant
        privacy_practices_save(privacy_practices=obj, user=request.user, request=request)


@admin.register(NoticeVersion)
class NoticeVersionAdmin(TenantScopedModelAdmin):
    """Every published version, kept for good and never changed (R-NOT-P-1): read only."""

    ability = "settings"
    list_display = (
        "title",
        "language",
        "number",
        "effective_date",
        "published_at",
        "published_by_name",
        "superseded_at",
        "unpublished_at",
        "overridden",
    )
    list_filter = ("document", "language")
    ordering = ("document", "language", "-number")
    fields = (
        "title",
        "document",
        "language",
        "number",
        "effective_date",
        "published_at",
        "published_by_name",
        "superseded_at",
        "unpublished_at",
        "overridden_findings_listed",
        "override_reason",
        "rendered",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(boolean=True, description="published despite findings")
    def overridden(self, obj: NoticeVersion) -> bool:
        return bool(obj.overridden_findings)

    @admin.display(description="findings overridden")
    def overridden_findings_listed(self, obj: NoticeVersion) -> str:
        return "; ".join(
            f"{item.get('message', '')} ({item.get('section', '')})"
            for item in obj.overridden_findings
        )

    @admin.display(description="the version as published")
    def rendered(self, obj: NoticeVersion) -> Any:
        # The body was rendered from sanitized Markdown (core.markup) and the portal's templates
        # when it was published: the same HTML consumers were shown.
        return format_html('<div class="notice-preview">{}</div>', mark_safe(obj.body_html))  # noqa: S308


# --- The "Notices" page: preview, findings, publish with override, unpublish, history --------

PUBLISHING_TITLE = "Notices: preview, check and publish"
PUBLISHING_REFUSED = (
    "Only the admins of this business may publish its notices. Ask your business's admin."
)


def _publishing_tenant(request: HttpRequest) -> Tenant | None:
    tenant = staff_tenant(request)
    return tenant if tenant is not None and may(request, "settings") else None


def _publishing_page(
    request: HttpRequest, context: dict[str, Any], status: int = 200
) -> TemplateResponse:
    response = TemplateResponse(
        request,
        "admin/notices/publishing.html",
        {**admin.site.each_context(request), "title": PUBLISHING_TITLE, **context},
        status=status,
    )
    response.render()
    return response


def _notices_context(tenant: Tenant, errors: dict[str, str] | None = None) -> dict[str, Any]:
    today = tenant_today(tenant)
    notices = []
    for kind in PUBLISHED_HERE:
        notices.append(
            {
                "kind": kind.value,
                "label": kind.label,
                "findings": checker.findings_for(tenant, kind.value),
                "previews": [
                    (
                        language,
                        render_document(
                            tenant=tenant, kind=kind.value, language=language, effective_date=today
                        ).body_html,
                    )
                    for language in tenant.languages
                ],
                "published": any(
                    current_version(tenant, kind.value, language) is not None
                    for language in tenant.languages
                ),
                "versions": list(notice_versions(tenant, kind.value)),
                "error": (errors or {}).get(kind.value, ""),
            }
        )
    return {"notices": notices, "today": today}


@require_GET
def publishing_view(request: HttpRequest) -> HttpResponse:
    tenant = _publishing_tenant(request)
    if tenant is None:
        return _publishing_page(request, {"refused": PUBLISHING_REFUSED}, status=403)
    return _publishing_page(request, _notices_context(tenant))


@require_POST
def publish_view(request: HttpRequest) -> HttpResponse:
    tenant = _publishing_tenant(request)
    if tenant is None:
        return _publishing_page(request, {"refused": PUBLISHING_REFUSED}, status=403)
    kind = request.POST.get("kind", "")
    try:
        published = notice_publish(
            tenant=tenant,
            kind=kind,
            user=request.user,
            request=request,
            override_reason=request.POST.get("override_reason", ""),
        )
    except Refused as refused:
        context = _notices_context(tenant, {kind: refused.message})
        if kind not in {k.value for k in PUBLISHED_HERE}:
            context["message"] = refused.message
        return _publishing_page(request, context, status=400)
    messages.success(
        request,
        f"Published {published[0].title if published else kind}: version "
        f"{', '.join(f'{v.number} ({v.language})' for v in published)}.",
    )
    return HttpResponseRedirect(reverse("admin:notices_publishing"))


@require_POST
def unpublish_view(request: HttpRequest) -> HttpResponse:
    tenant = _publishing_tenant(request)
    if tenant is None:
        return _publishing_page(request, {"refused": PUBLISHING_REFUSED}, status=403)
    kind = request.POST.get("kind", "")
    try:
        notice_unpublish(tenant=tenant, kind=kind, user=request.user, request=request)
    except Refused as refused:
        context = _notices_context(tenant, {kind: refused.message})
        context["message"] = refused.message
        return _publishing_page(request, context, status=400)
    messages.success(request, "Unpublished. Its versions stay in the history.")
    return HttpResponseRedirect(reverse("admin:notices_publishing"))


def install_publishing_pages(site: admin.AdminSite) -> None:
    if getattr(site, "_notices_publishing_installed", False):
        return
    original_get_urls = site.get_urls

    def get_urls() -> list[Any]:
        return [
            path(
                "notices/publishing/",
                site.admin_view(publishing_view),
                name="notices_publishing",
            ),
            path(
                "notices/publishing/publish/",
                site.admin_view(publish_view),
                name="notices_publish",
            ),
            path(
                "notices/publishing/unpublish/",
                site.admin_view(unpublish_view),
                name="notices_unpublish",
            ),
            *original_get_urls(),
        ]

    site.get_urls = get_urls  # type: ignore[method-assign]
    site._notices_publishing_installed = True  # type: ignore[attr-defined]


install_publishing_pages(admin.site)

# Financial incentive programs and their members (issue 15 item 5): their own module.
from . import incentive_admin  # noqa: E402, F401
