"""The data inventory's write path and the facts the notices read from it.

``inventory_category_save`` is the only write path (admin and demo seed). The derived facts say
which notices a business needs: selling or sharing needs the notice of right to opt-out
(§7010(c), §7013), sensitive use beyond §7027(m) the notice of right to limit (§7010(d), §7014).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from tenants.models import Tenant

from . import categories
from .models import InventoryCategory


@transaction.atomic
def inventory_category_save(*, inventory_category: InventoryCategory) -> InventoryCategory:
    """Validate (``InventoryCategory.clean``: clear messages per field) and save, or raise
    ``ValidationError`` having saved nothing."""
    inventory_category.full_clean()
    inventory_category.save()
    return inventory_category


def sells_personal_information(tenant: Tenant) -> bool:
    """True when any category is sold (§7010(c), §7011(e)(1)(D))."""
    return InventoryCategory.objects.for_tenant(tenant).filter(sold=True).exists()


def shares_personal_information(tenant: Tenant) -> bool:
    """True when any category is shared for cross-context behavioral advertising (§7010(c))."""
    return InventoryCategory.objects.for_tenant(tenant).filter(shared=True).exists()


def uses_sensitive_beyond_7027m(tenant: Tenant) -> bool:
    """True when a sensitive category is used beyond the purposes of §7027(m) (§7010(d))."""
    sensitive = [c.code for c in categories.SENSITIVE_PERSONAL_INFORMATION]
    return (
        InventoryCategory.objects.for_tenant(tenant)
        .filter(category__in=sensitive, sensitive_use_beyond_7027m=True)
        .exists()
    )


@dataclass(frozen=True)
class InventoryForDisplay:
    """The inventory in the statute's order, split as the notices show it (§7011(e)(1))."""

    personal: list[InventoryCategory]  # §1798.140(v)(1)(A)-(K)
    sensitive: list[InventoryCategory]  # §1798.140(ae)
    sold_or_shared: list[InventoryCategory]  # §7011(e)(1)(D)-(E); empty: "not sold or shared"
    disclosed: list[InventoryCategory]  # §7011(e)(1)(H)-(I); empty: "none"

    # The derived facts, from the rows already read (the functions above query for them alone).
    @property
    def sells(self) -> bool:
        return any(row.sold for row in self.personal + self.sensitive)

    @property
    def shares(self) -> bool:
        return any(row.shared for row in self.personal + self.sensitive)

    @property
    def uses_sensitive_beyond_7027m(self) -> bool:
        return any(row.sensitive_use_beyond_7027m for row in self.sensitive)


def inventory_for_display(tenant: Tenant) -> InventoryForDisplay:
    """The business's inventory grouped for its notices and categories responses."""
    rows = sorted(
        InventoryCategory.objects.for_tenant(tenant),
        key=lambda row: categories.statute_order(row.category),
    )
    return InventoryForDisplay(
        personal=[row for row in rows if not row.is_sensitive],
        sensitive=[row for row in rows if row.is_sensitive],
        sold_or_shared=[row for row in rows if row.sold or row.shared],
        disclosed=[row for row in rows if row.disclosed_to],
    )
