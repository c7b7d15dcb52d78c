"""Identity verification (§7060–§7063, §7031, §7070(c)): each business's verification policy,
its consumer directory (keyed hashes only), and for each request to know, delete or correct the
verification record — the degree required and reached, every data point checked and how, the
signed declaration, the authorized agent's permission — with the links, attempts and documents
that produced it.

Written only by ``verification.services``; read through ``Model.objects.for_tenant(tenant)``.
No raw identifier of the directory is ever stored (``verification.normalize``); the values a
consumer types in to be verified are kept only while a business's system is asked about them,
encrypted, and removed once answered or once the request is closed (§7060(d)).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core import content_types
from core.tokens import OneTimeToken
from tenants.models import TenantOwnedModel

from . import degrees
from .normalize import HASH_HEX_LENGTH


class Degree(models.TextChoices):
    REASONABLE = degrees.REASONABLE, "Reasonable degree of certainty (§7062(b))"
    REASONABLY_HIGH = degrees.REASONABLY_HIGH, "Reasonably high degree of certainty (§7062(c))"


class DataPoint(models.TextChoices):
    EMAIL = degrees.EMAIL, "Email address"
    PHONE = degrees.PHONE, "Phone number"
    NAME = degrees.NAME, "Full name"
    POSTAL_ADDRESS = degrees.POSTAL_ADDRESS, "Postal address"
    ACCOUNT = degrees.ACCOUNT, "Account or customer number"
    DATE_OF_BIRTH = degrees.DATE_OF_BIRTH, "Date of birth"
    LAST_PURCHASE_DATE = degrees.LAST_PURCHASE_DATE, "Date of last purchase"
    LAST_PURCHASE_AMOUNT = degrees.LAST_PURCHASE_AMOUNT, "Amount of last purchase"


class ParentalMethod(models.TextChoices):
    """The methods of §7070(a)(2) by which a parent or guardian is verified."""

    SIGNED_FORM = "signed_form", "Consent form signed under penalty of perjury (§7070(a)(2)(A))"
    PAYMENT_CARD = "payment_card", "Payment card transaction (§7070(a)(2)(B))"
    TOLL_FREE_CALL = "toll_free_call", "Call to a toll-free number (§7070(a)(2)(C))"
    VIDEO = "video", "Video conference (§7070(a)(2)(D))"
    IN_PERSON = "in_person", "In person (§7070(a)(2)(E))"
    GOVERNMENT_ID = "government_id", "Check of a government ID (§7070(a)(2)(F))"


class AgentConsumerStep(models.TextChoices):
    """What the business also asks of the consumer when an agent makes the request (§7063(a))."""

    NONE = "none", "Nothing more: the signed permission is enough"
    VERIFY = "verify", "The consumer verifies their own identity (§7063(a)(1))"
    CONFIRM = "confirm", "The consumer confirms the agent directly (§7063(a)(2))"


def default_asked_points() -> list[str]:
    return [
        degrees.NAME,
        degrees.PHONE,
        degrees.POSTAL_ADDRESS,
        degrees.ACCOUNT,
        degrees.LAST_PURCHASE_DATE,
        degrees.LAST_PURCHASE_AMOUNT,
    ]


def default_reminder_days() -> list[int]:
    return [3, 10, 30]


def default_high_degree_delete_categories() -> list[str]:
    # §7062(d): sensitive or valuable information (its example: family photographs) needs the
    # reasonably high degree; the requests_app DeleteCategory values.
    return ["biometric", "sensitive", "audio_visual"]


def default_parental_methods() -> list[str]:
    return [ParentalMethod.SIGNED_FORM]


class VerificationPolicy(TenantOwnedModel):
    """How a business verifies requests (§7060(a), §7062(d), §7063(a)); one per business, made
    with its defaults when first needed (``services.verification_policy``)."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    delete_degree = models.CharField(
        max_length=20,
        choices=Degree.choices,
        default=Degree.REASONABLE,
        help_text="For a request to delete all information (§7062(d)).",
    )
    correct_degree = models.CharField(
        max_length=20,
        choices=Degree.choices,
        default=Degree.REASONABLE,
        help_text="For a request to correct (§7062(d)).",
    )
    high_degree_delete_categories = models.JSONField(
        default=default_high_degree_delete_categories,
        blank=True,
        help_text="Kinds of information whose deletion needs the reasonably high degree "
        "(§7062(d): by sensitivity, value and risk of harm).",
    )
    high_degree_correct_fields = models.JSONField(
        default=list,
        blank=True,
        help_text="Information whose correction needs the reasonably high degree (§7062(d)).",
    )
    asked_points = models.JSONField(
        "data points asked for",
        default=default_asked_points,
        help_text="What consumers may give to be matched against the business's records. Never "
        "Social Security, driver's licence, financial account or health numbers (§7060(c)(2)).",
    )
    reminder_days = models.JSONField(
        default=default_reminder_days,
        help_text="Days after receipt on which a consumer who has not finished verifying is "
        "reminded. An unverified request is denied only when its 45 days run out (§7021(b)).",
    )
    link_valid_days = models.PositiveSmallIntegerField(
        default=7, help_text="How long an email-confirmation link works."
    )
    use_directory = models.BooleanField(
        "match against the consumer directory",
        default=True,
        help_text="The directory imported into the portal, holding only keyed hashes.",
    )
    webhook_endpoint = models.ForeignKey(
        "outbox.WebhookEndpoint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Also ask the business's own system which data points match (signed POST).",
    )
    webhook_timeout_seconds = models.PositiveSmallIntegerField(default=5)
    directory_key_encrypted = models.TextField(editable=False)
    account_assertion_key_encrypted = models.TextField(editable=False, blank=True)
    account_assertion_key_hint = models.CharField(max_length=12, editable=False, blank=True)
    account_reauth_minutes = models.PositiveSmallIntegerField(
        default=15,
        help_text="An account sign-in older than this is asked again before anything is "
        "disclosed or deleted (§7061(a)).",
    )
    agent_requires_permission = models.BooleanField(
        default=True,
        help_text="An agent's request to know, delete or correct needs the consumer's signed "
        "permission (§7063(a)). A power of attorney always suffices (§7063(b)).",
    )
    agent_consumer_step = models.CharField(
        max_length=10, choices=AgentConsumerStep.choices, default=AgentConsumerStep.NONE
    )
    parental_methods = models.JSONField(
        default=default_parental_methods,
        help_text="How a parent or guardian of a child under 13 is verified (§7070(a)(2)).",
    )
    attempts_per_request = models.PositiveSmallIntegerField(
        default=5, help_text="Failed matches before a request is locked for the lockout time."
    )
    attempts_per_email_hour = models.PositiveSmallIntegerField(default=5)
    attempts_per_ip_hour = models.PositiveSmallIntegerField(default=20)
    lockout_minutes = models.PositiveSmallIntegerField(default=60)
    requests_per_identity_day = models.PositiveSmallIntegerField(
        default=5,
        help_text="More verifiable requests than this for one email address in a day alert the "
        "business's admins (§7060(f)).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = "verification policy"
        verbose_name_plural = "verification policy"

    def __str__(self) -> str:
        return "Verification policy"


class DirectoryRecord(TenantOwnedModel):
    """One consumer as the business holds them, kept only as keyed hashes of normalized values
    (``verification.normalize``): the portal can match without keeping personal information.

    ``record_key`` is the hash of the business's own id for the consumer: importing the same
    consumer again replaces their record.
    """

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    record_key = models.CharField(max_length=HASH_HEX_LENGTH)
    email_hash = models.CharField(max_length=HASH_HEX_LENGTH, blank=True)
    phone_hash = models.CharField(max_length=HASH_HEX_LENGTH, blank=True)
    account_hash = models.CharField(max_length=HASH_HEX_LENGTH, blank=True)
    name_hash = models.CharField(max_length=HASH_HEX_LENGTH, blank=True)
    postal_address_hash = models.CharField(max_length=HASH_HEX_LENGTH, blank=True)
    date_of_birth_hash = models.CharField(max_length=HASH_HEX_LENGTH, blank=True)
    last_purchase_date_hash = models.CharField(max_length=HASH_HEX_LENGTH, blank=True)
    last_purchase_amount_hash = models.CharField(max_length=HASH_HEX_LENGTH, blank=True)
    imported_at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "record_key"], name="directory_unique_key")
        ]
        # A consumer is found by an anchor (degrees.ANCHORS); the other points are compared on
        # the record found. Indexed only where set.
        indexes = [
            models.Index(
                fields=["tenant", "email_hash"],
                name="directory_by_email",
                condition=~Q(email_hash=""),
            ),
            models.Index(
                fields=["tenant", "phone_hash"],
                name="directory_by_phone",
                condition=~Q(phone_hash=""),
            ),
            models.Index(
                fields=["tenant", "account_hash"],
                name="directory_by_account",
                condition=~Q(account_hash=""),
            ),
        ]

    def __str__(self) -> str:
        return f"Directory record {self.record_key[:8]}"


class DirectoryImport(TenantOwnedModel):
    """One CSV import of the directory: who, when, and what happened to each row."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    actor_label = models.CharField(max_length=150)
    file_name = models.CharField(max_length=255, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    rows_refused = models.PositiveIntegerField(default=0)
    all_or_nothing = models.BooleanField(default=True)
    # Each refused row: {"line": n, "field": "...", "why": "..."} (the first 1,000).
    refusals = models.JSONField(default=list, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Directory import of {self.started_at:%Y-%m-%d %H:%M}"


class VerificationStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the consumer"
    CHECKING = "checking", "Waiting for the business's system"
    VERIFIED = "verified", "Verified"
    UNVERIFIABLE = "unverifiable", "Could not be verified"
    FRAUD = "fraud", "Marked as fraud by staff"
    CLOSED = "closed", "Request closed before verification"


OPEN_VERIFICATION = (VerificationStatus.PENDING, VerificationStatus.CHECKING)


class MatcherState(models.TextChoices):
    IDLE = "idle", "Nothing to ask"
    WAITING = "waiting", "Asking the business's system"
    FAILED = "failed", "The business's system did not answer; will retry"


class Verification(TenantOwnedModel):
    """The verification record of one request to know, delete or correct: what degree it needs
    (§7062), what it reached, and the evidence (``DataPointCheck``, ``Declaration``)."""

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    privacy_request = models.OneToOneField(
        "requests_app.PrivacyRequest", on_delete=models.CASCADE, related_name="verification"
    )
    required_degree = models.CharField(max_length=20, choices=Degree.choices)
    reached_degree = models.CharField(max_length=20, choices=Degree.choices, blank=True)
    status = models.CharField(
        max_length=14, choices=VerificationStatus.choices, default=VerificationStatus.PENDING
    )
    contested_points = models.JSONField(
        default=list, blank=True, help_text="Not used to verify a request to correct (§7060(h))."
    )
    # §7024(a): a request for specific pieces verified only to a reasonable degree is answered
    # with categories; no specific piece is disclosed.
    categories_only = models.BooleanField(default=False)
    email_proven_at = models.DateTimeField(null=True, blank=True)
    # The last sign-in asserted by the business's own site (§7061): re-asked before disclosure
    # or deletion when older than the policy allows.
    account_asserted_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    matcher_state = models.CharField(
        max_length=10, choices=MatcherState.choices, default=MatcherState.IDLE
    )
    matcher_error = models.TextField(blank=True)
    matcher_attempts = models.PositiveSmallIntegerField(default=0)
    # When a question to the business's system should have been asked by: past it, the catch-up
    # (``services.webhook.webhook_match_catch_up``) queues it again (a broker that was down).
    matcher_next_at = models.DateTimeField(null=True, blank=True)
    # What the consumer typed in, encrypted, while the business's system is asked about it;
    # emptied once answered, and at close (§7060(d)).
    pending_values_encrypted = models.TextField(blank=True, editable=False)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    # The next reminder, denial (end of the 45 days) or matcher retry; the sweep reads only these.
    next_due_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    method = models.CharField(
        max_length=200, blank=True, help_text="How the degree was reached, in a few words."
    )
    purged_at = models.DateTimeField(
        null=True, blank=True, help_text="When the data collected for verification was deleted."
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        indexes = [
            models.Index(
                fields=["matcher_next_at"],
                name="verification_matcher_due",
                condition=Q(matcher_next_at__isnull=False),
            ),
            models.Index(
                fields=["next_due_at"],
                name="verification_due",
                condition=Q(next_due_at__isnull=False)
                & Q(status__in=[VerificationStatus.PENDING, VerificationStatus.CHECKING]),
            ),
        ]

    def __str__(self) -> str:
        return f"Verification of {self.privacy_request_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_VERIFICATION


class CheckSource(models.TextChoices):
    EMAIL_LINK = "email_link", "Email link opened by the consumer"
    DIRECTORY = "directory", "Consumer directory"
    WEBHOOK = "webhook", "The business's own system"
    ACCOUNT = "account", "Signed in to the business's site"
    STAFF = "staff", "Checked by staff"


class CheckResult(models.TextChoices):
    MATCHED = degrees.MATCHED, "Matched"
    NOT_MATCHED = degrees.NOT_MATCHED, "Did not match"
    CONTESTED = degrees.NOT_USED_CONTESTED, "Not used: it is what the consumer asks to correct"
    NOT_HELD = degrees.NOT_HELD, "Nothing held to compare with"


class Reliability(models.TextChoices):
    HIGH = "high", "High (proven possession or signed-in account)"
    RELIABLE = "reliable", "Reliable (held by the business)"
    STAFF = "staff", "As judged by staff"


class DataPointCheck(TenantOwnedModel):
    """One data point compared for a verification (§7060(c)(1)): which, against what, the result.
    Never the value itself."""

    verification = models.ForeignKey(Verification, on_delete=models.CASCADE, related_name="checks")
    point = models.CharField(max_length=24, choices=DataPoint.choices)
    source = models.CharField(max_length=12, choices=CheckSource.choices)
    result = models.CharField(max_length=12, choices=CheckResult.choices)
    reliability = models.CharField(max_length=10, choices=Reliability.choices)
    checked_at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["checked_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_point_display()}: {self.get_result_display()}"


class Declaration(TenantOwnedModel):
    """A declaration signed under penalty of perjury that the requester is the consumer
    (§7062(c)); signed electronically (typed name and date, attestation, time, address: §7001(ii)).
    Kept as a record: the verification purge leaves it (§7062(c), §7101)."""

    privacy_request = models.ForeignKey(
        "requests_app.PrivacyRequest", on_delete=models.PROTECT, related_name="declarations"
    )
    typed_name = models.CharField(max_length=200)
    typed_date = models.DateField()
    statement = models.TextField(help_text="The words signed, in the language shown.")
    language = models.CharField(max_length=8)
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["signed_at", "id"]

    def __str__(self) -> str:
        return f"Declaration signed {self.signed_at:%Y-%m-%d}"


class LinkPurpose(models.TextChoices):
    EMAIL = "email", "Prove possession of the email address"
    AGENT_CONFIRMATION = "agent", "The consumer confirms their agent (§7063(a)(2))"
    # Not sent: an account assertion accepted once, kept until it expires so it cannot be
    # used again (verification.services.account).
    ACCOUNT_ASSERTION = "account", "A sign-in asserted by the business's site (§7061), used"


class VerificationLink(OneTimeToken, TenantOwnedModel):
    """A one-time, expiring link sent by email (``core.tokens``): opening it proves the address
    is the requester's, or lets the consumer confirm an agent."""

    privacy_request = models.ForeignKey(
        "requests_app.PrivacyRequest", on_delete=models.CASCADE, related_name="+"
    )
    purpose = models.CharField(max_length=8, choices=LinkPurpose.choices)
    email = models.EmailField()

    class Meta(TenantOwnedModel.Meta):
        indexes = [
            models.Index(fields=["privacy_request", "-created_at"], name="verification_link_recent")
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} for {self.privacy_request_id}"


class VerificationAttempt(TenantOwnedModel):
    """One try at matching (§7060(f)): counted per request, per email address and per network
    address for the lockout and the alerts. The email is a keyed hash, never the address."""

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    privacy_request = models.ForeignKey(
        "requests_app.PrivacyRequest", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    email_hash = models.CharField(max_length=HASH_HEX_LENGTH, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField()
    succeeded = models.BooleanField()

    class Meta(TenantOwnedModel.Meta):
        indexes = [
            models.Index(fields=["tenant", "email_hash", "at"], name="attempt_by_email"),
            models.Index(fields=["tenant", "ip_address", "at"], name="attempt_by_ip"),
        ]

    def __str__(self) -> str:
        return f"Attempt at {self.at:%Y-%m-%d %H:%M}"


class FraudAlert(TenantOwnedModel):
    """An unusual pattern the business's admins were told of (§7060(f))."""

    kind = models.CharField(max_length=20)
    message = models.TextField()
    created_at = models.DateTimeField()
    dedupe_key = models.CharField(max_length=160, unique=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.message[:80]


class DocumentKind(models.TextChoices):
    AGENT_PERMISSION = "agent_permission", "Consumer's signed permission for the agent (§7063(a))"
    POWER_OF_ATTORNEY = "power_of_attorney", "Power of attorney (§7063(b))"
    PARENT_ID = "parent_id", "Parent's government ID (§7070(a)(2)(F))"
    HOUSEHOLD_EVIDENCE = "household_evidence", "Evidence of household membership (§7031(a)(3))"


# Kept with the record after close: the basis on which someone else asked for the consumer.
KEPT_DOCUMENT_KINDS = frozenset({DocumentKind.AGENT_PERMISSION, DocumentKind.POWER_OF_ATTORNEY})


def verification_document_path(instance: VerificationDocument, filename: str) -> str:
    extension = content_types.EXTENSIONS.get(instance.content_type, "")
    return (
        f"tenant_{instance.tenant_id}/verification/{instance.privacy_request_id}/"
        f"{uuid.uuid4().hex}{extension}.enc"
    )


class VerificationDocument(TenantOwnedModel):
    """A document given for verification, stored encrypted (``core.uploads``). A parent's ID is
    deleted once checked (§7070(a)(2)(F)); other verification documents at close (§7060(d)),
    except the agent's permission and power of attorney, kept as the record of who asked."""

    privacy_request = models.ForeignKey(
        "requests_app.PrivacyRequest", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    file = models.FileField(upload_to=verification_document_path, max_length=255, blank=True)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField(help_text="Bytes.")
    uploaded_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class AgentKind(models.TextChoices):
    PERSON = "person", "A natural person"
    BUSINESS = "business", "A business registered with the California Secretary of State"


class AgentAuthorization(TenantOwnedModel):
    """Who an authorized agent is (§7001(d)) and what backs their request (§7063)."""

    privacy_request = models.OneToOneField(
        "requests_app.PrivacyRequest", on_delete=models.CASCADE, related_name="agent_authorization"
    )
    agent_kind = models.CharField(max_length=10, choices=AgentKind.choices)
    entity_number = models.CharField("Secretary of State entity number", max_length=20, blank=True)
    power_of_attorney = models.BooleanField(default=False)
    permission_required = models.BooleanField(default=True)
    permission_received_at = models.DateTimeField(null=True, blank=True)
    consumer_step = models.CharField(
        max_length=10, choices=AgentConsumerStep.choices, default=AgentConsumerStep.NONE
    )
    consumer_confirmed_at = models.DateTimeField(null=True, blank=True)
    consumer_refused_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Agent of {self.privacy_request_id}"


class Household(TenantOwnedModel):
    """A household request without a household account (§7031(a)): it proceeds only when every
    member has joined, been verified, and been confirmed a current member."""

    code = models.CharField(max_length=20, help_text="Given to the members to join.")
    lead_request = models.OneToOneField(
        "requests_app.PrivacyRequest", on_delete=models.CASCADE, related_name="household"
    )
    members_expected = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="household_unique_code")
        ]

    def __str__(self) -> str:
        return f"Household {self.code}"


class HouseholdMember(TenantOwnedModel):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    privacy_request = models.OneToOneField(
        "requests_app.PrivacyRequest", on_delete=models.CASCADE, related_name="household_member"
    )
    under_13 = models.BooleanField(default=False)
    membership_evidence = models.TextField(blank=True)
    membership_confirmed_at = models.DateTimeField(null=True, blank=True)
    membership_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    joined_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Member of {self.household_id}"


class ParentalCheck(TenantOwnedModel):
    """A request about a child under 13, made by a parent or guardian: verified as the parent
    by a §7070(a)(2) method the business enables before anything else (§7070(c), §7031(c))."""

    privacy_request = models.OneToOneField(
        "requests_app.PrivacyRequest", on_delete=models.CASCADE, related_name="parental_check"
    )
    method = models.CharField(max_length=20, choices=ParentalMethod.choices, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Parental check for {self.privacy_request_id}"
