"""Admin for businesses, their staff and API keys, and the business switcher.

The switcher and the site-wide rules are hooked into the default ``admin.site`` (not a second
``AdminSite``), so every app's ``admin.site.register`` keeps working and the cross-tenant walk
sees one registry:

* only active staff users who are superusers or members of a business may use the admin;
* every page says which business you are working for, with a link to switch
  (``/admin/switch-business/``); nothing is ever chosen for you unless you belong to one business;
* pages render in the chosen business's time zone (dates shown to staff use the business's zone);
* signing in takes the second factor the user needs (tenants.signin, tenants.two_factor): until
  it is passed no admin page opens.
"""

from __future__ import annotations

import functools
from types import MethodType
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import clock

from .admin_base import (
    ActingRefused,
    AdminChangeRecorderMixin,
    TenantScopedModelAdmin,
    admin_role,
    forget_admin_role,
    is_platform_view,
    may,
)
from .context import SESSION_KEY, choose_tenant, staff_tenant
from .lockouts import lockout_clear, lockout_ends_at, lockouts_for_tenant
from .models import (
    API_KEY_DEFAULT_SCOPES,
    ApiKey,
    ApiScope,
    Membership,
    RequestMethod,
    SignInLockout,
    Tenant,
)
from .selectors import tenants_for_user
from .services import api_key_create, api_key_revoke, staff_create
from .signin import StaffSignInForm, admin_login, two_factor_setup_view
from .two_factor import signin_complete

# --- Site-wide hooks -----------------------------------------------------------------------


def _site_has_permission(site: admin.AdminSite, request: HttpRequest) -> bool:
    user = request.user
    if not (user.is_active and user.is_staff):
        return False
    if not signin_complete(request):
        return False  # the password alone, where a second factor is needed
    if user.is_superuser:
        return True
    cached = getattr(request, "_admin_is_member", None)
    if cached is None:
        cached = Membership.objects.filter(user=user).exists()
        request._admin_is_member = cached
    return cached


def _refusing_nul(view: Any) -> Any:
    """A 400 for a NUL in the query string (``?status__exact=%00``): the changelist filters would
    hand it to PostgreSQL, which refuses NUL in a string (a 500). No admin address carries one."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest("The address contains a NUL character.")
        return view(request, *args, **kwargs)

    return wrapper


def _in_business_time_zone(view: Any) -> Any:
    """Run and render ``view`` in the chosen business's time zone (R-P-5)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        tenant = staff_tenant(request)
        if tenant is None:
            return view(request, *args, **kwargs)
        with timezone.override(tenant.zone):
            response = view(request, *args, **kwargs)
            # Template responses render lazily, after this block; render them inside it.
            if getattr(response, "is_rendered", True) is False:
                response.render()
        return response

    return wrapper


ACTING_REFUSED_TEMPLATE = "admin/acting_refused.html"


def _answering_acting_refusals(site: admin.AdminSite, view: Any) -> Any:
    """A 403 page saying why, when a member who reads the queue but does not act on it
    (compliance, issue 14 item 5) reaches an action: whichever admin page refused
    (``admin_base.require_act``, ``TenantScopedModelAdmin.refuse_reader_acting``)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ActingRefused as refusal:
            context = {
                **site.each_context(request),
                "title": "Not available to your role",
                "message": str(refusal),
            }
            response = TemplateResponse(request, ACTING_REFUSED_TEMPLATE, context, status=403)
            response.render()
            return response

    return wrapper


def switch_business_view(request: HttpRequest) -> HttpResponse:
    """List the user's businesses; POST one to work in it (re-checked on every request)."""
    tenants = tenants_for_user(request.user)
    if request.method == "POST":
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:index")
        choice = request.POST.get("tenant", "")
        if choice == "" and request.user.is_superuser:
            request.session.pop(SESSION_KEY, None)
            messages.success(request, "You are now viewing all businesses (read-only).")
            return HttpResponseRedirect(reverse("admin:index"))
        tenant = next((t for t in tenants if str(t.pk) == choice), None)
        if tenant is None or not choose_tenant(request, tenant):
            raise Http404("No such business.")
        forget_admin_role(request)
        messages.success(request, f"You are now working for {tenant.legal_name}.")
        return HttpResponseRedirect(next_url)
    context = {
        **admin.site.each_context(request),
        "title": "Choose a business",
        "tenants": tenants,
        "current": staff_tenant(request),
        "next": request.GET.get("next", ""),
    }
    return TemplateResponse(request, "admin/switch_business.html", context)


def install_portal_admin(site: admin.AdminSite) -> None:
    """Hook the membership check, the business switcher and the time zone into ``site``."""
    if getattr(site, "_portal_installed", False):
        return
    site.site_header = "Privacy portal"
    site.site_title = "Privacy portal"
    site.index_title = "Privacy requests"
    site.index_template = "admin/portal_index.html"
    site.has_permission = MethodType(_site_has_permission, site)
    site.login_form = StaffSignInForm
    site.login_template = "admin/staff_login.html"
    site.login = admin_login(site.login)

    original_admin_view = site.admin_view
    original_each_context = site.each_context
    original_get_urls = site.get_urls

    def admin_view(view: Any, cacheable: bool = False) -> Any:
        return original_admin_view(
            _refusing_nul(_in_business_time_zone(_answering_acting_refusals(site, view))),
            cacheable,
        )

    def each_context(request: HttpRequest) -> dict[str, Any]:
        context = original_each_context(request)
        tenant = staff_tenant(request) if context.get("has_permission") else None
        context["current_business"] = tenant
        context["business_role"] = admin_role(request) if tenant else None
        context["platform_view"] = is_platform_view(request)
        context["index_tools"] = [
            (label, reverse(url_name))
            for label, url_name, ability in getattr(settings, "ADMIN_INDEX_TOOLS", [])
            if tenant is not None and may(request, ability)
        ]
        return context

    def get_urls() -> list[Any]:
        return [
            # Not behind admin_view: who still owes a second factor sets it up here.
            path("two-factor/", two_factor_setup_view, name="two_factor_setup"),
            path(
                "switch-business/",
                site.admin_view(switch_business_view),
                name="switch_business",
            ),
            *original_get_urls(),
        ]

    site.admin_view = admin_view
    site.each_context = each_context
    site.get_urls = get_urls
    site._portal_installed = True


install_portal_admin(admin.site)

# django-otp's own device admins list every user's devices, with their secrets' QR codes: no
# business's page. Staff set up their own app at /admin/two-factor/; the platform clears a lost
# one with `manage.py two_factor_reset USERNAME`.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


# --- Tenant (business settings) ------------------------------------------------------------


class TenantForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        choices=settings.LANGUAGES, widget=forms.CheckboxSelectMultiple, required=False
    )
    request_methods = forms.MultipleChoiceField(
        label="Methods for submitting requests",
        choices=RequestMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Designated methods for requests to know, delete and correct (§7020).",
    )

    class Meta:
        model = Tenant
        # TenantAdmin passes the fields of its fieldsets; these are the ones declared here.
        fields = ("languages", "request_methods")


@admin.register(Tenant)
class TenantAdmin(AdminChangeRecorderMixin, admin.ModelAdmin):
    """Business settings: its admins see and change their own business; superusers all."""

    form = TenantForm
    list_display = ("legal_name", "slug", "reference_prefix", "time_zone", "business_calendar")
    search_fields = ("legal_name", "slug")
    readonly_fields = ("created_at", "holidays", "gpc_script")
    fieldsets = (
        (None, {"fields": ("legal_name", "slug", "reference_prefix", "domain", "created_at")}),
        (
            "Contact and requests",
            {
                "fields": (
                    "contact_email",
                    "toll_free_number",
                    "postal_address",
                    "website_url",
                    "online_only",
                    "request_methods",
                    "languages",
                    "verification_description",
                    "know_limit_policy",
                )
            },
        ),
        ("Emails", {"fields": ("sender_name", "sender_email")}),
        (
            "Secure delivery of requests to know (§7024(f))",
            {"fields": ("package_download_days", "package_download_limit")},
        ),
        (
            "Practices",
            {
                "fields": (
                    "sells_or_shares",
                    "sells_or_shares_offline",
                    "uses_sensitive_beyond_7027m",
                    "discloses_request_metrics",
                )
            },
        ),
        (
            "Opt-out and limit",
            {"fields": ("opt_out_identifier", "gpc_frictionless", "gpc_script")},
        ),
        ("Staff sign-in", {"fields": ("require_two_factor",)}),
        ("Deadlines", {"fields": ("time_zone", "business_calendar", "holidays")}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None):
        # Settings added to the model later still appear, under "Other settings".
        listed = {name for _, options in self.fieldsets for name in options["fields"]}
        rest = [
            field.name
            for field in Tenant._meta.concrete_fields
            if field.editable and not field.primary_key and field.name not in listed
        ]
        return [*self.fieldsets, ("Other settings", {"fields": rest})] if rest else self.fieldsets

    @admin.display(description="Global Privacy Control on your website")
    def gpc_script(self, obj: Tenant | None) -> str:
        """The line to paste into the business's own pages: optout's embeddable script (its
        stable address, which redirects to the current version) reports the browser's signal
        (§7025(b))."""
        if obj is None or obj.pk is None:
            return "Shown once the business is saved."
        src = settings.PORTAL_BASE_URL + reverse("gpc_script")
        return format_html(
            '<code>&lt;script src="{}" data-business="{}" async&gt;&lt;/script&gt;</code>'
            '<div class="help">Paste this line into every page of your website. When a '
            "visitor's browser sends the Global Privacy Control signal, it records their "
            "opt-out of sale and sharing for the browser's id (the cookie pp_device_id on "
            "your site, which your systems give the consent lookup). Only pages at your "
            "website address above may report ({}).</div>",
            src,
            obj.slug,
            obj.website_url or "no website address set yet: set it first",
        )

    def get_queryset(self, request: HttpRequest):
        if request.user.is_active and request.user.is_superuser:
            return Tenant.objects.all()
        tenant = staff_tenant(request)
        if tenant is None or not may(request, "settings"):
            return Tenant.objects.none()
        return Tenant.objects.filter(pk=tenant.pk)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # The portal address and custom domain are platform setup (DNS, TLS).
            fields += ["slug", "domain"]
        return fields

    def _superuser(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._superuser(request) or may(request, "settings", obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._superuser(request) or may(request, "settings", obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._superuser(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a business's requests are records kept under §7101

    def _get_obj_does_not_exist_redirect(self, request: HttpRequest, opts: Any, object_id: str):
        raise Http404("No such record.")

    @admin.display(description="Holidays on this calendar")
    def holidays(self, obj: Tenant) -> str:
        """R-BD-3: the holiday list in use is visible to staff."""
        if obj.pk is None:
            return "—"
        year = timezone.localdate(clock.now()).year
        calendar = obj.calendar
        days = sorted(
            (day, calendar.holiday_name(day) or "")
            for y in (year, year + 1)
            for day in calendar.holidays_in(y)
        )
        if not days:
            return "None: only Saturdays and Sundays are skipped."
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>{} — {}</li>", ((d.isoformat(), n) for d, n in days)),
        )


# --- Memberships (the business's staff) ----------------------------------------------------


class MembershipAddForm(forms.ModelForm):
    username = forms.CharField(max_length=150, help_text="A new user name for this staff member.")
    email = forms.EmailField(required=False, help_text="Where deadline reminders go.")

    class Meta:
        model = Membership
        fields = ("role",)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        get_user_model().username_validator(username)
        # A business's admin may not pull in an account they do not control (it may belong to
        # someone at another business); platform operators link existing users from the CLI.
        if get_user_model().objects.filter(username=username).exists():
            raise forms.ValidationError("This user name is taken. Choose another one.")
        return username


class MembershipChangeForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("role",)


@admin.register(Membership)
class MembershipAdmin(TenantScopedModelAdmin):
    """A business's admins add staff, change roles and remove members of their business."""

    ability = "settings"
    deletable = True
    list_display = ("username", "email", "role", "created_at")
    list_select_related = ("user",)
    list_filter = ("role",)
    search_fields = ("user__username", "user__email")
    ordering = ("user__username",)
    readonly_fields = ("user", "created_at")

    def scoped_queryset(self, tenant: Tenant):
        return Membership.objects.filter(tenant=tenant)

    def platform_queryset(self):
        return Membership.objects.all()

    @admin.display(description="user", ordering="user__username")
    def username(self, obj: Membership) -> str:
        return obj.user.get_username()

    @admin.display(description="email", ordering="user__email")
    def email(self, obj: Membership) -> str:
        return obj.user.email

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs):
        kwargs["form"] = MembershipChangeForm if obj is not None else MembershipAddForm
        if obj is None or self.has_change_permission(request, obj):
            # The form's own fields ("username" is no model field). A page only viewed (one's
            # own membership) keeps Django's default, which turns every field read-only.
            kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None):
        if obj is None:
            return ("username", "email", "role")
        return ("user", "role", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        return () if obj is None else self.readonly_fields

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one at a time, never one's own membership
        return actions

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.user_id == request.user.pk:
            return False  # nobody demotes themselves out of the settings
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.user_id == request.user.pk:
            return False  # nobody locks themselves out
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        tenant = staff_tenant(request)
        if tenant is None:
            raise Http404("Choose a business first.")
        username = obj.user.get_username() if change else form.cleaned_data["username"]
        user, password = staff_create(
            tenant=tenant,
            username=username,
            role=form.cleaned_data["role"],
            email="" if change else form.cleaned_data.get("email", ""),
        )
        saved = Membership.objects.get(user=user, tenant=tenant)
        obj.pk, obj.user, obj.tenant, obj.created_at = saved.pk, user, tenant, saved.created_at
        if password:
            self.message_user(
                request,
                f"New user {user.get_username()} created. Their password, shown only now: "
                f"{password} — give it to them securely and ask them to change it.",
                messages.WARNING,
            )


# --- API keys --------------------------------------------------------------------------------


class ApiKeyAddForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=ApiScope.choices,
        initial=list(API_KEY_DEFAULT_SCOPES),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one scope."},
        help_text="What the key may do. A key for the consent lookup in your web servers needs "
        "only the consent lookup: it must not read requests (§7101(d)).",
    )

    class Meta:
        model = ApiKey
        fields = ("name", "scopes")


@admin.register(ApiKey)
class ApiKeyAdmin(TenantScopedModelAdmin):
    """API keys: created here (the key is shown once), listed by hint, revoked, never deleted."""

    ability = "settings"
    form = ApiKeyAddForm
    list_display = ("name", "hint_display", "scopes_display", "created_at", "state")
    ordering = ("-created_at",)
    actions = ("revoke",)
    fields = ("name", "scopes_display", "hint", "created_at", "revoked_at")
    readonly_fields = ("scopes_display", "hint", "created_at", "revoked_at")

    def scoped_queryset(self, tenant: Tenant):
        return ApiKey.objects.filter(tenant=tenant)

    def platform_queryset(self):
        return ApiKey.objects.all()

    def get_fields(self, request: HttpRequest, obj: Any = None):
        return ("name", "scopes") if obj is None else self.fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # keys are immutable; revoke and create a new one

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return may(request, self.ability)

    @admin.display(description="key")
    def hint_display(self, obj: ApiKey) -> str:
        return f"{obj.hint}…"

    @admin.display(description="scopes")
    def scopes_display(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes) or "none"

    @admin.display(description="state", ordering="revoked_at")
    def state(self, obj: ApiKey) -> str:
        if obj.revoked_at is None:
            return "Active"
        return f"Revoked {timezone.localtime(obj.revoked_at):%Y-%m-%d %H:%M %Z}"

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        tenant = staff_tenant(request)
        if tenant is None:
            raise Http404("Choose a business first.")
        api_key, raw_key = api_key_create(
            tenant=tenant, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"]
        )
        obj.pk = api_key.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            f"API key “{api_key.name}” created: {raw_key} — copy it now; it will not be shown "
            f"again. Its scopes: {', '.join(api_key.scopes)}.",
            messages.WARNING,
        )

    @admin.action(description="Revoke selected API keys", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for api_key in queryset:
            if api_key.revoked_at is not None:
                self.message_user(request, f"{api_key}: already revoked.", messages.WARNING)
                continue
            api_key_revoke(api_key=api_key)
            self.message_user(request, f"{api_key}: revoked.", messages.SUCCESS)


# --- Sign-in lockouts (django-axes) ----------------------------------------------------------


@admin.register(SignInLockout)
class SignInLockoutAdmin(TenantScopedModelAdmin):
    """A business's admins see their own staff's failed sign-ins and unlock them."""

    ability = "settings"
    list_display = ("username", "ip_address", "failures_since_start", "attempt_time", "state")
    ordering = ("-attempt_time",)
    actions = ("unlock",)
    fields = ("username", "ip_address", "failures_since_start", "attempt_time", "state")
    readonly_fields = fields

    def scoped_queryset(self, tenant: Tenant):
        return lockouts_for_tenant(tenant)

    def platform_queryset(self):
        return SignInLockout.objects.all()

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str):
        # No tenant column: the scope is the members' user names, already in ``queryset``.
        return admin.ModelAdmin.get_search_results(self, request, queryset, search_term)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if is_platform_view(request):
            return True
        return may(request, self.ability) and (
            obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return may(request, self.ability)

    @admin.display(description="state")
    def state(self, obj: SignInLockout) -> str:
        ends = lockout_ends_at(obj)
        if ends is None or ends <= timezone.now():
            return "Not locked"
        return f"Locked until {timezone.localtime(ends):%Y-%m-%d %H:%M %Z}"

    @admin.action(description="Unlock the selected user names", permissions=["unlock"])
    def unlock(self, request: HttpRequest, queryset: Any) -> None:
        tenant = staff_tenant(request)
        if tenant is None:
            raise Http404("Choose a business first.")
        for username in sorted({attempt.username for attempt in queryset if attempt.username}):
            if lockout_clear(tenant=tenant, username=username):
                self.message_user(request, f"{username}: unlocked.", messages.SUCCESS)
