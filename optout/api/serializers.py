"""The consent lookup's answer, for the schema (the view writes the cached JSON as it is); the
opt-in prompt check (§7026(k), §7027(l)) and the minors' record (§7070-§7071)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from core.api import ApiSerializer, EnumField

from .. import opt_in_rules
from ..models import MinorOptInMethod


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


class MinorOutputSerializer(ApiSerializer):
    age_band = serializers.CharField(
        help_text="under_13 or 13_to_15: what the business told the portal (§7070, §7071)."
    )
    opted_in = serializers.BooleanField(
        help_text="The consumer (13 to 15) or a parent or guardian (under 13) opted in to sale "
        "and sharing."
    )
    opt_in_method = serializers.CharField(
        allow_null=True,
        help_text="How: two_step_opt_in, or a §7070(a)(2) method for a parent's consent.",
    )
    opted_in_at = serializers.DateTimeField(allow_null=True)


class ConsentLookupOutputSerializer(ApiSerializer):
    may_sell_or_share = serializers.BooleanField(
        help_text="False once the subject opted out of sale and sharing (§7026), and for a "
        "subject known to be under 16 until they, or a parent, opted in (§7070, §7071)."
    )
    may_use_sensitive_information = serializers.BooleanField(
        help_text="False once the subject limited the use of their sensitive personal "
        "information to the §7027(m) purposes."
    )
    sale_sharing = SaleSharingOutputSerializer()
    sensitive_use = SensitiveUseOutputSerializer()
    minor = MinorOutputSerializer(
        allow_null=True,
        help_text="Null unless the business told the portal the subject is under 16. Then "
        "may_sell_or_share is false until the subject holds an opt-in (Civ. Code §1798.120(c)).",
    )


class SubjectInputSerializer(ApiSerializer):
    """The subject, by exactly one of its identifiers (as the lookup's query parameters)."""

    email = serializers.CharField(required=False, max_length=254)
    phone = serializers.CharField(required=False, max_length=40)
    account_id = serializers.CharField(
        required=False, max_length=200, help_text="Your own id for the consumer."
    )
    device = serializers.CharField(
        required=False, max_length=43, help_text="The device id of the portal's cookie."
    )


RIGHT_CHOICES = [
    ("sale_sharing", "Sale and sharing (§7026(k))"),
    ("sensitive_use", "Use of sensitive personal information (§7027(l))"),
]


class OptInPromptInputSerializer(SubjectInputSerializer):
    right = EnumField(RIGHT_CHOICES, noun="a right")
    consumer_initiated = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The consumer started a transaction, or tried to use a product or service, "
        "that needs this (§7028(b)-(c)): asking is then allowed within the 12 months.",
    )


class OptInPromptOutputSerializer(ApiSerializer):
    may_ask = serializers.BooleanField()
    right = serializers.CharField()
    basis = serializers.ChoiceField(
        choices=[
            (opt_in_rules.NOT_RESTRICTED, "No opt-out or limit is in place for this right."),
            (opt_in_rules.TWELVE_MONTHS_PASSED, "12 months have passed since it was received."),
            (opt_in_rules.CONSUMER_INITIATED, "The consumer started it (§7028(b)-(c))."),
        ],
    )
    restricted_since = serializers.DateField(
        allow_null=True,
        help_text="The local date the opt-out or limit in place was received.",
    )
    may_ask_from = serializers.DateField(
        allow_null=True,
        help_text="The first date on which asking is allowed without a "
        "consumer-initiated transaction.",
    )
    consent_from = serializers.ChoiceField(
        choices=[("consumer", "consumer"), ("parent_or_guardian", "parent_or_guardian")],
        help_text="Who must give the opt-in: a parent or guardian for a consumer the business "
        "told the portal is under 13 (§7070(a)).",
    )


class OptInPromptRefusedDetailSerializer(ApiSerializer):
    code = serializers.CharField(help_text="opt_in_prompt_too_soon")
    message = serializers.CharField()


@extend_schema_serializer(component_name="OptInPromptRefused")
class OptInPromptRefusedOutputSerializer(ApiSerializer):
    error = OptInPromptRefusedDetailSerializer()
    right = serializers.CharField()
    restricted_since = serializers.DateField()
    may_ask_from = serializers.DateField(
        help_text="The first date on which you may ask (unless the consumer starts it)."
    )


class MinorInputSerializer(SubjectInputSerializer):
    age_band = EnumField(
        [
            (opt_in_rules.UNDER_13, "Under 13"),
            (opt_in_rules.AGE_13_TO_15, "13 to 15"),
            (opt_in_rules.NOT_A_MINOR, "16 or over (no longer, or never, known to be under 16)"),
        ],
        noun="an age band",
    )
    opt_in_method = EnumField(
        MinorOptInMethod.choices,
        noun="an opt-in method",
        required=False,
        allow_blank=True,
        default="",
        help_text="With an opt-in to sale and sharing: two_step_opt_in (13 to 15, the "
        "consumer's own request and separate confirmation, §7071(a), §7028(a)); under 13, the "
        "§7070(a)(2) method that confirmed the parent's or guardian's consent: signed_form, "
        "payment_card, toll_free_call, video_conference, in_person, government_id.",
    )
