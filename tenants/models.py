"""Tenants (the businesses using the portal), their staff, API keys, and the one scoping path.

Every tenant-owned row carries a ``tenant`` foreign key and is reached only through
``Model.objects.for_tenant(tenant)``. The plain manager refuses to answer, so a forgotten filter
raises instead of leaking another business's data.
"""

from __future__ import annotations

import hashlib
import secrets
from email.utils import formataddr
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_noop
from phonenumber_field.modelfields import PhoneNumberField

from core.calendar import CA_STATE, CALENDAR_CHOICES, BusinessCalendar, business_calendar

# US toll-free numbering plan areas (§7020(b) asks for a toll-free telephone number).
TOLL_FREE_AREA_CODES = frozenset({"800", "833", "844", "855", "866", "877", "888"})


class TenantScopeError(RuntimeError):
    """A tenant-owned model was queried without saying which tenant."""


class TenantManager(models.Manager):
    """Fail-closed manager: ``objects.all()``/``filter()``/``create()`` raise; use ``for_tenant``."""

    def get_queryset(self) -> models.QuerySet:
        raise TenantScopeError(f"{self.model.__name__}: use .objects.for_tenant(tenant)")

    def for_tenant(self, tenant: Tenant | None) -> models.QuerySet:
        if tenant is None or tenant.pk is None:
            raise TenantScopeError("for_tenant() needs a saved tenant")
        return super().get_queryset().filter(tenant=tenant)


class TenantOwnedModel(models.Model):
    """Base for every row that belongs to one tenant."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+")

    # Django internals (admin forms, full_clean unique checks, reverse relations) and the short,
    # reviewed allowlist of cross-tenant code (the deadline sweep, benchmarks) use this one.
    all_tenants = models.Manager()
    objects = TenantManager()

    class Meta:
        abstract = True
        default_manager_name = "all_tenants"

    def clean(self) -> None:
        super().clean()
        # A row may only point at rows of its own tenant (admin forms included).
        for field in self._meta.concrete_fields:
            if not isinstance(field, models.ForeignKey) or field.name == "tenant":
                continue
            related_model = field.related_model
            if not (
                isinstance(related_model, type) and issubclass(related_model, TenantOwnedModel)
            ):
                continue
            related = getattr(self, field.name, None)
            if related is not None and related.tenant_id != self.tenant_id:
                raise ValidationError({field.name: "That record belongs to another business."})


class RequestMethod(models.TextChoices):
    """Designated methods for submitting requests to know, delete and correct (§7020)."""

    WEBFORM = "webform", "Online form on this portal"
    EMAIL = "email", "Email"
    TOLL_FREE_PHONE = "toll_free_phone", "Toll-free telephone number"
    MAIL = "mail", "Mail"
    IN_PERSON = "in_person", "In person"


class OptOutIdentifier(models.TextChoices):
    """What the opt-out and limit forms ask for, besides the browser they are sent from: only
    what the business needs to find whose personal information it is (§7026(c), §7027(d)).
    Always optional: without it the choice applies to the browser."""

    NONE = "none", "Nothing: the choice applies to the browser it is made in"
    EMAIL = "email", "An email address (optional)"
    PHONE = "phone", "A phone number (optional)"


class KnowLimitPolicy(models.TextChoices):
    """What happens to a third request to know from the same consumer within 12 months
    (Civ. Code §1798.130(b); requirements A-10). It is recorded and flagged either way."""

    DENY = "deny", "Deny it at once, telling the consumer when they may ask again"
    FLAG = "flag", "Flag it for staff, who decide whether to answer it"


def default_languages() -> list[str]:
    return ["en", "es"]


def default_request_methods() -> list[str]:
    return [RequestMethod.WEBFORM, RequestMethod.TOLL_FREE_PHONE]


# Marked for translation: consumers who use the portal in Spanish get the Spanish text
# while the business keeps this default (requests_app.consumer_text.verification_description).
DEFAULT_VERIFICATION_DESCRIPTION = gettext_noop(
    "To protect your information, we first check that the request comes from you. We compare "
    "details you give us (such as your name, email address and phone number) with information "
    "we already hold. For some requests we may ask for one more detail or a signed statement. "
    "We only use this information to check your identity."
)

# First path segments that belong to the platform, not to a business's portal (/<slug>/).
# "favicon.ico" is no possible slug; listed so that browsers asking for it cost no tenant lookup.
RESERVED_SLUGS = frozenset({"admin", "api", "static", "media", "i18n", "accounts", "favicon.ico"})


class TenantQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        # A bulk update moves updated_at too, or the API's per-process copies of these tenants
        # (tenants.selectors.api_key_lookup) would keep the old settings until a restart. The
        # same clock as auto_now: this marks a change, it is no business time.
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)


class Tenant(models.Model):
    """A business that handles its consumers' privacy requests on the portal."""

    slug = models.SlugField(
        unique=True,
        max_length=50,
        # Plain text: the admin renders help text as HTML, where "<slug>" would vanish.
        help_text="Used in the portal address: the slug “acme” gives /acme/.",
        validators=[
            RegexValidator(r"^[a-z0-9][a-z0-9-]*$", "Use lower-case letters, digits and hyphens.")
        ],
    )
    legal_name = models.CharField(max_length=200)
    reference_prefix = models.CharField(
        max_length=4,
        validators=[RegexValidator(r"^[A-Z]{2,4}$", "Use 2 to 4 capital letters.")],
        help_text="Starts every request reference, e.g. LL in LL-7KQ3-9XW2.",
    )
    domain = models.CharField(
        max_length=253,
        blank=True,
        null=True,
        unique=True,
        help_text="The business's own host name for the portal, if it has one.",
    )
    time_zone = models.CharField(max_length=64, default="America/Los_Angeles")
    contact_email = models.EmailField(
        help_text="The business's privacy contact; replies to the portal's emails go here."
    )
    postal_address = models.TextField(
        blank=True,
        help_text="Where consumers can mail requests; required when mail is one of the methods "
        "(§7020).",
    )
    sender_name = models.CharField(
        "email sender name",
        max_length=100,
        blank=True,
        help_text="The name the portal's emails come from. Blank: the business's legal name.",
    )
    sender_email = models.EmailField(
        "email sender address",
        blank=True,
        help_text="The address the portal's emails come from; the mail server must be allowed "
        "to send for its domain. Blank: the platform's address, under the business's name.",
    )
    toll_free_number = PhoneNumberField(blank=True)
    website_url = models.URLField(blank=True)
    languages = models.JSONField(default=default_languages)
    sells_or_shares = models.BooleanField(
        default=False, help_text="Sells or shares personal information (§7013)."
    )
    uses_sensitive_beyond_7027m = models.BooleanField(
        "uses sensitive personal information beyond §7027(m)", default=False
    )
    sells_or_shares_offline = models.BooleanField(
        "sells or shares personal information offline",
        default=False,
        help_text="Sells or shares personal information collected offline (e.g. in stores), "
        "which an opt-out preference signal alone cannot reach (§7025(g)(3)).",
    )
    opt_out_identifier = models.CharField(
        "what the opt-out and limit forms ask for",
        max_length=10,
        choices=OptOutIdentifier.choices,
        default=OptOutIdentifier.EMAIL,
        help_text="Only what you need to find whose personal information it is (§7026(c), "
        "§7027(d)); always optional.",
    )
    gpc_frictionless = models.BooleanField(
        "process opt-out preference signals in a frictionless manner",
        default=False,
        help_text="The page looks the same with or without a signal, apart from its status "
        "line; in exchange the opt-out links may be left out (§7025(e)-(g)). Not allowed for a "
        "business that sells or shares personal information offline (§7025(g)(3)).",
    )
    online_only = models.BooleanField(
        default=False,
        help_text="Operates exclusively online and has a direct relationship with consumers (§7020(a)).",
    )
    request_methods = models.JSONField(
        default=default_request_methods,
        help_text="Designated methods for requests to know, delete and correct (§7020).",
    )
    business_calendar = models.CharField(max_length=20, choices=CALENDAR_CHOICES, default=CA_STATE)
    know_limit_policy = models.CharField(
        "third request to know within 12 months",
        max_length=10,
        choices=KnowLimitPolicy.choices,
        default=KnowLimitPolicy.DENY,
        help_text="The law does not oblige a business to answer more than two requests to know "
        "from the same consumer in 12 months (Civ. Code §1798.130(b)). Only requests answered "
        "in whole or in part count.",
    )
    verification_description = models.TextField(
        default=DEFAULT_VERIFICATION_DESCRIPTION,
        help_text="Told to consumers in every receipt confirmation (§7021(a)).",
    )
    delete_two_step = models.BooleanField(
        "two-step delete",
        default=False,
        help_text="Ask consumers to confirm a request to delete in a separate second step "
        "(§7020(d)). The 45 days still run from the first submission.",
    )
    delete_confirmation_days = models.PositiveSmallIntegerField(
        "days to confirm a two-step delete",
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="A two-step request to delete that the consumer does not confirm within this "
        "many days is closed as denied (other grounds), as the project's convention A-18 says.",
    )
    package_download_days = models.PositiveSmallIntegerField(
        "days a released package can be downloaded",
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="How long the consumer can download the answer to a request to know, from its "
        "release (secure delivery, §7024(f)).",
    )
    package_download_limit = models.PositiveSmallIntegerField(
        "downloads of a released package",
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="How many times the consumer can download the answer to a request to know "
        "(each copy, zip or page, counts once; §7024(f)).",
    )
    delete_options_url = models.URLField(
        "other ways to delete",
        blank=True,
        help_text="A page where consumers can delete selected data themselves, e.g. in their "
        "account (§7022(h)); the delete form links to it.",
    )
    # §7102(a): a business that knows or should know it buys, receives for a commercial purpose,
    # sells, shares or otherwise makes available the personal information of 10,000,000 or more
    # consumers in a calendar year must disclose its request metrics by 1 July (R-7102-a-1).
    discloses_request_metrics = models.BooleanField(
        "handles the personal information of 10,000,000 or more consumers a year",
        default=False,
        help_text="Buys, receives for a commercial purpose, sells, shares or otherwise makes "
        "available the personal information of 10,000,000 or more consumers in a calendar year: "
        "the §7102 request metrics must be published by 1 July each year.",
    )
    # The business's own pages. The privacy policy's footer link is shown only when it exists,
    # so the portal never links to a dead end (§7004(a)(5)(B)). The opt-out, limit and privacy
    # choices links always point to the portal's own pages (optout.footer); these addresses are
    # the business's other ways, which those pages mention.
    privacy_policy_url = models.URLField("privacy policy address", blank=True)
    opt_out_url = models.URLField(
        "“Do Not Sell or Share My Personal Information” address",
        blank=True,
        help_text="The page with the notice of right to opt out and its form (§7013).",
    )
    limit_url = models.URLField(
        "“Limit the Use of My Sensitive Personal Information” address",
        blank=True,
        help_text="The page with the notice of right to limit and its form (§7014).",
    )
    use_privacy_choices_link = models.BooleanField(
        "use the “Your Privacy Choices” link",
        default=False,
        help_text="Show the single alternative opt-out link with its icon instead of the two "
        "separate links (§7015).",
    )
    privacy_choices_url = models.URLField(
        "“Your Privacy Choices” address",
        blank=True,
        help_text="The page describing both rights with one form for both (§7015(c)).",
    )
    require_two_factor = models.BooleanField(
        "require two-factor sign-in",
        default=False,
        help_text="Every member of this business must sign in with a code from an "
        "authenticator app (or a recovery code) besides their password. The platform may "
        "require it for everyone regardless.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Moves on every change: save() (also with update_fields) and QuerySet.update(). The API key
    # lookup compares it to refresh its per-process copy of the tenant
    # (tenants.selectors.api_key_lookup).
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["legal_name"]

    def __str__(self) -> str:
        return self.legal_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "updated_at" not in update_fields:
            kwargs["update_fields"] = {*update_fields, "updated_at"}  # see updated_at
        super().save(*args, **kwargs)

    @property
    def zone(self) -> Any:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.time_zone)

    @property
    def calendar(self) -> BusinessCalendar:
        return business_calendar(self.business_calendar)

    def email_sender(self) -> str:
        """The From header of the business's emails: its name and its address, or the platform's."""
        address = self.sender_email or settings.DEFAULT_FROM_EMAIL
        return formataddr((self.sender_name or self.legal_name, address))

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors["time_zone"] = (
                f"“{self.time_zone}” is not a time zone name (e.g. America/Los_Angeles)."
            )
        unknown = [lang for lang in self.languages or [] if lang not in dict(settings.LANGUAGES)]
        if unknown or not self.languages:
            errors["languages"] = "Choose one or more of: en, es."
        methods = list(self.request_methods or [])
        bad_methods = [m for m in methods if m not in RequestMethod.values]
        if bad_methods:
            errors["request_methods"] = f"Unknown request method(s): {', '.join(bad_methods)}."
        elif self.online_only:
            # §7020(a): an online-only business with a direct relationship may offer only email.
            if RequestMethod.EMAIL not in methods:
                errors["request_methods"] = (
                    "A business that operates only online must at least offer an email address "
                    "for requests (§7020(a))."
                )
        else:
            # §7020(b): two or more methods, one of them a toll-free telephone number.
            if len(set(methods)) < 2 or RequestMethod.TOLL_FREE_PHONE not in methods:
                errors["request_methods"] = (
                    "Offer at least two ways to submit requests, one of them a toll-free "
                    "telephone number (§7020(b))."
                )
            if self.website_url and RequestMethod.WEBFORM not in methods:
                errors["request_methods"] = (
                    "A business with a website must offer the online form as one of its "
                    "methods (§7020(b))."
                )
        if RequestMethod.MAIL in methods and not self.postal_address.strip():
            errors["postal_address"] = (
                "Give the postal address where consumers can mail their requests (§7020)."
            )
        if RequestMethod.TOLL_FREE_PHONE in methods and not self.toll_free_number:
            errors["toll_free_number"] = "Enter the toll-free number consumers can call (§7020(b))."
        if self.toll_free_number:
            number = self.toll_free_number
            if not number.is_valid() or str(number.country_code) != "1":
                errors["toll_free_number"] = "Enter a valid US phone number, e.g. +1 888 555 0100."
            elif str(number.national_number)[:3] not in TOLL_FREE_AREA_CODES:
                errors["toll_free_number"] = (
                    "This is not a toll-free number: it must start with 800, 833, 844, 855, "
                    "866, 877 or 888 (§7020(b))."
                )
        if self.domain:
            self.domain = self.domain.strip().lower()
        if self.slug in RESERVED_SLUGS:
            errors["slug"] = f"“{self.slug}” is used by the platform itself; choose another."
        if self.gpc_frictionless and self.sells_or_shares_offline:
            errors["gpc_frictionless"] = (
                "A business that sells or shares personal information offline cannot rely on "
                "opt-out preference signals alone: frictionless processing is not allowed "
                "(§7025(g)(3))."
            )
        if errors:
            raise ValidationError(errors)


class Role(models.TextChoices):
    STAFF = "staff", "Staff (review queue)"
    COMPLIANCE = "compliance", "Compliance (records, metrics, exports; reads the queue)"
    # A compliance officer who also works the queue (issue 14 item 5: compliance alone never
    # acts on a request).
    COMPLIANCE_STAFF = "compliance_staff", "Compliance and staff (records and the review queue)"
    ADMIN = "admin", "Admin (settings, users, keys)"


class Membership(models.Model):
    """A user's role at one tenant. Staff see only the tenants they are members of."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="membership_unique_user_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.tenant} ({self.get_role_display()})"


API_KEY_PREFIX = "pp_"


def hash_api_key(raw_key: str) -> str:
    # Keys are 256-bit random tokens, so one SHA-256 is enough (no slow password hash needed:
    # nothing to brute-force) and keeps the per-request cost of authentication tiny.
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiScope(models.TextChoices):
    """What an API key may do. Each API operation names the one scope it needs
    (``required_scope`` on its view, checked by ``tenants.api_auth.HasApiKeyScope``).

    The outbox list needs ``requests:read``, not a scope of its own: its messages are the
    request's communications (consumer addresses, references, bodies), which the request's
    detail already shows to ``requests:read``, so a separate scope would only be a second door
    to the same data. ``records:read`` reads the §7101 request log (issue 14 item 8), for the
    business's own compliance review only (§7101(d)); no key gets it unless the admin names it.
    """

    REQUESTS_READ = "requests:read", "Read requests, their timelines and messages (and the outbox)"
    REQUESTS_WRITE = (
        "requests:write",
        "Record requests and act on them (assign, verify, extend, close)",
    )
    # For the key a business puts in its web servers: it must read no requests (§7101(d)).
    CONSENT_READ = "consent:read", "Look up consumers' consent state (sale/share, limit)"
    # For the business's systems that learn consumers' ages and minors' opt-ins (§7070-§7071).
    CONSENT_WRITE = (
        "consent:write",
        "Record what the business knows of consumers under 16 and their opt-ins",
    )
    # For the business's system that keeps the verification directory up to date (§7060(c)(1)):
    # it writes keyed hashes of consumers' data points and reads nothing back.
    DIRECTORY_WRITE = (
        "directory:write",
        "Add or replace consumers in the verification directory (stored as keyed hashes only)",
    )
    # For the business's compliance systems: export the §7101(b) request log (§7101(d): used for
    # compliance review only). Never a default scope.
    RECORDS_READ = "records:read", "Export the §7101 request log (compliance review only)"
    # For the business's own data systems (CRM, shop, warehouse...): read the tasks of the
    # verified requests they are given and answer them (fulfilment). Never a default scope.
    SYSTEMS_WRITE = "systems:write", "Read the data systems' tasks and answer them"


# The default: what keys could do before scopes. Every key made before scopes got these
# (migration 0007), and a key made without naming its scopes gets them too.
API_KEY_DEFAULT_SCOPES = (ApiScope.REQUESTS_READ.value, ApiScope.REQUESTS_WRITE.value)


def default_api_key_scopes() -> list[str]:
    return list(API_KEY_DEFAULT_SCOPES)


class ApiKey(models.Model):
    """A tenant's key for the REST API. Only a hash is stored; the key is shown once."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, default="API key")
    scopes = models.JSONField(
        default=default_api_key_scopes,
        blank=True,  # clean() says what an empty list lacks
        help_text="What the key may do (tenants.models.ApiScope); the default is what keys "
        "could do before scopes: read and write requests.",
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(
        max_length=12, editable=False, help_text="The first characters, to tell keys apart."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    def clean(self) -> None:
        super().clean()
        scopes = self.scopes
        if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
            raise ValidationError({"scopes": "Give the scopes as a list of scope names."})
        known = ", ".join(ApiScope.values)
        unknown = [scope for scope in scopes if scope not in ApiScope.values]
        if unknown:
            raise ValidationError(
                {"scopes": f"Unknown scope(s): {', '.join(unknown)}. Choose from: {known}."}
            )
        if not scopes:
            raise ValidationError({"scopes": f"Give the key at least one scope: {known}."})

    @staticmethod
    def generate() -> str:
        return API_KEY_PREFIX + secrets.token_urlsafe(32)


class SignInLockout(AccessAttempt):
    """A user name's (or address's) run of failed sign-ins, as django-axes counts them.

    A proxy, so each business's admins get their own admin page for their own staff's rows
    (tenants.lockouts); axes keeps the rows and decides when a run locks sign-in.
    """

    class Meta:
        proxy = True
        verbose_name = "sign-in lockout"
