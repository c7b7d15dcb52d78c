"""Consent state per business and subject, its history, and device-to-consumer links (§7025–§7027);
recipients (the third parties, service providers and contractors a business passes personal
information to) and the notifications they get when a request is complied with.

Subjects are stored only as keyed hashes (``optout.subjects``). Written only by
``optout.services``; read through ``Model.objects.for_tenant(tenant)``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.tokens import OneTimeToken
from tenants.models import TenantOwnedModel

from . import opt_in_rules
from . import recipient_rules as rules

SUBJECT_HASH_LENGTH = 64


class SubjectKindChoice(models.TextChoices):
    EMAIL = "email", "Email address"
    PHONE = "phone", "Phone number"
    ACCOUNT = "account", "Account id"
    DEVICE = "device", "Browser or device"


class ConsentRight(models.TextChoices):
    SALE_SHARING = "sale_sharing", "Sale and sharing (§7026)"
    SENSITIVE_USE = "sensitive_use", "Use of sensitive personal information (§7027)"


class ConsentSource(models.TextChoices):
    """Where a change came from (§7026(a) methods, §7025 signals, §7026(j) agents)."""

    FORM = "form", "Portal form"
    SIGNAL = "signal", "Opt-out preference signal"
    AGENT = "agent", "Authorized agent"
    STAFF = "staff", "Staff"
    API = "api", "API"
    PHONE = "phone", "Phone call, logged by staff"
    MAIL = "mail", "Mail, logged by staff"


class AgeBand(models.TextChoices):
    """What the business knows of a consumer's age, where it knows they are under 16 (§7070,
    §7071). Blank: it does not know them to be under 16."""

    UNDER_13 = opt_in_rules.UNDER_13, "Under 13 (a parent or guardian opts in, §7070)"
    AGE_13_TO_15 = opt_in_rules.AGE_13_TO_15, "13 to 15 (opts in themselves, §7071)"


class MinorOptInMethod(models.TextChoices):
    """How an opt-in to the sale or sharing of a minor's personal information was given."""

    TWO_STEP_OPT_IN = opt_in_rules.TWO_STEP_OPT_IN, "The consumer's two-step opt-in (§7071(a))"
    SIGNED_FORM = opt_in_rules.SIGNED_FORM, "Consent form signed by the parent (§7070(a)(2)(A))"
    PAYMENT_CARD = opt_in_rules.PAYMENT_CARD, "Parent's payment card (§7070(a)(2)(B))"
    TOLL_FREE_CALL = opt_in_rules.TOLL_FREE_CALL, "Parent's toll-free call (§7070(a)(2)(C))"
    VIDEO_CONFERENCE = opt_in_rules.VIDEO_CONFERENCE, "Parent's video call (§7070(a)(2)(D))"
    IN_PERSON = opt_in_rules.IN_PERSON, "Parent in person (§7070(a)(2)(E))"
    GOVERNMENT_ID = opt_in_rules.GOVERNMENT_ID, "Parent's government ID (§7070(a)(2)(F))"


class ConsentState(TenantOwnedModel):
    """Whether a subject has opted out of sale/sharing and limited the use of sensitive personal
    information. No row means no choice made: sale and use are allowed.

    ``version`` grows by one with every change: the lookup's ETag and the cache's guard against
    an older answer overwriting a newer one.
    """

    subject_hash = models.CharField(max_length=SUBJECT_HASH_LENGTH)
    subject_kind = models.CharField(max_length=10, choices=SubjectKindChoice.choices)
    sale_sharing_opted_out = models.BooleanField(default=False)
    sale_sharing_changed_at = models.DateTimeField(null=True, blank=True)
    sale_sharing_source = models.CharField(max_length=10, choices=ConsentSource.choices, blank=True)
    sensitive_use_limited = models.BooleanField(default=False)
    sensitive_use_changed_at = models.DateTimeField(null=True, blank=True)
    sensitive_use_source = models.CharField(
        max_length=10, choices=ConsentSource.choices, blank=True
    )
    # Consumers under 16 (§7070-§7071): the business's actual knowledge of their age, and the
    # opt-in without which their information is not sold or shared (Civ. Code §1798.120(c)).
    age_band = models.CharField(max_length=10, choices=AgeBand.choices, blank=True)
    age_band_changed_at = models.DateTimeField(null=True, blank=True)
    minor_opt_in_method = models.CharField(
        max_length=20, choices=MinorOptInMethod.choices, blank=True
    )
    minor_opted_in_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    # The newest version the lookup's cache is known to hold (``optout.consent_cache``): set when
    # a change's answer is written after commit. Below ``version``, that write failed, and the
    # repair task (``optout.tasks.consent_cache_repair``) writes it again.
    published_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        constraints = [
            # Also the lookup's index (tenant, subject_hash).
            models.UniqueConstraint(
                fields=["tenant", "subject_hash"], name="consent_state_unique_subject"
            ),
        ]
        indexes = [
            # The repair task reads only the states whose answer the cache may lack: a partial
            # index, empty while every write succeeds.
            models.Index(
                fields=["id"],
                condition=models.Q(published_version__lt=models.F("version")),
                name="consent_state_unpublished",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_subject_kind_display()} {self.subject_hash[:8]}…"


class ConsentChange(TenantOwnedModel):
    """One change of a consent state: which right, to what, from where, when, and on which
    request. Never edited or deleted: the history of the consumer's choices."""

    # Changes are read through their state (the history index), never by tenant alone.
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    state = models.ForeignKey(
        ConsentState, on_delete=models.CASCADE, related_name="changes", db_index=False
    )
    right = models.CharField(max_length=20, choices=ConsentRight.choices)
    # True: opted out of sale/sharing, or use of sensitive information limited.
    restricted = models.BooleanField()
    source = models.CharField(max_length=10, choices=ConsentSource.choices)
    at = models.DateTimeField()
    privacy_request = models.ForeignKey(
        "requests_app.PrivacyRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    # The browser sent an opt-out preference signal when this change was made. An opt-in so
    # made is consent given despite the signal, which the business may then honour while the
    # consumer is known, showing the choice conspicuously (§7025(c)(3)).
    signal_present = models.BooleanField(default=False)
    # The device whose opt-out this carries over to a consumer (or back), when it is one.
    carried_from = models.CharField(max_length=SUBJECT_HASH_LENGTH, blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["state", "at"], name="consent_change_history")]

    def __str__(self) -> str:
        return f"{self.get_right_display()}: {'restricted' if self.restricted else 'allowed'}"


class OptInConfirmation(OneTimeToken, TenantOwnedModel):
    """The second step of a portal opt-in (§7028(a)): the one-time, expiring token that the
    consumer's separate confirmation uses, for the browser and rights they asked for in the
    first step. Its request (type opt-in) holds the request time; ``used_at`` is the moment
    of the confirmation or of the consumer's "no". Only the token's hash is stored."""

    privacy_request = models.OneToOneField(
        "requests_app.PrivacyRequest", on_delete=models.CASCADE, related_name="+"
    )
    device_hash = models.CharField(max_length=SUBJECT_HASH_LENGTH)
    rights = models.JSONField(help_text="The rights asked for: sale_sharing, sensitive_use.")
    # Which version of the opt-in pages the consumer saw (R-7028-P-1).
    ui_version = models.CharField(max_length=40)
    confirmed = models.BooleanField(default=False)

    class Meta(TenantOwnedModel.Meta):
        # The expiry sweep reads the tokens still waiting, oldest first.
        indexes = [
            models.Index(
                fields=["tenant", "expires_at"],
                condition=models.Q(used_at__isnull=True),
                name="opt_in_waiting",
            )
        ]

    def __str__(self) -> str:
        return f"Opt-in confirmation for {self.privacy_request_id}"


class DeviceLink(TenantOwnedModel):
    """A browser (device id) known to belong to a consumer, e.g. after they signed in or gave
    their email with a signal. Opt-outs carry over along it (§7025(c)(1))."""

    device_hash = models.CharField(max_length=SUBJECT_HASH_LENGTH)
    consumer_hash = models.CharField(max_length=SUBJECT_HASH_LENGTH)
    linked_at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "device_hash", "consumer_hash"], name="device_link_unique"
            ),
        ]
        # Carrying a consumer's opt-out to their devices reads by consumer.
        indexes = [models.Index(fields=["tenant", "consumer_hash"], name="device_link_consumer")]

    def __str__(self) -> str:
        return f"device {self.device_hash[:8]}… → {self.consumer_hash[:8]}…"


class RecipientKind(models.TextChoices):
    THIRD_PARTY = rules.THIRD_PARTY, "Third party"
    SERVICE_PROVIDER = rules.SERVICE_PROVIDER, "Service provider"
    CONTRACTOR = rules.CONTRACTOR, "Contractor"


class RecipientDelivery(models.TextChoices):
    WEBHOOK = "webhook", "Signed webhook"
    EMAIL = "email", "Email"


class Recipient(TenantOwnedModel):
    """A third party, service provider or contractor that receives the business's consumers'
    personal information, and how it is told of complied requests (``recipient_rules``)."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=RecipientKind.choices)
    categories = models.TextField(
        help_text="The categories of personal information it receives, e.g. identifiers, "
        "commercial information."
    )
    sold_or_shared = models.BooleanField(
        default=False,
        help_text="The business sells or shares personal information with it (§7022(b)(3)).",
    )
    sensitive_beyond_permitted = models.BooleanField(
        default=False,
        help_text="It uses or receives sensitive personal information for purposes other than "
        "those of §7027(m) (§7027(g)(2)-(4)).",
    )
    delivery = models.CharField(max_length=10, choices=RecipientDelivery.choices)
    endpoint = models.ForeignKey(
        "outbox.WebhookEndpoint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="For webhook delivery: the endpoint its notifications are signed for and sent to.",
    )
    email = models.EmailField(blank=True, help_text="For email delivery.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(delivery="webhook", endpoint__isnull=False)
                    | (models.Q(delivery="email") & ~models.Q(email=""))
                ),
                name="recipient_has_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display().lower()})"


class RecipientNotification(TenantOwnedModel):
    """One recipient's notification of one complied request: its outbox message carries the
    delivery state; ``acknowledged_at`` is set when the recipient acknowledges it.

    Only the hash of the acknowledgement token is stored; the token itself travels only in the
    message, sealed there (``outbox.sealing``).
    """

    privacy_request = models.ForeignKey(
        "requests_app.PrivacyRequest", on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="notifications")
    message = models.ForeignKey("outbox.OutboxMessage", on_delete=models.PROTECT, related_name="+")
    # Blank when the compliance sent it; a staff member's name when they asked for it later.
    asked_by = models.CharField(max_length=150, blank=True)
    # Unique through a constraint: unique=True would add a LIKE index on PostgreSQL that the
    # acknowledgement's equality lookup never uses.
    ack_token_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # §7022(c)(4): a service provider or contractor that cannot notify those it passed the data
    # to (impossible or disproportionate effort) gives a detailed explanation, relayed to the
    # consumer.
    cannot_comply_explanation = models.TextField(
        "why it could not be done",
        blank=True,
        help_text="The recipient's detailed explanation of why deleting, or notifying those it "
        "passed the data to, is impossible or disproportionate (§7022(b)(3), (c)(4)); relayed "
        "to the consumer.",
    )

    class Meta(TenantOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["privacy_request", "recipient"], name="recipient_notified_once"
            ),
            models.UniqueConstraint(fields=["ack_token_hash"], name="recipient_ack_token_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient.name}: {self.privacy_request_id}"
