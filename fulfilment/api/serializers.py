"""Input and output serializers of the system task API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from core.api import (
    ApiSerializer,
    EnumField,
    PageOutputSerializer,
    PageQuerySerializer,
    optional_text,
)
from notices import categories as statute

from .. import task_rules as rules
from ..models import TaskAction, TaskOutcome, TaskState
from ..services import subject_identifiers


@extend_schema_serializer(component_name="SystemTaskListFilter")
class SystemTaskListFilterSerializer(PageQuerySerializer):
    state = EnumField(
        TaskState.choices,
        noun="a task state",
        required=False,
        help_text="Only tasks in this state, e.g. open: those still to answer.",
    )


class _SystemSerializer(ApiSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class _SubjectSerializer(ApiSerializer):
    name = serializers.CharField(required=False)
    email = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)


@extend_schema_serializer(component_name="SystemTask")
class SystemTaskOutputSerializer(ApiSerializer):
    id = serializers.IntegerField()
    request_reference = serializers.CharField(source="privacy_request.reference")
    request_type = serializers.CharField(source="privacy_request.request_type")
    system = _SystemSerializer()
    action = serializers.ChoiceField(choices=TaskAction.choices)
    state = serializers.ChoiceField(choices=TaskState.choices)
    due_on = serializers.DateField()
    subject = serializers.SerializerMethodField(
        help_text="What identifies the consumer, as the request holds it; only while the task "
        "is open."
    )
    outcome = serializers.CharField(
        help_text="done, exempt, nothing_found or (deletions) impossible; empty while open."
    )
    note = serializers.CharField()
    basis = serializers.CharField(help_text="The legal basis of an exemption.")
    explanation = serializers.CharField(
        help_text="Why deleting was impossible or disproportionate (§7022(b)(3))."
    )
    categories_found = serializers.ListField(
        child=serializers.CharField(),
        help_text="With done: the inventory categories (statutory codes) the system said it "
        "found; empty when it did not say.",
    )
    answered_at = serializers.DateTimeField(allow_null=True)
    answered_by = serializers.CharField(source="answered_by_label")

    @extend_schema_field(_SubjectSerializer(allow_null=True))
    def get_subject(self, task) -> dict[str, str] | None:
        if task.state != rules.OPEN:
            return None
        return subject_identifiers(task.privacy_request)


@extend_schema_serializer(component_name="SystemTaskPage")
class SystemTaskPageOutputSerializer(PageOutputSerializer):
    results = SystemTaskOutputSerializer(many=True)


@extend_schema_serializer(component_name="SystemTaskAnswer")
class SystemTaskAnswerInputSerializer(ApiSerializer):
    outcome = EnumField(TaskOutcome.choices, noun="an outcome")
    note = optional_text(rules.NOTE_LENGTH, help_text="What was done, for the business's staff.")
    basis = optional_text(
        rules.BASIS_LENGTH,
        help_text="Required when the outcome is exempt: the exception of the CCPA or other law "
        "that lets the system keep or withhold the data.",
    )
    explanation = optional_text(
        rules.EXPLANATION_LENGTH,
        help_text="Required when the outcome is impossible (deletions only): a detailed "
        "explanation, with the facts, of why deleting is impossible or would involve "
        "disproportionate effort; it is relayed to the consumer (§7022(b)(3), (c)(4)). A stock "
        "phrase is refused.",
    )
    categories_found = serializers.ListField(
        child=serializers.CharField(max_length=statute.CODE_MAX_LENGTH),
        required=False,
        max_length=len(statute.ALL),
        help_text="Optional, only with done: the categories of the business's data inventory "
        "the system found for this consumer, as statutory codes (`A`-`K`, `SPI-1A`…), e.g. "
        '`["A", "D"]`. The consumer\'s categories answer (§7024(k)(1)) then ticks these '
        "instead of every category the system is recorded as holding. A code outside the "
        "inventory is refused (400), as are categories with any other outcome.",
    )


@extend_schema_serializer(component_name="PackagePart")
class PackagePartOutputSerializer(ApiSerializer):
    id = serializers.IntegerField()
    request_reference = serializers.CharField(source="privacy_request.reference")
    system_task = serializers.IntegerField(source="system_task_id", allow_null=True)
    source = serializers.CharField(help_text="The system's name, or staff's label.")
    format = serializers.CharField(help_text="json or csv.")
    row_count = serializers.IntegerField(help_text="Records read from the attachment.")
    columns = serializers.ListField(child=serializers.CharField())
    size = serializers.IntegerField(help_text="Bytes, as attached.")
    sha256 = serializers.CharField(help_text="Of the attachment's bytes.")
    idempotency_key = serializers.CharField(
        help_text="The Idempotency-Key sent, or sha256:<digest> when none was."
    )
    exempt_basis = serializers.CharField(
        help_text="When staff withheld this part as exempt (§7024(e)): the basis."
    )
    created_at = serializers.DateTimeField()
