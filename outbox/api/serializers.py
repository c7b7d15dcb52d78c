"""Output serializers of the outbox API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from core.api import ApiSerializer, BlankAsNullCharField, PageOutputSerializer, UtcDateTimeField

from ..models import OutboxChannel, OutboxStatus


@extend_schema_serializer(component_name="OutboxMessage")
class OutboxMessageOutputSerializer(ApiSerializer):
    id = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=OutboxChannel.choices)
    recipient = serializers.CharField(help_text="An email address, or a webhook's URL.")
    subject = serializers.CharField(help_text="Email: the subject. Webhook: the event.")
    body = serializers.CharField(
        help_text="Email: the text. Webhook: the JSON body. A one-time link it carries shows "
        "redacted, e.g. [sign-in link: sent, not shown]: only the recipient gets the link."
    )
    reference = BlankAsNullCharField(
        source="about_label", help_text="The related request's reference, if any."
    )
    status = serializers.ChoiceField(
        choices=OutboxStatus.choices,
        help_text="pending, retrying (a send failed; it is tried again), sent, or failed "
        "(given up after every retry).",
    )
    attempts = serializers.IntegerField()
    last_error = BlankAsNullCharField(help_text="Why the last attempt failed, if it did.")
    created_at = UtcDateTimeField()
    sent_at = UtcDateTimeField(allow_null=True)


@extend_schema_serializer(component_name="OutboxPage")
class OutboxPageOutputSerializer(PageOutputSerializer):
    results = OutboxMessageOutputSerializer(many=True)
