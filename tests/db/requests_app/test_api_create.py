"""REST API v1, creating requests: deadlines from the real receipt time, and every bad input a
clear 4xx (never a 500, never half a request)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from requests_app.models import RequestEvent
from tests.helpers import REQUESTS, SOON_AFTER, create_body, error_of

pytestmark = pytest.mark.django_db


# --- Create --------------------------------------------------------------------------------


def test_create_know_answers_201_with_local_receipt_date_and_deadlines(api_a, freeze):
    freeze(SOON_AFTER)
    response = api_a.post(REQUESTS, create_body(type="know", know_scope="categories"))
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
    response = api_a.post(REQUESTS, create_body(type=request_type))
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["respond_by"], data["comply_by"]) == ("2026-01-05", None)
    assert data["status"] == "awaiting_verification"


def test_create_opt_out_received_friday_noon_pt_is_due_fifteen_business_days_later(api_a, freeze):
    freeze(datetime(2025, 12, 22, 17, 0, tzinfo=UTC))
    response = api_a.post(
        REQUESTS, create_body(type="opt_out", received_at="2025-12-19T12:00:00-08:00")
    )
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
    limit = api_a.post(REQUESTS, create_body(type="limit")).json()
    opt_in = api_a.post(REQUESTS, create_body(type="opt_in")).json()
    assert limit["comply_by"] == "2025-12-16"
    assert limit["respond_by"] is None
    assert (opt_in["confirm_by"], opt_in["respond_by"], opt_in["comply_by"]) == (None, None, None)
    assert (opt_in["due_state"], opt_in["days_left"]) == (None, None)


def test_create_defaults_to_channel_api_and_received_now(api_a, freeze):
    freeze(SOON_AFTER)
    body = create_body()
    del body["channel"], body["received_at"]
    data = api_a.post(REQUESTS, body).json()
    assert data["channel"] == "api"
    assert data["received_at"] == "2025-11-25T18:00:00Z"
    assert data["received_date"] == "2025-11-25"


def test_create_with_agent_shows_the_agent(api_a):
    data = api_a.post(
        REQUESTS,
        create_body(
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
    reference = api_a.post(REQUESTS, create_body(received_at=None)).json()["reference"]
    created = RequestEvent.objects.for_tenant(tenant_a).get(
        privacy_request__reference=reference, kind="created"
    )
    assert created.actor is None
    assert created.actor_label.startswith("API key pp_")


def test_create_with_naive_received_at_is_refused_with_a_clear_message(api_a):
    response = api_a.post(REQUESTS, create_body(received_at="2025-11-21T23:30:00"))
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert "UTC offset" in error["fields"]["received_at"][0]
    assert "received_at" in error["message"]


def test_create_with_future_received_at_is_refused(api_a, freeze):
    freeze(SOON_AFTER)
    response = api_a.post(REQUESTS, create_body(received_at="2025-11-26T00:00:00Z"))
    assert response.status_code == 400
    error = error_of(response)
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
    response = api_a.post(REQUESTS, create_body(received_at=value))
    assert response.status_code == 400
    assert "received_at" in error_of(response)["fields"]


def test_create_know_without_scope_is_refused(api_a):
    response = api_a.post(REQUESTS, create_body(type="know", received_at=None))
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "know_scope_required"
    assert "know_scope" in error["fields"]


def test_create_delete_with_a_scope_is_refused(api_a):
    response = api_a.post(REQUESTS, create_body(know_scope="both", received_at=None))
    assert response.status_code == 400
    assert error_of(response)["code"] == "know_scope_not_allowed"


def test_create_with_unknown_type_names_the_accepted_types(api_a):
    response = api_a.post(REQUESTS, create_body(type="erase", received_at=None))
    assert response.status_code == 400
    message = error_of(response)["fields"]["type"][0]
    assert "“erase” is not a request type" in message
    assert "know, delete, correct, opt_out, limit, opt_in" in message


def test_create_without_type_says_which_types_exist(api_a):
    body = create_body(received_at=None)
    del body["type"]
    response = api_a.post(REQUESTS, body)
    assert response.status_code == 400
    assert "opt_out" in error_of(response)["fields"]["type"][0]


def test_create_with_malformed_json_is_a_400(api_a):
    response = api_a.post(REQUESTS, raw='{"type": "delete",')
    assert response.status_code == 400
    error = error_of(response)
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
    assert error_of(response)["message"]


def test_create_with_a_form_body_is_a_415(api_a):
    response = api_a.client.post(REQUESTS, {"type": "delete"}, headers=api_a.headers)
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_create_with_a_huge_body_is_refused_as_too_large(api_a):
    response = api_a.post(REQUESTS, create_body(requester={"name": "x" * 100_000}))
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


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
    response = api_a.post(REQUESTS, create_body(received_at=None, **overrides))
    assert response.status_code == 400, response.content[:300]
    error = error_of(response)
    assert field in error["fields"], error
    assert len(error["message"]) < 500


def test_create_without_any_requester_detail_is_refused(api_a):
    response = api_a.post(REQUESTS, {"type": "delete"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "requester_required"


def test_create_takes_at_most_seventeen_queries_then_thirteen(api_a, django_assert_max_num_queries):
    body = create_body(received_at=None)
    # Key lookup, the business, and the service's one transaction (its savepoint and release
    # count in tests): the request, the acknowledgement's Communication and OutboxMessage, and
    # both timeline events in one INSERT (core.fast_insert): 8. Then the verification hook
    # (§7060-§7062, verification_on_created): the policy read, the Verification record, the
    # count of this email's requests today (fraud watch), the email link, its Communication and
    # OutboxMessage: 6; and, the business's first request only, its policy made with its
    # defaults (savepoint, INSERT, release): 3. No audit entry: a key forwarding a consumer's
    # request is not a staff change (requests_app.services.intake).
    with django_assert_max_num_queries(17):
        response = api_a.post(REQUESTS, body)
    assert response.status_code == 201
    # Every later request: the business is known and its policy exists: 7 + 6.
    with django_assert_max_num_queries(13):
        response = api_a.post(REQUESTS, body)
    assert response.status_code == 201


def test_create_takes_the_details_of_a_delete_or_a_correction_and_the_language(api_a):
    response = api_a.post(
        REQUESTS,
        create_body(
            type="delete",
            delete_scope="selected",
            delete_categories=["geolocation", "biometric"],
            language="es",
        ),
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["delete_scope"], data["delete_categories"], data["language"]) == (
        "selected",
        ["biometric", "geolocation"],
        "es",
    )


def test_create_refuses_correction_details_on_another_type_naming_the_field(api_a):
    response = api_a.post(REQUESTS, create_body(type="delete", correction_field="name"))
    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "correction_field": ["Correction field does not apply to this type of request."]
    }
