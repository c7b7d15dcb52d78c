"""REST API v1, extending and closing a request: the §7021(b) extension rules and the closing rules,
with 409 when the request's state refuses and 400 when the input does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from outbox.models import OutboxMessage
from requests_app.models import PrivacyRequest
from requests_app.services import privacy_request_mark_verified
from tests.factories import make_request
from tests.helpers import RECEIVED, REQUESTS, error_of

pytestmark = pytest.mark.django_db


def _reload(privacy_request: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.for_tenant(privacy_request.tenant).get(pk=privacy_request.pk)


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
    error = error_of(response)
    assert error["code"] == "already_extended"
    assert "one extension" in error["message"]
    assert _reload(delete_request).respond_by.isoformat() == "2026-01-30"
    assert api_a.get(f"{REQUESTS}{delete_request.reference}/").json()["respond_by"] == "2026-01-30"


def test_extension_after_day_45_is_a_409(api_a, delete_request, freeze):
    freeze(datetime(2026, 1, 7, 18, 0, tzinfo=UTC))
    response = api_a.post(f"{REQUESTS}{delete_request.reference}/extend", {"reason": "Late."})
    assert response.status_code == 409
    assert error_of(response)["code"] == "too_late"
    assert _reload(delete_request).respond_by.isoformat() == "2026-01-05"


def test_extend_without_reason_is_a_400_naming_the_reason(api_a, delete_request):
    response = api_a.post(f"{REQUESTS}{delete_request.reference}/extend", {})
    assert response.status_code == 400
    error = error_of(response)
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
    assert error_of(response)["code"] == code


def test_extending_an_opt_out_is_a_409(api_a, tenant_a):
    opt_out = make_request(tenant_a, request_type="opt_out")
    response = api_a.post(f"{REQUESTS}{opt_out.reference}/extend", {"reason": "x"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "not_extendable"


def test_extend_with_get_is_a_405_json(api_a, delete_request):
    response = api_a.get(f"{REQUESTS}{delete_request.reference}/extend")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


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
    error = error_of(response)
    assert error["code"] == "explanation_required"
    assert "Explain the denial" in error["message"]
    assert _reload(privacy_request).status == "awaiting_verification"


def test_close_as_complied_before_verification_is_a_409(api_a, tenant_a):
    privacy_request = make_request(tenant_a)
    response = api_a.post(f"{REQUESTS}{privacy_request.reference}/close", {"outcome": "complied"})
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "not_verified"
    assert "verified" in error["message"]


def test_close_as_complied_after_verification_is_accepted(api_a, tenant_a, staff_a):
    privacy_request = make_request(tenant_a)
    privacy_request_mark_verified(
        privacy_request=privacy_request, actor=staff_a, method="Email link and two data points."
    )
    response = api_a.post(f"{REQUESTS}{privacy_request.reference}/close", {"outcome": "complied"})
    assert response.status_code == 200
    assert response.json()["outcome"] == "complied"


def test_closing_twice_is_a_409(api_a, tenant_a):
    privacy_request = make_request(tenant_a, request_type="opt_out")
    url = f"{REQUESTS}{privacy_request.reference}/close"
    assert api_a.post(url, {"outcome": "complied"}).status_code == 200
    response = api_a.post(url, {"outcome": "complied"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "closed"


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
    assert field in error_of(response)["fields"]
