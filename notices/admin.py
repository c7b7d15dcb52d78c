"""The data inventory in the admin: the business's admins list and edit it (ability
"settings"); the staff and compliance roles do not see it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import Http404, HttpRequest

from tenants.admin_base import TenantScopedModelAdmin
from tenants.context import staff_tenant
from tenants.models import Tenant

from .inventory import inventory_category_save
from .models import InventoryCategory


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


# Financial incentive programs and their members (issue 15 item 5): their own module.
from . import incentive_admin  # noqa: E402, F401
