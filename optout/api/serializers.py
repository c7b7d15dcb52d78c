"""The consent lookup's answer, for the schema (the view writes the cached JSON as it is)."""

from __future__ import annotations

from rest_framework import serializers

from core.api import ApiSerializer


class SaleSharingOutputSerializer(ApiSerializer):
    opted_out = serializers.BooleanField()
    changed_at = serializers.DateTimeField(allow_null=True, help_text="When it last changed.")
    source = serializers.CharField(
        allow_null=True,
        help_text="Where the last change came from: form, signal, agent, staff, api, phone, mail.",
    )


class SensitiveUseOutputSerializer(ApiSerializer):
    limited = serializers.BooleanField()
    changed_at = serializers.DateTimeField(allow_null=True, help_text="When it last changed.")
    source = serializers.CharField(allow_null=True, help_text="As for sale_sharing.")


class ConsentLookupOutputSerializer(ApiSerializer):
    may_sell_or_share = serializers.BooleanField(
        help_text="False once the subject opted out of sale and sharing (§7026)."
    )
    may_use_sensitive_information = serializers.BooleanField(
        help_text="False once the subject limited the use of their sensitive personal "
        "information to the §7027(m) purposes."
    )
    sale_sharing = SaleSharingOutputSerializer()
    sensitive_use = SensitiveUseOutputSerializer()
