"""System tasks: given on verification, answered once, guarding the close (issue 16 item 0)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEntry
from core.refusals import Refused
from fulfilment.models import DataSystem, SystemTask
from fulfilment.services import data_system_deactivate, data_system_save, system_task_answer
from outbox import signing
from outbox.models import OutboxMessage
from outbox.tasks import relay_outbox
from requests_app.models import RequestEvent
from requests_app.services import privacy_request_close
from tests.factories import data_system as system
from tests.factories import make_request
from tests.factories import verified_request as verified
from tests.helpers import webhook_receiver

pytestmark = pytest.mark.django_db

START = datetime(2026, 2, 2, 17, 0, tzinfo=UTC)  # the `started` fixture's moment


def _tasks(tenant, privacy_request=None):
    tasks = SystemTask.objects.for_tenant(tenant).select_related("system").order_by("system__name")
    if privacy_request is not None:
        tasks = tasks.filter(privacy_request=privacy_request)
    return list(tasks)


def _events(privacy_request):
    return list(
        RequestEvent.objects.for_tenant(privacy_request.tenant).filter(
            privacy_request=privacy_request
        )
    )


@pytest.fixture
def systems(tenant_a, admin_a, staff_a, settings):
    """ACME's systems: a CRM (webhook), a shop (person), a warehouse that handles only requests
    to know, and a turned-off marketing tool."""
    settings.OUTBOX_WEBHOOK_ALLOW_HTTP = True
    crm, secret = system(
        tenant_a, admin_a, name="CRM", method="webhook", url="https://crm.acme.example/hooks"
    )
    shop, _ = system(tenant_a, admin_a, name="Shop", kind="ecommerce", assignee=staff_a)
    warehouse, _ = system(
        tenant_a,
        admin_a,
        name="Warehouse",
        kind="warehouse",
        assignee=staff_a,
        handles_delete=False,
        handles_correct=False,
    )
    marketing, _ = system(tenant_a, admin_a, name="Marketing", kind="marketing", assignee=staff_a)
    data_system_deactivate(system=marketing)
    return {"crm": crm, "shop": shop, "warehouse": warehouse, "secret": secret}


# --- Systems ----------------------------------------------------------------------------------


def test_a_webhook_system_gets_an_endpoint_and_its_secret_once(tenant_a, admin_a):
    crm, secret = system(
        tenant_a, admin_a, name="CRM", method="webhook", url="https://crm.acme.example/hooks"
    )
    assert secret.startswith("whsec_")
    assert crm.endpoint.url == "https://crm.acme.example/hooks"
    assert secret not in crm.endpoint.secret_encrypted  # stored encrypted, like the outbox's
    assert crm.endpoint.secret_hint == secret[:10]
    # Saving again without a new URL makes no new secret; a new URL makes one.
    assert data_system_save(system=crm) is None
    assert data_system_save(system=crm, webhook_url="https://crm2.acme.example/hooks")


def test_a_webhook_system_without_an_https_address_is_refused(tenant_a, admin_a, settings):
    settings.OUTBOX_WEBHOOK_ALLOW_HTTP = False
    for url in ("", "http://crm.acme.example/hooks"):
        with pytest.raises(ValidationError) as error:
            system(tenant_a, admin_a, name="CRM", method="webhook", url=url)
        assert "webhook_url" in error.value.message_dict
    assert DataSystem.objects.for_tenant(tenant_a).count() == 0


def test_a_person_system_needs_an_assignee_of_the_business_with_an_email(
    tenant_a, admin_a, staff_b
):
    with pytest.raises(ValidationError) as error:
        system(tenant_a, admin_a, name="Shop", assignee=None)
    assert "assignee" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        system(tenant_a, admin_a, name="Shop", assignee=staff_b)  # another business's member
    assert "assignee" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        system(tenant_a, staff_b, name="Shop", assignee=admin_a)
    assert "owner" in error.value.message_dict


# --- Tasks on verification -----------------------------------------------------------------------


def test_verification_gives_a_task_to_each_active_system_that_handles_the_type(
    tenant_a, staff_a, systems, started
):
    privacy_request = verified(tenant_a, staff_a, request_type="delete")

    tasks = _tasks(tenant_a, privacy_request)
    # Not the warehouse (requests to know only), not marketing (turned off).
    assert [task.system.name for task in tasks] == ["CRM", "Shop"]
    assert {(task.action, task.state, task.due_on) for task in tasks} == {
        ("delete", "open", date(2026, 2, 22))  # 20 days after verification, before day 45
    }
    [event] = [e for e in _events(privacy_request) if "systems asked" in e.message]
    assert event.message == "2 systems asked to find and delete the data."
    assert privacy_request.requester_email not in event.message


def test_a_request_to_know_asks_the_warehouse_too_and_an_opt_out_asks_nobody(
    tenant_a, staff_a, systems, started
):
    know = verified(tenant_a, staff_a, request_type="know")
    assert [(t.system.name, t.action) for t in _tasks(tenant_a, know)] == [
        ("CRM", "find"),
        ("Shop", "find"),
        ("Warehouse", "find"),
    ]
    make_request(tenant_a, request_type="opt_out")
    assert len(_tasks(tenant_a)) == 3


def test_the_webhook_is_queued_signed_with_the_task_and_only_the_request_s_identifiers(
    tenant_a, staff_a, systems, started
):
    privacy_request = verified(tenant_a, staff_a, request_type="delete")
    crm_task = next(t for t in _tasks(tenant_a, privacy_request) if t.system.name == "CRM")

    message = OutboxMessage.objects.for_tenant(tenant_a).get(
        dedupe_key=f"system-task:{crm_task.pk}"
    )
    assert (message.channel, message.subject, message.endpoint_id) == (
        "webhook",
        "system_task.created",
        systems["crm"].endpoint_id,
    )
    data = json.loads(message.body)["data"]
    assert data["task_id"] == crm_task.pk
    assert data["request_reference"] == privacy_request.reference
    assert (data["action"], data["due_on"]) == ("delete", "2026-02-22")
    assert data["subject"] == {"name": "Casey Consumer", "email": "consumer@example.com"}
    assert data["answer_url"].endswith(f"/api/v1/system-tasks/{crm_task.pk}/answer")
    assert "categories_held" not in data  # a deletion: nothing to report by category


def test_a_know_task_s_webhook_names_the_categories_its_system_holds(
    tenant_a, staff_a, systems, started
):
    systems["crm"].categories = ["A", "B"]
    systems["crm"].save(update_fields=["categories"])
    privacy_request = verified(tenant_a, staff_a, request_type="know")
    crm_task = next(t for t in _tasks(tenant_a, privacy_request) if t.system.name == "CRM")
    message = OutboxMessage.objects.for_tenant(tenant_a).get(
        dedupe_key=f"system-task:{crm_task.pk}"
    )
    # What it may answer in categories_found (§7024(k)(1)).
    assert json.loads(message.body)["data"]["categories_held"] == ["A", "B"]


def test_the_webhook_reaches_the_system_with_a_valid_signature_and_its_idempotency_key(
    tenant_a, admin_a, staff_a, settings, started
):
    settings.OUTBOX_WEBHOOK_ALLOW_HTTP = True
    with webhook_receiver() as receiver:
        _, secret = system(tenant_a, admin_a, name="CRM", method="webhook", url=receiver.url)
        privacy_request = verified(tenant_a, staff_a)
        [task] = _tasks(tenant_a, privacy_request)
        message = OutboxMessage.objects.for_tenant(tenant_a).get(
            dedupe_key=f"system-task:{task.pk}"
        )
        relay_outbox()
    [delivery] = [d for d in receiver.received if b"system_task.created" in d["body"]]
    headers = delivery["headers"]
    assert signing.verify(
        secret, headers[signing.SIGNATURE_HEADER], delivery["body"], now=int(START.timestamp())
    )
    assert headers[signing.IDEMPOTENCY_HEADER] == str(message.pk)


def test_a_person_system_s_assignee_is_emailed_by_reference_only(
    tenant_a, staff_a, systems, started
):
    privacy_request = verified(tenant_a, staff_a)
    shop_task = next(t for t in _tasks(tenant_a, privacy_request) if t.system.name == "Shop")
    email = OutboxMessage.objects.for_tenant(tenant_a).get(
        dedupe_key=f"system-task:{shop_task.pk}:assigned"
    )
    assert email.recipient == staff_a.email
    assert privacy_request.reference in email.subject
    assert "find and delete" in email.body
    assert "February 22, 2026" in email.body
    assert f"/admin/fulfilment/systemtask/{shop_task.pk}/answer/" in email.body
    assert privacy_request.requester_email not in email.body
    assert privacy_request.requester_name not in email.body


def test_a_turned_off_endpoint_still_gets_its_task_and_the_timeline_says_it_was_not_sent(
    tenant_a, staff_a, systems, started
):
    endpoint = systems["crm"].endpoint
    endpoint.active = False
    endpoint.save(update_fields=["active"])
    privacy_request = verified(tenant_a, staff_a)
    assert len(_tasks(tenant_a, privacy_request)) == 2
    assert any("Not sent to CRM" in e.message for e in _events(privacy_request))


# --- Answers -------------------------------------------------------------------------------------


@pytest.fixture
def open_task(tenant_a, staff_a, systems, started):
    privacy_request = verified(tenant_a, staff_a)
    return next(t for t in _tasks(tenant_a, privacy_request) if t.system.name == "Shop")


@pytest.mark.parametrize(
    ("outcome", "basis"),
    [("done", ""), ("nothing_found", ""), ("exempt", "Civil Code §1798.105(d)(8)")],
)
def test_staff_answer_a_task_and_the_timeline_and_audit_trail_say_so(
    tenant_a, staff_a, open_task, outcome, basis
):
    answered = system_task_answer(
        task=open_task,
        outcome=outcome,
        note="Checked the orders table.",
        basis=basis,
        actor=staff_a,
    )
    assert (answered.state, answered.outcome, answered.basis) == ("answered", outcome, basis)
    assert (answered.answered_by, answered.answered_by_label) == (staff_a, "staff_a")
    assert answered.answered_at == START
    assert answered.next_reminder_at is None
    reference = open_task.privacy_request.reference
    [event] = [e for e in _events(open_task.privacy_request) if e.message.startswith("Shop ans")]
    assert event.actor == staff_a
    assert event.reason == basis
    assert "Checked the orders" not in event.message  # the note stays on the task
    entry = AuditEntry.objects.for_tenant(tenant_a).get(
        summary__startswith=f"Answered system task {open_task.pk}"
    )
    assert entry.target == f"privacy_request:{reference}"
    assert entry.actor_label == "staff_a"
    assert open_task.privacy_request.requester_email not in entry.summary


def test_an_exemption_without_its_basis_is_refused_and_nothing_is_saved(open_task, staff_a):
    with pytest.raises(Refused) as refused:
        system_task_answer(task=open_task, outcome="exempt", note="legal hold", actor=staff_a)
    assert refused.value.code == "basis_required"
    open_task.refresh_from_db()
    assert (open_task.state, open_task.outcome) == ("open", "")


def test_the_same_answer_twice_is_accepted_once_and_a_different_one_is_refused(open_task, staff_a):
    first = system_task_answer(task=open_task, outcome="done", note="Deleted.", actor=staff_a)
    events = len(_events(open_task.privacy_request))
    again = system_task_answer(task=open_task, outcome="done", note="Deleted.", actor=staff_a)
    assert again.answered_at == first.answered_at
    assert len(_events(open_task.privacy_request)) == events  # nothing new written
    with pytest.raises(Refused) as refused:
        system_task_answer(task=open_task, outcome="nothing_found", actor=staff_a)
    assert (refused.value.code, refused.value.conflict) == ("already_answered", True)


# --- Closing -------------------------------------------------------------------------------------


def test_a_request_is_not_closed_as_complied_while_a_system_task_is_open(
    tenant_a, staff_a, systems, started
):
    privacy_request = verified(tenant_a, staff_a)
    for outcome, extra in (
        ("complied", {}),
        (
            "complied_in_part",
            {
                "denial_reason": "exempt",
                "explanation": "We keep records the law requires us to keep.",
                "legal_basis": "Civil Code §1798.105(d)(8)",
                "done_explanation": "We deleted your account and your order history.",
            },
        ),
    ):
        with pytest.raises(Refused) as refused:
            privacy_request_close(
                privacy_request=privacy_request, actor=staff_a, outcome=outcome, **extra
            )
        assert refused.value.code == "system_tasks_open"
        assert "CRM, Shop" in refused.value.message
    privacy_request.refresh_from_db()
    assert privacy_request.status == "verified"


def test_once_every_system_answered_the_request_closes_as_complied(
    tenant_a, staff_a, systems, started
):
    privacy_request = verified(tenant_a, staff_a)
    for task in _tasks(tenant_a, privacy_request):
        system_task_answer(task=task, outcome="done", actor=staff_a)
    closed = privacy_request_close(
        privacy_request=privacy_request, actor=staff_a, outcome="complied"
    )
    assert closed.outcome == "complied"


def test_staff_may_close_with_open_tasks_when_they_record_why_on_the_timeline(
    tenant_a, staff_a, systems, started
):
    privacy_request = verified(tenant_a, staff_a)
    closed = privacy_request_close(
        privacy_request=privacy_request,
        actor=staff_a,
        outcome="complied",
        open_tasks_reason="The CRM deletes in its nightly batch; the shop confirmed by phone.",
    )
    assert closed.status == "closed"
    [event] = [e for e in _events(privacy_request) if "still open" in e.message]
    assert event.message.startswith("Closed while 2 system task(s) were still open (CRM, Shop)")
    assert event.reason.startswith("The CRM deletes in its nightly batch")
    assert event.actor == staff_a
    # The systems may still answer: their tasks stay open.
    assert {t.state for t in _tasks(tenant_a, privacy_request)} == {"open"}


def test_a_denial_cancels_the_open_tasks_and_tells_the_systems(tenant_a, staff_a, systems, started):
    privacy_request = verified(tenant_a, staff_a)
    shop_task = next(t for t in _tasks(tenant_a, privacy_request) if t.system.name == "Shop")
    system_task_answer(task=shop_task, outcome="nothing_found", actor=staff_a)
    privacy_request_close(
        privacy_request=privacy_request,
        actor=staff_a,
        outcome="denied",
        denial_reason="other",
        explanation="We could not find an account that matches the details you gave us.",
    )
    states = {t.system.name: t.state for t in _tasks(tenant_a, privacy_request)}
    assert states == {"CRM": "cancelled", "Shop": "answered"}
    crm_task = next(t for t in _tasks(tenant_a, privacy_request) if t.system.name == "CRM")
    assert crm_task.next_reminder_at is None
    cancelled = OutboxMessage.objects.for_tenant(tenant_a).get(
        dedupe_key=f"system-task:{crm_task.pk}:cancelled"
    )
    assert cancelled.subject == "system_task.cancelled"
    assert any("1 open system task(s) cancelled" in e.message for e in _events(privacy_request))
    with pytest.raises(Refused) as refused:
        system_task_answer(task=crm_task, outcome="done", actor=staff_a)
    assert refused.value.code == "cancelled"
