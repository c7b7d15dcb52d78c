"""The data inventory (issue 15, item 1): what personal information the business collects, one
row per statutory category, the single source of truth for its notices (§7011(e)(1), §7012(e))
and for the categories response to requests to know (§7024(k))."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from tenants.models import TenantOwnedModel

from . import categories

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
