"""Privacy requests, their timeline, the messages sent about them, their documents and status
links. Choice values come from ``vocabulary``."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from core import content_types
from core.tokens import OneTimeToken
from tenants.models import TenantOwnedModel

from . import lifecycle
from . import vocabulary as words


class RequestType(models.TextChoices):
    KNOW = words.KNOW, "Request to know"
    DELETE = words.DELETE, "Request to delete"
    CORRECT = words.CORRECT, "Request to correct"
    OPT_OUT = words.OPT_OUT, "Request to opt out of sale/sharing"
    LIMIT = words.LIMIT, "Request to limit use of sensitive personal information"
    OPT_IN = words.OPT_IN, "Request to opt in to sale/sharing"


class KnowScope(models.TextChoices):
    """What a request to know asks for (§7001(z))."""

    CATEGORIES = words.KNOW_CATEGORIES, "Categories of personal information"
    SPECIFIC = words.KNOW_SPECIFIC, "Specific pieces of personal information"
    BOTH = words.KNOW_BOTH, "Categories and specific pieces"


class Channel(models.TextChoices):
    """The manner in which the request was made (§7101(b))."""

    WEBFORM = words.WEBFORM, "Online form"
    EMAIL = words.EMAIL, "Email"
    PHONE = words.PHONE, "Telephone"
    MAIL = words.MAIL, "Mail"
    IN_PERSON = words.IN_PERSON, "In person"
    API = words.API, "API"
    AGENT = words.AGENT, "Authorized agent"
    GPC = words.GPC, "Opt-out preference signal"


class Status(models.TextChoices):
    RECEIVED = words.RECEIVED, "Received"
    AWAITING_VERIFICATION = words.AWAITING_VERIFICATION, "Awaiting verification"
    VERIFIED = words.VERIFIED, "Verified"
    IN_PROGRESS = words.IN_PROGRESS, "In progress"
    CLOSED = words.CLOSED, "Closed"


class Outcome(models.TextChoices):
    COMPLIED = words.COMPLIED, "Complied"
    COMPLIED_IN_PART = words.COMPLIED_IN_PART, "Complied in part"
    DENIED = words.DENIED, "Denied"
    WITHDRAWN = words.WITHDRAWN, "Withdrawn by the consumer"


class DeleteScope(models.TextChoices):
    """What a request to delete covers. "All" is the default and always offered first (§7022(h))."""

    ALL = "all", "All personal information"
    SELECTED = "selected", "Selected categories only"


class DeleteCategory(models.TextChoices):
    """Categories a consumer may pick for a selective delete, named after Civ. Code §1798.140(v)(1)
    in plain words (§7003(a)). Offered only below the "delete all" choice (§7022(h))."""

    IDENTIFIERS = (
        "identifiers",
        _("Contact details and identifiers (name, email, address, account name)"),
    )
    CUSTOMER_RECORDS = (
        "customer_records",
        _("Customer records (phone number, signature, payment details)"),
    )
    CHARACTERISTICS = "characteristics", _("Personal characteristics (such as age or gender)")
    COMMERCIAL = "commercial", _("Purchase history and other commercial information")
    BIOMETRIC = "biometric", _("Biometric information (such as fingerprints or face scans)")
    INTERNET_ACTIVITY = "internet_activity", _("Browsing, search and app activity")
    GEOLOCATION = "geolocation", _("Location data")
    AUDIO_VISUAL = "audio_visual", _("Recordings, photos and other audio or visual information")
    PROFESSIONAL = "professional", _("Work and employment information")
    EDUCATION = "education", _("Education information")
    INFERENCES = "inferences", _("Profiles and conclusions drawn about you")
    SENSITIVE = "sensitive", _("Sensitive personal information (such as health data or ID numbers)")


class CorrectionField(models.TextChoices):
    """Which piece of information a request to correct is about (§7023; the §7023(g) repeat check)."""

    NAME = "name", _("Name")
    EMAIL = "email", _("Email address")
    PHONE = "phone", _("Phone number")
    POSTAL_ADDRESS = "postal_address", _("Postal address")
    DATE_OF_BIRTH = "date_of_birth", _("Date of birth")
    ACCOUNT = "account", _("Account or purchase details")
    OTHER = "other", _("Something else")


class Flag(models.TextChoices):
    """Things staff should know about a request, found at intake."""

    KNOW_LIMIT_EXCEEDED = (
        words.FLAG_KNOW_LIMIT,
        "Third request to know within 12 months (Civ. Code §1798.130(b))",
    )
    REPEAT_CORRECTION = (
        words.FLAG_REPEAT_CORRECTION,
        "Same correction denied within the past 6 months (§7023(g))",
    )


class DenialReason(models.TextChoices):
    """Denial reasons; each maps onto one bucket of the §7102(a)(2)(A) breakdown
    (``vocabulary.DENIAL_REASON_METRIC``)."""

    UNVERIFIABLE = words.UNVERIFIABLE, "Could not verify identity"
    NOT_A_CONSUMER = words.NOT_A_CONSUMER, "Not made by a consumer"
    EXEMPT = words.EXEMPT, "Exempt (legal basis given)"
    FRAUDULENT = words.FRAUDULENT, "Fraudulent or abusive (documented)"
    AGENT_WITHOUT_PERMISSION = (
        words.AGENT_WITHOUT_PERMISSION,
        "Authorized agent without the consumer's signed permission",
    )
    OTHER = words.OTHER, "Other grounds"


class ConfirmationMethod(models.TextChoices):
    """How receipt was confirmed to the consumer (§7021(a))."""

    EMAIL = words.BY_EMAIL, "Email"
    ORAL = words.BY_VOICE, "Orally (e.g. on the call)"
    MAIL = words.BY_LETTER, "Letter"
    IN_PERSON = words.FACE_TO_FACE, "In person"


# The queue's order: open requests first, then the statutory deadline (respond-by or comply-by).
QUEUE_CLOSED_LAST = Case(When(status=words.CLOSED, then=Value(1)), default=Value(0))
QUEUE_DUE_DATE = Coalesce("respond_by", "comply_by")


class PrivacyRequest(TenantOwnedModel):
    """A consumer's request under the CCPA, with everything §7101(b) and §7102 need."""

    # Every index below starts with the tenant, so the foreign key's own index would only cost
    # writes (intake, and the sweep's UPDATE of every due row touches every index).
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    reference = models.CharField(max_length=20, editable=False)
    request_type = models.CharField("type", max_length=10, choices=RequestType.choices)
    know_scope = models.CharField(max_length=12, choices=KnowScope.choices, blank=True)
    # The period a request to know covers (amended §7020, §7024(h)): both empty means everything
    # since January 1, 2022, up to the answer (``know_period``).
    know_period_start = models.DateField(
        "period asked for: from",
        null=True,
        blank=True,
        help_text="Requests to know: empty means everything since January 1, 2022.",
    )
    know_period_end = models.DateField(
        "period asked for: to",
        null=True,
        blank=True,
        help_text="Requests to know: empty means up to the answer.",
    )
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
    language = models.CharField(
        max_length=8,
        default="en",
        help_text="The language the consumer used; later messages use it too (§7003(b)(2)).",
    )

    # Request to delete (§7022(h)): everything, or only the categories chosen.
    delete_scope = models.CharField(
        max_length=10,
        choices=DeleteScope.choices,
        blank=True,
        help_text="For requests to delete; blank means all personal information.",
    )
    delete_categories = models.JSONField(default=list, blank=True)
    # Two-step delete (§7020(d)): the consumer still has to confirm; the clock already runs.
    awaiting_consumer_confirmation = models.BooleanField(default=False)
    consumer_confirmed_at = models.DateTimeField(null=True, blank=True)

    # Request to correct (§7023).
    correction_field = models.CharField(
        "information to correct", max_length=20, choices=CorrectionField.choices, blank=True
    )
    correction_information = models.TextField(
        "what is wrong", blank=True, help_text="What the consumer says is inaccurate."
    )
    correction_requested = models.TextField(
        "what it should say", blank=True, help_text="The correction the consumer asks for."
    )
    # §7023(j): the consumer asked to see all the specific pieces to confirm the correction.
    correction_disclosure_wanted = models.BooleanField(
        "wants to see all specific pieces",
        default=False,
        help_text="The consumer asked to see all the specific pieces of personal information "
        "to confirm the correction (§7023(j)); it does not count as a request to know.",
    )
    # §7023(b): staff's totality-of-circumstances assessment and what they considered.
    correction_assessment = models.TextField(
        "assessment (totality of the circumstances)",
        blank=True,
        help_text="Staff's assessment of the contested information (§7023(b)). Not sent to "
        "the consumer.",
    )
    correction_documentation = models.TextField(
        "documentation considered", blank=True, help_text="§7023(b)(1)(C), §7023(d)."
    )
    information_source = models.CharField(
        "source of the inaccurate information",
        max_length=200,
        blank=True,
        help_text="Optional: named in the answer (§7023(i)).",
    )
    # §7023(j): a request to know made to confirm a correction; never counted toward the two
    # requests to know in 12 months (Civ. Code §1798.130(b)).
    confirms_correction = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        help_text="The request to correct whose correction this disclosure confirms (§7023(j)).",
    )

    flags = models.JSONField(
        default=list, blank=True, help_text="Found at intake, for staff (see Flag)."
    )
    know_limit_next_date = models.DateField(
        "may ask to know again from",
        null=True,
        blank=True,
        help_text="Set when this was a third request to know within 12 months (Civ. Code "
        "§1798.130(b)): the day the consumer may next make one.",
    )

    status = models.CharField(max_length=24, choices=Status.choices, default=Status.RECEIVED)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    denial_reason = models.CharField(max_length=30, choices=DenialReason.choices, blank=True)
    denial_legal_basis = models.CharField(max_length=300, blank=True)
    denial_explanation = models.TextField(blank=True)
    done_explanation = models.TextField(
        "what we did",
        blank=True,
        help_text="For a request complied with in part: what was done, in plain words; the "
        "answer gives it before what could not be done and why (issue 16 item 8).",
    )
    denial_fraud_documentation = models.TextField(
        "documented belief of fraud",
        blank=True,
        help_text="For a fraud denial: what was found and why it shows fraud (§7023(h), "
        "§7026(e), §7027(f)). Kept with the record; not sent to the requester.",
    )

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
    # (a reminder threshold or a deadline). Whether a deadline is due soon or overdue is not
    # stored: it is ``deadlines.deadline_state`` of the due date and the business's today.
    next_due_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "reference"], name="request_unique_reference"
            ),
            models.CheckConstraint(
                condition=~Q(status=words.CLOSED) | ~Q(outcome=""),
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
                condition=Q(next_due_at__isnull=False) & ~Q(status=words.CLOSED),
            ),
            # The review queue's default order (requests_app.admin.queue), expression for
            # expression, so PostgreSQL serves the first page, and the deadline filters written
            # in the same terms, from the index instead of sorting 100,000 rows.
            models.Index(
                F("tenant"),
                QUEUE_CLOSED_LAST,
                QUEUE_DUE_DATE,
                F("id"),
                name="request_queue_deadline",
            ),
            # "Receipt confirmation due" (§7021(a)): few rows, never worth a scan of the tenant.
            models.Index(
                fields=["tenant", "confirm_by"],
                name="request_queue_confirm_due",
                condition=Q(confirm_by__isnull=False, confirmed_at__isnull=True)
                & ~Q(status=words.CLOSED),
            ),
            # The sweep closes two-step deletes the consumer never confirmed.
            models.Index(
                fields=["tenant", "received_at"],
                name="request_unconfirmed_delete",
                condition=Q(awaiting_consumer_confirmation=True) & ~Q(status=words.CLOSED),
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

    @property
    def is_open(self) -> bool:
        return self.status != words.CLOSED

    @property
    def outbox_about_key(self) -> str:
        """How the outbox names this request in the messages about it (``about_key``)."""
        return f"privacy_request:{self.pk}"


class EventKind(models.TextChoices):
    CREATED = words.EVENT_CREATED, "Received"
    ACKNOWLEDGED = words.EVENT_ACKNOWLEDGED, "Receipt confirmed"
    STATUS = words.EVENT_STATUS, "Status changed"
    VERIFIED = words.EVENT_VERIFIED, "Verified"
    ASSIGNED = words.EVENT_ASSIGNED, "Assigned"
    EXTENDED = words.EVENT_EXTENDED, "Extended"
    CLOSED = words.EVENT_CLOSED, "Closed"
    REMINDER = words.EVENT_REMINDER, "Reminder"
    ESCALATED = words.EVENT_ESCALATED, "Escalated"
    NOTE = words.EVENT_NOTE, "Note"
    FLAGGED = words.EVENT_FLAGGED, "Flagged for staff"
    CONSUMER_CONFIRMED = words.EVENT_CONSUMER_CONFIRMED, "Confirmed by the consumer"
    DOCUMENT_ADDED = words.EVENT_DOCUMENT_ADDED, "Document received"
    DOCUMENT_OPENED = words.EVENT_DOCUMENT_OPENED, "Document opened by staff"
    CONSENT_CHANGED = words.EVENT_CONSENT_CHANGED, "Consent state changed"


class RequestEvent(TenantOwnedModel):
    """One entry of a request's timeline: who did what, when, and why."""

    # Events are always read through their request (the timeline index); an index on the
    # tenant alone would only cost every intake and every sweep milestone a write.
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # No index of its own: the timeline index (privacy_request, at) serves every lookup.
    privacy_request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="events", db_index=False
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


def request_document_path(instance: RequestDocument, filename: str) -> str:
    # The tenant id leads the path (house style: file paths carry the tenant); the stored name
    # is random, so the consumer's file name never reaches the file system. The content is
    # encrypted (services.documents): ".enc" after the type's extension says so.
    extension = content_types.EXTENSIONS.get(instance.content_type, "")
    return f"tenant_{instance.tenant_id}/requests/{instance.privacy_request_id}/{uuid.uuid4().hex}{extension}.enc"


class RequestDocument(TenantOwnedModel):
    """A document the consumer sent with their request, e.g. to support a correction (§7023(d)).

    Used only to handle the request and for the §7101 record (§7023(d)(3)); never served publicly.
    The file is stored encrypted (``core.encryption``); ``size`` is the consumer's file's.
    Only the assigned staff member and compliance staff may open it (§7023(d)(3)).
    """

    privacy_request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="documents"
    )
    file = models.FileField(upload_to=request_document_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField(help_text="Bytes.")
    uploaded_at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class StatusLink(OneTimeToken, TenantOwnedModel):
    """A one-time, expiring sign-in link to a request's status page, sent by email.

    Only the hash of its token is stored, and using it sets ``used_at`` once (``core.tokens``).
    """

    privacy_request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="status_links"
    )
    email = models.EmailField(help_text="Where the link was sent.")

    class Meta(TenantOwnedModel.Meta):
        indexes = [
            models.Index(fields=["privacy_request", "-created_at"], name="status_link_recent")
        ]

    def __str__(self) -> str:
        return f"Status link for {self.privacy_request_id}"


class CorrectionStatement(TenantOwnedModel):
    """A consumer's written statement about contested health information, at most 250 words
    per item (§7023(f)(4)): kept with the request's record and passed on to the recipients."""

    privacy_request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="correction_statements"
    )
    item = models.CharField("information it is about", max_length=200)
    text = models.TextField("statement")
    word_count = models.PositiveSmallIntegerField()
    submitted_at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        ordering = ["submitted_at", "id"]

    def __str__(self) -> str:
        return f"Statement on {self.item}"


class RecordedCorrection(TenantOwnedModel):
    """A correction made (§7023(c) as amended: it stays corrected): which information of which
    consumer, and the corrected value, both as keyed hashes only, so that a later import that
    contradicts it is flagged (``contradictions``) instead of silently overwriting it."""

    privacy_request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="+")
    email_digest = models.CharField(max_length=64)
    field = models.CharField(max_length=20, choices=CorrectionField.choices)
    value_digest = models.CharField(max_length=64)
    corrected_on = models.DateField()
    source = models.CharField(max_length=200, blank=True)
    contradictions = models.PositiveIntegerField(default=0)
    last_contradicted_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["-corrected_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["privacy_request"], name="recorded_correction_once_per_request"
            )
        ]
        indexes = [
            # The check API's lookup: a business's corrections of one consumer's information.
            models.Index(
                fields=["tenant", "email_digest", "field"], name="recorded_correction_find"
            )
        ]

    def __str__(self) -> str:
        return f"Correction of {self.field} on {self.corrected_on}"
