"""Input and output serializers of the REST API v1 (HackSoft §2.4: one Input/Output pair per use).

Inputs only validate shapes and formats; the domain rules (deadlines, the lifecycle, what a
denial needs) live in ``requests_app.services`` and come back as ``Refused``.
Outputs read only what the selector loaded: no serializer here runs a query of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import ReturnDict

from core.api import (
    ApiSerializer,
    BlankAsNullCharField,
    BlankAsNullChoiceField,
    EnumField,
    PageOutputSerializer,
    PageQuerySerializer,
    UtcDateTimeField,
    optional_text,
)
from core.calendar import CALENDAR_CHOICES
from outbox.models import OutboxStatus

from .. import deadlines, lifecycle
from .. import vocabulary as words
from ..models import (
    Channel,
    ConfirmationMethod,
    CorrectionField,
    DeleteCategory,
    DeleteScope,
    DenialReason,
    EventKind,
    Flag,
    KnowScope,
    Outcome,
    PrivacyRequest,
    RequestType,
    Status,
)
from ..selectors import ASSIGNEE_USERNAME, privacy_request_available_actions
from ..services.transitions import PERSONAL_PARAGRAPH_MAX

# The CCPA became operative on 2020-01-01; nothing earlier can be a CCPA request (and absurd
# years would overflow the date arithmetic).
EARLIEST_RECEIVED_AT = datetime(2020, 1, 1, tzinfo=UTC)
MAX_TEXT = 10_000
CALENDAR_LABELS = dict(CALENDAR_CHOICES)
MAX_REASON = 2_000
MAX_LEGAL_BASIS = 300


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset. DRF would silently read a naive value in the server's zone,
    which would move the day of receipt and every deadline: refuse it instead."""

    default_error_messages = {
        "invalid": "Use an ISO 8601 date and time with a UTC offset, e.g. 2026-11-20T14:05:00-08:00.",
        "naive": "The received time must include a UTC offset, e.g. 2026-11-20T14:05:00-08:00 "
        "or 2026-11-20T22:05:00Z; without one it is unclear which day the request arrived.",
        "too_early": "The received time cannot be before 2020-01-01, when the CCPA took effect.",
    }

    def to_internal_value(self, value: Any) -> datetime:
        if not isinstance(value, str) or len(value) > 64:
            self.fail("invalid")
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail("invalid")
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.fail("naive")
        try:
            parsed = parsed.astimezone(UTC)
        except OverflowError:
            self.fail("invalid")
        if parsed < EARLIEST_RECEIVED_AT:
            self.fail("too_early")
        return parsed


class StateField(serializers.RegexField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            r"^[A-Za-z]{2}$",
            required=False,
            allow_blank=True,
            allow_null=True,
            error_messages={"invalid": "Use the two-letter state code, e.g. CA."},
            **kwargs,
        )


# --- Inputs --------------------------------------------------------------------------------


@extend_schema_serializer(component_name="Requester")
class RequesterInputSerializer(ApiSerializer):
    name = optional_text(200)
    email = serializers.EmailField(
        max_length=254, required=False, allow_blank=True, allow_null=True
    )
    phone = PhoneNumberField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=40,
        help_text="A US number, or international with +country code.",
    )
    state = StateField(help_text="Two-letter US state of residence, e.g. CA.")


@extend_schema_serializer(component_name="Agent")
class AgentInputSerializer(ApiSerializer):
    name = optional_text(200)
    organization = optional_text(200)
    email = serializers.EmailField(
        max_length=254, required=False, allow_blank=True, allow_null=True
    )
    phone = PhoneNumberField(required=False, allow_blank=True, allow_null=True, max_length=40)


@extend_schema_serializer(component_name="PrivacyRequestCreate")
class PrivacyRequestCreateInputSerializer(ApiSerializer):
    """A new request: a request to know needs know_scope; other types leave it blank or null."""

    type = EnumField(RequestType.choices, noun="a request type")
    know_scope = EnumField(
        KnowScope.choices,
        noun="a scope for a request to know",
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Required for requests to know; refused for every other type.",
    )
    know_period_start = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Requests to know: the first day of the period the consumer asked for "
        "(YYYY-MM-DD), January 1, 2022 or later, with know_period_end. Leave both out for "
        "everything since January 1, 2022 (amended §7020, §7024(h)).",
    )
    know_period_end = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Requests to know: the last day of the period the consumer asked for "
        "(YYYY-MM-DD), on or after know_period_start and not after the business's today.",
    )
    channel = EnumField(
        Channel.choices,
        noun="a channel",
        required=False,
        default=Channel.API,
        help_text="How the request reached the business (§7101(b)). Default: api.",
    )
    received_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="When the request reached the business, ISO 8601 with a UTC offset, "
        "from 2020-01-01T00:00:00Z (when the CCPA took effect) to now. Default: now. Naive, "
        "earlier or future values are refused.",
    )
    requester = RequesterInputSerializer(
        required=False,
        help_text="At least a name, email address or phone number (except for GPC signals).",
    )
    agent = AgentInputSerializer(
        required=False,
        allow_null=True,
        help_text="The authorized agent, when one submits the request for the consumer.",
    )
    is_california_consumer = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="Default: true when requester.state is CA, unknown when no state is given.",
    )
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        help_text="The language the consumer used; every message to them is in it "
        "(§7003(b)(2)). Default: en.",
    )
    delete_scope = EnumField(
        DeleteScope.choices,
        noun="a scope for a request to delete",
        required=False,
        help_text="Requests to delete: all personal information (the default) or selected "
        "categories only (§7022(h)).",
    )
    delete_categories = serializers.ListField(
        child=EnumField(DeleteCategory.choices, noun="a category"),
        required=False,
        max_length=len(DeleteCategory.choices),
        help_text="With delete_scope selected: the categories to delete.",
    )
    correction_field = EnumField(
        CorrectionField.choices,
        noun="the information to correct",
        required=False,
        help_text="Requests to correct: which piece of information is wrong. With the "
        "consumer's email address, a correction denied in the past 6 months is flagged "
        "(§7023(g)).",
    )
    correction_information = optional_text(
        MAX_TEXT, help_text="Requests to correct: what the consumer says is inaccurate."
    )
    correction_requested = optional_text(
        MAX_TEXT, help_text="Requests to correct: what the consumer says it should be."
    )


# The create input's fields that are type-specific details of intake (DETAIL_FIELDS).
CREATE_DETAIL_FIELDS = (
    "know_period_start",
    "know_period_end",
    "delete_scope",
    "delete_categories",
    "correction_field",
    "correction_information",
    "correction_requested",
)


@extend_schema_serializer(component_name="PrivacyRequestExtend")
class PrivacyRequestExtendInputSerializer(ApiSerializer):
    reason = serializers.CharField(
        max_length=MAX_REASON,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why more time is needed; the consumer is told it (§7021(b)). Required.",
    )
    respond_by = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The new due date (YYYY-MM-DD), at most 90 days after receipt. "
        "Default: the maximum, receipt + 90 days.",
    )


@extend_schema_serializer(component_name="PrivacyRequestClose")
class PrivacyRequestCloseInputSerializer(ApiSerializer):
    outcome = EnumField(Outcome.choices, noun="an outcome")
    denial_reason = EnumField(
        DenialReason.choices,
        noun="a denial reason",
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Required when the outcome is denied or complied_in_part.",
    )
    explanation = optional_text(
        MAX_TEXT,
        help_text="The explanation to the consumer; required for denials "
        "(§7022(f), §7023(f), §7024(e)).",
    )
    legal_basis = optional_text(
        MAX_LEGAL_BASIS,
        help_text="Required when the denial reason is exempt: the law or exception the business "
        "relies on; the consumer is told it (§7022(f), §7023(f)(1), §7024(e)).",
    )
    fraud_documentation = optional_text(
        MAX_TEXT,
        help_text="Required when the denial reason is fraudulent: the documented, good-faith "
        "belief of fraud (§7023(h), §7026(e), §7027(f)). Kept with the record.",
    )
    personal_paragraph = optional_text(
        PERSONAL_PARAGRAPH_MAX,
        help_text="Optional: your own words, added to the answer after the content the "
        "regulations require.",
    )
    assessment = optional_text(
        MAX_TEXT,
        help_text="Requests to correct closed as complied, in part, or denied on the merits: "
        "the assessment of the totality of the circumstances (§7023(b)); kept with the record.",
    )
    documentation_considered = optional_text(
        MAX_TEXT,
        help_text="Requests to correct: the documentation considered (§7023(b)(1)(C), §7023(d)).",
    )
    information_source = optional_text(
        200,
        help_text="Requests to correct, optional: the source of the inaccurate information, "
        "named in the answer (§7023(i)).",
    )
    open_tasks_reason = optional_text(
        MAX_TEXT,
        help_text="Closing as complied while a task of the business's data systems is still "
        "open is refused (409 system_tasks_open) unless this says why; it is kept on the "
        "request's timeline.",
    )
    done_explanation = optional_text(
        MAX_TEXT,
        help_text="Required when the outcome is complied_in_part, refused otherwise: what was "
        "done, in plain words; the answer gives it before what could not be done and why.",
    )


@extend_schema_serializer(component_name="PrivacyRequestVerify")
class PrivacyRequestVerifyInputSerializer(ApiSerializer):
    method = serializers.CharField(
        max_length=MAX_REASON,
        help_text="How the identity was verified, e.g. which data points matched (§7060–§7062).",
    )


@extend_schema_serializer(component_name="PrivacyRequestAssign")
class PrivacyRequestAssignInputSerializer(ApiSerializer):
    assignee = serializers.CharField(
        max_length=150,
        allow_null=True,
        help_text="The username of a staff member of the business, or null to unassign.",
    )


@extend_schema_serializer(component_name="PrivacyRequestRecordConfirmation")
class PrivacyRequestRecordConfirmationInputSerializer(ApiSerializer):
    method = EnumField(
        ConfirmationMethod.choices,
        noun="how receipt was confirmed",
        help_text="email sends the confirmation email now; oral, mail and in_person record a "
        "confirmation staff gave, with its text.",
    )
    text = optional_text(
        MAX_TEXT,
        help_text="For oral, mail and in_person: what the consumer was told. It must describe "
        "the verification process and the expected response date (§7021(a)).",
    )
    note = optional_text(MAX_REASON, help_text="A note for staff.")


class PrivacyRequestListFilterSerializer(PageQuerySerializer):
    """Query parameters of the request list."""

    type = EnumField(RequestType.choices, noun="a request type", required=False)
    status = EnumField(Status.choices, noun="a status", required=False)
    channel = EnumField(Channel.choices, noun="a channel", required=False)
    overdue = serializers.BooleanField(
        required=False,
        error_messages={"invalid": "Use true or false."},
        help_text="true: open requests whose respond-by/comply-by day has passed in the "
        "business's time zone; false: all others.",
    )
    due_before = serializers.DateField(
        required=False, help_text="Only requests whose respond-by or comply-by is before this date."
    )
    flagged = EnumField(
        Flag.choices,
        noun="a flag",
        required=False,
        help_text="Only requests carrying this intake flag: know_limit_exceeded (a third request "
        "to know within 12 months, Civ. Code §1798.130(b)) or repeat_correction_within_6_months "
        "(the same correction was denied in the past 6 months, §7023(g)).",
    )


# --- Outputs -------------------------------------------------------------------------------


@extend_schema_serializer(component_name="Calendar")
class CalendarOutputSerializer(ApiSerializer):
    name = serializers.ChoiceField(choices=CALENDAR_CHOICES)
    label = serializers.CharField()


@extend_schema_serializer(component_name="Requester")
class RequesterOutputSerializer(ApiSerializer):
    name = serializers.CharField(source="requester_name")
    email = serializers.CharField(source="requester_email")
    phone = serializers.CharField(source="requester_phone", help_text="E.164, or empty.")
    state = serializers.CharField(source="requester_state")


@extend_schema_serializer(component_name="Agent")
class AgentOutputSerializer(ApiSerializer):
    name = serializers.CharField(source="agent_name")
    organization = serializers.CharField(source="agent_organization")
    email = serializers.CharField(source="agent_email")
    phone = serializers.CharField(source="agent_phone")


@extend_schema_serializer(component_name="PrivacyRequest")
class PrivacyRequestOutputSerializer(ApiSerializer):
    """A request with its deadlines. ``context["today"]`` is the tenant's local date."""

    reference = serializers.CharField()
    type = serializers.ChoiceField(source="request_type", choices=RequestType.choices)
    know_scope = BlankAsNullChoiceField(KnowScope.choices)
    know_period_start = serializers.DateField(
        allow_null=True,
        help_text="Requests to know: the first day of the period asked for; null with "
        "know_period_end null means everything since January 1, 2022 (§7024(h)).",
    )
    know_period_end = serializers.DateField(
        allow_null=True, help_text="Requests to know: the last day of the period asked for."
    )
    channel = serializers.ChoiceField(choices=Channel.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    received_at = UtcDateTimeField()
    received_date = serializers.DateField(
        help_text="Day of receipt in the business's time zone; deadlines count from it."
    )
    confirm_by = serializers.DateField(
        allow_null=True, help_text="Confirm receipt by (10 business days, §7021(a))."
    )
    respond_by = serializers.DateField(
        allow_null=True,
        help_text="Respond by (45 days, §7021(b)); requests to know, delete and correct only.",
    )
    comply_by = serializers.DateField(
        allow_null=True,
        help_text="Comply by (15 business days, §7026(f), §7027(g)); opt-out and limit only.",
    )
    calendar = serializers.SerializerMethodField()
    extended = serializers.SerializerMethodField()
    extended_at = UtcDateTimeField(allow_null=True)
    extension_reason = BlankAsNullCharField()
    outcome = BlankAsNullChoiceField(Outcome.choices)
    denial_reason = BlankAsNullChoiceField(DenialReason.choices)
    explanation = BlankAsNullCharField(source="denial_explanation")
    done_explanation = BlankAsNullCharField(
        help_text="For complied_in_part: what was done, as the consumer was told; null otherwise."
    )
    legal_basis = BlankAsNullCharField(
        source="denial_legal_basis",
        max_length=MAX_LEGAL_BASIS,
        help_text="For a denial as exempt: the law or exception relied on; null otherwise.",
    )
    due_state = serializers.SerializerMethodField()
    days_left = serializers.SerializerMethodField()
    requester = RequesterOutputSerializer(source="*")
    is_california_consumer = serializers.BooleanField(allow_null=True)
    agent = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        help_text="The language the consumer used; every message to them is in it (§7003(b)(2)).",
    )
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=Flag.choices),
        help_text="Found at intake, for staff: know_limit_exceeded (third request to know within "
        "12 months, Civ. Code §1798.130(b); such a request is closed as denied at once), "
        "repeat_correction_within_6_months (the same correction was denied within 6 months, "
        "§7023(g); staff decide).",
    )
    delete_scope = serializers.SerializerMethodField()
    delete_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=DeleteCategory.choices),
        help_text="With delete_scope selected: the categories to delete. Otherwise empty.",
    )
    awaiting_consumer_confirmation = serializers.BooleanField(
        help_text="A two-step request to delete still waiting for the consumer's confirmation "
        "(§7020(d)). The deadlines already run from the first submission."
    )
    consumer_confirmed_at = UtcDateTimeField(
        allow_null=True, help_text="When the consumer confirmed a two-step request to delete."
    )
    correction_field = BlankAsNullChoiceField(
        CorrectionField.choices,
        help_text="Requests to correct: which piece of information is wrong; null otherwise.",
    )
    correction_information = BlankAsNullCharField(
        help_text="Requests to correct: what the consumer says is inaccurate."
    )
    correction_requested = BlankAsNullCharField(
        help_text="Requests to correct: what the consumer says it should be."
    )
    know_limit_next_date = serializers.DateField(
        allow_null=True,
        help_text="A third request to know within 12 months (Civ. Code §1798.130(b)): the day "
        "the consumer may make another one; null otherwise.",
    )
    fraud_documentation = BlankAsNullCharField(
        source="denial_fraud_documentation",
        help_text="For a fraud denial: the documented belief of fraud (not sent to the requester).",
    )
    available_actions = serializers.SerializerMethodField()
    confirmed_at = UtcDateTimeField(allow_null=True)
    verified_at = UtcDateTimeField(allow_null=True)
    responded_at = UtcDateTimeField(allow_null=True)
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()

    @extend_schema_field(CalendarOutputSerializer)
    def get_calendar(self, obj: PrivacyRequest) -> dict[str, str]:
        return {"name": obj.calendar, "label": CALENDAR_LABELS.get(obj.calendar, obj.calendar)}

    def get_extended(self, obj: PrivacyRequest) -> bool:
        return obj.extended_at is not None

    def _open_due_date(self, obj: PrivacyRequest) -> Any:
        return None if obj.status == Status.CLOSED else obj.active_due_date

    def _today(self) -> Any:
        # Read from the context once per serializer (a page's rows share it), not once per row.
        today = self.__dict__.get("_context_today")
        if today is None:
            today = self._context_today = self.context["today"]
        return today

    @extend_schema_field(
        serializers.ChoiceField(
            choices=words.DEADLINE_STATES,
            allow_null=True,
            help_text="Against the business's local today; null when closed or without deadline.",
        )
    )
    def get_due_state(self, obj: PrivacyRequest) -> str | None:
        due = self._open_due_date(obj)
        return None if due is None else deadlines.deadline_state(due, self._today())

    @extend_schema_field(
        serializers.IntegerField(
            allow_null=True,
            help_text="Days until respond-by/comply-by (negative: overdue); null when closed "
            "or without deadline.",
        )
    )
    def get_days_left(self, obj: PrivacyRequest) -> int | None:
        due = self._open_due_date(obj)
        return None if due is None else deadlines.days_left(due, self._today())

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(choices=lifecycle.ACTIONS),
            help_text="What staff can do next, each an endpoint of its own: assign, "
            "mark_verified (/verify), start_work (/start), extend, close, record_confirmation "
            "(/record-confirmation). The endpoint may still refuse for a reason it alone sees.",
        )
    )
    def get_available_actions(self, obj: PrivacyRequest) -> list[str]:
        return list(privacy_request_available_actions(obj))

    @extend_schema_field(AgentOutputSerializer(allow_null=True))
    def get_agent(self, obj: PrivacyRequest) -> dict[str, str] | None:
        if not (obj.submitted_by_agent or obj.agent_name or obj.agent_organization):
            return None
        # One agent serializer per output serializer (a page shares it), not one per row.
        agent = self.__dict__.get("_agent_output")
        if agent is None:
            agent = self._agent_output = AgentOutputSerializer()
        return ReturnDict(agent.to_representation(obj), serializer=agent)

    @extend_schema_field(
        serializers.CharField(allow_null=True, help_text="Username of the assigned staff member.")
    )
    def get_assignee(self, obj: PrivacyRequest) -> str | None:
        if not obj.assignee_id:
            return None
        # The list's selector annotates the username instead of loading each assignee.
        username = getattr(obj, ASSIGNEE_USERNAME, None)
        return obj.assignee.get_username() if username is None else username

    @extend_schema_field(
        serializers.ChoiceField(
            choices=DeleteScope.choices,
            allow_null=True,
            help_text="Requests to delete: all personal information, or selected categories "
            "only (§7022(h)); null for other types.",
        )
    )
    def get_delete_scope(self, obj: PrivacyRequest) -> str | None:
        if obj.request_type != RequestType.DELETE:
            return None
        # Blank means everything (requests recorded by staff or through this API).
        return obj.delete_scope or DeleteScope.ALL


@extend_schema_serializer(component_name="TimelineEvent")
class EventOutputSerializer(ApiSerializer):
    at = UtcDateTimeField()
    kind = serializers.ChoiceField(choices=EventKind.choices)
    actor = serializers.CharField(source="actor_label", help_text="Who acted.")
    message = serializers.CharField()
    reason = BlankAsNullCharField()


@extend_schema_serializer(component_name="Communication")
class CommunicationOutputSerializer(ApiSerializer):
    at = UtcDateTimeField(source="created_at")
    template = serializers.CharField()
    channel = serializers.ChoiceField(choices=ConfirmationMethod.choices)
    language = serializers.CharField()
    recipient = serializers.CharField()
    subject = serializers.CharField()
    body = serializers.CharField()
    delivery = BlankAsNullChoiceField(
        OutboxStatus.choices,
        source="delivery_status",
        help_text="Whether the email left: pending, retrying, sent, or failed (the outbox gave "
        "up); null for a confirmation staff gave by hand.",
    )


@extend_schema_serializer(component_name="RequestDocument")
class RequestDocumentOutputSerializer(ApiSerializer):
    """A document the consumer sent (§7023(d)); the file itself is only for staff in the admin."""

    name = serializers.CharField(source="original_name", help_text="As the consumer named it.")
    content_type = serializers.CharField(
        help_text="Read from the content at upload: application/pdf, image/jpeg or image/png."
    )
    size = serializers.IntegerField(help_text="Bytes.")
    uploaded_at = UtcDateTimeField()


@extend_schema_serializer(component_name="PrivacyRequestDetail")
class PrivacyRequestDetailOutputSerializer(PrivacyRequestOutputSerializer):
    timeline = EventOutputSerializer(source="events.all", many=True)
    communications = CommunicationOutputSerializer(source="communications.all", many=True)
    documents = RequestDocumentOutputSerializer(
        source="documents.all",
        many=True,
        help_text="The consumer's documentation (requests to correct). Staff must open each one "
        "in the admin before closing the request (§7023(d)(1)).",
    )


@extend_schema_serializer(component_name="PrivacyRequestPage")
class PrivacyRequestPageOutputSerializer(PageOutputSerializer):
    results = PrivacyRequestOutputSerializer(many=True)
