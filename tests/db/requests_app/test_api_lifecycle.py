"""The API drives the whole lifecycle, as the admin does: assign, verify, start, record the
receipt confirmation, extend, close; each answer lists what can be done next."""

from __future__ import annotations

import pytest

from tests.factories import make_request
from tests.helpers import Api, error_of

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/requests/"


def _act(api: Api, reference: str, action: str, body: dict | None = None):
    return api.post(f"{REQUESTS}{reference}/{action}", body or {})


def test_an_integrator_runs_a_phone_request_end_to_end(api_a, tenant_a, staff_a):
    phoned = make_request(tenant_a, channel="phone", email="")
    reference = phoned.reference
    created = api_a.get(f"{REQUESTS}{reference}/").json()
    assert created["available_actions"] == [
        "assign",
        "mark_verified",
        "extend",
        "close",
        "record_confirmation",
    ]

    script = (
        "We received your request to delete. We will check who you are by comparing what you "
        "tell us with our records, and answer within 45 days."
    )
    confirmed = _act(api_a, reference, "record-confirmation", {"method": "oral", "text": script})
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["confirmed_at"] is not None
    assert "record_confirmation" not in confirmed.json()["available_actions"]

    assigned = _act(api_a, reference, "assign", {"assignee": staff_a.username})
    assert assigned.status_code == 200
    assert assigned.json()["assignee"] == staff_a.username

    verified = _act(api_a, reference, "verify", {"method": "Name, address and phone matched."})
    assert verified.status_code == 200
    assert verified.json()["status"] == "verified"
    assert "start_work" in verified.json()["available_actions"]

    started = _act(api_a, reference, "start")
    assert (started.status_code, started.json()["status"]) == (200, "in_progress")

    closed = _act(api_a, reference, "close", {"outcome": "complied"})
    assert (closed.status_code, closed.json()["status"]) == (200, "closed")
    assert closed.json()["available_actions"] == []

    timeline = [e["kind"] for e in api_a.get(f"{REQUESTS}{reference}/").json()["timeline"]]
    assert timeline == ["created", "acknowledged", "assigned", "verified", "status", "closed"]
    actors = {e["actor"] for e in api_a.get(f"{REQUESTS}{reference}/").json()["timeline"][1:]}
    assert actors == {f"API key {api_key_hint(api_a)}…"}


def api_key_hint(api: Api) -> str:
    return api.headers["Authorization"].removeprefix("Bearer ")[:10]


def test_verifying_an_opt_out_is_a_conflict_7060b(api_a, tenant_a):
    opt_out = make_request(tenant_a, request_type="opt_out")
    response = _act(api_a, opt_out.reference, "verify", {"method": "Matched."})
    assert response.status_code == 409
    assert error_of(response)["code"] == "no_verification"


def test_starting_before_verification_is_a_conflict_7060(api_a, tenant_a):
    response = _act(api_a, make_request(tenant_a).reference, "start")
    assert (response.status_code, error_of(response)["code"]) == (409, "not_verified")


def test_assigning_to_someone_outside_the_business_names_the_field(api_a, tenant_a, staff_b):
    response = _act(api_a, make_request(tenant_a).reference, "assign", {"assignee": "staff_b"})
    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "assignee": ["staff_b is not a staff member of this business."]
    }


def test_unassigning_with_null(api_a, tenant_a, staff_a):
    privacy_request = make_request(tenant_a)
    _act(api_a, privacy_request.reference, "assign", {"assignee": staff_a.username})
    response = _act(api_a, privacy_request.reference, "assign", {"assignee": None})
    assert (response.status_code, response.json()["assignee"]) == (200, None)


def test_a_confirmation_by_hand_needs_what_was_said_7021a(api_a, tenant_a):
    phoned = make_request(tenant_a, channel="phone", email="")
    response = _act(api_a, phoned.reference, "record-confirmation", {"method": "oral"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "notice_text_required"


def test_a_confirmation_by_email_sends_it_and_needs_an_address(api_a, tenant_a):
    phoned = make_request(tenant_a, channel="phone", email="")
    response = _act(api_a, phoned.reference, "record-confirmation", {"method": "email"})
    assert (response.status_code, error_of(response)["code"]) == (400, "no_email")


def test_the_lifecycle_endpoints_answer_404_for_another_business(api_key_b, tenant_a):
    theirs = make_request(tenant_a)
    for action, body in (
        ("verify", {"method": "Matched."}),
        ("start", {}),
        ("assign", {"assignee": None}),
        ("record-confirmation", {"method": "oral", "text": "x " * 10}),
    ):
        assert _act(Api(api_key_b), theirs.reference, action, body).status_code == 404
