"""The consumer directory's API shapes (§7060(c)(1)): consumers in, what was imported out.

The input is documented here; the service (``verification.services.directory``) validates
each consumer, so a refused one is named by its index and field, like a CSV row by its line.
"""

from __future__ import annotations

from rest_framework import serializers

from core.api import ApiSerializer


def _value(help_text: str) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, help_text=help_text)


class DirectoryConsumerInputSerializer(ApiSerializer):
    consumer_id = serializers.CharField(
        help_text="Your own id for the consumer. Sending it again replaces that consumer."
    )
    email = _value("An email address (an anchor: a consumer is found by one).")
    phone = _value("A phone number, US unless it starts with + (an anchor).")
    name = _value("The full name.")
    postal_address = _value("The postal address, on one line.")
    account = _value("The account or customer number (an anchor).")
    date_of_birth = _value("2026-03-31 or 03/31/2026.")
    last_purchase_date = _value("2026-03-31 or 03/31/2026.")
    last_purchase_amount = _value("Like 42.50.")


class DirectoryImportOutputSerializer(ApiSerializer):
    import_id = serializers.IntegerField(help_text="The import's record, listed in the admin.")
    received = serializers.IntegerField(help_text="Consumers sent.")
    imported = serializers.IntegerField(help_text="Consumers added or replaced.")
