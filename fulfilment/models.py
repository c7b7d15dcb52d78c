"""The business's data systems and the task each gets per verified request."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.tokens import OneTimeToken
from tenants.models import TenantOwnedModel

from . import package_rules
from . import task_rules as rules


class SystemKind(models.TextChoices):
    CRM = "crm", "CRM"
    ECOMMERCE = "ecommerce", "E-commerce"
    MARKETING = "marketing", "Marketing"
    SUPPORT = "support", "Support desk"
    WAREHOUSE = "warehouse", "Data warehouse"
    OTHER = "other", "Other"


class SystemMethod(models.TextChoices):
    WEBHOOK = "webhook", "Signed webhook to the system"
    PERSON = "person", "A person is assigned the task"


class TaskAction(models.TextChoices):
    FIND = rules.FIND, "Find and export"
    DELETE = rules.DELETE, "Delete"
    CORRECT = rules.CORRECT, "Correct"


class TaskState(models.TextChoices):
    OPEN = rules.OPEN, "Open"
    ANSWERED = rules.ANSWERED, "Answered"
    CANCELLED = rules.CANCELLED, "Cancelled"


class TaskOutcome(models.TextChoices):
    DONE = rules.DONE, "Done"
    EXEMPT = rules.EXEMPT, "Exempt"
    NOTHING_FOUND = rules.NOTHING_FOUND, "Nothing found"
    IMPOSSIBLE = rules.IMPOSSIBLE, "Cannot delete (impossible or disproportionate effort)"


class DataSystem(TenantOwnedModel):
    """An internal system of the business that holds personal information, its owner, and how
    it is given its part of a request: a signed webhook (``endpoint``, whose secret is stored
    encrypted by the outbox and shown once) or a member of staff (``assignee``). ``categories``:
    the categories of the business's data inventory it holds, which a request to know
    categories' answer is drafted from when the system finds the consumer (§7024(k)(1))."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=SystemKind.choices)
    categories = models.JSONField(
        "categories of personal information it holds",
        default=list,
        blank=True,
        help_text='Statutory codes of the business\'s data inventory, e.g. ["A", "D"]; when '
        "the system answers a request to know done, these are ticked in the categories answer "
        "(unless its answer says which it found).",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The member of the business answerable for this system; reminders of a "
        "webhook system's unanswered tasks go to them.",
    )
    owner_contact = models.CharField(
        max_length=200, blank=True, help_text="Another way to reach the owner, e.g. a team inbox."
    )
    handles_know = models.BooleanField(
        "requests to know", default=True, help_text="Asked to find and export the data."
    )
    handles_delete = models.BooleanField(
        "requests to delete", default=True, help_text="Asked to delete the data."
    )
    handles_correct = models.BooleanField(
        "requests to correct", default=True, help_text="Asked to correct the data."
    )
    method = models.CharField(max_length=10, choices=SystemMethod.choices)
    endpoint = models.ForeignKey(
        "outbox.WebhookEndpoint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        help_text="For the webhook method: where its tasks are signed for and sent.",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="For the person method: the member who is given the tasks.",
    )
    active = models.BooleanField(default=True)
    due_days = models.PositiveSmallIntegerField(
        "days to answer",
        default=rules.DEFAULT_DUE_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(rules.MAX_DUE_DAYS)],
        help_text="Each task is due this many days after the request is verified, and never "
        "after the request's own due date (§7021(b): 45 days).",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="data_system_unique_name"),
            models.CheckConstraint(
                condition=Q(method="webhook", endpoint__isnull=False)
                | Q(method="person", assignee__isnull=False),
                name="data_system_has_method",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def handles(self, request_type: str) -> bool:
        return bool(getattr(self, f"handles_{request_type}", False))


class SystemTask(TenantOwnedModel):
    """One system's part of one verified request: find and export, delete or correct the
    subject's data; answered done (saying, if it will, which inventory categories it found),
    exempt (with its basis), nothing found, or for a deletion impossible (with its detailed
    explanation, §7022(b)(3)), or cancelled when the request is denied or withdrawn."""

    privacy_request = models.ForeignKey(
        "requests_app.PrivacyRequest", on_delete=models.CASCADE, related_name="+"
    )
    system = models.ForeignKey(DataSystem, on_delete=models.PROTECT, related_name="tasks")
    action = models.CharField(max_length=10, choices=TaskAction.choices)
    state = models.CharField(max_length=10, choices=TaskState.choices, default=TaskState.OPEN)
    due_on = models.DateField("due")
    created_at = models.DateTimeField()
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    # The sweep's due instant: the first reminder's, then the next local morning's once one is
    # sent (task_rules), so an owner gets at most one a day; None once answered or cancelled.
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=14, choices=TaskOutcome.choices, blank=True)
    note = models.TextField(blank=True)
    basis = models.CharField("basis of the exemption", max_length=300, blank=True)
    explanation = models.TextField(
        "why deleting is impossible",
        blank=True,
        help_text="For a deletion answered impossible or disproportionate: the detailed "
        "explanation relayed to the consumer (§7022(b)(3), (c)(4)).",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_by_label = models.CharField(max_length=150, blank=True)
    categories_found = models.JSONField(
        "categories found",
        default=list,
        blank=True,
        help_text="With the outcome done: the statutory codes of the inventory categories the "
        "system found for this consumer (§7024(k)(1)). Empty: it did not say, and the "
        "categories its system holds stand for them.",
    )

    class Meta(TenantOwnedModel.Meta):
        ordering = ["privacy_request", "system__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["privacy_request", "system"], name="system_task_unique_per_request"
            ),
            models.CheckConstraint(
                condition=~Q(state="answered") | ~Q(outcome=""),
                name="system_task_answered_has_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="exempt") | ~Q(basis=""),
                name="system_task_exempt_has_basis",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="impossible") | ~Q(explanation=""),
                name="system_task_impossible_explained",
            ),
        ]
        indexes = [
            # The reminder sweep reads only open tasks whose reminder is due, across businesses.
            models.Index(
                fields=["next_reminder_at"],
                name="system_task_reminder_due",
                condition=Q(state="open", next_reminder_at__isnull=False),
            ),
            # The API's list: a business's tasks by state, newest first.
            models.Index(fields=["tenant", "state", "-id"], name="system_task_by_state"),
        ]

    def __str__(self) -> str:
        return f"System task {self.pk}"


# --- A request to know's response package (issue 16 item 2) ----------------------------------------


class PartFormat(models.TextChoices):
    JSON = package_rules.JSON, "JSON"
    CSV = package_rules.CSV, "CSV"


def package_part_path(instance: PackagePart, filename: str) -> str:
    # The tenant leads the path; the name is random; ".enc": the content is encrypted
    # (core.encrypted_files), never the system's own bytes as they came.
    return (
        f"tenant_{instance.tenant_id}/packages/{instance.privacy_request_id}/parts/"
        f"{uuid.uuid4().hex}.jsonl.enc"
    )


def response_package_path(instance: ResponsePackage, filename: str) -> str:
    return (
        f"tenant_{instance.tenant_id}/packages/{instance.privacy_request_id}/"
        f"{uuid.uuid4().hex}.zip.enc"
    )


class PackagePart(TenantOwnedModel):
    """One piece of the consumer's data for a request to know: what one system attached by API
    or staff uploaded, as records (one JSON object per line), stored encrypted.

    ``size`` and ``sha256`` are the attachment's own bytes as they came; the idempotency key is
    the sender's (or, when it sent none, that sha256): the same key again adds nothing.
    A part staff mark exempt (``exempt_basis``, §7024(e)) stays on file and out of the
    package; the package says so and why."""

    privacy_request = models.ForeignKey(
        "requests_app.PrivacyRequest", on_delete=models.CASCADE, related_name="+"
    )
    system = models.ForeignKey(
        DataSystem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    system_task = models.ForeignKey(
        SystemTask, null=True, blank=True, on_delete=models.PROTECT, related_name="parts"
    )
    source = models.CharField(
        max_length=100, help_text="Where the data comes from: the system's name, or staff's label."
    )
    format = models.CharField(max_length=4, choices=PartFormat.choices)
    file = models.FileField(upload_to=package_part_path, max_length=255)
    row_count = models.PositiveIntegerField()
    columns = models.JSONField(default=list, blank=True, help_text="The records' field names.")
    size = models.PositiveBigIntegerField(help_text="Bytes, as attached.")
    sha256 = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=200)
    exempt_basis = models.CharField(
        "withheld as exempt: basis",
        max_length=300,
        blank=True,
        help_text="When this part is exempt from disclosure (§7024(e)): the basis, told to the "
        "consumer. The rest of the package is still disclosed.",
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=150, blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["privacy_request", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["privacy_request", "idempotency_key"], name="package_part_idempotency"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.row_count} records ({self.get_format_display()})"


def package_public_id() -> str:
    """256 random bits, URL-safe: the package's name in the portal's address."""
    return secrets.token_urlsafe(32)


class PackageState(models.TextChoices):
    ASSEMBLED = "assembled", "Assembled, waiting for release"
    RELEASED = "released", "Released"


class ResponsePackage(TenantOwnedModel):
    """A request to know's package, assembled from its parts: one JSON and one CSV file per
    part and a readable HTML page, in a zip, stored encrypted. Staff release it; delivery to
    the consumer (§7024(f)) reads only released packages."""

    privacy_request = models.ForeignKey(
        "requests_app.PrivacyRequest", on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(max_length=10, choices=PackageState.choices)
    file = models.FileField(upload_to=response_package_path, max_length=255)
    size = models.PositiveBigIntegerField(help_text="Bytes of the zip.")
    sha256 = models.CharField(max_length=64, help_text="Of the zip.")
    parts = models.JSONField(
        default=list, blank=True, help_text="The ids of the parts it was made from."
    )
    row_count = models.PositiveIntegerField(help_text="Records disclosed.")
    left_out = models.PositiveIntegerField(help_text="Records outside the period.")
    withheld = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per kind of §7024(d) information: how many values were withheld.",
    )
    period_start = models.DateField()
    period_end = models.DateField()
    language = models.CharField(max_length=8)
    assembled_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Secure delivery (§7024(f)): the portal names the package by this random id (never its
    # sequential pk); set on release, from the business's settings then: until when and how
    # many times the consumer may download it; the downloads so far (a compare-and-set count).
    public_id = models.CharField(max_length=43, unique=True, default=package_public_id)
    download_until = models.DateTimeField(null=True, blank=True)
    download_limit = models.PositiveSmallIntegerField(default=0)
    download_count = models.PositiveIntegerField(default=0)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["privacy_request", "-assembled_at", "-id"]
        constraints = [
            # At most one released package per request.
            models.UniqueConstraint(
                fields=["privacy_request"],
                condition=Q(state="released"),
                name="response_package_one_released",
            ),
        ]

    def __str__(self) -> str:
        return f"Response package {self.pk}"


class DeliverySignIn(OneTimeToken, TenantOwnedModel):
    """A one-time, expiring sign-in link to download a released package (§7024(f)), emailed to
    an address on its request. Only the token's hash is kept; using it sets ``used_at`` once
    (``core.tokens``)."""

    package = models.ForeignKey(ResponsePackage, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(help_text="Where the link was sent.")

    class Meta(TenantOwnedModel.Meta):
        indexes = [models.Index(fields=["package", "-created_at"], name="delivery_sign_in_recent")]

    def __str__(self) -> str:
        return f"Download sign-in for package {self.package_id}"


class HandDeliveryMethod(models.TextChoices):
    POSTAL = "postal", "Postal mail"
    IN_PERSON = "in_person", "In person"
    SECURE_UPLOAD = "secure_upload", "Secure upload"
    OTHER = "other", "Other"


class PackageHandDelivery(TenantOwnedModel):
    """How staff delivered a released package by hand (§7024(f)): when the consumer has no
    email address on file, or asked for another way. One row per delivery: a resend is a fact
    too. Written only by ``package_hand_delivery_record``, which also writes the timeline."""

    package = models.ForeignKey(
        ResponsePackage, on_delete=models.CASCADE, related_name="hand_deliveries"
    )
    method = models.CharField(max_length=16, choices=HandDeliveryMethod.choices)
    description = models.CharField(
        max_length=300,
        blank=True,
        help_text="How, in a few words (required for “other”): e.g. the carrier and tracking "
        "number, or the upload service.",
    )
    delivered_on = models.DateField(
        help_text="The business's local date it was sent or handed over."
    )
    note = models.TextField(max_length=1000, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by_label = models.CharField(max_length=150, blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["package", "delivered_on", "id"]
        verbose_name_plural = "package hand deliveries"

    def __str__(self) -> str:
        return f"Package {self.package_id} delivered by hand ({self.get_method_display()})"
