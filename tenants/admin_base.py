"""The one scoping path for the Django admin: every tenant-owned model's admin subclasses these.

Scope comes from ``staff_tenant(request)`` (the business chosen in the session, re-checked against
``Membership`` on every request). With no business chosen, staff see nothing; platform superusers
with no business chosen get an explicit, read-only, cross-business view (``platform_queryset``);
with a business chosen they see that business like its admins do.

Besides ``get_queryset`` this covers the other ways the admin reaches rows: foreign-key and
many-to-many choices, search, inlines, and the "object does not exist" answer for objects outside
the scope (a 404, like a missing object, so another business's ids reveal nothing).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.filters import RelatedFieldListFilter, RelatedOnlyFieldListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth import get_user_model
from django.core import checks
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest
from django.utils.module_loading import import_string

from core import clock
from core.calendar import local_date

from .context import staff_role, staff_tenant
from .models import Tenant, TenantOwnedModel
from .selectors import acting_ability, acting_refusal_message, role_allows, tenant_today

_ROLE_CACHE_ATTR = "_admin_role_cache"


# --- Scope helpers -------------------------------------------------------------------------


def admin_role(request: HttpRequest) -> str | None:
    """The user's role at the chosen business, read once per HTTP request.

    The admin asks for permissions dozens of times per page (app list, actions, inlines).
    """
    cached = getattr(request, _ROLE_CACHE_ATTR, None)
    if cached is None:
        cached = (staff_role(request),)
        setattr(request, _ROLE_CACHE_ATTR, cached)
    return cached[0]


def forget_admin_role(request: HttpRequest) -> None:
    """Call after the chosen business changed within this HTTP request."""
    if hasattr(request, _ROLE_CACHE_ATTR):
        delattr(request, _ROLE_CACHE_ATTR)


def is_platform_view(request: HttpRequest) -> bool:
    """A platform superuser who has not chosen a business: the explicit cross-business path."""
    user = request.user
    return (
        user.is_authenticated
        and user.is_active
        and user.is_superuser
        and staff_tenant(request) is None
    )


def may(request: HttpRequest, ability: str, obj: Any = None) -> bool:
    """True when the user works in a chosen business whose role grants ``ability``.

    ``obj``, when given, must belong to that business (defence in depth: ``get_object`` already
    only finds rows of the chosen business).
    """
    tenant = staff_tenant(request)
    if tenant is None:
        return False
    if obj is not None and _tenant_id_of(obj) != tenant.pk:
        return False
    return role_allows(admin_role(request), ability)


class ActingRefused(PermissionDenied):
    """A member whose role reads the queue but does not act on it (compliance) tried to act.

    The admin answers it with a 403 page saying why (``tenants.admin``'s view wrapper); anywhere
    else it is a plain ``PermissionDenied``.
    """


def require_act(request: HttpRequest, obj: Any = None) -> None:
    """Refuse unless the member may act on the queue (verify, close, extend, log, decide...).

    A member who may read it but not act (compliance, issue 14 item 5) gets ``ActingRefused``
    with the reason; anyone else a plain ``PermissionDenied``.
    """
    if may(request, "act", obj):
        return
    if may(request, "queue", obj):
        raise ActingRefused(acting_refusal_message(admin_role(request)))
    raise PermissionDenied


def _tenant_id_of(obj: Any) -> int | None:
    if isinstance(obj, Tenant):
        return obj.pk
    return getattr(obj, "tenant_id", None)


def tenant_members(tenant: Tenant | None) -> models.QuerySet:
    """Users who are members of ``tenant`` (the only people a request may be assigned to)."""
    user_model = get_user_model()
    if tenant is None:
        return user_model._default_manager.none()
    return user_model._default_manager.filter(memberships__tenant=tenant).order_by(
        user_model.USERNAME_FIELD
    )


def tenant_zone(tenant: Tenant | None) -> ZoneInfo:
    """The business's time zone; the platform view uses the site default."""
    return tenant.zone if tenant is not None else ZoneInfo(settings.TIME_ZONE)


def local_today(tenant: Tenant | None) -> date:
    """Today in the business's time zone: deadlines run to the end of their local day."""
    if tenant is not None:
        return tenant_today(tenant)
    return local_date(clock.now(), ZoneInfo(settings.TIME_ZONE))


def _is_tenant_bound(model: type[models.Model]) -> bool:
    """Rows that belong to one business: tenant-owned models, and tenancy rows with a tenant FK."""
    if issubclass(model, TenantOwnedModel):
        return True
    try:
        field = model._meta.get_field("tenant")
    except Exception:
        return False
    return getattr(field, "related_model", None) is Tenant


def scoped_choices(model: type[models.Model], tenant: Tenant | None) -> models.QuerySet | None:
    """The rows of ``model`` a form of ``tenant`` may point at; None when ``model`` is not
    a per-business model (then Django's default choices apply)."""
    if model is Tenant:
        return Tenant.objects.filter(pk=tenant.pk) if tenant else Tenant.objects.none()
    if model is get_user_model():
        return tenant_members(tenant)
    if issubclass(model, TenantOwnedModel):
        return model.objects.for_tenant(tenant) if tenant else model._default_manager.none()
    if _is_tenant_bound(model):
        manager = model._default_manager
        return manager.filter(tenant=tenant) if tenant else manager.none()
    return None


# --- The admin's changes, on the audit trail --------------------------------------------------


def _change_recorders() -> list[Any]:
    return [import_string(name) for name in getattr(settings, "ADMIN_CHANGE_RECORDERS", [])]


class AdminChangeRecorderMixin:
    """Hands every addition, change and deletion the admin logs to the recorders named in
    ``settings.ADMIN_CHANGE_RECORDERS`` (the audit trail's, which sits above tenants: issue 14
    item 3). Django calls these inside the save's transaction, after the save."""

    def _record_change(self, request: HttpRequest, obj: Any, change: str, message: Any) -> None:
        for recorder in _change_recorders():
            recorder(request, obj, change=change, message=message)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        logged = super().log_addition(request, obj, message)  # type: ignore[misc]
        self._record_change(request, obj, "added", message)
        return logged

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        logged = super().log_change(request, obj, message)  # type: ignore[misc]
        self._record_change(request, obj, "changed", message)
        return logged

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        # Called before the deletion: the objects are still there to be named.
        for obj in queryset:
            self._record_change(request, obj, "deleted", [{"deleted": {}}])
        return super().log_deletions(request, queryset)  # type: ignore[misc]


# --- Model admin ---------------------------------------------------------------------------


class TenantScopedModelAdmin(AdminChangeRecorderMixin, admin.ModelAdmin):
    """Base admin for every tenant-owned model.

    ``ability`` is what the membership role must grant to read (tenants.selectors.ROLE_ABILITIES);
    adding, changing, deleting and the changelist's actions need ``acting_ability(ability)``
    ("act" for the queue's "queue": compliance reads the queue and acts on nothing).
    Deleting is refused unless ``deletable``: requests, their timeline and the outbox are
    records kept under §7101.
    """

    ability = "queue"
    deletable = False

    # --- querysets (the one scoping path) ---

    def scoped_queryset(self, tenant: Tenant) -> models.QuerySet:
        return self.model.objects.for_tenant(tenant)

    def platform_queryset(self) -> models.QuerySet:
        # Allow-listed cross-tenant read: platform superusers who chose no business.
        return self.model.all_tenants.all()

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        tenant = staff_tenant(request)
        if tenant is not None:
            queryset = self.scoped_queryset(tenant)
        elif is_platform_view(request):
            queryset = self.platform_queryset()
        else:
            queryset = self.model._default_manager.none()
        ordering = self.get_ordering(request)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return queryset

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet, search_term: str
    ) -> tuple[models.QuerySet, bool]:
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        tenant = staff_tenant(request)
        if tenant is not None:
            # Search may follow relations; the result stays inside the business regardless.
            queryset = queryset.filter(tenant=tenant)
        elif not is_platform_view(request):
            queryset = queryset.none()
        return queryset, may_have_duplicates

    # --- objects outside the scope answer 404 ---

    def _get_obj_does_not_exist_redirect(self, request: HttpRequest, opts: Any, object_id: str):
        # Django redirects to the index with "… with ID “x” doesn’t exist"; we answer like for
        # any missing page, so another business's ids are indistinguishable from unused ones.
        # (Used by the change, history and delete views; pinned by the admin tests.)
        raise Http404("No such record.")

    # --- permissions from the membership role ---

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if is_platform_view(request):
            return True
        return may(request, self.ability, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may(request, acting_ability(self.ability))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may(request, acting_ability(self.ability), obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.deletable and may(request, acting_ability(self.ability), obj)

    # --- a reader who may not act is told why, whatever the page's own permissions ---

    def refuse_reader_acting(self, request: HttpRequest, *, acting_page: bool = False) -> None:
        """A POST (a changelist action, a saved form, a deletion), or opening a page that only
        acts (``acting_page``: the add page, a deletion's confirmation), by a member who reads
        this admin's rows but may not change them answers 403 with the reason
        (``ActingRefused``)."""
        acting = acting_ability(self.ability)
        if (
            (request.method == "POST" or acting_page)
            and acting != self.ability
            and may(request, self.ability)
            and not may(request, acting)
        ):
            raise ActingRefused(acting_refusal_message(admin_role(request)))

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        self.refuse_reader_acting(request)
        return super().changelist_view(request, extra_context)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ):
        self.refuse_reader_acting(request, acting_page=object_id is None)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None):
        self.refuse_reader_acting(request, acting_page=True)
        return super().delete_view(request, object_id, extra_context)

    # --- forms: choices restricted to the business ---

    def get_exclude(self, request: HttpRequest, obj: Any = None):
        excluded = list(super().get_exclude(request, obj) or [])
        if "tenant" not in excluded and _is_tenant_bound(self.model):
            excluded.append("tenant")  # set from the session on add, never chosen in a form
        return excluded

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        choices = scoped_choices(db_field.related_model, staff_tenant(request))
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        choices = scoped_choices(db_field.related_model, staff_tenant(request))
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            tenant = staff_tenant(request)
            if tenant is None:
                raise Http404("Choose a business first.")
            obj.tenant = tenant
        super().save_model(request, obj, form, change)

    # --- system checks: the known leaks are configuration mistakes ---

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(**kwargs), *_scope_checks(self)]


def _scope_checks(model_admin: admin.ModelAdmin) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    name = type(model_admin).__name__
    if model_admin.raw_id_fields:
        errors.append(
            checks.Error(
                f"{name}.raw_id_fields: the raw-id popup lists every business's rows.",
                hint="Use a select restricted by formfield_for_foreignkey instead.",
                obj=type(model_admin),
                id="tenants.E001",
            )
        )
    for item in model_admin.list_filter:
        if not isinstance(item, str) and not isinstance(item, (list, tuple)):
            continue  # a SimpleListFilter class: it chooses its own lookups
        path, filter_class = (item, None) if isinstance(item, str) else (item[0], item[1])
        try:
            fields = get_fields_from_path(model_admin.model, path)
        except Exception:  # noqa: S112 - Django's own checks report bad paths
            continue
        if not fields or not fields[-1].is_relation:
            continue
        if filter_class is None or (
            isinstance(filter_class, type)
            and issubclass(filter_class, RelatedFieldListFilter)
            and not issubclass(filter_class, RelatedOnlyFieldListFilter)
        ):
            errors.append(
                checks.Error(
                    f"{name}.list_filter {path!r}: RelatedFieldListFilter lists every "
                    "business's rows (it reads the default manager).",
                    hint="Write a SimpleListFilter whose lookups are scoped to the business.",
                    obj=type(model_admin),
                    id="tenants.E002",
                )
            )
    return errors


# --- Inlines -------------------------------------------------------------------------------


class TenantScopedInlineMixin:
    """Scope for inlines: rows of the chosen business only; permissions follow the parent's
    ``ability`` (reading) and ``acting_ability(ability)`` (adding, changing). Set
    ``read_only = True`` for records (timeline, communications)."""

    ability = "queue"
    read_only = False

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        tenant = staff_tenant(request)
        if tenant is not None:
            queryset = self.model.objects.for_tenant(tenant)
        elif is_platform_view(request):
            queryset = self.model.all_tenants.all()
        else:
            queryset = self.model._default_manager.none()
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_view(request) or may(request, self.ability, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.read_only and may(request, acting_ability(self.ability), obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.read_only and may(request, acting_ability(self.ability), obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        choices = scoped_choices(db_field.related_model, staff_tenant(request))
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
