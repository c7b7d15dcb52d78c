"""Reminders of open system tasks: from a few days before they are due, once a local day."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q

from core import clock
from core.dates import long_date
from outbox.services import (
    outbox_email_add,
)
from tenants.models import Tenant
from tenants.selectors import tenant_today

from .. import task_rules as rules
from ..models import SystemMethod, SystemTask, TaskState
from .system_tasks import admin_task_url

logger = logging.getLogger(__name__)


SWEEP_BATCH = 500


# --- Reminders -------------------------------------------------------------------------------------


def _reminder_recipient(task: SystemTask) -> str:
    """Who is reminded: the assignee of a person system; the owner of a webhook system, or the
    business's privacy contact when the owner's account has no email address."""
    system = task.system
    if system.method == SystemMethod.PERSON:
        return getattr(system.assignee, "email", "") or task.tenant.contact_email
    return getattr(system.owner, "email", "") or task.tenant.contact_email


def _reminder_email(task: SystemTask, now: datetime) -> None:
    privacy_request = task.privacy_request
    recipient = _reminder_recipient(task)
    if not recipient:
        return
    today = tenant_today(task.tenant, now)
    days = (task.due_on - today).days
    when = (
        f"It was due on {long_date(task.due_on)} and is overdue."
        if days < 0
        else f"It is due {'today' if days == 0 else f'on {long_date(task.due_on)}'}."
    )
    waiting = (
        "The system has not answered through the API yet."
        if task.system.method == SystemMethod.WEBHOOK
        else "Answer it here:"
    )
    outbox_email_add(
        tenant=task.tenant,
        recipient=recipient,
        subject=f"Reminder: privacy request {privacy_request.reference} waits for "
        f"{task.system.name}",
        body=(
            f"{task.system.name} has not answered its part of privacy request "
            f"{privacy_request.reference} ({rules.ACTION_PHRASES[task.action]} the data). "
            f"{when}\n\n{waiting}\n{admin_task_url(task)}\n"
        ),
        dedupe_key=f"system-task:{task.pk}:reminder:{today.isoformat()}",
        about_key=privacy_request.outbox_about_key,
        about_label=privacy_request.reference,
        now=now,
    )


def _remind(task: SystemTask, now: datetime, *, only_if_due: bool) -> bool:
    """Claim the task's reminder for today, then queue it; False if it is not open, was
    reminded today already, or another run claimed it first.

    The claim is one UPDATE whose WHERE tests ``last_reminded_at`` (not since the start of the
    business's day) and which sets it to now, in the same statement: of two runs racing over
    the same task only one changes a row (house style, Celery). The email's dedupe key carries
    the local day as well, so a day never holds two reminders of one task.
    """
    zone = task.tenant.zone
    claim = SystemTask.objects.for_tenant(task.tenant).filter(
        Q(last_reminded_at__isnull=True)
        | Q(last_reminded_at__lt=rules.local_day_start(now=now, zone=zone)),
        pk=task.pk,
        state=TaskState.OPEN,
    )
    if only_if_due:
        claim = claim.filter(next_reminder_at__lte=now)
    with transaction.atomic():
        claimed = claim.update(
            last_reminded_at=now,
            reminders_sent=F("reminders_sent") + 1,
            next_reminder_at=rules.next_reminder_at(now=now, zone=zone),
        )
        if claimed != 1:
            return False
        _reminder_email(task, now)
    return True


def system_task_remind(*, tenant: Tenant, system_task_id: int, now: datetime | None = None) -> bool:
    """Remind the owner of one of ``tenant``'s open tasks now, unless reminded today already
    (the reminder task, and staff asking for one). Another business's id finds nothing."""
    task = (
        SystemTask.objects.for_tenant(tenant)
        .select_related("tenant", "system__owner", "system__assignee", "privacy_request")
        .filter(pk=system_task_id, state=TaskState.OPEN)
        .first()
    )
    if task is None:
        return False
    return _remind(task, now or clock.now(), only_if_due=False)


@dataclass
class SweepResult:
    examined: int = 0
    reminded: int = 0


def system_task_reminder_sweep(
    *, now: datetime | None = None, limit: int = SWEEP_BATCH
) -> SweepResult:
    """Remind the owners of every business's tasks whose reminder is due: open, due within
    ``REMIND_DAYS_BEFORE`` days or overdue, not reminded today (all three are in
    ``next_reminder_at``, read through the partial index ``system_task_reminder_due``).

    Allow-listed cross-tenant read: one query over what is due across businesses, each row with
    its own business; each claim and email is written through that business's scope. Safe to
    run twice, or twice at once (``_remind``'s claim)."""
    now = now or clock.now()
    due = list(
        SystemTask.all_tenants.filter(state=TaskState.OPEN, next_reminder_at__lte=now)
        .select_related("tenant", "system__owner", "system__assignee", "privacy_request")
        .order_by("next_reminder_at", "pk")[:limit]
    )
    result = SweepResult(examined=len(due))
    for task in due:
        if _remind(task, now, only_if_due=True):
            result.reminded += 1
    return result
