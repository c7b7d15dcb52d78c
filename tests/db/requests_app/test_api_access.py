"""REST API v1, who may call it: API keys and staff sessions, each inside its own business."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from requests_app.models import PrivacyRequest, RequestEvent
from tests.factories import make_request
from tests.helpers import RECEIVED, REQUESTS, Api, create_body, error_of

pytestmark = pytest.mark.django_db


def _reload(privacy_request: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.for_tenant(privacy_request.tenant).get(pk=privacy_request.pk)


# --- Authentication and tenancy ------------------------------------------------------------


def test_no_credentials_is_a_401_json_with_a_bearer_challenge():
    response = Api().get(REQUESTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert error_of(response)["code"] == "not_authenticated"
    assert "Authorization: Bearer" in error_of(response)["message"]


def test_unknown_key_is_a_401(tenant_a):
    response = Api("pp_not-a-real-key").post(REQUESTS, create_body())
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"
    assert PrivacyRequest.objects.for_tenant(tenant_a).count() == 0


def test_revoked_key_is_a_401(tenant_a):
    from tenants.services import api_key_create, api_key_revoke

    api_key, raw = api_key_create(tenant=tenant_a)
    assert Api(raw).get(REQUESTS).status_code == 200
    api_key_revoke(api_key=api_key)
    response = Api(raw).get(REQUESTS)
    assert response.status_code == 401
    assert "revoked" in error_of(response)["message"]


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
    assert error_of(response)["code"] == "not_found"
    assert _reload(theirs).extended_at is None
    assert _reload(theirs).status == "awaiting_verification"


@pytest.mark.parametrize("reference", ["AC-%00", "x" * 300, "AC-ZZZZ-ZZZZ%20", "AC-ZZZZ-ZZZZ.json"])
def test_odd_references_answer_404_json(api_a, reference):
    response = api_a.get(f"{REQUESTS}{reference}/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


# --- Staff sessions ------------------------------------------------------------------------


def test_staff_session_can_list_create_and_close_and_is_recorded_as_actor(
    client_a, staff_a, tenant_a
):
    staff = Api(client=client_a)
    created = staff.post(REQUESTS, create_body(received_at=None))
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
    # After "closed", identity verification notes that it deleted the unused email link
    # (§7060(d)); the close itself is the staff member's.
    assert [(event["kind"], event["actor"]) for event in timeline[-2:]] == [
        ("closed", "staff_a"),
        ("note", "Identity verification"),
    ]


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
    assert error_of(response)["code"] == "permission_denied"
