"""The business's data systems and the task each gets per verified request."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from tenants.models import TenantOwnedModel

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
    encrypted by the outbox and shown once) or a member of staff (``assignee``)."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=SystemKind.choices)
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
    subject's data; answered done, exempt (with its basis), nothing found, or for a deletion
    impossible (with its detailed explanation, §7022(b)(3)), or cancelled when
    the request is denied or withdrawn."""

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
