"""REST API v1 for privacy requests: create, list, retrieve, extend, close — as the integrator sees it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from outbox.models import OutboxMessage
from requests_app.models import PrivacyRequest, RequestEvent
from requests_app.services import privacy_request_close, privacy_request_mark_verified
from tests.factories import make_request
from tests.helpers import Api

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/requests/"
# D = 2025-11-21 in Los Angeles (23:30 local): respond by D + 45 = 2026-01-05.
LATE_FRIDAY_NIGHT_PT = "2025-11-22T07:30:00Z"
RECEIVED = datetime(2025, 11, 22, 7, 30, tzinfo=UTC)
SOON_AFTER = datetime(2025, 11, 25, 18, 0, tzinfo=UTC)


@pytest.fixture
def api_a(api_key_a) -> Api:
    return Api(api_key_a)


@pytest.fixture
def api_b(api_key_b) -> Api:
    return Api(api_key_b)


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "delete",
        "channel": "webform",
        "received_at": LATE_FRIDAY_NIGHT_PT,
        "requester": {
            "name": "Casey Consumer",
            "email": "casey@example.com",
            "phone": "(415) 555-0123",
            "state": "CA",
        },
    }
    body.update(overrides)
    return body


def _error(response) -> dict[str, Any]:
    assert response["Content-Type"] == "application/json", response.content[:200]
    return response.json()["error"]


def _reload(privacy_request: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.for_tenant(privacy_request.tenant).get(pk=privacy_request.pk)


# --- Create --------------------------------------------------------------------------------


def test_create_know_answers_201_with_local_receipt_date_and_deadlines(api_a, freeze):
    freeze(SOON_AFTER)
    response = api_a.post(REQUESTS, _body(type="know", know_scope="categories"))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["reference"].startswith("AC-")
    assert response["Location"] == f"/api/v1/requests/{data['reference']}/"
    assert data["type"] == "know"
    assert data["know_scope"] == "categories"
    assert data["channel"] == "webform"
    assert data["status"] == "awaiting_verification"
    assert data["received_at"] == "2025-11-22T07:30:00Z"
    assert data["received_date"] == "2025-11-21"
    # 10 business days after D, skipping Thanksgiving and the day after (CA state calendar).
    assert data["confirm_by"] == "2025-12-09"
    assert data["respond_by"] == "2026-01-05"
    assert data["comply_by"] is None
    assert data["calendar"] == {"name": "ca_state", "label": "California state office closures"}
    assert data["extended"] is False
    assert data["extension_reason"] is None
    assert data["outcome"] is None
    assert data["denial_reason"] is None
    assert data["due_state"] == "on_track"
    assert data["days_left"] == 41  # local today is 2025-11-25
    assert data["requester"] == {
        "name": "Casey Consumer",
        "email": "casey@example.com",
        "phone": "+14155550123",
        "state": "CA",
    }
    assert data["is_california_consumer"] is True
    assert data["agent"] is None
    assert data["assignee"] is None
    assert data["confirmed_at"] == "2025-11-25T18:00:00Z"  # acknowledged by email at once
    assert data["responded_at"] is None


@pytest.mark.parametrize("request_type", ["delete", "correct"])
def test_create_delete_and_correct_get_respond_by_and_no_comply_by(api_a, freeze, request_type):
    freeze(SOON_AFTER)
    response = api_a.post(REQUESTS, _body(type=request_type))
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["respond_by"], data["comply_by"]) == ("2026-01-05", None)
    assert data["status"] == "awaiting_verification"


def test_create_opt_out_received_friday_noon_pt_is_due_fifteen_business_days_later(api_a, freeze):
    freeze(datetime(2025, 12, 22, 17, 0, tzinfo=UTC))
    response = api_a.post(REQUESTS, _body(type="opt_out", received_at="2025-12-19T12:00:00-08:00"))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["received_date"] == "2025-12-19"
    # Christmas and New Year's Day are skipped.
    assert data["comply_by"] == "2026-01-13"
    assert data["respond_by"] is None
    assert data["confirm_by"] is None
    assert data["status"] == "in_progress"


def test_create_limit_gets_comply_by_and_opt_in_gets_no_deadline(api_a, freeze):
    freeze(SOON_AFTER)
    limit = api_a.post(REQUESTS, _body(type="limit")).json()
    opt_in = api_a.post(REQUESTS, _body(type="opt_in")).json()
    assert limit["comply_by"] == "2025-12-16"
    assert limit["respond_by"] is None
    assert (opt_in["confirm_by"], opt_in["respond_by"], opt_in["comply_by"]) == (None, None, None)
    assert (opt_in["due_state"], opt_in["days_left"]) == (None, None)


def test_create_defaults_to_channel_api_and_received_now(api_a, freeze):
    freeze(SOON_AFTER)
    body = _body()
    del body["channel"], body["received_at"]
    data = api_a.post(REQUESTS, body).json()
    assert data["channel"] == "api"
    assert data["received_at"] == "2025-11-25T18:00:00Z"
    assert data["received_date"] == "2025-11-25"


def test_create_with_agent_shows_the_agent(api_a):
    data = api_a.post(
        REQUESTS,
        _body(
            channel="agent",
            received_at=None,
            agent={
                "name": "Alex Agent",
                "organization": "Privacy Helpers",
                "email": "a@ph.example",
            },
            is_california_consumer=False,
        ),
    ).json()
    assert data["agent"] == {
        "name": "Alex Agent",
        "organization": "Privacy Helpers",
        "email": "a@ph.example",
        "phone": "",
    }
    assert data["is_california_consumer"] is False


def test_create_with_api_key_records_the_key_on_the_timeline(api_a, tenant_a):
    reference = api_a.post(REQUESTS, _body(received_at=None)).json()["reference"]
    created = RequestEvent.objects.for_tenant(tenant_a).get(
        privacy_request__reference=reference, kind="created"
    )
    assert created.actor is None
    assert created.actor_label.startswith("API key pp_")


def test_create_with_naive_received_at_is_refused_with_a_clear_message(api_a):
    response = api_a.post(REQUESTS, _body(received_at="2025-11-21T23:30:00"))
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "invalid"
    assert "UTC offset" in error["fields"]["received_at"][0]
    assert "received_at" in error["message"]


def test_create_with_future_received_at_is_refused(api_a, freeze):
    freeze(SOON_AFTER)
    response = api_a.post(REQUESTS, _body(received_at="2025-11-26T00:00:00Z"))
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "received_in_future"
    assert error["fields"] == {"received_at": ["The received time cannot be in the future."]}


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2025-13-01T00:00:00Z",
        1700000000,
        "1999-12-31T10:00:00Z",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
    ],
)
def test_create_with_unusable_received_at_is_a_400_not_a_500(api_a, value):
    response = api_a.post(REQUESTS, _body(received_at=value))
    assert response.status_code == 400
    assert "received_at" in _error(response)["fields"]


def test_create_know_without_scope_is_refused(api_a):
    response = api_a.post(REQUESTS, _body(type="know", received_at=None))
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "know_scope_required"
    assert "know_scope" in error["fields"]


def test_create_delete_with_a_scope_is_refused(api_a):
    response = api_a.post(REQUESTS, _body(know_scope="both", received_at=None))
    assert response.status_code == 400
    assert _error(response)["code"] == "know_scope_not_allowed"


def test_create_with_unknown_type_names_the_accepted_types(api_a):
    response = api_a.post(REQUESTS, _body(type="erase", received_at=None))
    assert response.status_code == 400
    message = _error(response)["fields"]["type"][0]
    assert "“erase” is not a request type" in message
    assert "know, delete, correct, opt_out, limit, opt_in" in message


def test_create_without_type_says_which_types_exist(api_a):
    body = _body(received_at=None)
    del body["type"]
    response = api_a.post(REQUESTS, body)
    assert response.status_code == 400
    assert "opt_out" in _error(response)["fields"]["type"][0]


def test_create_with_malformed_json_is_a_400(api_a):
    response = api_a.post(REQUESTS, raw='{"type": "delete",')
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "parse_error"
    assert "not valid JSON" in error["message"]


@pytest.mark.parametrize(
    "raw",
    [
        "[1, 2]",
        '"delete"',
        "null",
        '{"type": NaN}',
        b'{"type": "\xff"}',
        "[" * 30_000 + "]" * 30_000,
    ],
)
def test_create_with_a_body_that_is_not_an_object_is_a_400(api_a, raw):
    response = api_a.post(REQUESTS, raw=raw)
    assert response.status_code == 400
    assert _error(response)["message"]


def test_create_with_a_form_body_is_a_415(api_a):
    response = api_a.client.post(REQUESTS, {"type": "delete"}, headers=api_a.headers)
    assert response.status_code == 415
    assert _error(response)["code"] == "unsupported_media_type"


def test_create_with_a_huge_body_is_refused_as_too_large(api_a):
    response = api_a.post(REQUESTS, _body(requester={"name": "x" * 100_000}))
    assert response.status_code == 413
    assert _error(response)["code"] == "too_large"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"requester": {"name": "x" * 201, "email": "c@example.com"}}, "requester.name"),
        ({"requester": {"email": "not-an-email"}}, "requester.email"),
        ({"requester": {"name": "C", "phone": "12"}}, "requester.phone"),
        ({"requester": {"name": "C", "state": "California"}}, "requester.state"),
        ({"requester": "Casey"}, "requester"),
        ({"requester": {"name": ["C"]}}, "requester.name"),
        ({"requester": {"name": "Nul\u0000byte"}}, "requester.name"),
        ({"requester": {"name": "Lone \ud800 surrogate"}}, "requester.name"),
        ({"channel": "fax"}, "channel"),
        ({"channel": ["webform"]}, "channel"),
        ({"type": {"x": 1}}, "type"),
        ({"type": "x" * 50_000}, "type"),
        ({"is_california_consumer": "perhaps"}, "is_california_consumer"),
        ({"agent": "Alex"}, "agent"),
    ],
)
def test_create_with_bad_field_values_is_a_400_naming_the_field(api_a, overrides, field):
    response = api_a.post(REQUESTS, _body(received_at=None, **overrides))
    assert response.status_code == 400, response.content[:300]
    error = _error(response)
    assert field in error["fields"], error
    assert len(error["message"]) < 500


def test_create_without_any_requester_detail_is_refused(api_a):
    response = api_a.post(REQUESTS, {"type": "delete"})
    assert response.status_code == 400
    assert _error(response)["code"] == "requester_required"


def test_create_takes_at_most_eight_queries(api_a, django_assert_max_num_queries):
    body = _body(received_at=None)
    # Key lookup + the service's one transaction (its savepoint and release count in tests):
    # the request, the acknowledgement's Communication and OutboxMessage, and both timeline
    # events in one INSERT (core.fast_insert).
    with django_assert_max_num_queries(8):
        response = api_a.post(REQUESTS, body)
    assert response.status_code == 201


# --- Authentication and tenancy ------------------------------------------------------------


def test_no_credentials_is_a_401_json_with_a_bearer_challenge():
    response = Api().get(REQUESTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert _error(response)["code"] == "not_authenticated"
    assert "Authorization: Bearer" in _error(response)["message"]


def test_unknown_key_is_a_401(tenant_a):
    response = Api("pp_not-a-real-key").post(REQUESTS, _body())
    assert response.status_code == 401
    assert _error(response)["code"] == "authentication_failed"
    assert PrivacyRequest.objects.for_tenant(tenant_a).count() == 0


def test_revoked_key_is_a_401(tenant_a):
    from tenants.services import api_key_create, api_key_revoke

    api_key, raw = api_key_create(tenant=tenant_a)
    assert Api(raw).get(REQUESTS).status_code == 200
    api_key_revoke(api_key=api_key)
    response = Api(raw).get(REQUESTS)
    assert response.status_code == 401
    assert "revoked" in _error(response)["message"]


def test_list_never_shows_another_businesss_requests(api_a, api_b, tenant_a, tenant_b):
    mine = make_request(tenant_a)
    make_request(tenant_b)
    make_request(tenant_b, request_type="opt_out")
    references = [row["reference"] for row in api_a.get(REQUESTS).json()["results"]]
    assert references == [mine.reference]
    assert len(api_b.get(REQUESTS).json()["results"]) == 2


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "/", None),
        ("get", "", None),
        ("post", "/extend", {"reason": "More time."}),
        ("post", "/close", {"outcome": "denied", "denial_reason": "other", "explanation": "x"}),
    ],
)
def test_another_businesss_reference_answers_404_like_a_missing_one(
    api_b, tenant_a, method, suffix, body
):
    theirs = make_request(tenant_a)
    url = f"{REQUESTS}{theirs.reference}{suffix}"
    missing = f"{REQUESTS}AC-ZZZZ-ZZZZ{suffix}"
    if method == "get":
        response, baseline = api_b.get(url), api_b.get(missing)
    else:
        response, baseline = api_b.post(url, body), api_b.post(missing, body)
    assert response.status_code == baseline.status_code == 404
    assert response.json() == baseline.json()
    assert _error(response)["code"] == "not_found"
    assert _reload(theirs).extended_at is None
    assert _reload(theirs).status == "awaiting_verification"


@pytest.mark.parametrize("reference", ["AC-%00", "x" * 300, "AC-ZZZZ-ZZZZ%20", "AC-ZZZZ-ZZZZ.json"])
def test_odd_references_answer_404_json(api_a, reference):
    response = api_a.get(f"{REQUESTS}{reference}/")
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


# --- Staff sessions ------------------------------------------------------------------------


def test_staff_session_can_list_create_and_close_and_is_recorded_as_actor(
    client_a, staff_a, tenant_a
):
    staff = Api(client=client_a)
    created = staff.post(REQUESTS, _body(received_at=None))
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    assert [row["reference"] for row in staff.get(REQUESTS).json()["results"]] == [reference]
    response = staff.post(
        f"{REQUESTS}{reference}/close",
        {
            "outcome": "denied",
            "denial_reason": "unverifiable",
            "explanation": "We could not verify you.",
        },
    )
    assert response.status_code == 200, response.content
    closed = RequestEvent.objects.for_tenant(tenant_a).get(
        privacy_request__reference=reference, kind="closed"
    )
    assert closed.actor == staff_a
    assert closed.actor_label == "staff_a"
    timeline = staff.get(f"{REQUESTS}{reference}/").json()["timeline"]
    assert timeline[-1]["actor"] == "staff_a"


def test_staff_session_extension_records_the_staff_member(client_a, staff_a, tenant_a, freeze):
    freeze(RECEIVED)
    privacy_request = make_request(tenant_a)
    response = Api(client=client_a).post(
        f"{REQUESTS}{privacy_request.reference}/extend", {"reason": "Archive retrieval."}
    )
    assert response.status_code == 200, response.content
    assert privacy_request.events.get(kind="extended").actor == staff_a


def test_staff_of_another_business_cannot_see_or_change_its_requests(client_b, tenant_a):
    theirs = make_request(tenant_a)
    staff_b = Api(client=client_b)
    assert staff_b.get(REQUESTS).json()["results"] == []
    assert staff_b.get(f"{REQUESTS}{theirs.reference}/").status_code == 404
    response = staff_b.post(f"{REQUESTS}{theirs.reference}/extend", {"reason": "x"})
    assert response.status_code == 404
    assert _reload(theirs).extended_at is None


def test_signed_in_user_without_a_business_is_refused_with_403(db):
    client = Client()
    client.force_login(get_user_model().objects.create_user("drifter", password="x" * 12))
    response = Api(client=client).get(REQUESTS)
    assert response.status_code == 403
    assert _error(response)["code"] == "permission_denied"


# --- List and filters ----------------------------------------------------------------------


@pytest.fixture
def queue(tenant_a, freeze):
    """Four requests of A, received on different days; now is 2026-01-10 in Los Angeles."""
    freeze(datetime(2025, 11, 1, 18, 0, tzinfo=UTC))
    old_delete = make_request(tenant_a, request_type="delete")  # respond by 2025-12-16
    freeze(datetime(2025, 12, 1, 18, 0, tzinfo=UTC))
    know = make_request(tenant_a, request_type="know", channel="email")  # respond by 2026-01-15
    freeze(datetime(2025, 12, 19, 20, 0, tzinfo=UTC))
    opt_out = make_request(tenant_a, request_type="opt_out", channel="gpc")  # comply 2026-01-13
    freeze(datetime(2026, 1, 10, 18, 0, tzinfo=UTC))
    new_delete = make_request(tenant_a, request_type="delete")  # respond by 2026-02-24
    return {"old_delete": old_delete, "know": know, "opt_out": opt_out, "new_delete": new_delete}


def _refs(api: Api, **params: Any) -> list[str]:
    response = api.get(REQUESTS, params)
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


def test_list_is_newest_received_first_with_live_due_state(api_a, queue):
    response = api_a.get(REQUESTS)
    rows = response.json()["results"]
    assert [row["reference"] for row in rows] == [
        queue[name].reference for name in ("new_delete", "opt_out", "know", "old_delete")
    ]
    by_ref = {row["reference"]: row for row in rows}
    old = by_ref[queue["old_delete"].reference]
    assert (old["due_state"], old["days_left"]) == ("overdue", -25)
    assert by_ref[queue["opt_out"].reference]["due_state"] == "due_soon"


def test_list_filters_by_type_status_and_channel(api_a, queue):
    assert _refs(api_a, type="know") == [queue["know"].reference]
    assert _refs(api_a, status="in_progress") == [queue["opt_out"].reference]
    assert _refs(api_a, channel="gpc") == [queue["opt_out"].reference]
    assert _refs(api_a, type="delete", channel="email") == []


def test_list_overdue_is_relative_to_the_businesss_local_today(api_a, queue):
    assert _refs(api_a, overdue="true") == [queue["old_delete"].reference]
    assert set(_refs(api_a, overdue="false")) == {
        queue[name].reference for name in ("new_delete", "opt_out", "know")
    }


def test_a_closed_request_is_not_overdue(api_a, queue, staff_a):
    privacy_request_close(
        privacy_request=queue["old_delete"],
        actor=staff_a,
        outcome="denied",
        denial_reason="unverifiable",
        explanation="We could not verify your identity.",
    )
    assert _refs(api_a, overdue="true") == []
    row = api_a.get(f"{REQUESTS}{queue['old_delete'].reference}/").json()
    assert (row["status"], row["due_state"], row["days_left"]) == ("closed", None, None)


def test_list_due_before_uses_respond_by_or_comply_by(api_a, queue):
    assert _refs(api_a, due_before="2026-01-14") == [
        queue["opt_out"].reference,
        queue["old_delete"].reference,
    ]
    assert _refs(api_a, due_before="2025-12-16") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"type": "erase"}, "type"),
        ({"status": "open"}, "status"),
        ({"channel": "fax"}, "channel"),
        ({"overdue": "maybe"}, "overdue"),
        ({"due_before": "next week"}, "due_before"),
        ({"due_before": "2026-02-30"}, "due_before"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "many"}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "cD1ub3QtYS1kYXRl"}, "cursor"),  # base64 of "p=not-a-date"
    ],
)
def test_list_with_an_invalid_filter_is_a_400_with_a_message(api_a, queue, params, field):
    response = api_a.get(REQUESTS, params)
    assert response.status_code == 400, response.content
    error = _error(response)
    assert field in error["fields"]
    assert error["message"].startswith(field)


def test_list_pages_with_a_cursor_without_losing_rows(api_a, queue):
    first = api_a.get(REQUESTS, {"page_size": 3}).json()
    assert len(first["results"]) == 3
    assert first["previous"] is None
    second = api_a.get(first["next"]).json()
    seen = [row["reference"] for row in first["results"] + second["results"]]
    assert sorted(seen) == sorted(r.reference for r in queue.values())
    assert second["next"] is None


def test_list_runs_two_queries_whatever_the_page_size(
    api_a, tenant_a, staff_a, django_assert_max_num_queries
):
    from requests_app.services import privacy_request_assign

    for _ in range(5):
        privacy_request_assign(
            privacy_request=make_request(tenant_a), actor=staff_a, assignee=staff_a
        )
    api_a.get(REQUESTS)  # a process loads each business once (tenants.selectors.api_key_lookup)
    with django_assert_max_num_queries(2):
        response = api_a.get(REQUESTS)
    rows = response.json()["results"]
    assert len(rows) == 5
    assert {row["assignee"] for row in rows} == {"staff_a"}


# --- Retrieve ------------------------------------------------------------------------------


def test_retrieve_shows_timeline_and_communications(api_a, tenant_a, staff_a):
    privacy_request = make_request(tenant_a, request_type="know")
    privacy_request_mark_verified(
        privacy_request=privacy_request, actor=staff_a, method="Matched email and phone."
    )
    response = api_a.get(f"{REQUESTS}{privacy_request.reference.lower()}/")
    assert response.status_code == 200
    data = response.json()
    assert data["reference"] == privacy_request.reference
    assert [event["kind"] for event in data["timeline"]] == ["created", "acknowledged", "verified"]
    verified = data["timeline"][-1]
    assert verified["actor"] == "staff_a"
    assert verified["reason"] == "Matched email and phone."
    assert set(verified) == {"at", "kind", "actor", "message", "reason"}
    (acknowledgement,) = data["communications"]
    assert acknowledgement["template"] == "acknowledgement"
    assert acknowledgement["recipient"] == "consumer@example.com"
    assert privacy_request.reference in acknowledgement["subject"]
    assert acknowledgement["delivery"] == "pending"  # the outbox has not sent it yet


def test_retrieve_takes_five_queries(api_a, tenant_a, django_assert_max_num_queries):
    privacy_request = make_request(tenant_a)
    api_a.get(REQUESTS)  # a process loads each business once (tenants.selectors.api_key_lookup)
    # Key lookup, the request, then one prefetch each: timeline, communications, documents.
    with django_assert_max_num_queries(5):
        response = api_a.get(f"{REQUESTS}{privacy_request.reference}/")
    assert response.status_code == 200


def test_retrieve_without_trailing_slash_answers_too(api_a, tenant_a):
    privacy_request = make_request(tenant_a)
    assert api_a.get(f"{REQUESTS}{privacy_request.reference}").status_code == 200


# --- Extend --------------------------------------------------------------------------------


@pytest.fixture
def delete_request(tenant_a, freeze):
    freeze(RECEIVED)  # D = 2025-11-21: respond by 2026-01-05, at most 2026-02-19
    return make_request(tenant_a, request_type="delete")


def test_extend_defaults_to_ninety_days_and_tells_the_consumer_why(
    api_a, delete_request, tenant_a, freeze
):
    freeze(datetime(2025, 12, 1, 18, 0, tzinfo=UTC))
    response = api_a.post(
        f"{REQUESTS}{delete_request.reference}/extend",
        {"reason": "We are retrieving your records from our archive."},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["respond_by"] == "2026-02-19"
    assert data["extended"] is True
    assert data["extension_reason"] == "We are retrieving your records from our archive."
    notice = (
        OutboxMessage.objects.for_tenant(tenant_a)
        .filter(about_key=delete_request.outbox_about_key, subject__contains="more time")
        .get()
    )
    assert "retrieving your records from our archive" in notice.body
    event = delete_request.events.get(kind="extended")
    assert event.actor is None
    assert event.actor_label.startswith("API key pp_")


def test_extend_to_a_chosen_date(api_a, delete_request):
    response = api_a.post(
        f"{REQUESTS}{delete_request.reference}/extend",
        {"reason": "Complex request.", "respond_by": "2026-01-30"},
    )
    assert response.status_code == 200
    assert response.json()["respond_by"] == "2026-01-30"


def test_extending_twice_is_a_409_and_keeps_the_due_date(api_a, delete_request):
    url = f"{REQUESTS}{delete_request.reference}/extend"
    api_a.post(url, {"reason": "First.", "respond_by": "2026-01-30"})
    response = api_a.post(url, {"reason": "Second."})
    assert response.status_code == 409
    error = _error(response)
    assert error["code"] == "already_extended"
    assert "one extension" in error["message"]
    assert _reload(delete_request).respond_by.isoformat() == "2026-01-30"
    assert api_a.get(f"{REQUESTS}{delete_request.reference}/").json()["respond_by"] == "2026-01-30"


def test_extension_after_day_45_is_a_409(api_a, delete_request, freeze):
    freeze(datetime(2026, 1, 7, 18, 0, tzinfo=UTC))
    response = api_a.post(f"{REQUESTS}{delete_request.reference}/extend", {"reason": "Late."})
    assert response.status_code == 409
    assert _error(response)["code"] == "too_late"
    assert _reload(delete_request).respond_by.isoformat() == "2026-01-05"


def test_extend_without_reason_is_a_400_naming_the_reason(api_a, delete_request):
    response = api_a.post(f"{REQUESTS}{delete_request.reference}/extend", {})
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "reason_required"
    assert "reason" in error["fields"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"reason": "x", "respond_by": "2026-03-01"}, "beyond_maximum"),
        ({"reason": "x", "respond_by": "2025-12-01"}, "not_later"),
        ({"reason": "x", "respond_by": "soon"}, "invalid"),
        ({"reason": "x" * 5000}, "invalid"),
    ],
)
def test_extend_with_an_unusable_date_or_reason_is_a_400(api_a, delete_request, body, code):
    response = api_a.post(f"{REQUESTS}{delete_request.reference}/extend", body)
    assert response.status_code == 400
    assert _error(response)["code"] == code


def test_extending_an_opt_out_is_a_409(api_a, tenant_a):
    opt_out = make_request(tenant_a, request_type="opt_out")
    response = api_a.post(f"{REQUESTS}{opt_out.reference}/extend", {"reason": "x"})
    assert response.status_code == 409
    assert _error(response)["code"] == "not_extendable"


def test_extend_with_get_is_a_405_json(api_a, delete_request):
    response = api_a.get(f"{REQUESTS}{delete_request.reference}/extend")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


# --- Close ---------------------------------------------------------------------------------


def test_close_denied_as_unverifiable_answers_200_with_the_outcome(api_a, tenant_a):
    privacy_request = make_request(tenant_a)
    response = api_a.post(
        f"{REQUESTS}{privacy_request.reference}/close",
        {
            "outcome": "denied",
            "denial_reason": "unverifiable",
            "explanation": "We could not match the details you gave.",
        },
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "closed"
    assert data["outcome"] == "denied"
    assert data["denial_reason"] == "unverifiable"
    assert data["responded_at"] is not None
    assert (data["due_state"], data["days_left"]) == (None, None)


def test_close_exempt_with_legal_basis_is_accepted(api_a, tenant_a):
    privacy_request = make_request(tenant_a)
    response = api_a.post(
        f"{REQUESTS}{privacy_request.reference}/close",
        {
            "outcome": "denied",
            "denial_reason": "exempt",
            "explanation": "We must keep these records.",
            "legal_basis": "Civ. Code §1798.105(d)(8)",
        },
    )
    assert response.status_code == 200
    assert response.json()["legal_basis"] == "Civ. Code §1798.105(d)(8)"


def test_close_denied_without_explanation_is_a_400_with_a_readable_message(api_a, tenant_a):
    privacy_request = make_request(tenant_a)
    response = api_a.post(
        f"{REQUESTS}{privacy_request.reference}/close",
        {"outcome": "denied", "denial_reason": "other"},
    )
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "explanation_required"
    assert "Explain the denial" in error["message"]
    assert _reload(privacy_request).status == "awaiting_verification"


def test_close_as_complied_before_verification_is_a_409(api_a, tenant_a):
    privacy_request = make_request(tenant_a)
    response = api_a.post(f"{REQUESTS}{privacy_request.reference}/close", {"outcome": "complied"})
    assert response.status_code == 409
    error = _error(response)
    assert error["code"] == "not_verified"
    assert "verified" in error["message"]


def test_close_as_complied_after_verification_is_accepted(api_a, tenant_a, staff_a):
    privacy_request = make_request(tenant_a)
    privacy_request_mark_verified(privacy_request=privacy_request, actor=staff_a, method="Email.")
    response = api_a.post(f"{REQUESTS}{privacy_request.reference}/close", {"outcome": "complied"})
    assert response.status_code == 200
    assert response.json()["outcome"] == "complied"


def test_closing_twice_is_a_409(api_a, tenant_a):
    privacy_request = make_request(tenant_a, request_type="opt_out")
    url = f"{REQUESTS}{privacy_request.reference}/close"
    assert api_a.post(url, {"outcome": "complied"}).status_code == 200
    response = api_a.post(url, {"outcome": "complied"})
    assert response.status_code == 409
    assert _error(response)["code"] == "closed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "outcome"),
        ({"outcome": "approved"}, "outcome"),
        ({"outcome": "denied", "denial_reason": "lazy", "explanation": "x"}, "denial_reason"),
        ({"outcome": "denied", "denial_reason": "other", "explanation": 5 * ["x"]}, "explanation"),
    ],
)
def test_close_with_bad_values_is_a_400_naming_the_field(api_a, tenant_a, body, field):
    privacy_request = make_request(tenant_a)
    response = api_a.post(f"{REQUESTS}{privacy_request.reference}/close", body)
    assert response.status_code == 400
    assert field in _error(response)["fields"]
