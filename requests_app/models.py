"""Privacy requests, their timeline, the messages sent about them, and the outbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from phonenumber_field.modelfields import PhoneNumberField

from tenants.models import TenantOwnedModel

from . import lifecycle


class RequestType(models.TextChoices):
    KNOW = "know", "Request to know"
    DELETE = "delete", "Request to delete"
    CORRECT = "correct", "Request to correct"
    OPT_OUT = "opt_out", "Request to opt out of sale/sharing"
    LIMIT = "limit", "Request to limit use of sensitive personal information"
    OPT_IN = "opt_in", "Request to opt in to sale/sharing"


class KnowScope(models.TextChoices):
    """What a request to know asks for (§7001(z))."""

    CATEGORIES = "categories", "Categories of personal information"
    SPECIFIC = "specific", "Specific pieces of personal information"
    BOTH = "both", "Categories and specific pieces"


class Channel(models.TextChoices):
    """The manner in which the request was made (§7101(b))."""

    WEBFORM = "webform", "Online form"
    EMAIL = "email", "Email"
    PHONE = "phone", "Telephone"
    MAIL = "mail", "Mail"
    IN_PERSON = "in_person", "In person"
    API = "api", "API"
    AGENT = "agent", "Authorized agent"
    GPC = "gpc", "Opt-out preference signal"


class Status(models.TextChoices):
    RECEIVED = lifecycle.RECEIVED, "Received"
    AWAITING_VERIFICATION = lifecycle.AWAITING_VERIFICATION, "Awaiting verification"
    VERIFIED = lifecycle.VERIFIED, "Verified"
    IN_PROGRESS = lifecycle.IN_PROGRESS, "In progress"
    CLOSED = lifecycle.CLOSED, "Closed"


class Outcome(models.TextChoices):
    COMPLIED = "complied", "Complied"
    COMPLIED_IN_PART = "complied_in_part", "Complied in part"
    DENIED = "denied", "Denied"


class DenialReason(models.TextChoices):
    """Denial reasons; they map one-to-one onto the §7102(a)(2)(A) breakdown."""

    UNVERIFIABLE = "unverifiable", "Could not verify identity"
    NOT_A_CONSUMER = "not_a_consumer", "Not made by a consumer"
    EXEMPT = "exempt", "Exempt (legal basis given)"
    FRAUDULENT = "fraudulent", "Fraudulent or abusive"
    OTHER = "other", "Other grounds"


class ConfirmationMethod(models.TextChoices):
    """How receipt was confirmed to the consumer (§7021(a))."""

    EMAIL = "email", "Email"
    ORAL = "oral", "Orally (e.g. on the call)"
    MAIL = "mail", "Letter"
    IN_PERSON = "in_person", "In person"


class DueState(models.TextChoices):
    """What the deadline sweep last found (see requests_app.sweep)."""

    ON_TRACK = "on_track", "On track"
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue"


class PrivacyRequest(TenantOwnedModel):
    """A consumer's request under the CCPA, with everything §7101(b) and §7102 need."""

    reference = models.CharField(max_length=20, editable=False)
    request_type = models.CharField("type", max_length=10, choices=RequestType.choices)
    know_scope = models.CharField(max_length=12, choices=KnowScope.choices, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    received_at = models.DateTimeField(help_text="When the request actually reached the business.")
    received_date = models.DateField(help_text="Local date of receipt in the business's time zone.")

    requester_name = models.CharField(max_length=200, blank=True)
    requester_email = models.EmailField(blank=True)
    requester_phone = PhoneNumberField(blank=True)
    requester_state = models.CharField(
        "state of residence", max_length=2, blank=True, help_text="Two-letter US state code."
    )
    is_california_consumer = models.BooleanField(
        null=True, blank=True, help_text="Resident of California (Civ. Code §1798.140(i))."
    )
    submitted_by_agent = models.BooleanField(default=False)
    agent_name = models.CharField(max_length=200, blank=True)
    agent_organization = models.CharField(max_length=200, blank=True)
    agent_email = models.EmailField(blank=True)
    agent_phone = PhoneNumberField(blank=True)

    status = models.CharField(max_length=24, choices=Status.choices, default=Status.RECEIVED)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    denial_reason = models.CharField(max_length=20, choices=DenialReason.choices, blank=True)
    denial_legal_basis = models.CharField(max_length=300, blank=True)
    denial_explanation = models.TextField(blank=True)

    calendar = models.CharField(
        max_length=20, help_text="Business-day calendar the deadlines used."
    )
    confirm_by = models.DateField(null=True, blank=True)
    respond_by = models.DateField(null=True, blank=True)
    comply_by = models.DateField(null=True, blank=True)
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)

    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmation_method = models.CharField(
        max_length=12, choices=ConfirmationMethod.choices, blank=True
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The deadline sweep's bookkeeping: the next instant something is due for this request
    # (a reminder threshold or a deadline), and what it last found.
    next_due_at = models.DateTimeField(null=True, blank=True)
    due_state = models.CharField(max_length=10, choices=DueState.choices, default=DueState.ON_TRACK)

    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "reference"], name="request_unique_reference"
            ),
            models.CheckConstraint(
                condition=~Q(status=lifecycle.CLOSED) | ~Q(outcome=""),
                name="request_closed_has_outcome",
            ),
        ]
        indexes = [
            # The review queue: newest first within a tenant, and by status.
            models.Index(fields=["tenant", "-received_at"], name="request_queue_recent"),
            models.Index(fields=["tenant", "status", "-received_at"], name="request_queue_status"),
            models.Index(fields=["tenant", "respond_by"], name="request_queue_respond_by"),
            models.Index(fields=["tenant", "requester_email"], name="request_by_email"),
            # The deadline sweep reads only open requests whose next milestone has come.
            models.Index(
                fields=["next_due_at"],
                name="request_sweep_due",
                condition=Q(next_due_at__isnull=False) & ~Q(status=lifecycle.CLOSED),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def active_due_date(self):
        """The statutory deadline the queue tracks: respond-by or comply-by."""
        return self.respond_by or self.comply_by

    @property
    def needs_verification(self) -> bool:
        return lifecycle.needs_verification(self.request_type)


class EventKind(models.TextChoices):
    CREATED = "created", "Received"
    ACKNOWLEDGED = "acknowledged", "Receipt confirmed"
    STATUS = "status", "Status changed"
    VERIFIED = "verified", "Verified"
    ASSIGNED = "assigned", "Assigned"
    EXTENDED = "extended", "Extended"
    CLOSED = "closed", "Closed"
    REMINDER = "reminder", "Reminder"
    ESCALATED = "escalated", "Escalated"
    NOTE = "note", "Note"


class RequestEvent(TenantOwnedModel):
    """One entry of a request's timeline: who did what, when, and why."""

    privacy_request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, help_text="Who acted, as shown on the timeline.")
    message = models.TextField()
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Lets retried work (the sweep) record an event at most once.
    dedupe_key = models.CharField(max_length=120, null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["privacy_request", "at"], name="event_timeline")]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="event_unique_dedupe_key"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


class Communication(TenantOwnedModel):
    """A message sent to the consumer or agent: the record of the date and nature of responses."""

    privacy_request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="communications"
    )
    template = models.CharField(max_length=50)
    language = models.CharField(max_length=8, default="en")
    channel = models.CharField(max_length=12, choices=ConfirmationMethod.choices, default="email")
    recipient = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.subject


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (will retry)"
    DEAD = "dead", "Gave up"


class OutboxMessage(TenantOwnedModel):
    """An email waiting to leave, written in the same transaction as the change that caused it."""

    privacy_request = models.ForeignKey(
        PrivacyRequest,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbox_messages",
    )
    communication = models.ForeignKey(
        Communication, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    dedupe_key = models.CharField(max_length=160, unique=True)
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = "outbox email"
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="outbox_newest"),
            # The relay reads only what is still to send.
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_relay_due",
                condition=Q(status__in=["pending", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"
