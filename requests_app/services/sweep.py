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
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string

from core import clock
from outbox.services import Email, outbox_emails_add
from tenants.models import Membership, Role, Tenant

from .. import milestones
from ..models import EventKind, PrivacyRequest, RequestEvent, RequestType, Status

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
    "due_state",
    "assignee__email",
)


@dataclass
class SweepResult:
    examined: int = 0
    milestones_recorded: int = 0
    emails_queued: int = 0
    batches: int = 0
    state_changes: dict[str, int] = field(default_factory=lambda: defaultdict(int))


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
    due_state: str
    next_due_at: datetime | None


@dataclass(frozen=True)
class _Row:
    pk: int
    tenant_id: int
    reference: str
    request_type: str
    due_state: str
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
     respond_by, comply_by, due_state, assignee_email) = values  # fmt: skip
    shape = _Shape(time_zone, confirm_by, now if confirmed_at else None, respond_by, comply_by)
    plan = plans.get(shape)
    if plan is None:
        plan = plans[shape] = _plan(shape, now)
    return _Row(pk, tenant_id, reference, request_type, due_state, assignee_email or "", plan)


def _plan(shape: _Shape, now: datetime) -> _Plan:
    tz = ZoneInfo(shape.time_zone)
    return _Plan(
        fired=tuple(m for m in milestones.milestones(shape, tz) if m.at <= now),
        due_state=milestones.due_state(shape, tz, now),
        next_due_at=milestones.next_due_at(shape, tz, now),
    )


def _sweep_batch(rows: list[_Row], now: datetime, result: SweepResult) -> None:
    result.examined += len(rows)
    by_milestone: dict[milestones.Milestone, list[int]] = defaultdict(list)
    by_outcome: dict[tuple[str, datetime | None], list[int]] = defaultdict(list)
    for row in rows:
        for milestone in row.plan.fired:
            by_milestone[milestone].append(row.pk)
        by_outcome[(row.plan.due_state, row.plan.next_due_at)].append(row.pk)
        if row.plan.due_state != row.due_state:
            result.state_changes[row.plan.due_state] += 1
    recorded: set[tuple[int, str]] = set()
    for milestone, pks in by_milestone.items():
        recorded.update((pk, milestone.key) for pk in _record_milestone(milestone, pks, now))
    for (state, next_due), pks in by_outcome.items():
        PrivacyRequest.all_tenants.filter(pk__in=pks).update(due_state=state, next_due_at=next_due)
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


def _record_milestone(milestone: milestones.Milestone, pks: list[int], now: datetime) -> list[int]:
    """One timeline event per request for ``milestone``; returns the requests it was new for.

    Requests whose event is already there (dedupe key ``sweep:<id>:<milestone key>``) are
    skipped. ``INSERT … SELECT`` straight from the requests (PostgreSQL and SQLite both take
    it): the tenant id comes from each request's own row, and no model instance is built per
    event.
    """
    event = RequestEvent._meta
    request = PrivacyRequest._meta
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(event.get_field(name).column)
        for name in (
            "tenant",
            "privacy_request",
            "kind",
            "at",
            "actor_label",
            "message",
            "reason",
            "data",
            "dedupe_key",
        )
    )
    placeholders = ", ".join(["%s"] * len(pks))
    table, request_table = quote(event.db_table), quote(request.db_table)
    request_id, tenant_id = quote(request.pk.column), quote(request.get_field("tenant").column)
    # Identifiers come from the models' own metadata; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {tenant_id}, {request_id}, "  # noqa: S608
        f"%s, %s, %s, %s, '', %s, %s || CAST({request_id} AS VARCHAR(20)) || %s "
        f"FROM {request_table} WHERE {request_id} IN ({placeholders}) ON CONFLICT DO NOTHING"
    )
    returning = connection.features.can_return_rows_from_bulk_insert
    if returning:
        sql += f" RETURNING {quote(event.get_field('privacy_request').column)}"
    params = [
        EventKind.ESCALATED if milestone.escalate else EventKind.REMINDER,
        connection.ops.adapt_datetimefield_value(now),
        SWEEP_ACTOR,
        milestone.what[:1].upper() + milestone.what[1:] + ".",
        "{}",
        "sweep:",
        f":{milestone.key}",
        *pks,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            return [pk for (pk,) in cursor.fetchall()]
    # SQLite before 3.35 has no RETURNING: the events this statement wrote carry ``now``.
    keys = {f"sweep:{pk}:{milestone.key}": pk for pk in pks}
    return [
        keys[key]
        for key in RequestEvent.all_tenants.filter(dedupe_key__in=list(keys), at=now).values_list(
            "dedupe_key", flat=True
        )
    ]


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
    tenants = {t.pk: t for t in Tenant.objects.filter(pk__in=tenant_ids).only("legal_name")}
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
    # One INSERT and one hand-off to the relay for the whole batch (one publish per digest was
    # ~40 % of a heavy sweep).
    return outbox_emails_add(emails=digests, now=now)


def _admin_emails(tenant_ids: Iterable[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    rows = Membership.objects.filter(tenant_id__in=tenant_ids, role=Role.ADMIN).exclude(
        user__email=""
    )
    for tenant_id, email in rows.values_list("tenant_id", "user__email"):
        found[tenant_id].append(email)
    return found
