"""Financial incentive programs in the admin (§7016, §7080-§7081): the business's admins
(ability "settings") define programs and their words per language, see what is missing before
publishing, publish and withdraw (the services decide, the admin reports per program), and read
who joined and withdrew. Registered by ``notices.admin``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.html import format_html, format_html_join

from core.refusals import Refused
from tenants.admin_base import TenantScopedInlineMixin, TenantScopedModelAdmin
from tenants.context import staff_tenant
from tenants.models import Tenant

from . import categories, incentive_rules
from .incentive_selectors import programs_with_counts, publish_problems
from .incentive_services import (
    incentive_program_publish,
    incentive_program_save,
    incentive_program_text_save,
    incentive_program_withdraw,
)
from .models import IncentiveEnrollment, IncentiveProgram, IncentiveProgramText, InventoryCategory


class IncentiveProgramForm(forms.ModelForm):
    value_methods = forms.MultipleChoiceField(
        label="How the value was calculated (§7081(a))",
        choices=incentive_rules.method_choices(),
        widget=forms.CheckboxSelectMultiple,
        required=False,  # publishing says it is missing, with its section
        help_text=IncentiveProgram._meta.get_field("value_methods").help_text,
    )
    categories = forms.MultipleChoiceField(
        label="Categories of personal information involved (§7016(d)(2))",
        choices=categories.choices(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=IncentiveProgram._meta.get_field("categories").help_text,
    )

    tenant: Tenant | None = None  # set by IncentiveProgramAdmin.get_form

    class Meta:
        model = IncentiveProgram
        fields = ("slug", "value_amount", "value_methods", "considers_all_us_persons", "categories")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and self.tenant is not None:
            self.instance.tenant = self.tenant  # so the unique slug is checked in the business
        if self.tenant is not None:
            inventory = set(
                InventoryCategory.objects.for_tenant(self.tenant).values_list("category", flat=True)
            )
            # The inventory's categories first: the program's must be among them.
            self.fields["categories"].choices = [  # type: ignore[attr-defined]
                (code, f"{label} (in your data inventory)")
                for code, label in categories.choices()
                if code in inventory
            ] + [(code, label) for code, label in categories.choices() if code not in inventory]

    def _post_clean(self) -> None:
        super()._post_clean()
        # ``tenant`` is not a form field, so ModelForm skips constraints naming it.
        if self.instance.tenant_id is not None and "slug" in self.cleaned_data:
            taken = IncentiveProgram.objects.for_tenant(self.instance.tenant).filter(
                slug=self.cleaned_data["slug"]
            )
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("slug", "Another program already has this address.")


class IncentiveProgramTextForm(forms.ModelForm):
    tenant: Tenant | None = None  # set by IncentiveProgramTextInline.get_formset

    class Meta:
        model = IncentiveProgramText
        fields = (
            "language",
            "name",
            "summary",
            "material_terms",
            "value_basis",
            "method_description",
            "how_to_withdraw",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and self.tenant is not None:
            self.instance.tenant = self.tenant


class IncentiveProgramTextFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            if not form.is_valid() or form.cleaned_data.get("DELETE"):
                continue
            language = form.cleaned_data.get("language")
            if language in seen:
                form.add_error("language", "One text per language: this one is already written.")
            seen.add(language)


class IncentiveProgramTextInline(TenantScopedInlineMixin, admin.StackedInline):
    """The program's words, one per language the business uses (§7016(c)(2)(C))."""

    model = IncentiveProgramText
    form = IncentiveProgramTextForm
    formset = IncentiveProgramTextFormSet
    ability = "settings"
    extra = 0
    max_num = 2

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        tenant = staff_tenant(request)
        written = obj.texts.count() if obj is not None and obj.pk else 0
        return max(0, len(tenant.languages if tenant else []) - written)

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any):
        formset = super().get_formset(request, obj, **kwargs)
        form = type(formset.form.__name__, (formset.form,), {"tenant": staff_tenant(request)})
        formset.form = form
        return formset


@admin.register(IncentiveProgram)
class IncentiveProgramAdmin(TenantScopedModelAdmin):
    """Financial incentive programs and their notices (§7016, §7080-§7081)."""

    ability = "settings"
    form = IncentiveProgramForm
    inlines = (IncentiveProgramTextInline,)
    list_display = ("slug", "status", "members", "ever_joined", "published_at")
    list_filter = ("status",)
    readonly_fields = ("status", "published_at", "withdrawn_at", "what_is_missing")
    actions = ("publish_programs", "withdraw_programs")
    ordering = ("slug",)

    def scoped_queryset(self, tenant: Tenant) -> QuerySet:
        return programs_with_counts(tenant)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None):
        fields = [
            "slug",
            "value_amount",
            "value_methods",
            "considers_all_us_persons",
            "categories",
        ]
        state = ["status", "published_at", "withdrawn_at"]
        if obj is None:
            return [(None, {"fields": fields})]
        return [
            ("Before publishing", {"fields": ["what_is_missing"]}),
            (None, {"fields": fields}),
            ("Publication", {"fields": state}),
        ]

    @admin.display(description="current members")
    def members(self, obj: IncentiveProgram) -> int:
        return getattr(obj, "members", 0)

    @admin.display(description="ever joined")
    def ever_joined(self, obj: IncentiveProgram) -> int:
        return getattr(obj, "ever_joined", 0)

    @admin.display(description="What is missing before publishing")
    def what_is_missing(self, obj: IncentiveProgram) -> str:
        if obj is None or obj.pk is None:
            return "-"
        problems = publish_problems(obj)
        if not problems:
            return "Nothing: the notice can be published (use the action “Publish”)."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "", "<li>{} <small>({})</small></li>", ((p.message, p.section) for p in problems)
            ),
        )

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"tenant": staff_tenant(request)})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            tenant = staff_tenant(request)
            if tenant is None:
                raise Http404("Choose a business first.")
            obj.tenant = tenant
        incentive_program_save(program=obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not IncentiveProgramText:
            super().save_formset(request, form, formset, change)
            return
        for text in formset.save(commit=False):
            text.program = form.instance
            text.tenant = form.instance.tenant
            incentive_program_text_save(text=text)
        for deleted in formset.deleted_objects:
            deleted.delete()
        formset.save_m2m()

    @admin.action(description="Publish the selected programs and their notices")
    def publish_programs(self, request: HttpRequest, queryset: QuerySet) -> None:
        for program in queryset:
            try:
                versions = incentive_program_publish(
                    program=program, user=request.user, request=request
                )
            except Refused as refused:
                self.message_user(
                    request, f"Program “{program.slug}”: {refused.message}", messages.ERROR
                )
            else:
                languages = ", ".join(v.language for v in versions)
                self.message_user(
                    request,
                    f"Program “{program.slug}”: published, with its notice of financial incentive "
                    f"({languages}).",
                    messages.SUCCESS,
                )

    @admin.action(description="Withdraw the selected programs")
    def withdraw_programs(self, request: HttpRequest, queryset: QuerySet) -> None:
        for program in queryset:
            try:
                incentive_program_withdraw(program=program, user=request.user, request=request)
            except Refused as refused:
                self.message_user(
                    request, f"Program “{program.slug}”: {refused.message}", messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    f"Program “{program.slug}”: withdrawn; its pages are gone, its notice stays in the "
                    "history.",
                    messages.SUCCESS,
                )


class ProgramFilter(admin.SimpleListFilter):
    """By program, listing only the business's programs (not RelatedFieldListFilter)."""

    title = "program"
    parameter_name = "program"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        tenant = staff_tenant(request)
        if tenant is None:
            return []
        return [
            (str(pk), slug)
            for pk, slug in IncentiveProgram.objects.for_tenant(tenant).values_list("pk", "slug")
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(program_id=value) if value and value.isdigit() else queryset


class MembershipFilter(admin.SimpleListFilter):
    title = "membership"
    parameter_name = "member"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("current", "current members"), ("withdrawn", "withdrawn")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "current":
            return queryset.filter(withdrawn_at__isnull=True)
        if self.value() == "withdrawn":
            return queryset.filter(withdrawn_at__isnull=False)
        return queryset


@admin.register(IncentiveEnrollment)
class IncentiveEnrollmentAdmin(TenantScopedModelAdmin):
    """Who joined which program and when, and who withdrew (§7016(d)(3)-(4)): a record the
    business reads; only consumers' own choices write it."""

    ability = "settings"
    list_display = ("email", "program", "joined_at", "withdrawn_at")
    list_filter = (ProgramFilter, MembershipFilter)
    search_fields = ("email",)
    ordering = ("-joined_at",)
    readonly_fields = ("program", "email", "language", "joined_at", "withdrawn_at")

    def scoped_queryset(self, tenant: Tenant) -> QuerySet:
        return super().scoped_queryset(tenant).select_related("program")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
