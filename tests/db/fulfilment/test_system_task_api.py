"""The system task API: a business's systems list their tasks and answer them with an API key
holding systems:write (issue 16 item 0)."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import AuditEntry
from fulfilment.models import SystemTask
from tenants.services import api_key_create
from tests.factories import data_system, verified_request
from tests.helpers import Api, error_of

pytestmark = pytest.mark.django_db

TASKS = "/api/v1/system-tasks/"


def _client(raw_key: str) -> Client:
    return Client(headers={"authorization": f"Bearer {raw_key}"})


@pytest.fixture
def key_a(tenant_a) -> str:
    return api_key_create(tenant=tenant_a, name="CRM connector", scopes=["systems:write"])[1]


@pytest.fixture
def task_a(tenant_a, admin_a, staff_a, started):
    data_system(tenant_a, admin_a, name="Shop", assignee=staff_a)
    privacy_request = verified_request(tenant_a, staff_a, request_type="delete")
    return SystemTask.objects.for_tenant(tenant_a).get(privacy_request=privacy_request)


@pytest.fixture
def task_b(tenant_b, admin_b, staff_b, started):
    data_system(tenant_b, admin_b, name="Bravo shop", assignee=staff_b)
    privacy_request = verified_request(tenant_b, staff_b, email="bertha@example.com")
    return SystemTask.objects.for_tenant(tenant_b).get(privacy_request=privacy_request)


def _answer_url(task: SystemTask) -> str:
    return f"{TASKS}{task.pk}/answer/"


def test_a_system_lists_its_business_s_open_tasks_with_the_subject(
    key_a, task_a, task_b, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = _client(key_a).get(TASKS, {"state": "open"})
    assert response.status_code == 200
    [listed] = response.json()["results"]
    assert listed["id"] == task_a.pk
    assert listed["request_reference"] == task_a.privacy_request.reference
    assert (listed["action"], listed["state"], listed["due_on"]) == ("delete", "open", "2026-02-22")
    assert listed["system"] == {"id": task_a.system_id, "name": "Shop"}
    assert listed["subject"] == {"name": "Casey Consumer", "email": "consumer@example.com"}
    # The read is on the audit trail, by task id, without the consumer's details.
    entry = AuditEntry.objects.for_tenant(task_a.tenant).get(target="system_task:list")
    assert entry.actor_kind == "api_key"
    assert "consumer@example.com" not in entry.summary


def test_an_answered_task_is_listed_without_the_subject(key_a, task_a):
    _client(key_a).post(_answer_url(task_a), {"outcome": "done"}, content_type="application/json")
    assert _client(key_a).get(TASKS, {"state": "open"}).json()["results"] == []
    [listed] = _client(key_a).get(TASKS, {"state": "answered"}).json()["results"]
    assert (listed["outcome"], listed["subject"]) == ("done", None)


def test_a_system_answers_exempt_with_its_basis_and_the_key_is_named(key_a, task_a):
    response = _client(key_a).post(
        _answer_url(task_a),
        {"outcome": "exempt", "note": "Order kept", "basis": "Civil Code §1798.105(d)(8)"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["outcome"], body["basis"]) == (
        "answered",
        "exempt",
        "Civil Code §1798.105(d)(8)",
    )
    assert body["answered_by"].startswith("API key ")
    entry = AuditEntry.objects.for_tenant(task_a.tenant).get(
        summary__startswith=f"Answered system task {task_a.pk}"
    )
    assert entry.actor_kind == "api_key"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "exempt", "note": "kept"}, "basis"),
        ({"outcome": "maybe"}, "outcome"),
        ({}, "outcome"),
    ],
)
def test_bad_input_answers_400_with_a_plain_message_and_saves_nothing(key_a, task_a, body, field):
    response = _client(key_a).post(_answer_url(task_a), body, content_type="application/json")
    assert response.status_code == 400
    error = error_of(response)
    assert field in error["fields"]
    assert error["message"]
    task_a.refresh_from_db()
    assert task_a.state == "open"


def test_an_unknown_state_filter_answers_400(key_a, task_a):
    response = _client(key_a).get(TASKS, {"state": "finished"})
    assert response.status_code == 400
    assert "state" in error_of(response)["fields"]


def test_the_same_answer_again_is_200_and_a_different_one_409(key_a, task_a):
    client = _client(key_a)
    first = client.post(_answer_url(task_a), {"outcome": "done"}, content_type="application/json")
    again = client.post(_answer_url(task_a), {"outcome": "done"}, content_type="application/json")
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json()["answered_at"] == again.json()["answered_at"]
    other = client.post(
        _answer_url(task_a), {"outcome": "nothing_found"}, content_type="application/json"
    )
    assert other.status_code == 409
    assert error_of(other)["code"] == "already_answered"


def test_another_business_s_task_answers_404_like_a_missing_one(key_a, task_a, task_b):
    client = _client(key_a)
    theirs = client.post(_answer_url(task_b), {"outcome": "done"}, content_type="application/json")
    missing = client.post(
        f"{TASKS}{task_b.pk + 1000}/answer/", {"outcome": "done"}, content_type="application/json"
    )
    assert (theirs.status_code, missing.status_code) == (404, 404)
    assert error_of(theirs)["message"] == error_of(missing)["message"]
    task_b.refresh_from_db()
    assert task_b.state == "open"
    assert [t["id"] for t in client.get(TASKS).json()["results"]] == [task_a.pk]


def test_no_key_is_401_and_a_key_without_systems_write_is_403(tenant_a, task_a):
    anonymous = Client().get(TASKS)
    assert anonymous.status_code == 401
    requests_key = api_key_create(tenant=tenant_a)[1]  # the default scopes: requests only
    for response in (
        _client(requests_key).get(TASKS),
        _client(requests_key).post(
            _answer_url(task_a), {"outcome": "done"}, content_type="application/json"
        ),
    ):
        assert response.status_code == 403
        assert error_of(response)["code"] == "missing_scope"


@pytest.mark.parametrize("task_id", ["2.5", "abc", "0", "99999999999999999999999"])
def test_an_id_that_is_no_task_s_answers_a_json_404(tenant_a, task_id):
    key = api_key_create(tenant=tenant_a, scopes=["systems:write"])[1]
    response = Api(key).post(f"/api/v1/system-tasks/{task_id}/answer/", {"outcome": "done"})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("task_id", ["2.5", "%C3%85b"])
def test_a_part_for_an_id_that_is_no_task_s_answers_a_json_404(tenant_a, task_id):
    key = api_key_create(tenant=tenant_a, scopes=["systems:write"])[1]
    response = Api(key).post(f"/api/v1/system-tasks/{task_id}/parts/", [{"a": 1}])
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
