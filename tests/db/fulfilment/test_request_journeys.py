"""One request of each type from submission to closure through the business's data systems
(issue 16, "Done means"): the consumer submits on the portal, staff verify, each system gets its
task and answers (by API or in the admin), staff answer the consumer, the recipients are told,
and every message holds what the regulation requires."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from fulfilment.models import SystemTask
from fulfilment.services import (
    package_open,
    response_package_release,
    system_task_answer,
)
from fulfilment.services.know_categories import know_categories_send
from notices.inventory import inventory_category_save
from notices.models import InventoryCategory
from optout.models import RecipientNotification
from optout.recipient_services import recipient_create
from outbox.models import OutboxMessage
from requests_app.models import PrivacyRequest
from requests_app.services import privacy_request_close, privacy_request_mark_verified
from tenants.services import api_key_create
from tests.factories import data_system
from tests.helpers import Api
from tests.portal_helpers import CORRECT, DELETE, KNOW

pytestmark = pytest.mark.django_db

SSN = "123-45-6789"
ASSESSMENT = "The utility bill and the lease both show the new address, dated this year."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def systems(tenant_a, admin_a, staff_a, settings):
    """ACME's CRM (a signed webhook) and its warehouse (a person), and its mailing service
    provider, registered before any request."""
    settings.OUTBOX_WEBHOOK_ALLOW_HTTP = True
    crm, _ = data_system(
        tenant_a, admin_a, name="CRM", method="webhook", url="https://crm.acme.example/hooks"
    )
    warehouse, _ = data_system(tenant_a, admin_a, name="Warehouse", assignee=staff_a)
    recipient_create(
        tenant=tenant_a,
        name="Mailer Inc",
        kind="service_provider",
        categories="Identifiers",
        delivery="email",
        email="privacy@mailer.example",
    )
    return crm, warehouse


@pytest.fixture
def systems_api(tenant_a) -> Api:
    return Api(api_key_create(tenant=tenant_a, scopes=["systems:write"])[1])


def _submitted(client, tenant, path: str, form: dict) -> PrivacyRequest:
    response = client.post(path, form)
    assert response.status_code == 302, response.content.decode()[:500]
    return PrivacyRequest.objects.for_tenant(tenant).order_by("-id").first()


def _verified(privacy_request, staff):
    return privacy_request_mark_verified(
        privacy_request=privacy_request, actor=staff, method="Email link and two data points."
    )


def _tasks(privacy_request) -> dict[str, SystemTask]:
    tasks = SystemTask.objects.for_tenant(privacy_request.tenant).filter(
        privacy_request=privacy_request
    )
    return {task.system.name: task for task in tasks.select_related("system")}


def _bodies(privacy_request) -> dict[str, str]:
    return {c.template: c.body for c in privacy_request.communications.all()}


def test_a_request_to_know_from_the_portal_to_its_package_and_answer(
    client, tenant_a, staff_a, systems, systems_api
):
    inventory_category_save(
        inventory_category=InventoryCategory(
            tenant=tenant_a,
            category="A",
            sources=["Directly from you"],
            purposes=["Sending your orders"],
            retention="Two years after your last order",
            disclosed_to=["Service providers"],
        )
    )
    know = _submitted(client, tenant_a, "/acme/know/", {**KNOW, "know_scope": "both"})
    assert "received your request to know" in _bodies(know)["acknowledgement"]
    know = _verified(know, staff_a)
    tasks = _tasks(know)
    assert set(tasks) == {"CRM", "Warehouse"}
    assert {task.action for task in tasks.values()} == {"find"}

    # The CRM attaches the consumer's data by API and answers; the warehouse's person answers.
    crm = tasks["CRM"]
    records = [{"name": "Casey", "ssn": SSN, "created_at": "2024-05-06", "plan": "Gold"}]
    attached = systems_api.post(f"/api/v1/system-tasks/{crm.pk}/parts/", raw=json.dumps(records))
    assert attached.status_code == 201, attached.content
    answered = systems_api.post(f"/api/v1/system-tasks/{crm.pk}/answer/", {"outcome": "done"})
    assert answered.status_code == 200, answered.content
    system_task_answer(task=tasks["Warehouse"], outcome="nothing_found", actor=staff_a)

    # Staff send the categories (§7024(k)) and release the package (§7024(d): no SSN in it).
    sent = know_categories_send(privacy_request=know, categories=["A"], actor=staff_a)
    assert "Directly from you" in sent.body
    package = response_package_release(privacy_request=know, actor=staff_a)
    with package_open(package) as handle, zipfile.ZipFile(io.BytesIO(handle.read())) as archive:
        files = {name: archive.read(name).decode() for name in archive.namelist()}
    assert any("Gold" in text for text in files.values())
    assert not any(SSN in text for text in files.values())
    assert "Social Security number" in files["index.html"]

    closed = privacy_request_close(privacy_request=know, actor=staff_a, outcome="complied")
    assert closed.status == "closed"
    assert "We did what you asked." in _bodies(closed)["closed"]


def test_a_request_to_delete_from_the_portal_to_the_recipients_notified(
    client, tenant_a, staff_a, systems, systems_api
):
    delete = _verified(_submitted(client, tenant_a, "/acme/delete/", DELETE), staff_a)
    tasks = _tasks(delete)
    assert {task.action for task in tasks.values()} == {"delete"}
    # The CRM's webhook is signed and carries the idempotency key (its message).
    webhook = OutboxMessage.objects.for_tenant(tenant_a).filter(channel="webhook").latest("id")
    assert delete.reference in webhook.body
    for task in tasks.values():
        system_task_answer(task=task, outcome="done", actor=staff_a)
    closed = privacy_request_close(privacy_request=delete, actor=staff_a, outcome="complied")
    body = _bodies(closed)["closed"]
    assert "We keep a record of your request and our answer" in body  # §7022(e)
    notified = RecipientNotification.objects.for_tenant(tenant_a).filter(privacy_request=closed)
    assert [n.recipient.name for n in notified] == ["Mailer Inc"]  # §7022(b)(2)


def test_a_delete_a_system_cannot_carry_out_is_answered_in_part_with_its_explanation_7022b3(
    client, tenant_a, staff_a, systems
):
    delete = _verified(_submitted(client, tenant_a, "/acme/delete/", DELETE), staff_a)
    tasks = _tasks(delete)
    why = (
        "The warehouse keeps nightly snapshots on write-once tape for seven years; a single "
        "record cannot be removed from a tape without rewriting the whole archive."
    )
    system_task_answer(
        task=tasks["Warehouse"], outcome="impossible", explanation=why, actor=staff_a
    )
    system_task_answer(task=tasks["CRM"], outcome="done", actor=staff_a)
    closed = privacy_request_close(
        privacy_request=delete,
        actor=staff_a,
        outcome="complied_in_part",
        denial_reason="exempt",
        explanation="Our archive tapes cannot be changed; we deleted everything else.",
        legal_basis="§7022(b)(3)",
        done_explanation="We deleted your data from our customer records.",
    )
    body = _bodies(closed)["closed"]
    assert "write-once tape" in body
    assert "We deleted your data from our customer records." in body


def test_a_request_to_correct_from_the_portal_to_the_correction_recorded(
    client, tenant_a, staff_a, systems, systems_api
):
    correct = _verified(_submitted(client, tenant_a, "/acme/correct/", CORRECT), staff_a)
    tasks = _tasks(correct)
    assert {task.action for task in tasks.values()} == {"correct"}
    for task in tasks.values():
        system_task_answer(task=task, outcome="done", actor=staff_a)
    closed = privacy_request_close(
        privacy_request=correct,
        actor=staff_a,
        outcome="complied",
        assessment=ASSESSMENT,
        documentation_considered="A utility bill and a lease.",
    )
    assert "We did what you asked." in _bodies(closed)["closed"]
    notified = RecipientNotification.objects.for_tenant(tenant_a).filter(privacy_request=closed)
    assert [n.recipient.name for n in notified] == ["Mailer Inc"]  # §7023(c): told to correct
    # A later import of the old address is flagged (§7023(c) as amended).
    check = systems_api.post(
        "/api/v1/corrections/check/",
        {
            "email": CORRECT["email"],
            "field": "postal_address",
            "value": "12 Old Street, Fresno",
        },
    )
    assert check.status_code == 200, check.content
    assert check.json()["contradicts_correction"] is True
