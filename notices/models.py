"""The data inventory (issue 15, item 1): what personal information the business collects, one
row per statutory category, the single source of truth for its notices (§7011(e)(1), §7012(e))
and for the categories response to requests to know (§7024(k))."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from tenants.models import TenantOwnedModel

from . import categories, incentive_rules

# A list item is a category of sources, purposes or recipients, named in a few words
# ("data brokers", "advertising networks", R-7024-l-1), not a paragraph.
ITEM_MAX_LENGTH = 200
LIST_FIELDS = ("sources", "purposes", "third_parties", "disclosed_to")

SOLD_WITHOUT_THIRD_PARTIES = (
    "Name at least one category of third parties this category is sold or shared to "
    "(§7011(e)(1)(E))."
)
THIRD_PARTIES_WITHOUT_SALE = (
    "Third parties are named only for a category that is sold or shared; tick “sold” or "
    "“shared”, or leave this empty."
)
SENSITIVE_USE_NOT_SENSITIVE = (
    "Only a sensitive category (§1798.140(ae)) can be used beyond the purposes of §7027(m)."
)
NO_RETENTION = "Say how long it is kept, or the criteria used to decide (§7012(e)(4))."
ALREADY_LISTED = "This category is already in the inventory: edit that entry instead."
NO_SOURCES = "Name at least one category of sources (§7011(e)(1)(B))."
NO_PURPOSES = "Name at least one business or commercial purpose (§7012(e)(2))."


def _clean_list(value: object) -> list[str] | str:
    """The list's items stripped, or why it is refused."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return "Give a list of short names, one per line."
    items = [item.strip() for item in value]
    if any(not item for item in items):
        return "Remove the empty items."
    if any(len(item) > ITEM_MAX_LENGTH for item in items):
        return f"Keep each item to {ITEM_MAX_LENGTH} characters: a category, not a paragraph."
    lowered = [item.casefold() for item in items]
    if len(set(lowered)) != len(lowered):
        return "Each item once: remove the repeated ones."
    return items


class InventoryCategory(TenantOwnedModel):
    """One statutory category of personal information the business collects, with its sources,
    purposes, retention and to whom it goes; read by the notices and the categories response."""

    category = models.CharField(
        "category of personal information",
        max_length=categories.CODE_MAX_LENGTH,
        choices=categories.choices(),
        help_text="The statute's category (Civil Code §1798.140(v)(1), sensitive: (ae)).",
    )
    name = models.CharField(
        "your name for it",
        max_length=200,
        blank=True,
        help_text="Optional: how the business calls it. The notices still show the statute's "
        "name (§7011(e)(1)(A)).",
    )
    examples = models.TextField(
        "examples",
        blank=True,
        help_text="Optional: what it covers at your business, e.g. “name, work email, job "
        "title”. Without it, the notices show the statute's examples.",
    )
    sources = models.JSONField(
        "categories of sources",
        default=list,
        blank=True,  # clean() says what is missing, in its own words
        help_text="One per line, e.g. “directly from you”, “public directories” (§7011(e)(1)(B)).",
    )
    purposes = models.JSONField(
        "business or commercial purposes",
        default=list,
        blank=True,  # clean() says what is missing, in its own words
        help_text="One per line: why it is collected and used (§7012(e)(2)).",
    )
    retention = models.TextField(
        "how long it is kept",
        help_text="The period, or the criteria used to decide it (§7012(e)(4)).",
    )
    sold = models.BooleanField("sold", default=False)
    shared = models.BooleanField(
        "shared", default=False, help_text="Shared for cross-context behavioral advertising."
    )
    third_parties = models.JSONField(
        "categories of third parties it is sold or shared to",
        default=list,
        blank=True,
        help_text="One per line; required when sold or shared (§7011(e)(1)(E)).",
    )
    disclosed_to = models.JSONField(
        "categories of recipients it is disclosed to for a business purpose",
        default=list,
        blank=True,
        help_text="One per line, e.g. “service providers”; empty if none (§7011(e)(1)(I)).",
    )
    sensitive_use_beyond_7027m = models.BooleanField(
        "used beyond the purposes of §7027(m)",
        default=False,
        help_text="Sensitive categories only: used or disclosed for purposes other than those "
        "of §7027(m), which gives consumers the right to limit (§7014).",
    )

    class Meta(TenantOwnedModel.Meta):
        verbose_name = "inventory category"
        verbose_name_plural = "data inventory"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "category"], name="notices_inventory_one_row_per_category"
            )
        ]

    def __str__(self) -> str:
        return categories.category(self.category).label if self.category else "(no category)"

    @property
    def statutory(self) -> categories.Category:
        return categories.category(self.category)

    @property
    def is_sensitive(self) -> bool:
        return categories.is_sensitive(self.category)

    def _duplicate(self) -> bool:
        others = InventoryCategory.objects.for_tenant(self.tenant).filter(category=self.category)
        return others.exclude(pk=self.pk).exists() if self.pk else others.exists()

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        for field in LIST_FIELDS:
            cleaned = _clean_list(getattr(self, field))
            if isinstance(cleaned, str):
                errors[field] = cleaned
            else:
                setattr(self, field, cleaned)
        self.retention = (self.retention or "").strip()
        if not self.retention:
            errors["retention"] = NO_RETENTION
        if self.tenant_id is not None and self.category and self._duplicate():
            errors["category"] = ALREADY_LISTED
        if "sources" not in errors and not self.sources:
            errors["sources"] = NO_SOURCES
        if "purposes" not in errors and not self.purposes:
            errors["purposes"] = NO_PURPOSES
        if "third_parties" not in errors:
            if (self.sold or self.shared) and not self.third_parties:
                errors["third_parties"] = SOLD_WITHOUT_THIRD_PARTIES
            elif self.third_parties and not (self.sold or self.shared):
                errors["third_parties"] = THIRD_PARTIES_WITHOUT_SALE
        if (
            self.sensitive_use_beyond_7027m
            and self.category in categories.BY_CODE
            and not categories.is_sensitive(self.category)
        ):
            errors["sensitive_use_beyond_7027m"] = SENSITIVE_USE_NOT_SENSITIVE
        if errors:
            raise ValidationError(errors)


# -- The notices themselves (issue 15, items 2-6) ----------------------------------------------


class NoticeKind(models.TextChoices):
    """The notices the business publishes here (§7010). The notices of right to opt out and to
    limit and the alternative opt-out link page are the opt-out app's live pages with their forms
    (§7013(f)(2), §7014(f)(2), §7015(c)); their text is also carried, and so versioned, in the
    privacy policy (§7011(e)(3)(C)-(D), §7013(d), §7014(d))."""

    PRIVACY_POLICY = "privacy_policy", "privacy policy"
    NOTICE_AT_COLLECTION = "notice_at_collection", "notice at collection"
    FINANCIAL_INCENTIVE = "financial_incentive", "notice of financial incentive"


class PrivacyPractices(TenantOwnedModel):
    """Facts the notices must state that neither the data inventory nor the business's request
    settings hold. One row per business."""

    knows_sells_under_16 = models.BooleanField(
        "knowingly sells or shares the personal information of consumers under 16",
        default=False,
        help_text="Actual knowledge, as §7011(e)(1)(G) asks; then the privacy policy must "
        "describe how consent is obtained (§7070-§7072).",
    )
    no_reasonable_verification = models.BooleanField(
        "has no reasonable method to verify identity",
        default=False,
        help_text="Then the privacy policy must explain why (§7062(g)).",
    )
    registered_data_broker = models.BooleanField(
        "registered data broker that does not collect directly from consumers",
        default=False,
        help_text="Needs no notice at collection if its registration links to its privacy "
        "policy (§7012(i)).",
    )
    data_broker_registration_url = models.URLField("data broker registration address", blank=True)
    reviewed_at = models.DateField(
        "last reviewed",
        null=True,
        blank=True,
        help_text="When the business last reviewed these practices and its notices (Civil Code "
        "§1798.130(a)(5): at least every 12 months).",
    )

    class Meta(TenantOwnedModel.Meta):
        verbose_name = "privacy practices"
        verbose_name_plural = "privacy practices"
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="notices_practices_one_per_tenant")
        ]

    def __str__(self) -> str:
        return "Privacy practices"


class NoticeText(TenantOwnedModel):
    """What the business writes itself for its notices, in one language, in Markdown
    (``core.markup``: untrusted input, sanitized on the way out). Everything else in a notice is
    generated from the inventory and the settings."""

    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    introduction = models.TextField(
        blank=True, help_text="Who you are and what this policy covers (Markdown)."
    )
    offline_practices = models.TextField(
        "offline practices",
        blank=True,
        help_text="What you collect and do offline, e.g. by phone, by mail or in a store "
        "(§7011(a)).",
    )
    sale_purposes = models.TextField(
        "why you sell or share",
        blank=True,
        help_text="The business or commercial purposes for selling or sharing (§7011(e)(1)(F)).",
    )
    disclosure_purposes = models.TextField(
        "why you disclose for a business purpose",
        blank=True,
        help_text="The purposes of disclosing to service providers and contractors "
        "(§7011(e)(1)(J)).",
    )
    minors_processes = models.TextField(
        "consent of consumers under 16",
        blank=True,
        help_text="How you obtain consent to sell or share the data of consumers under 16 "
        "(§7011(e)(3)(I), §7070-§7072).",
    )
    no_verification_reason = models.TextField(
        "why you cannot verify identity",
        blank=True,
        help_text="Required when you have no reasonable verification method (§7062(g)).",
    )
    third_parties_controlling_collection = models.TextField(
        "third parties that control collection",
        blank=True,
        help_text="Their names or their practices, if third parties control the collection on "
        "your pages (§7012(e)(6), (g)).",
    )
    contact = models.TextField(
        "contact for questions",
        blank=True,
        help_text="Anything to add to the contact details the policy gives (§7011(e)(3)(J)).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = "notice text"
        verbose_name_plural = "notice texts"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "language"], name="notices_text_one_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"Notice text ({self.get_language_display()})"


class NoticeVersion(TenantOwnedModel):
    """One published version of one notice in one language, exactly as consumers saw it, kept
    for good (§7011(e)(4), R-NOT-P-1): "what did our policy say on 3 March?".

    ``document`` names the notice: its kind, or for a financial incentive
    ``financial_incentive:<program slug>``. Versions are never changed after publishing: a new
    version supersedes the last (``superseded_at``), and unpublishing stamps the current one."""

    document = models.CharField(max_length=120)
    kind = models.CharField(max_length=30, choices=NoticeKind.choices)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body_html = models.TextField(help_text="The rendered, sanitized notice.")
    effective_date = models.DateField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept when the account is deleted: the history still says who published it.
    published_by_name = models.CharField(max_length=150, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    unpublished_at = models.DateTimeField(null=True, blank=True)
    # Publishing despite the checker's findings needs an explicit, logged override (item 3).
    overridden_findings = models.JSONField(default=list, blank=True)
    override_reason = models.TextField(blank=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = "published notice"
        verbose_name_plural = "published notices"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "document", "language", "number"],
                name="notices_version_number_unique",
            )
        ]
        indexes = [
            models.Index(
                fields=["tenant", "document", "language", "-published_at"],
                name="notices_version_current",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.number} ({self.language})"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None and self.unpublished_at is None


# -- Financial incentive programs (issue 15, item 5: §7016, §7080-§7081) -------------------------


def _codes_error(value: object, known: Iterable[str], what: str) -> str | None:
    """Why ``value`` is not a list of distinct known codes, or None."""
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        return f"Give a list of {what}."
    unknown = sorted(set(value) - set(known))
    if unknown:
        return f"Unknown {what}: {', '.join(unknown)}."
    if len(set(value)) != len(value):
        return f"Each of the {what} once."
    return None


class IncentiveStatus(models.TextChoices):
    DRAFT = "draft", "draft"
    PUBLISHED = "published", "published"
    WITHDRAWN = "withdrawn", "withdrawn"


class IncentiveProgram(TenantOwnedModel):
    """A financial incentive or price or service difference the business offers (§7016, §7080):
    the value of the consumer's data and how it was calculated (§7081), the categories of
    personal information it involves; its words per language are ``IncentiveProgramText``.

    Consumers see it only once published (``incentive_services.incentive_program_publish``),
    which is refused until ``incentive_rules.publish_problems`` finds nothing."""

    slug = models.SlugField(
        max_length=60,
        help_text="The program's address on the portal: /<business>/incentives/<slug>/.",
    )
    value_amount = models.DecimalField(
        "good-faith estimate of the value of the consumer's data (US dollars)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,  # publishing says it is missing, with its section (§7080(b))
        help_text="What the consumer's data is worth to the business, in good faith "
        "(§7080(b), §7016(d)(5)(A)). Say what it is per (e.g. “per member per year”) in the "
        "program's texts.",
    )
    value_methods = models.JSONField(
        "how the value was calculated",
        default=list,
        blank=True,
        help_text="At least one of the methods of §7081(a)(1)-(8); describe how you used it "
        "in the program's texts.",
    )
    considers_all_us_persons = models.BooleanField(
        "the value considers the data of all natural persons in the United States",
        default=False,
        help_text="§7081(b) allows it, not only California consumers; the notice says so.",
    )
    categories = models.JSONField(
        "categories of personal information involved",
        default=list,
        blank=True,
        help_text="The statutory categories the incentive involves (§7016(d)(2)); they must be "
        "in your data inventory.",
    )
    status = models.CharField(
        max_length=10, choices=IncentiveStatus.choices, default=IncentiveStatus.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = "financial incentive program"
        verbose_name_plural = "financial incentive programs"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="notices_incentive_slug")
        ]

    def __str__(self) -> str:
        return self.slug

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        methods = _codes_error(
            self.value_methods, incentive_rules.METHODS_BY_CODE, "valuation methods (§7081(a))"
        )
        if methods:
            errors["value_methods"] = methods
        chosen = _codes_error(self.categories, categories.BY_CODE, "categories")
        if chosen:
            errors["categories"] = chosen
        if self.value_amount is not None and self.value_amount < 0:
            errors["value_amount"] = "The value of the consumer's data cannot be negative."
        if errors:
            raise ValidationError(errors)


class IncentiveProgramText(TenantOwnedModel):
    """A program's words in one language (§7016(c)(2)(C)), written by the business in Markdown:
    untrusted input, sanitized by ``core.markup`` when the notice is rendered."""

    program = models.ForeignKey(IncentiveProgram, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    name = models.CharField("name of the program", max_length=120, blank=True)
    summary = models.TextField(
        "summary", blank=True, help_text="A succinct summary of the incentive (§7016(d)(1))."
    )
    material_terms = models.TextField(
        "material terms",
        blank=True,
        help_text="What the consumer gets and gives, conditions, duration (§7016(d)(2)). The "
        "categories of personal information and the value are added from the program.",
    )
    value_basis = models.CharField(
        "what the estimate is for",
        max_length=120,
        blank=True,
        help_text="E.g. “per member per year” (§7016(d)(5)(A)).",
    )
    method_description = models.TextField(
        "how the value was calculated",
        blank=True,
        help_text="Describe how you used the chosen methods (§7016(d)(5)(B), §7081(a)).",
    )
    how_to_withdraw = models.TextField(
        "other ways to withdraw",
        blank=True,
        help_text="Optional: the notice always links to the portal's withdraw page "
        "(§7016(d)(4)); add other ways here, e.g. in a store.",
    )

    class Meta(TenantOwnedModel.Meta):
        verbose_name = "program text"
        verbose_name_plural = "program texts"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "program", "language"], name="notices_incentive_text_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name or self.program_id} ({self.language})"


class IncentiveEnrollment(TenantOwnedModel):
    """A consumer who joined a program by their own choice (§7016(d)(3)), and when they withdrew
    (§7016(d)(4)). Rejoining after withdrawing adds a row: the history stays.

    The email address is stored as the requests store the requester's: the business needs it to
    give the member the incentive, and it is the only thing the join form asks for."""

    program = models.ForeignKey(
        IncentiveProgram, on_delete=models.PROTECT, related_name="enrollments"
    )
    email = models.EmailField()
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    joined_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = "program member"
        verbose_name_plural = "program members"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "program", "email"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="notices_incentive_one_active_enrollment",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "program", "email"], name="notices_enrollment_email")
        ]

    def __str__(self) -> str:
        return f"Member of {self.program_id} since {self.joined_at:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None
