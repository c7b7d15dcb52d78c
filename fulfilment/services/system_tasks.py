"""System tasks: given on verification, answered once, guarding the close."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse

from core import clock
from core.dates import long_date
from core.refusals import Refused
from outbox.services import (
    outbox_email_add,
    outbox_webhook_add,
)
from requests_app import vocabulary as words
from requests_app.models import EventKind, PrivacyRequest
from requests_app.services.timeline import timeline_add
from tenants.selectors import tenant_today

from .. import categories_rules
from .. import task_rules as rules
from ..models import DataSystem, SystemMethod, SystemTask, TaskState
from ..selectors import inventory_codes

logger = logging.getLogger(__name__)


TASK_EVENT = "system_task.created"
CANCELLED_EVENT = "system_task.cancelled"


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
        # A request to know's answer may say which of these it found (``categories_found``,
        # §7024(k)(1)): the inventory categories the system is recorded as holding.
        **(
            {"categories_held": list(task.system.categories or [])}
            if privacy_request.request_type == words.KNOW
            else {}
        ),
        "answer_url": settings.PORTAL_BASE_URL
        + reverse("api-v1-system-task-answer", kwargs={"system_task_id": task.pk}),
    }


def admin_task_url(task: SystemTask) -> str:
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
            f"{admin_task_url(task)}\n"
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
    explanation: str = "",
    categories_found: Sequence[str] = (),
    actor: AbstractBaseUser | None,
    actor_label: str | None = None,
) -> SystemTask:
    """Record a system's answer: done, exempt (``basis`` required), nothing found, or for a
    deletion impossible (``explanation`` required, detailed: §7022(b)(3); it is shown to staff
    and relayed to the consumer in the answer, ``delete_impossibilities``).

    With done, ``categories_found`` may say which categories of the business's data inventory
    the system found for this consumer (statutory codes): the categories answer ticks those
    instead of all the system holds (§7024(k)(1)). A code outside the inventory, or categories
    with another outcome, are refused before anything is written.

    ``actor`` is the staff member who answered, or None for an API key (``actor_label`` names
    it). A task is answered once: the same answer again is accepted and changes nothing (a
    system retrying), a different one is refused (409), as is an answer to a cancelled task.
    The timeline entry names the system and the outcome; its audit entry is written with it
    (``timeline_add``: a staff member's or an API key's act).
    """
    task = system_task_for_update(task)
    rules.answer_check(
        outcome=outcome, note=note, basis=basis, action=task.action, explanation=explanation
    )
    found = list(
        categories_rules.found_check(
            outcome=outcome, found=categories_found, inventory=inventory_codes(task.tenant)
        )
    )
    note, basis, explanation = note.strip(), basis.strip(), explanation.strip()
    if task.state == TaskState.ANSWERED:
        if (task.outcome, task.note, task.basis, task.explanation, task.categories_found) == (
            outcome,
            note,
            basis,
            explanation,
            found,
        ):
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
    task.explanation = explanation
    task.categories_found = found
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
        message=f"{said} ({rules.ACTION_PHRASES[task.action]})"
        + (f"; categories found: {', '.join(found)}." if found else "."),
        reason=basis or explanation,
        data={"system_task": task.pk, "outcome": outcome, "categories_found": found},
        audit_summary=f"Answered system task {task.pk} ({task.system.name}): {outcome} — "
        f"{privacy_request.reference}",
    )
    return task


# --- Closing -------------------------------------------------------------------------------------


def _open_tasks(privacy_request: PrivacyRequest) -> list[SystemTask]:
    return list(
        SystemTask.objects.for_tenant(privacy_request.tenant)
        .filter(privacy_request=privacy_request, state=TaskState.OPEN)
        .select_related("system")
        .order_by("system__name", "pk")
    )


def _impossible_tasks(privacy_request: PrivacyRequest) -> list[SystemTask]:
    return list(
        SystemTask.objects.for_tenant(privacy_request.tenant)
        .filter(privacy_request=privacy_request, state=TaskState.ANSWERED, outcome=rules.IMPOSSIBLE)
        .order_by("system__name", "pk")
    )


def delete_impossibilities(privacy_request: PrivacyRequest) -> list[str]:
    """``settings.PRIVACY_REQUEST_IMPOSSIBILITIES``: the systems' detailed explanations of why
    deleting was impossible or disproportionate, for the consumer's answer (§7022(f)(1))."""
    if privacy_request.request_type != words.DELETE:
        return []
    return [task.explanation for task in _impossible_tasks(privacy_request)]


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
    if outcome == words.COMPLIED and _impossible_tasks(privacy_request):
        raise Refused(
            "deletion_impossible_in_part",
            "A data system answered that deleting is impossible or would involve "
            "disproportionate effort: close as complied in part, so that the consumer gets its "
            "explanation (§7022(b)(3), §7022(f)(1)).",
            "outcome",
            conflict=True,
        )
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
