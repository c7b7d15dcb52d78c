"""The deadline sweep: reminders, escalations and due states for open requests.

Its cost grows with what is due, not with the table: it reads only open requests whose
``next_due_at`` has come (a partial index), in batches, and moves each one's ``next_due_at`` to its
next milestone. Each milestone is recorded at most once (its timeline event carries a unique dedupe
key), so running the sweep twice, or two sweeps at once, sends one reminder per threshold.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from privacyportal import clock
from tenants.models import Membership, Role, Tenant

from .. import milestones
from ..models import EventKind, OutboxMessage, PrivacyRequest, RequestEvent, Status
from .outbox import outbox_relay_soon

BATCH_SIZE = 1000
QUEUE_PATH = "/admin/requests_app/privacyrequest/"


@dataclass
class SweepResult:
    examined: int = 0
    milestones_recorded: int = 0
    emails_queued: int = 0
    batches: int = 0
    state_changes: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def sweep_deadlines(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Process every open request whose next milestone has come, batch by batch."""
    now = now or clock.now()
    result = SweepResult()
    last: tuple[datetime, int] | None = None
    while True:
        # Allow-listed cross-tenant read: the sweep serves every tenant; all work below is
        # done per tenant with the row's own tenant id. Paged by (next_due_at, id), the partial
        # index's own order, so each batch query reads only its batch (paging by id alone made
        # PostgreSQL walk the primary key when many rows were due).
        due = PrivacyRequest.all_tenants.filter(next_due_at__lte=now).exclude(status=Status.CLOSED)
        if last is not None:
            due = due.filter(Q(next_due_at__gt=last[0]) | Q(next_due_at=last[0], pk__gt=last[1]))
        keys = list(due.order_by("next_due_at", "pk").values_list("next_due_at", "pk")[:batch_size])
        if not keys:
            return result
        last = keys[-1]
        _sweep_batch([pk for _, pk in keys], now, result)
        result.batches += 1


@transaction.atomic
def _sweep_batch(ids: list[int], now: datetime, result: SweepResult) -> None:
    rows = list(
        PrivacyRequest.all_tenants.filter(pk__in=ids, next_due_at__lte=now)
        .exclude(status=Status.CLOSED)
        .select_related("tenant", "assignee")
        .only(
            "pk",
            "tenant",
            "reference",
            "request_type",
            "confirm_by",
            "confirmed_at",
            "respond_by",
            "comply_by",
            "next_due_at",
            "due_state",
            "assignee__email",
            "assignee__username",
            "tenant__time_zone",
            "tenant__legal_name",
            "tenant__slug",
        )
    )
    events: list[RequestEvent] = []
    fired: dict[str, tuple[PrivacyRequest, milestones.Milestone]] = {}
    changed: list[PrivacyRequest] = []
    for row in rows:
        result.examined += 1
        tz = row.tenant.zone
        for milestone in milestones.milestones(row, tz):
            if milestone.at > now:
                continue
            key = f"sweep:{row.pk}:{milestone.key}"
            fired[key] = (row, milestone)
            events.append(
                RequestEvent(
                    tenant_id=row.tenant_id,
                    privacy_request=row,
                    kind=EventKind.ESCALATED if milestone.escalate else EventKind.REMINDER,
                    at=now,
                    actor_label="Deadline sweep",
                    message=milestone.what[:1].upper() + milestone.what[1:] + ".",
                    dedupe_key=key,
                )
            )
        new_state = milestones.due_state(row, tz, now)
        if new_state != row.due_state:
            result.state_changes[new_state] += 1
        row.due_state = new_state
        row.next_due_at = milestones.next_due_at(row, tz, now)
        changed.append(row)
    RequestEvent.all_tenants.bulk_create(events, batch_size=500, ignore_conflicts=True)
    _update_grouped(changed)
    if not fired:
        return
    # Only milestones this run recorded itself (its events carry this run's timestamp) are
    # announced, so a rerun or a concurrent sweep never sends the same reminder twice.
    new_keys = set(
        RequestEvent.all_tenants.filter(dedupe_key__in=list(fired), at=now).values_list(
            "dedupe_key", flat=True
        )
    )
    result.milestones_recorded += len(new_keys)
    result.emails_queued += _queue_staff_emails(
        [fired[k] for k in sorted(new_keys)], now, batch_key=ids[0]
    )


def _update_grouped(rows: list[PrivacyRequest]) -> None:
    """Save due_state and next_due_at with one plain UPDATE per distinct pair of values.

    Rows swept together share few pairs (the same deadline day in the same time zone), so this
    is a handful of ``UPDATE … WHERE id IN (…)`` instead of bulk_update's CASE WHEN per row.
    """
    groups: dict[tuple[str, datetime | None], list[int]] = defaultdict(list)
    for row in rows:
        groups[(row.due_state, row.next_due_at)].append(row.pk)
    for (state, next_due), pks in groups.items():
        PrivacyRequest.all_tenants.filter(pk__in=pks).update(due_state=state, next_due_at=next_due)


def _queue_staff_emails(
    newly_fired: list[tuple[PrivacyRequest, milestones.Milestone]], now: datetime, *, batch_key: int
) -> int:
    """One digest per tenant and recipient per sweep batch: assignees get reminders, admins escalations.

    Queued in the batch's transaction, with the events it announces, so a crash loses neither.
    """
    tenants: dict[int, Tenant] = {}
    per_recipient: dict[tuple[int, str], list[dict[str, str]]] = defaultdict(list)
    admins = _admin_emails({row.tenant_id for row, _ in newly_fired})
    for row, milestone in newly_fired:
        tenants[row.tenant_id] = row.tenant
        item = {
            "reference": row.reference,
            "type_label": row.get_request_type_display().lower(),
            "what": milestone.what,
        }
        recipients: set[str] = set()
        assignee_email = row.assignee.email if row.assignee_id and row.assignee else ""
        if assignee_email:
            recipients.add(assignee_email)
        if milestone.escalate or not assignee_email:
            recipients.update(admins.get(row.tenant_id, ()))
        for recipient in recipients:
            per_recipient[(row.tenant_id, recipient)].append(item)
    from django.template.loader import render_to_string

    digests = []
    for (tenant_id, recipient), items in per_recipient.items():
        tenant = tenants[tenant_id]
        body = render_to_string(
            "requests_app/emails/staff_digest.txt",
            {"tenant": tenant, "items": items, "queue_url": QUEUE_PATH},
        )
        digests.append(
            OutboxMessage(
                tenant=tenant,
                recipient=recipient,
                subject=f"{len(items)} privacy request deadline(s) need attention at {tenant.legal_name}",
                body=body,
                dedupe_key=f"digest:{tenant_id}:{batch_key}:{now.isoformat()}:{recipient}"[:160],
                created_at=now,
                next_attempt_at=now,
            )
        )
    # One INSERT and one hand-off to the relay for the whole batch (one publish per digest was
    # ~40 % of a heavy sweep); the periodic relay would send them anyway.
    OutboxMessage.all_tenants.bulk_create(digests, batch_size=500)
    transaction.on_commit(outbox_relay_soon)
    return len(per_recipient)


def _admin_emails(tenant_ids: set[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    rows = Membership.objects.filter(tenant_id__in=tenant_ids, role=Role.ADMIN).exclude(
        user__email=""
    )
    for tenant_id, email in rows.values_list("tenant_id", "user__email"):
        found[tenant_id].append(email)
    return found
