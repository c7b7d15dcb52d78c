"""The write path of the data systems and their tasks.

* ``data_system_save`` / ``data_system_deactivate``: the business's admins register a system;
  a webhook system's URL gets an outbox endpoint whose signing secret is shown once;
* ``system_tasks_on_verified`` (``settings.PRIVACY_REQUEST_VERIFIED``): a verified request to
  know, delete or correct gives each active system that handles its type a task, in the same
  transaction, and tells the system (a signed webhook) or its assignee (an email) through the
  outbox;
* ``system_task_answer``: done, exempt (with its basis) or nothing found, once;
* ``system_task_remind`` / ``system_task_reminder_sweep``: reminders to the owner, from a few
  days before a task is due, at most once a local day;
* ``system_tasks_on_closing`` / ``system_tasks_on_closed`` (``settings.PRIVACY_REQUEST_CLOSING``,
  ``PRIVACY_REQUEST_CLOSED``): a request is not closed as complied while a task is open unless
  staff say why; a denial or withdrawal cancels the open tasks.

Timeline entries and audit summaries name the request by reference and the system by name,
never the consumer: the subject's identifiers travel only in the webhook to the system.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse

from core import clock
from core.dates import long_date
from core.refusals import Refused
from outbox.services import (
    outbox_email_add,
    outbox_webhook_add,
    webhook_endpoint_create,
    webhook_url_check,
)
from requests_app import vocabulary as words
from requests_app.models import EventKind, PrivacyRequest
from requests_app.services.timeline import timeline_add
from tenants.models import Membership, Tenant
from tenants.selectors import tenant_today

from . import task_rules as rules
from .models import DataSystem, SystemMethod, SystemTask, TaskState

logger = logging.getLogger(__name__)

TASK_EVENT = "system_task.created"
CANCELLED_EVENT = "system_task.cancelled"
SWEEP_BATCH = 500


# --- Data systems ----------------------------------------------------------------------------


def _member_with_email(tenant: Tenant, user: Any, field: str, what: str) -> None:
    if not Membership.objects.filter(user=user, tenant=tenant).exists():
        raise ValidationError({field: f"Choose a member of this business as the {what}."})
    if not getattr(user, "email", ""):
        raise ValidationError(
            {
                field: f"{user.get_username()} has no email address: tasks and reminders could "
                "not reach them. Add one to their account first."
            }
        )


def _needs_new_endpoint(system: DataSystem, webhook_url: str, new_secret: bool) -> bool:
    current = system.endpoint.url if system.endpoint_id else ""
    return system.method == SystemMethod.WEBHOOK and (
        (bool(webhook_url) and webhook_url != current) or new_secret or not current
    )


def data_system_check(*, system: DataSystem, webhook_url: str = "") -> None:
    """Every rule ``data_system_save`` applies, without saving: raises ``ValidationError`` with
    the fields (the admin's form shows them before anything is made)."""
    tenant = system.tenant
    now = clock.now()
    if system.created_at is None:
        system.created_at = now
    system.updated_at = now
    system.name = system.name.strip()
    system.owner_contact = system.owner_contact.strip()
    if not (system.handles_know or system.handles_delete or system.handles_correct):
        raise ValidationError(
            "Choose at least one type of request this system handles (know, delete, correct)."
        )
    if system.owner_id is None:
        raise ValidationError({"owner": "Choose the member who owns this system."})
    if not Membership.objects.filter(user_id=system.owner_id, tenant=tenant).exists():
        raise ValidationError({"owner": "Choose a member of this business as the owner."})
    if system.method == SystemMethod.PERSON:
        if system.assignee_id is None:
            raise ValidationError({"assignee": "Choose the member who is given the tasks."})
        _member_with_email(tenant, system.assignee, "assignee", "assignee")
    elif system.method == SystemMethod.WEBHOOK:
        url = webhook_url.strip()
        if not url and not system.endpoint_id:
            raise ValidationError({"webhook_url": "Enter the https address of the system."})
        if url:
            try:
                webhook_url_check(url)
            except Refused as refused:
                raise ValidationError({"webhook_url": refused.message}) from refused
    # The endpoint is made on saving: its constraint is checked then.
    system.full_clean(exclude=["endpoint"])


@transaction.atomic
def data_system_save(
    *, system: DataSystem, webhook_url: str = "", new_secret: bool = False
) -> str | None:
    """Validate and save a new or changed system (the admin's form comes here too).

    A webhook system needs an https URL: the first time, when the URL changes, or when
    ``new_secret`` is asked, a new outbox endpoint is made for it and its signing secret is
    returned, to be shown this once (stored encrypted, ``outbox.services``); the old endpoint
    stays, for the messages already signed for it. Otherwise None.
    """
    webhook_url = webhook_url.strip()
    data_system_check(system=system, webhook_url=webhook_url)
    secret = None
    if system.method == SystemMethod.PERSON:
        system.endpoint = None
    else:
        system.assignee = None
        if _needs_new_endpoint(system, webhook_url, new_secret):
            endpoint, secret = webhook_endpoint_create(
                tenant=system.tenant,
                name=f"{system.name} (data system)"[:100],
                url=webhook_url or system.endpoint.url,
            )
            system.endpoint = endpoint
    system.full_clean()
    system.save()
    return secret


@transaction.atomic
def data_system_deactivate(*, system: DataSystem) -> DataSystem:
    """Turn a system off: it gets no new tasks; the tasks it already has stay as they are."""
    system.active = False
    system.updated_at = clock.now()
    system.save(update_fields=["active", "updated_at"])
    return system


# --- Tasks on verification ---------------------------------------------------------------------


def subject_identifiers(privacy_request: PrivacyRequest) -> dict[str, str]:
    """What a system needs to find the consumer: only what the request holds."""
    found = {
        "name": privacy_request.requester_name,
        "email": privacy_request.requester_email,
        "phone": str(privacy_request.requester_phone or ""),
    }
    return {key: value for key, value in found.items() if value}


def _request_details(privacy_request: PrivacyRequest) -> dict[str, Any]:
    """What the action needs beyond the subject: what to find, delete or correct."""
    if privacy_request.request_type == words.KNOW:
        return {"know_scope": privacy_request.know_scope}
    if privacy_request.request_type == words.DELETE:
        return {
            "delete_scope": privacy_request.delete_scope or "all",
            "delete_categories": list(privacy_request.delete_categories or []),
        }
    return {
        "correction": {
            "field": privacy_request.correction_field,
            "what_is_wrong": privacy_request.correction_information,
            "what_it_should_say": privacy_request.correction_requested,
        }
    }


def system_task_payload(task: SystemTask) -> dict[str, Any]:
    """The webhook's data: the task, the request by reference, and the subject's identifiers."""
    privacy_request = task.privacy_request
    return {
        "task_id": task.pk,
        "request_reference": privacy_request.reference,
        "request_type": privacy_request.request_type,
        "action": task.action,
        "due_on": task.due_on.isoformat(),
        "subject": subject_identifiers(privacy_request),
        **_request_details(privacy_request),
        "answer_url": settings.PORTAL_BASE_URL
        + reverse("api-v1-system-task-answer", kwargs={"system_task_id": task.pk}),
    }


def _admin_task_url(task: SystemTask) -> str:
    return settings.PORTAL_BASE_URL + reverse("admin:fulfilment_systemtask_answer", args=[task.pk])


def _assignment_email(task: SystemTask, system: DataSystem, now: datetime) -> None:
    """The assignee's email: by reference only; the subject's details are on the admin page."""
    privacy_request = task.privacy_request
    phrase = rules.ACTION_PHRASES[task.action]
    outbox_email_add(
        tenant=task.tenant,
        recipient=system.assignee.email,
        subject=f"Privacy request {privacy_request.reference}: {phrase} the data in {system.name}",
        body=(
            f"A verified privacy request ({privacy_request.reference}) asks you to {phrase} the "
            f"consumer's personal information in {system.name}.\n\n"
            f"Answer by {long_date(task.due_on)}: done, nothing found, or exempt with the legal "
            "basis. The consumer's details and the answer form are here:\n"
            f"{_admin_task_url(task)}\n"
        ),
        dedupe_key=f"system-task:{task.pk}:assigned",
        about_key=privacy_request.outbox_about_key,
        about_label=privacy_request.reference,
        now=now,
    )


def system_tasks_on_verified(
    *, privacy_request: PrivacyRequest, actor: AbstractBaseUser | None, method: str
) -> None:
    """``settings.PRIVACY_REQUEST_VERIFIED``: one task per active system that handles the
    request's type, due ``due_days`` after today (capped at the request's due date); each system
    is told through the outbox in this same transaction (a webhook, or its assignee's email).
    A system whose webhook endpoint is turned off still gets its task: the timeline says it was
    not sent, and staff answer it in the admin."""
    action = rules.action_for(privacy_request.request_type)
    if action is None:
        return
    tenant = privacy_request.tenant
    systems = list(
        DataSystem.objects.for_tenant(tenant)
        .filter(active=True, **{f"handles_{privacy_request.request_type}": True})
        .exclude(tasks__privacy_request=privacy_request)
        .select_related("endpoint", "assignee")
    )
    if not systems:
        return
    now = clock.now()
    today = tenant_today(tenant, now)
    not_sent = []
    created = []
    for system in systems:
        due_on = rules.task_due_on(
            start=today, due_days=system.due_days, request_due=privacy_request.respond_by
        )
        task = SystemTask(
            tenant=tenant,
            privacy_request=privacy_request,
            system=system,
            action=action,
            due_on=due_on,
            created_at=now,
            next_reminder_at=rules.first_reminder_at(
                due_on=due_on, created_at=now, zone=tenant.zone
            ),
        )
        task.full_clean()
        task.save()
        created.append(task)
        if system.method == SystemMethod.PERSON:
            _assignment_email(task, system, now)
        elif system.endpoint is not None and system.endpoint.active:
            outbox_webhook_add(
                tenant=tenant,
                endpoint=system.endpoint,
                event=TASK_EVENT,
                payload=system_task_payload(task),
                dedupe_key=f"system-task:{task.pk}",
                about_key=privacy_request.outbox_about_key,
                about_label=privacy_request.reference,
                now=now,
            )
        else:
            not_sent.append(system.name)
    message = rules.tasks_summary(len(created), action)
    if not_sent:
        message += (
            f" Not sent to {', '.join(not_sent)}: its webhook endpoint is turned off; "
            "answer its task in the admin."
        )
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        message=message,
        data={"system_tasks": [task.pk for task in created]},
    )


# --- Answers -------------------------------------------------------------------------------------


def system_task_for_update(task: SystemTask) -> SystemTask:
    return (
        SystemTask.objects.for_tenant(task.tenant)
        .select_for_update()
        .select_related("tenant", "system", "privacy_request__tenant")
        .get(pk=task.pk)
    )


@transaction.atomic
def system_task_answer(
    *,
    task: SystemTask,
    outcome: str,
    note: str = "",
    basis: str = "",
    actor: AbstractBaseUser | None,
    actor_label: str | None = None,
) -> SystemTask:
    """Record a system's answer: done, exempt (``basis`` required) or nothing found.

    ``actor`` is the staff member who answered, or None for an API key (``actor_label`` names
    it). A task is answered once: the same answer again is accepted and changes nothing (a
    system retrying), a different one is refused (409), as is an answer to a cancelled task.
    The timeline entry names the system and the outcome; its audit entry is written with it
    (``timeline_add``: a staff member's or an API key's act).
    """
    rules.answer_check(outcome=outcome, note=note, basis=basis)
    task = system_task_for_update(task)
    note, basis = note.strip(), basis.strip()
    if task.state == TaskState.ANSWERED:
        if (task.outcome, task.note, task.basis) == (outcome, note, basis):
            return task
        raise Refused(
            "already_answered",
            f"This task was already answered ({task.get_outcome_display().lower()}) on "
            f"{task.answered_at:%Y-%m-%d}; an answer cannot be changed.",
            conflict=True,
        )
    if task.state == TaskState.CANCELLED:
        raise Refused(
            "cancelled",
            "This task was cancelled: the request was denied or withdrawn.",
            conflict=True,
        )
    now = clock.now()
    label = actor_label or (actor.get_username() if actor is not None else "")
    task.state = TaskState.ANSWERED
    task.outcome = outcome
    task.note = note
    task.basis = basis
    task.answered_at = now
    task.answered_by = actor if actor is not None and actor.pk else None
    task.answered_by_label = label[:150]
    task.next_reminder_at = None
    task.full_clean()
    task.save()
    privacy_request = task.privacy_request
    said = f"{task.system.name} answered: {task.get_outcome_display().lower()}"
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        actor=actor,
        label=actor_label,
        # The note may quote the consumer's data: it stays on the task, off the timeline.
        message=f"{said} ({rules.ACTION_PHRASES[task.action]}).",
        reason=basis,
        data={"system_task": task.pk, "outcome": outcome},
        audit_summary=f"Answered system task {task.pk} ({task.system.name}): {outcome} — "
        f"{privacy_request.reference}",
    )
    return task


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
            f"{when}\n\n{waiting}\n{_admin_task_url(task)}\n"
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


# --- Closing -------------------------------------------------------------------------------------


def _open_tasks(privacy_request: PrivacyRequest) -> list[SystemTask]:
    return list(
        SystemTask.objects.for_tenant(privacy_request.tenant)
        .filter(privacy_request=privacy_request, state=TaskState.OPEN)
        .select_related("system")
        .order_by("system__name", "pk")
    )


def system_tasks_on_closing(
    *,
    privacy_request: PrivacyRequest,
    outcome: str,
    open_tasks_reason: str,
    actor: AbstractBaseUser | None,
    actor_label: str | None = None,
) -> None:
    """``settings.PRIVACY_REQUEST_CLOSING``: a request is not closed as complied (in whole or in
    part) while one of its systems has not answered, unless staff say why
    (``open_tasks_reason``); then the timeline keeps that reason and the tasks stay open (the
    systems may still answer, and their owners are still reminded)."""
    if outcome not in words.ANSWERED:
        return
    still_open = _open_tasks(privacy_request)
    if not still_open:
        return
    names = ", ".join(task.system.name for task in still_open)
    reason = open_tasks_reason.strip()
    if not reason:
        raise Refused(
            "system_tasks_open",
            f"Not every system has answered yet ({names}). Wait for their answers, answer "
            "their tasks in the admin, or say why you close the request now (the reason is "
            "kept on the request's timeline).",
            "open_tasks_reason",
            conflict=True,
        )
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=clock.now(),
        actor=actor,
        label=actor_label,
        message=f"Closed while {len(still_open)} system task(s) were still open ({names}); "
        "staff recorded why.",
        reason=reason,
        data={"open_system_tasks": [task.pk for task in still_open]},
    )


def system_tasks_on_closed(*, privacy_request: PrivacyRequest) -> None:
    """``settings.PRIVACY_REQUEST_CLOSED``: a request denied or withdrawn cancels its open tasks;
    a webhook system is told so, a person's assignee is emailed."""
    if privacy_request.outcome in words.ANSWERED:
        return
    still_open = _open_tasks(privacy_request)
    if not still_open:
        return
    now = clock.now()
    SystemTask.objects.for_tenant(privacy_request.tenant).filter(
        pk__in=[task.pk for task in still_open], state=TaskState.OPEN
    ).update(state=TaskState.CANCELLED, next_reminder_at=None)
    for task in still_open:
        _cancel_notice(task, privacy_request, now)
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        message=f"{len(still_open)} open system task(s) cancelled: the request was "
        f"{privacy_request.get_outcome_display().lower()}.",
        data={"cancelled_system_tasks": [task.pk for task in still_open]},
    )


def _cancel_notice(task: SystemTask, privacy_request: PrivacyRequest, now: datetime) -> None:
    system = task.system
    if system.method == SystemMethod.WEBHOOK:
        endpoint = system.endpoint
        if endpoint is None or not endpoint.active:
            return
        outbox_webhook_add(
            tenant=task.tenant,
            endpoint=endpoint,
            event=CANCELLED_EVENT,
            payload={
                "task_id": task.pk,
                "request_reference": privacy_request.reference,
                "action": task.action,
            },
            dedupe_key=f"system-task:{task.pk}:cancelled",
            about_key=privacy_request.outbox_about_key,
            about_label=privacy_request.reference,
            now=now,
        )
        return
    if system.assignee is None or not system.assignee.email:
        return
    outbox_email_add(
        tenant=task.tenant,
        recipient=system.assignee.email,
        subject=f"Privacy request {privacy_request.reference}: nothing more to do in {system.name}",
        body=(
            f"Privacy request {privacy_request.reference} was closed "
            f"({privacy_request.get_outcome_display().lower()}): its task in {system.name} is "
            "cancelled. Do not act on it.\n"
        ),
        dedupe_key=f"system-task:{task.pk}:cancelled",
        about_key=privacy_request.outbox_about_key,
        about_label=privacy_request.reference,
        now=now,
    )
