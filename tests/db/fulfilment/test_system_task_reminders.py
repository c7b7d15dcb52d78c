"""Reminders of system tasks: from three days before the due date, daily, only while open, at
most once a local day (issue 16 item 0)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fulfilment.models import SystemTask
from fulfilment.services import system_task_answer, system_task_reminder_sweep
from fulfilment.tasks import system_task_remind_task
from outbox.models import OutboxMessage
from tests.factories import data_system, verified_request

pytestmark = pytest.mark.django_db


def _reminders(tenant) -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.for_tenant(tenant)
        .filter(dedupe_key__contains=":reminder:")
        .order_by("pk")
    )


@pytest.fixture
def tasks(tenant_a, admin_a, staff_a, started):
    """ACME's shop (a person) and CRM (a webhook, owned by the admin) on one request to delete,
    both due February 22, 2026."""
    data_system(tenant_a, admin_a, name="Shop", assignee=staff_a)
    data_system(
        tenant_a, admin_a, name="CRM", method="webhook", url="https://crm.acme.example/hooks"
    )
    privacy_request = verified_request(tenant_a, staff_a)
    return list(
        SystemTask.objects.for_tenant(tenant_a)
        .filter(privacy_request=privacy_request)
        .order_by("system__name")
    )


def test_nothing_is_reminded_before_three_days_ahead_of_the_due_date(tenant_a, tasks, freeze):
    freeze(tasks[0].created_at + timedelta(days=16))  # February 18: four days ahead
    assert system_task_reminder_sweep().reminded == 0
    assert _reminders(tenant_a) == []


def test_due_soon_tasks_are_reminded_once_a_day_to_the_owner_or_the_assignee(
    tenant_a, admin_a, staff_a, tasks, freeze
):
    crm, _ = tasks
    freeze(crm.created_at + timedelta(days=17))  # February 19, 09:00 local
    assert system_task_reminder_sweep().reminded == 2
    assert system_task_reminder_sweep().reminded == 0  # the same day: nothing again
    freeze(crm.created_at + timedelta(days=17, hours=10))  # 19:00 local, still the same day
    assert system_task_reminder_sweep().reminded == 0
    reminders = _reminders(tenant_a)
    # The webhook system's owner, and the person system's assignee.
    assert {r.recipient for r in reminders} == {admin_a.email, staff_a.email}
    shop_reminder = next(r for r in reminders if r.recipient == staff_a.email)
    assert "Shop" in shop_reminder.subject
    assert "It is due on February 22, 2026." in shop_reminder.body
    assert crm.privacy_request.requester_email not in shop_reminder.body

    freeze(crm.created_at + timedelta(days=18))  # the next day
    assert system_task_reminder_sweep().reminded == 2
    crm.refresh_from_db()
    assert crm.reminders_sent == 2


def test_overdue_tasks_say_so_and_answered_ones_are_not_reminded(tenant_a, staff_a, tasks, freeze):
    crm, shop = tasks
    system_task_answer(task=shop, outcome="done", actor=staff_a)
    freeze(crm.created_at + timedelta(days=25))  # March 1: overdue
    assert system_task_reminder_sweep().reminded == 1
    [reminder] = _reminders(tenant_a)
    assert "CRM" in reminder.subject
    assert "It was due on February 22, 2026 and is overdue." in reminder.body


def test_the_sweep_reads_only_what_is_due_its_queries_bounded_per_reminder(
    tenant_a, admin_a, staff_a, tasks, freeze, django_assert_max_num_queries
):
    # Thirty requests given later: their tasks are not due yet and cost the sweep nothing.
    freeze(tasks[0].created_at + timedelta(days=10))
    for number in range(30):
        verified_request(tenant_a, staff_a, email=f"later{number}@example.com")
    freeze(tasks[0].created_at + timedelta(days=17))
    # One read, then per reminder: the claim and the email (and their savepoint).
    with django_assert_max_num_queries(1 + 4 * len(tasks)):
        result = system_task_reminder_sweep()
    assert (result.examined, result.reminded) == (2, 2)


def test_an_owner_without_an_email_address_is_replaced_by_the_privacy_contact(
    tenant_a, admin_a, tasks, freeze
):
    admin_a.email = ""
    admin_a.save(update_fields=["email"])
    freeze(tasks[0].created_at + timedelta(days=17))
    system_task_reminder_sweep()
    recipients = {r.recipient for r in _reminders(tenant_a)}
    assert tenant_a.contact_email in recipients


def test_the_reminder_task_reminds_one_task_now_once_a_day(tenant_a, tasks, tenant_b):
    crm, _ = tasks
    assert system_task_remind_task(tenant_b.pk, crm.pk) is False  # another business: nothing
    assert system_task_remind_task(tenant_a.pk, crm.pk) is True
    assert system_task_remind_task(tenant_a.pk, crm.pk) is False
    assert len(_reminders(tenant_a)) == 1
