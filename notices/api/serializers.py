"""Output serializers of the data inventory API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from core.api import ApiSerializer

from .. import categories, checker_rules


class _Items(serializers.ListField):
    child = serializers.CharField()


@extend_schema_serializer(component_name="InventoryCategory")
class InventoryCategoryOutputSerializer(ApiSerializer):
    category = serializers.ChoiceField(
        choices=categories.choices(),
        help_text="The statutory category: `A`-`K` for Civil Code §1798.140(v)(1)(A)-(K), "
        "`SPI-…` for the sensitive personal information of §1798.140(ae).",
    )
    statutory_name = serializers.CharField(source="statutory.name")
    citation = serializers.CharField(source="statutory.citation")
    description = serializers.CharField(
        source="statutory.description", help_text="The statute's examples, in plain language."
    )
    sensitive = serializers.BooleanField(source="is_sensitive")
    name = serializers.CharField(help_text="The business's own name for it; may be empty.")
    examples = serializers.CharField(help_text="The business's own examples; may be empty.")
    sources = _Items(help_text="Categories of sources (§7011(e)(1)(B)).")
    purposes = _Items(help_text="Business or commercial purposes (§7012(e)(2)).")
    retention = serializers.CharField(help_text="Retention period or criteria (§7012(e)(4)).")
    sold = serializers.BooleanField()
    shared = serializers.BooleanField()
    third_parties = _Items(
        help_text="Categories of third parties it is sold or shared to (§7011(e)(1)(E))."
    )
    disclosed_to = _Items(
        help_text="Categories of recipients it is disclosed to for a business purpose "
        "(§7011(e)(1)(I))."
    )
    sensitive_use_beyond_7027m = serializers.BooleanField()


@extend_schema_serializer(component_name="Inventory")
class InventoryOutputSerializer(ApiSerializer):
    sells = serializers.BooleanField(help_text="Any category is sold (§7010(c)).")
    shares = serializers.BooleanField(help_text="Any category is shared (§7010(c)).")
    uses_sensitive_beyond_7027m = serializers.BooleanField(
        help_text="A sensitive category is used beyond the purposes of §7027(m) (§7010(d))."
    )
    categories = InventoryCategoryOutputSerializer(many=True)


@extend_schema_serializer(component_name="NoticeFinding")
class NoticeFindingOutputSerializer(ApiSerializer):
    code = serializers.CharField(
        help_text="Stable name of the rule, e.g. `sale_purposes_missing`; the same rule may "
        "give several findings (one per language, field or notice)."
    )
    document = serializers.ChoiceField(
        choices=checker_rules.FINDING_DOCUMENTS,
        help_text="The notice the finding concerns, or `business` for a setting every notice "
        "depends on.",
    )
    section = serializers.CharField(help_text="The rule's citation, e.g. `§7011(e)(1)(F)`.")
    message = serializers.CharField(
        help_text="What is missing and where the business admin fixes it, in plain words."
    )
