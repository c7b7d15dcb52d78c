"""Identity verification in the admin, for the business's staff (§7060–§7063, §7070, §7101).

* ``VerificationInline`` (``settings.PRIVACY_REQUEST_ADMIN_INLINES``: requests_app never imports
  verification): on a request to know, delete or correct, its verification record — degree
  required and reached, status, how, the matcher's state — and the evidence: each data point
  checked (which, against what, the result; never a value: none is stored, and no hash is
  shown), the declarations signed (§7062(c)) and an agent's authorization (§7063). Read-only;
  a "retry the business's system" link when its webhook failed.
* ``VerificationAdmin``: the same records as a list, and the retry page
  (``<id>/retry-matcher/``, a small form: the request's page is itself a form). Its staff
  actions (``staff_actions``): open a verification document, accept the agent's permission,
  confirm a household member, complete a parental check — each linked from the section above
  when it applies.
* ``QUEUE_VERIFICATION`` (``settings.PRIVACY_REQUEST_QUEUE_EXTENSIONS``): the queue's
  "verification" column and filter, joined into the queue's one query.
* ``VerificationPolicyAdmin``: the business's admins set how requests are verified; one row per
  business, made with its defaults (``services.policies.verification_policy``). The directory and
  assertion keys are never shown.
* ``FraudAlertAdmin``: the unusual patterns the business was alerted of (§7060(f)), read-only.

Verifying by hand and marking fraud are the queue's own actions ("Mark verified", "Close with
outcome" → denied, fraudulent): their hooks (``services.records``) update the record.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from audit.reads import AuditedReadMixin
from core import clock
from core.dates import long_date
from core.refusals import Refused
from requests_app import vocabulary as words
from requests_app.admin.display import ALERT
from requests_app.models import CorrectionField, DeleteCategory, PrivacyRequest
from tenants.admin_base import TenantScopedInlineMixin, TenantScopedModelAdmin, may, require_act
from tenants.context import staff_tenant
from tenants.models import Tenant

from . import directory_admin  # noqa: F401 - registers the directory imports and their upload page
from .models import (
    OPEN_VERIFICATION,
    AgentAuthorization,
    DataPoint,
    DataPointCheck,
    Declaration,
    FraudAlert,
    HouseholdMember,
    MatcherState,
    ParentalCheck,
    ParentalMethod,
    Verification,
    VerificationDocument,
    VerificationPolicy,
    VerificationStatus,
)
from .services.policies import (
    verification_policy,
    verification_policy_check,
    verification_policy_save,
)
from .staff_actions import (
    ACCEPT_PERMISSION_URL,
    CONFIRM_HOUSEHOLD_URL,
    DOCUMENT_URL,
    PARENTAL_CHECK_URL,
    StaffActionsMixin,
)

try:  # the webhook backend is written on its own branch; without it there is nothing to retry
    from .services.webhook import webhook_match_retry
except ImportError:  # pragma: no cover - depends on which branches are merged
    webhook_match_retry = None

REQUEST_CHANGE_URL = "admin:requests_app_privacyrequest_change"
RETRY_URL = "admin:verification_verification_retry_matcher"
VERIFYING_TYPES = frozenset({words.KNOW, words.DELETE, words.CORRECT})


def _local(moment: datetime | None, tenant: Tenant) -> str:
    return f"{moment.astimezone(tenant.zone):%Y-%m-%d %H:%M %Z}" if moment else "—"


def _table(headers: tuple[str, ...], rows: list[tuple[Any, ...]], empty: str) -> SafeString:
    if not rows:
        return format_html("<span>{}</span>", empty)
    head = format_html_join("", "<th scope='col'>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows),
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


# --- A verification record, in words -----------------------------------------------------------


def verification_state(verification: Verification | None, now: datetime) -> str:
    """The one-line state staff act on: whom the request is waiting for, or how it ended."""
    if verification is None:
        return "—"
    if verification.status in OPEN_VERIFICATION:
        if verification.locked_until and verification.locked_until > now:
            return "Locked (too many failed attempts)"
        if verification.matcher_state == MatcherState.FAILED:
            return "Waiting for the business's system (it did not answer; will retry)"
        if (
            verification.status == VerificationStatus.CHECKING
            or verification.matcher_state == MatcherState.WAITING
        ):
            return "Waiting for the business's system"
        return "Waiting for the consumer"
    return verification.get_status_display()


class VerificationFields:
    """The read-only fields of a verification record (inline and own page).

    ``may_act`` says whether the page's reader may act on the request: only then do the fields
    offer the staff actions' buttons (compliance reads the record and acts on nothing, issue 14
    item 5; the action pages refuse it anyway). Set per page, never shared between readers.
    """

    may_act = False

    verification_fields = (
        "state",
        "required_degree",
        "reached_degree",
        "method",
        "email_proven",
        "categories_only",
        "locked",
        "matcher",
        "checks",
        "declarations",
        "agent",
        "documents",
        "household_membership",
        "parent_verification",
    )

    @admin.display(description="state")
    def state(self, obj: Verification) -> str:
        return verification_state(obj, clock.now())

    @admin.display(description="email address proven")
    def email_proven(self, obj: Verification) -> str:
        return _local(obj.email_proven_at, obj.tenant) if obj.email_proven_at else "Not yet"

    @admin.display(description="locked until")
    def locked(self, obj: Verification) -> str:
        if obj.locked_until is None or obj.locked_until <= clock.now():
            return "Not locked"
        return format_html(
            '<span class="{}">⚠ Locked until {} ({} failed attempts, §7060(f))</span>',
            ALERT,
            _local(obj.locked_until, obj.tenant),
            obj.failed_attempts,
        )

    @admin.display(description="the business's system")
    def matcher(self, obj: Verification) -> str:
        label = obj.get_matcher_state_display()
        if obj.matcher_state != MatcherState.FAILED:
            return label
        retry = ""
        if webhook_match_retry is not None and obj.is_open and self.may_act:
            retry = format_html(
                ' <a class="button" href="{}">Retry the business\'s system</a>',
                reverse(RETRY_URL, args=[obj.pk]),
            )
        return format_html(
            '<span class="{}">⚠ {}</span> ({} attempts): {}{}',
            ALERT,
            label,
            obj.matcher_attempts,
            obj.matcher_error or "no reason given",
            retry,
        )

    @admin.display(description="data points checked")
    def checks(self, obj: Verification) -> SafeString:
        # Never a value: none is kept (§7060(d)), and the directory's hashes are not evidence
        # staff can read.
        rows = [
            (
                check.get_point_display(),
                check.get_source_display(),
                check.get_result_display(),
                check.get_reliability_display(),
                _local(check.checked_at, obj.tenant),
                check.note or "—",
            )
            for check in DataPointCheck.objects.for_tenant(obj.tenant)
            .filter(verification=obj)
            .order_by("checked_at", "id")
        ]
        return _table(
            ("data point", "checked against", "result", "reliability", "when", "note"),
            rows,
            "Nothing checked yet.",
        )

    @admin.display(description="declarations signed (§7062(c))")
    def declarations(self, obj: Verification) -> SafeString:
        rows = [
            (
                declaration.typed_name,
                f"{declaration.typed_date:%Y-%m-%d}",
                _local(declaration.signed_at, obj.tenant),
                declaration.ip_address or "—",
            )
            for declaration in Declaration.objects.for_tenant(obj.tenant)
            .filter(privacy_request_id=obj.privacy_request_id)
            .order_by("signed_at", "id")
        ]
        return _table(("typed name", "typed date", "signed", "network address"), rows, "None.")

    @admin.display(description="authorized agent (§7063)")
    def agent(self, obj: Verification) -> SafeString:
        authorization = (
            AgentAuthorization.objects.for_tenant(obj.tenant)
            .filter(privacy_request_id=obj.privacy_request_id)
            .first()
        )
        if authorization is None:
            return format_html("{}", "Not made by an agent.")
        if not authorization.permission_required:
            permission = "Not required"
        elif authorization.permission_received_at:
            permission = f"Received {_local(authorization.permission_received_at, obj.tenant)}"
        else:
            permission = "⚠ Not received yet"
        if (
            authorization.permission_received_at is None
            and (authorization.permission_required or authorization.power_of_attorney)
            and obj.is_open
            and self.may_act
        ):
            what = "power of attorney" if authorization.power_of_attorney else "signed permission"
            permission = format_html(
                '{} <a class="button" href="{}">Accept the {}</a>',
                permission if authorization.permission_required else "Not checked yet",
                reverse(ACCEPT_PERMISSION_URL, args=[obj.pk]),
                what,
            )
        if authorization.consumer_confirmed_at:
            confirmed = f"Confirmed {_local(authorization.consumer_confirmed_at, obj.tenant)}"
        elif authorization.consumer_refused_at:
            confirmed = f"⚠ Refused {_local(authorization.consumer_refused_at, obj.tenant)}"
        else:
            confirmed = "Not yet"
        return _table(
            (
                "kind",
                "entity number",
                "power of attorney",
                "signed permission",
                "asked of the consumer",
                "consumer's confirmation",
            ),
            [
                (
                    authorization.get_agent_kind_display(),
                    authorization.entity_number or "—",
                    "Yes (§7063(b))" if authorization.power_of_attorney else "No",
                    permission,
                    authorization.get_consumer_step_display(),
                    confirmed,
                )
            ],
            "",
        )

    @admin.display(description="documents given for verification")
    def documents(self, obj: Verification) -> SafeString:
        """Each document, opened through its download page (which records the opening and
        refuses staff who may not open it, §7023(d)(3)); a deleted one says when (§7060(d))."""
        rows = []
        for document in (
            VerificationDocument.objects.for_tenant(obj.tenant)
            .filter(privacy_request_id=obj.privacy_request_id)
            .order_by("uploaded_at", "id")
        ):
            if document.deleted_at is not None:
                shown = format_html(
                    "Deleted on {} (§7060(d))",
                    long_date(document.deleted_at.astimezone(obj.tenant.zone)),
                )
            else:
                shown = format_html(
                    '<a href="{}">Open {}</a>',
                    reverse(DOCUMENT_URL, args=[document.pk]),
                    document.original_name,
                )
            rows.append(
                (document.get_kind_display(), _local(document.uploaded_at, obj.tenant), shown)
            )
        return _table(("kind", "received", "file"), rows, "None.")

    @admin.display(description="household membership (§7031(a)(3))")
    def household_membership(self, obj: Verification) -> SafeString:
        member = (
            HouseholdMember.objects.for_tenant(obj.tenant)
            .filter(privacy_request_id=obj.privacy_request_id)
            .select_related("household", "membership_confirmed_by")
            .first()
        )
        if member is None:
            return format_html("{}", "Not a household request.")
        if member.membership_confirmed_at is not None:
            by = member.membership_confirmed_by
            return format_html(
                "Household {}: confirmed {} by {}: {}",
                member.household.code,
                _local(member.membership_confirmed_at, obj.tenant),
                by.get_username() if by else "—",
                member.membership_evidence,
            )
        waiting = format_html(
            '<span class="{}">⚠ Household {}: not confirmed a current member yet</span>',
            ALERT,
            member.household.code,
        )
        if not self.may_act:
            return waiting
        return format_html(
            '{} <a class="button" href="{}">Confirm household membership</a>',
            waiting,
            reverse(CONFIRM_HOUSEHOLD_URL, args=[member.pk]),
        )

    @admin.display(description="parent or guardian (§7070)")
    def parent_verification(self, obj: Verification) -> SafeString:
        check = (
            ParentalCheck.objects.for_tenant(obj.tenant)
            .filter(privacy_request_id=obj.privacy_request_id)
            .select_related("completed_by")
            .first()
        )
        if check is None:
            return format_html("{}", "Not about a child under 13.")
        if check.completed_at is not None:
            by = check.completed_by
            return format_html(
                "Verified {} by {}: {}",
                _local(check.completed_at, obj.tenant),
                by.get_username() if by else "—",
                check.get_method_display(),
            )
        waiting = format_html(
            '<span class="{}">⚠ About a child under 13: the parent or guardian is not verified '
            "yet (§7070(c))</span>",
            ALERT,
        )
        if not self.may_act:
            return waiting
        return format_html(
            '{} <a class="button" href="{}">Complete the parental check</a>',
            waiting,
            reverse(PARENTAL_CHECK_URL, args=[check.pk]),
        )


class VerificationInline(VerificationFields, TenantScopedInlineMixin, admin.StackedInline):
    """On a request to know, delete or correct: its verification record and evidence."""

    model = Verification
    fk_name = "privacy_request"
    read_only = True
    verbose_name = "identity verification"
    verbose_name_plural = "identity verification (§7060–§7063)"
    fields = VerificationFields.verification_fields
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if isinstance(obj, PrivacyRequest) and obj.request_type not in VERIFYING_TYPES:
            return False
        return super().has_view_permission(request, obj)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("tenant")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        # Django makes this inline for one page: remember whether its reader may act.
        self.may_act = obj is not None and may(request, "act", obj)
        return super().get_formset(request, obj, **kwargs)


@admin.register(Verification)
class VerificationAdmin(
    AuditedReadMixin, StaffActionsMixin, VerificationFields, TenantScopedModelAdmin
):
    """The verification records, read-only; the retry page of a failed webhook."""

    def audit_read(self, obj: Verification) -> tuple[str, str]:
        reference = obj.privacy_request.reference
        return f"privacy_request:{reference}", f"Opened the verification record of {reference}"

    list_display = ("request_reference", "state", "required_degree", "reached_degree", "updated")
    list_filter = ("status", "required_degree", "matcher_state")
    list_select_related = ("tenant", "privacy_request")
    search_fields = ("privacy_request__reference",)
    ordering = ("-updated_at", "-id")
    show_full_result_count = False
    fields = ("request_link", *VerificationFields.verification_fields)
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> Any:
        # This admin serves every reader at once: the page is rendered by a copy that knows
        # whether its reader may act (VerificationFields.may_act), so the buttons never show to
        # compliance and one reader's answer never leaks into another's page.
        page = copy.copy(self)
        page.may_act = may(request, "act")
        return super(VerificationAdmin, page).changeform_view(
            request, object_id, form_url, extra_context
        )

    @admin.display(description="request", ordering="privacy_request__reference")
    def request_reference(self, obj: Verification) -> str:
        return obj.privacy_request.reference

    @admin.display(description="request")
    def request_link(self, obj: Verification) -> str:
        url = reverse(REQUEST_CHANGE_URL, args=[obj.privacy_request_id])
        return format_html('<a href="{}">{}</a>', url, obj.privacy_request.reference)

    @admin.display(description="updated", ordering="updated_at")
    def updated(self, obj: Verification) -> str:
        return _local(obj.updated_at, obj.tenant)

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<path:object_id>/retry-matcher/",
                self.admin_site.admin_view(self.retry_view),
                name="verification_verification_retry_matcher",
            ),
            *self.staff_action_urls(),
            *super().get_urls(),
        ]

    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Ask the business's system again (a small form; POST asks)."""
        require_act(request)  # asking again acts: compliance is told it may not
        verification = self.get_object(request, unquote(object_id))
        if verification is None:  # another business's record answers like a missing one
            raise Http404("No such record.")
        change_url = reverse(REQUEST_CHANGE_URL, args=[verification.privacy_request_id])
        if request.method == "POST":
            if webhook_match_retry is None:
                self.message_user(
                    request,
                    "Asking the business's system again is not available yet.",
                    messages.ERROR,
                )
                return HttpResponseRedirect(change_url)
            try:
                webhook_match_retry(verification=verification, actor=request.user)
            except Refused as refusal:
                self.message_user(request, refusal.message, messages.ERROR)
            else:
                self.message_user(
                    request, "The business's system is being asked again.", messages.SUCCESS
                )
            return HttpResponseRedirect(change_url)
        return TemplateResponse(
            request,
            "admin/verification/retry_matcher.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": f"Retry the business's system: {verification.privacy_request.reference}",
                "original": verification,
                "reference": verification.privacy_request.reference,
                "change_url": change_url,
                "available": webhook_match_retry is not None,
            },
        )


# --- The review queue's column and filter -------------------------------------------------------


@admin.display(description="verification")
def verification_column(obj: PrivacyRequest) -> str:
    """The queue's column: read from the row's join (``select_related``), never a query."""
    try:
        verification = obj.verification  # type: ignore[attr-defined]
    except Verification.DoesNotExist:
        return "—"
    state = verification_state(verification, clock.now())
    if state.startswith("Locked"):
        return format_html('<span class="{}">⚠ {}</span>', ALERT, state)
    return state


class VerificationFilter(admin.SimpleListFilter):
    """Requests by their verification's state (the same words as the column)."""

    title = "verification"
    parameter_name = "verification"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("consumer", "Waiting for the consumer"),
            ("business", "Waiting for the business's system"),
            ("locked", "Locked (too many failed attempts)"),
            ("verified", "Verified"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        now = clock.now()
        is_open = Q(verification__status__in=OPEN_VERIFICATION)
        locked = Q(verification__locked_until__gt=now)
        business = Q(verification__status=VerificationStatus.CHECKING) | Q(
            verification__matcher_state__in=(MatcherState.WAITING, MatcherState.FAILED)
        )
        wanted = {
            "consumer": is_open & ~locked & ~business,
            "business": is_open & ~locked & business,
            "locked": is_open & locked,
            "verified": Q(verification__status=VerificationStatus.VERIFIED),
        }
        if value not in wanted:
            return queryset.none()
        return queryset.filter(wanted[value])


@dataclass(frozen=True)
class QueueExtension:
    columns: tuple[Any, ...]
    filters: tuple[type[admin.SimpleListFilter], ...]
    select_related: tuple[str, ...]


QUEUE_VERIFICATION = QueueExtension(
    columns=(verification_column,),
    filters=(VerificationFilter,),
    select_related=("verification",),
)


# --- The business's verification policy ---------------------------------------------------------


class ReminderDaysField(forms.CharField):
    """Reminder days as staff type them, "3, 10, 30", and as kept, [3, 10, 30]."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(day) for day in value)
        return value

    def to_python(self, value: Any) -> list[int]:
        text = super().to_python(value)
        days = []
        for part in text.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                raise ValidationError(
                    f"“{part}” is not a number of days: give whole numbers separated by "
                    "commas, e.g. 3, 10, 30.",
                    code="invalid",
                )
            days.append(int(part))
        return days


def _multiple(choices: list[tuple[str, Any]], label: str, help_text: str) -> forms.Field:
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=help_text,
    )


class VerificationPolicyForm(forms.ModelForm):
    high_degree_delete_categories = _multiple(
        DeleteCategory.choices,
        "Deleting these needs the reasonably high degree",
        "Sensitive or valuable information whose wrongful deletion would harm the consumer "
        "(§7062(d)).",
    )
    high_degree_correct_fields = _multiple(
        CorrectionField.choices,
        "Correcting these needs the reasonably high degree",
        "§7062(d).",
    )
    asked_points = _multiple(
        [choice for choice in DataPoint.choices if choice[0] != DataPoint.EMAIL],
        "Data points asked for",
        "What consumers may give to be matched with your records; the email address is proven "
        "by its link. Only these can be asked: never Social Security, driver's licence, "
        "financial account or health numbers (§7060(c)(2)).",
    )
    parental_methods = _multiple(
        ParentalMethod.choices,
        "How a parent or guardian is verified",
        "At least one (§7070(a)(2)).",
    )
    reminder_days = ReminderDaysField(
        label="Reminder days",
        required=False,
        help_text="Days after receipt on which a consumer who has not finished verifying is "
        "reminded, ascending, each 45 or less (e.g. 3, 10, 30). Empty: no reminders.",
    )

    class Meta:
        model = VerificationPolicy
        # Listed, never "__all__": the directory and assertion keys are not for any form.
        fields = (
            "delete_degree",
            "correct_degree",
            "high_degree_delete_categories",
            "high_degree_correct_fields",
            "asked_points",
            "reminder_days",
            "link_valid_days",
            "use_directory",
            "webhook_endpoint",
            "webhook_timeout_seconds",
            "account_reauth_minutes",
            "agent_requires_permission",
            "agent_consumer_step",
            "parental_methods",
            "attempts_per_request",
            "attempts_per_email_hour",
            "attempts_per_ip_hour",
            "lockout_minutes",
            "requests_per_identity_day",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        probe = VerificationPolicy(tenant_id=self.instance.tenant_id)
        for name in self._meta.fields:
            setattr(probe, name, cleaned.get(name, getattr(self.instance, name)))
        try:
            verification_policy_check(probe)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                if field not in self.errors:
                    self.add_error(field if field in self.fields else None, problems)
        return cleaned


@admin.register(VerificationPolicy)
class VerificationPolicyAdmin(TenantScopedModelAdmin):
    """How the business verifies requests; its admins only. One per business, listed alone."""

    ability = "settings"
    form = VerificationPolicyForm
    fieldsets = (
        (
            "Degree of certainty (§7062)",
            {
                "fields": (
                    "delete_degree",
                    "correct_degree",
                    "high_degree_delete_categories",
                    "high_degree_correct_fields",
                )
            },
        ),
        (
            "Matching (§7060(c))",
            {
                "fields": (
                    "asked_points",
                    "use_directory",
                    "webhook_endpoint",
                    "webhook_timeout_seconds",
                    "account_reauth_minutes",
                )
            },
        ),
        ("Consumers who have not finished", {"fields": ("reminder_days", "link_valid_days")}),
        (
            "Authorized agents (§7063) and parents (§7070)",
            {"fields": ("agent_requires_permission", "agent_consumer_step", "parental_methods")},
        ),
        (
            "Limits against fraud (§7060(f))",
            {
                "fields": (
                    "attempts_per_request",
                    "attempts_per_email_hour",
                    "attempts_per_ip_hour",
                    "lockout_minutes",
                    "requests_per_identity_day",
                )
            },
        ),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made with its defaults when first needed

    list_display = ("__str__", "delete_degree", "correct_degree", "use_directory", "updated")

    @admin.display(description="changed", ordering="updated_at")
    def updated(self, obj: VerificationPolicy) -> str:
        return _local(obj.updated_at, obj.tenant)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        # The list holds the business's one policy: made with its defaults if it has none yet.
        tenant = staff_tenant(request)
        if tenant is not None and self.has_view_permission(request):
            verification_policy(tenant)
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        verification_policy_save(policy=obj)


# --- Fraud alerts ------------------------------------------------------------------------------


@admin.register(FraudAlert)
class FraudAlertAdmin(TenantScopedModelAdmin):
    """The unusual patterns the business's admins were alerted of (§7060(f)); read-only."""

    list_display = ("created", "kind", "message")
    list_filter = ("kind",)
    fields = ("created", "kind", "message")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("tenant")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="when", ordering="created_at")
    def created(self, obj: FraudAlert) -> str:
        return _local(obj.created_at, obj.tenant)
