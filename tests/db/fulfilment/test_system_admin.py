"""The data systems and their tasks in the admin: the secret shown once, a request's page
showing each system's progress, staff answering a task, and the close form's reason."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from fulfilment.models import DataSystem, SystemTask
from requests_app.models import RequestEvent
from tests.factories import data_system, verified_request
from tests.helpers import login

pytestmark = pytest.mark.django_db


def test_an_admin_registers_a_webhook_system_and_sees_its_secret_only_once(tenant_a, admin_a):
    client = login(admin_a)
    response = client.post(
        "/admin/fulfilment/datasystem/add/",
        {
            "name": "CRM",
            "kind": "crm",
            "owner": admin_a.pk,
            "owner_contact": "crm-team@acme.example",
            "handles_know": "on",
            "handles_delete": "on",
            "method": "webhook",
            "webhook_url": "https://crm.acme.example/hooks",
            "due_days": "20",
            "active": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    crm = DataSystem.objects.for_tenant(tenant_a).get(name="CRM")
    [message] = [
        str(m) for m in get_messages(response.wsgi_request) if "shown only now" in str(m)
    ] or [line for line in response.content.decode().split("\n") if "shown only now" in line]
    assert "whsec_" in message
    secret = message.split("shown only now: ", 1)[1].split(" ", 1)[0]
    page = client.get(f"/admin/fulfilment/datasystem/{crm.pk}/change/").content.decode()
    assert secret not in page
    assert f"{crm.endpoint.secret_hint}…" in page
    assert (crm.handles_know, crm.handles_delete, crm.handles_correct) == (True, True, False)


def test_the_add_form_shows_the_service_s_refusal_and_makes_nothing(tenant_a, admin_a):
    response = login(admin_a).post(
        "/admin/fulfilment/datasystem/add/",
        {
            "name": "Shop",
            "kind": "ecommerce",
            "owner": admin_a.pk,
            "handles_delete": "on",
            "method": "person",
            "due_days": "20",
        },
    )
    assert response.status_code == 200
    assert "Choose the member who is given the tasks." in response.content.decode()
    assert DataSystem.objects.for_tenant(tenant_a).count() == 0


def test_staff_cannot_manage_data_systems(staff_a):
    assert login(staff_a).get("/admin/fulfilment/datasystem/").status_code == 403


@pytest.fixture
def task(tenant_a, admin_a, staff_a, started):
    data_system(tenant_a, admin_a, name="Shop", assignee=staff_a)
    privacy_request = verified_request(tenant_a, staff_a)
    return SystemTask.objects.for_tenant(tenant_a).get(privacy_request=privacy_request)


def test_a_request_s_page_shows_each_system_s_progress(staff_a, task):
    page = login(staff_a).get(
        f"/admin/requests_app/privacyrequest/{task.privacy_request_id}/change/"
    )
    text = page.content.decode()
    assert "data systems&#x27; tasks" in text.lower() or "data systems' tasks" in text.lower()
    assert "Shop" in text
    assert "February 22, 2026" in text or "Feb. 22, 2026" in text
    assert f"/admin/fulfilment/systemtask/{task.pk}/answer/" in text


def test_staff_answer_a_person_s_task_from_the_admin(staff_a, task):
    client = login(staff_a)
    url = f"/admin/fulfilment/systemtask/{task.pk}/answer/"
    form = client.get(url)
    assert "consumer@example.com" in form.content.decode()  # what they need to find the data
    refused = client.post(url, {"outcome": "exempt", "note": "kept"})
    assert "An exemption needs its basis" in refused.content.decode()
    done = client.post(url, {"outcome": "nothing_found", "note": "No account with that email."})
    assert done.status_code == 302
    task.refresh_from_db()
    assert (task.state, task.outcome, task.answered_by) == ("answered", "nothing_found", staff_a)


def test_the_close_form_takes_the_reason_for_closing_with_open_tasks(staff_a, task):
    client = login(staff_a)
    url = f"/admin/requests_app/privacyrequest/{task.privacy_request_id}/close/"
    refused = client.post(url, {"outcome": "complied", "apply": "1"})
    assert "Not every system has answered yet (Shop)" in refused.content.decode()
    closed = client.post(
        url,
        {"outcome": "complied", "apply": "1", "open_tasks_reason": "The shop confirmed by phone."},
    )
    assert closed.status_code == 302
    event = RequestEvent.objects.for_tenant(task.tenant).get(
        privacy_request=task.privacy_request, message__contains="still open"
    )
    assert event.reason == "The shop confirmed by phone."
