"""The deadline sweep: reminders, escalations and due states for open requests.

Its cost grows with what is due, not with the table: it reads only open requests whose
``next_due_at`` has come (a partial index), in batches, and moves each one's ``next_due_at`` to its
next milestone. Each milestone is recorded at most once (its timeline event carries a unique dedupe
key), so running the sweep twice, or two sweeps at once, sends one reminder per threshold.

It works on sets, not rows: requests due together share a handful of deadline shapes (the same
dates in the same time zone), so milestones are computed once per shape, and the events and the
new due states are written with one statement per shape and milestone. Building a model instance
per row was most of the time of a heavy sweep.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from core import clock
from outbox.services import Email, outbox_emails_add
from tenants.models import Membership, Role, Tenant

from .. import milestones
from ..models import DenialReason, EventKind, Outcome, PrivacyRequest, RequestType, Status
from ..selectors import privacy_request_for_update
from .timeline import timeline_milestone_add
from .transitions import privacy_request_close

BATCH_SIZE = 2000
QUEUE_PATH = "/admin/requests_app/privacyrequest/"
SWEEP_ACTOR = "Deadline sweep"

# What the sweep reads of each due request: plain values, no model instances.
_COLUMNS = (
    "pk",
    "next_due_at",
    "tenant_id",
    "tenant__time_zone",
    "reference",
    "request_type",
    "confirm_by",
    "confirmed_at",
    "respond_by",
    "comply_by",
    "assignee__email",
)


@dataclass
class SweepResult:
    examined: int = 0
    milestones_recorded: int = 0
    emails_queued: int = 0
    batches: int = 0
    unconfirmed_deletes_closed: int = 0


@dataclass(frozen=True)
class _Shape:
    """The deadline facts milestones depend on (``milestones.HasDeadlines``), shared by many rows."""

    time_zone: str
    confirm_by: date | None
    confirmed_at: datetime | None  # only "is it None" matters: any instant stands for "confirmed"
    respond_by: date | None
    comply_by: date | None


@dataclass(frozen=True)
class _Plan:
    """What the sweep does at ``now`` to every request of one shape."""

    fired: tuple[milestones.Milestone, ...]
    next_due_at: datetime | None


@dataclass(frozen=True)
class _Row:
    pk: int
    tenant_id: int
    reference: str
    request_type: str
    assignee_email: str
    plan: _Plan


def sweep_deadlines(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Process every open request whose next milestone has come, batch by batch."""
    now = now or clock.now()
    result = SweepResult()
    plans: dict[_Shape, _Plan] = {}
    last: tuple[datetime, int] | None = None
    while True:
        with transaction.atomic():
            # Allow-listed cross-tenant read: the sweep serves every tenant; every write below
            # carries the row's own tenant id. Paged by (next_due_at, id), the partial index's
            # own order, so each batch reads only its batch.
            due = PrivacyRequest.all_tenants.filter(next_due_at__lte=now).exclude(
                status=Status.CLOSED
            )
            if last is not None:
                due = due.filter(
                    Q(next_due_at__gt=last[0]) | Q(next_due_at=last[0], pk__gt=last[1])
                )
            values = list(due.order_by("next_due_at", "pk").values_list(*_COLUMNS)[:batch_size])
            if not values:
                return result
            last = (values[-1][1], values[-1][0])
            _sweep_batch([_row(v, now, plans) for v in values], now, result)
        result.batches += 1


def _row(values: tuple, now: datetime, plans: dict[_Shape, _Plan]) -> _Row:
    (pk, _, tenant_id, time_zone, reference, request_type, confirm_by, confirmed_at,
     respond_by, comply_by, assignee_email) = values  # fmt: skip
    shape = _Shape(time_zone, confirm_by, now if confirmed_at else None, respond_by, comply_by)
    plan = plans.get(shape)
    if plan is None:
        plan = plans[shape] = _plan(shape, now)
    return _Row(pk, tenant_id, reference, request_type, assignee_email or "", plan)


def _plan(shape: _Shape, now: datetime) -> _Plan:
    tz = ZoneInfo(shape.time_zone)
    return _Plan(
        fired=tuple(m for m in milestones.milestones(shape, tz) if m.at <= now),
        next_due_at=milestones.next_due_at(shape, tz, now),
    )


def _sweep_batch(rows: list[_Row], now: datetime, result: SweepResult) -> None:
    result.examined += len(rows)
    by_milestone: dict[milestones.Milestone, list[int]] = defaultdict(list)
    by_next_due: dict[datetime | None, list[int]] = defaultdict(list)
    for row in rows:
        for milestone in row.plan.fired:
            by_milestone[milestone].append(row.pk)
        by_next_due[row.plan.next_due_at].append(row.pk)
    recorded: set[tuple[int, str]] = set()
    for milestone, pks in by_milestone.items():
        new = timeline_milestone_add(
            privacy_request_ids=pks,
            kind=EventKind.ESCALATED if milestone.escalate else EventKind.REMINDER,
            at=now,
            label=SWEEP_ACTOR,
            message=milestone.what[:1].upper() + milestone.what[1:] + ".",
            milestone_key=milestone.key,
        )
        recorded.update((pk, milestone.key) for pk in new)
    for next_due, pks in by_next_due.items():
        PrivacyRequest.all_tenants.filter(pk__in=pks).update(next_due_at=next_due)
    # Only milestones this run recorded itself are announced, so a rerun or a concurrent sweep
    # never sends the same reminder twice.
    announced = [
        (row, milestone)
        for row in rows
        for milestone in row.plan.fired
        if (row.pk, milestone.key) in recorded
    ]
    result.milestones_recorded += len(announced)
    result.emails_queued += _queue_staff_emails(announced, now, batch_key=rows[0].pk)


def _queue_staff_emails(
    announced: list[tuple[_Row, milestones.Milestone]], now: datetime, *, batch_key: int
) -> int:
    """One digest per tenant and recipient per sweep batch: assignees get reminders, admins escalations.

    A digest lists each request once, with its most urgent milestone (a request first swept
    after its deadline reaches "due soon" and "overdue" together: it is listed as overdue).
    Its links are absolute (``PORTAL_BASE_URL``): an email has no page to resolve them against.
    Queued in the batch's transaction, with the events it announces, so a crash loses neither.
    """
    if not announced:
        return 0
    tenant_ids = {row.tenant_id for row, _ in announced}
    admins = _admin_emails(tenant_ids)
    # What a digest reads of its business: its name, and its sender and reply-to (outbox).
    tenants = {
        t.pk: t
        for t in Tenant.objects.filter(pk__in=tenant_ids).only(
            "legal_name", "sender_name", "sender_email", "contact_email"
        )
    }
    type_labels = {value: str(label).lower() for value, label in RequestType.choices}
    queue_url = settings.PORTAL_BASE_URL + QUEUE_PATH
    # recipient -> request id -> (the request, the milestone its line tells)
    per_recipient: dict[tuple[int, str], dict[int, tuple[_Row, milestones.Milestone]]] = (
        defaultdict(dict)
    )
    for row, milestone in announced:
        recipients: set[str] = {row.assignee_email} if row.assignee_email else set()
        if milestone.escalate or not row.assignee_email:
            recipients.update(admins.get(row.tenant_id, ()))
        for recipient in recipients:
            listed = per_recipient[(row.tenant_id, recipient)]
            if row.pk in listed:
                milestone = milestones.most_urgent([listed[row.pk][1], milestone])
            listed[row.pk] = (row, milestone)
    digests = []
    for (tenant_id, recipient), listed in per_recipient.items():
        tenant = tenants[tenant_id]
        items = [
            {
                "reference": row.reference,
                "type_label": type_labels.get(row.request_type, row.request_type),
                "what": milestone.what,
                "url": f"{queue_url}{row.pk}/change/",  # the request's page in the admin
            }
            for row, milestone in listed.values()
        ]
        body = render_to_string(
            "requests_app/emails/staff_digest.txt",
            {"tenant": tenant, "items": items, "queue_url": queue_url},
        )
        digests.append(
            Email(
                tenant=tenant,
                recipient=recipient,
                subject=f"{len(items)} privacy request deadline(s) need attention at {tenant.legal_name}",
                body=body,
                dedupe_key=f"digest:{tenant_id}:{batch_key}:{now.isoformat()}:{recipient}",
            )
        )
    # One INSERT and one hand-off to the relay for the whole batch: a publish per digest was a
    # large share of a heavy sweep (benchmarks/README.md).
    return outbox_emails_add(emails=digests, now=now)


def _admin_emails(tenant_ids: Iterable[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    rows = Membership.objects.filter(tenant_id__in=tenant_ids, role=Role.ADMIN).exclude(
        user__email=""
    )
    for tenant_id, email in rows.values_list("tenant_id", "user__email"):
        found[tenant_id].append(email)
    return found


def close_unconfirmed_deletes(*, now: datetime | None = None) -> int:
    """Close two-step requests to delete that were never confirmed in the tenant's window (A-18).

    They are denied on "other grounds", so that received = complied + denied + pending holds for
    §7102, and the consumer is told, in their language, that they can ask again. Only tenants
    that use the two-step flow are visited; each query reads a partial index.
    """
    now = now or clock.now()
    closed = 0
    for tenant in Tenant.objects.filter(delete_two_step=True).order_by("pk"):
        window = timedelta(days=tenant.delete_confirmation_days)
        stale = (
            PrivacyRequest.objects.for_tenant(tenant)
            .filter(awaiting_consumer_confirmation=True, received_at__lt=now - window)
            .exclude(status=Status.CLOSED)
        )
        for privacy_request in stale.select_related("tenant").iterator():
            with translation.override(privacy_request.language or "en"):
                explanation = gettext(
                    "You did not confirm your request to delete within %(days)s days, so we "
                    "did not delete anything. You can make a new request at any time."
                ) % {"days": tenant.delete_confirmation_days}
            with transaction.atomic():
                # Re-checked under a row lock: the consumer may have confirmed a moment ago.
                current = privacy_request_for_update(privacy_request)
                if not (current.awaiting_consumer_confirmation and current.is_open):
                    continue
                privacy_request_close(
                    privacy_request=current,
                    actor=None,
                    actor_label=SWEEP_ACTOR,
                    outcome=Outcome.DENIED,
                    denial_reason=DenialReason.OTHER,
                    explanation=explanation,
                )
            closed += 1
    return closed
