"""REST API v1 shows what the consumer portal records (language, flags, delete and correction
details, the consumer's documents without their files) and obeys §7023(d)(1) when closing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from audit.services import statements_per_entry
from requests_app.models import PrivacyRequest, RequestDocument
from requests_app.services import Requester, privacy_request_assign, privacy_request_create
from tests.factories import ASSESSMENT, correction, make_request
from tests.helpers import login
from tests.portal_helpers import PDF, PNG

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal")]

REQUESTS = "/api/v1/requests/"
KNOW_LIMIT = "know_limit_exceeded"
REPEAT = "repeat_correction_within_6_months"
UNOPENED = "Open the consumer's documentation before deciding (§7023(d)(1))"


class Api:
    """A JSON client for one caller: an API key, or a logged-in staff session."""

    def __init__(self, key: str | None = None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def get(self, path: str, params: dict[str, Any] | None = None):
        return self.client.get(path, params or {}, headers=self.headers)

    def post(self, path: str, body: Any):
        return self.client.post(
            path, data=json.dumps(body), content_type="application/json", headers=self.headers
        )


def with_flags(tenant, flags: list[str]) -> PrivacyRequest:
    return privacy_request_create(
        tenant=tenant,
        request_type="know",
        know_scope="both",
        channel="webform",
        requester=Requester(name="Casey Consumer", email="casey@example.com", state="CA"),
        details={"flags": flags},
    )


def open_documents(client: Client, privacy_request: PrivacyRequest) -> None:
    """What staff do in the admin: open each document (§7023(d)(1)). The client's user must be
    allowed to (the assignee or compliance staff, §7023(d)(3))."""
    for document in RequestDocument.objects.for_tenant(privacy_request.tenant).filter(
        privacy_request=privacy_request
    ):
        url = reverse(
            "admin:requests_app_privacyrequest_document", args=[privacy_request.pk, document.pk]
        )
        response = client.get(url)
        assert response.status_code == 200
        b"".join(response.streaming_content)


def _row(api: Api, reference: str) -> dict:
    (row,) = [r for r in api.get(REQUESTS).json()["results"] if r["reference"] == reference]
    return row


# --- Output ---------------------------------------------------------------------------------------


def test_a_correction_shows_its_language_details_and_flags(api_a, tenant_a):
    privacy_request = correction(tenant_a, language="es")
    privacy_request.flags = [REPEAT]
    privacy_request.save(update_fields=["flags"])

    row = _row(api_a, privacy_request.reference)

    assert row["language"] == "es"
    assert row["flags"] == [REPEAT]
    assert (row["correction_field"], row["correction_information"]) == (
        "postal_address",
        "12 Old Street, Fresno",
    )
    assert row["correction_requested"] == "34 New Avenue, Fresno"
    assert (row["delete_scope"], row["delete_categories"]) == (None, [])
    assert (row["awaiting_consumer_confirmation"], row["consumer_confirmed_at"]) == (False, None)


def test_a_delete_shows_its_scope_categories_and_the_two_step_state(api_a, tenant_a):
    selected = privacy_request_create(
        tenant=tenant_a,
        request_type="delete",
        channel="webform",
        requester=Requester(name="Casey Consumer", email="casey@example.com", state="CA"),
        details={
            "delete_scope": "selected",
            "delete_categories": ["geolocation", "inferences"],
            "awaiting_consumer_confirmation": True,
        },
    )
    logged_by_staff = make_request(tenant_a, request_type="delete")

    row = _row(api_a, selected.reference)
    assert (row["delete_scope"], row["delete_categories"]) == (
        "selected",
        ["geolocation", "inferences"],
    )
    assert row["awaiting_consumer_confirmation"] is True
    assert row["correction_field"] is None
    assert row["flags"] == []
    # No scope recorded means everything (§7022(h)).
    assert _row(api_a, logged_by_staff.reference)["delete_scope"] == "all"


def test_retrieve_lists_the_documents_without_any_file_location(api_a, tenant_a):
    privacy_request = correction(tenant_a, ("bill.png", PNG), ("scan", PDF))
    stored = RequestDocument.objects.for_tenant(tenant_a).order_by("pk")

    response = api_a.get(f"{REQUESTS}{privacy_request.reference}/")

    documents = response.json()["documents"]
    assert [{k: d[k] for k in ("name", "content_type", "size")} for d in documents] == [
        {"name": "bill.png", "content_type": "image/png", "size": len(PNG)},
        {"name": "scan", "content_type": "application/pdf", "size": len(PDF)},
    ]
    assert all(set(d) == {"name", "content_type", "size", "uploaded_at"} for d in documents)
    assert documents[0]["uploaded_at"].endswith("Z")
    body = response.content.decode()
    for document in stored:
        assert document.file.name not in body
    assert "documents" not in _row(api_a, privacy_request.reference)  # detail only


def test_retrieve_with_documents_stays_at_five_queries(
    api_a, tenant_a, django_assert_max_num_queries
):
    privacy_request = correction(tenant_a, ("a.png", PNG), ("b.png", PNG), ("c.pdf", PDF))
    api_a.get(REQUESTS)  # a process loads each business once (tenants.selectors.api_key_lookup)
    # And the read's one audit entry (issue 14 item 3).
    with django_assert_max_num_queries(5 + statements_per_entry()):
        response = api_a.get(f"{REQUESTS}{privacy_request.reference}/")
    assert len(response.json()["documents"]) == 3


def test_the_list_with_flags_and_details_stays_at_two_queries(
    api_a, tenant_a, django_assert_max_num_queries
):
    for flags in ([KNOW_LIMIT], [REPEAT], []):
        with_flags(tenant_a, flags)
    correction(tenant_a, ("bill.png", PNG))
    api_a.get(REQUESTS)  # a process loads each business once (tenants.selectors.api_key_lookup)
    # And the list's one audit entry, whatever the page size (issue 14 item 3).
    with django_assert_max_num_queries(2 + statements_per_entry()):
        response = api_a.get(REQUESTS)
    assert len(response.json()["results"]) == 4


# --- The flagged filter (SQLite and PostgreSQL) ------------------------------------------------


@pytest.mark.parametrize("flag", [KNOW_LIMIT, REPEAT])
def test_the_flagged_filter_lists_only_this_business_requests_with_that_flag(
    api_a, tenant_a, tenant_b, flag
):
    only_know = with_flags(tenant_a, [KNOW_LIMIT])
    only_repeat = with_flags(tenant_a, [REPEAT])
    both = with_flags(tenant_a, [REPEAT, KNOW_LIMIT])
    with_flags(tenant_a, [])
    with_flags(tenant_b, [KNOW_LIMIT, REPEAT])
    expected = {KNOW_LIMIT: {only_know, both}, REPEAT: {only_repeat, both}}[flag]

    response = api_a.get(REQUESTS, {"flagged": flag})

    assert response.status_code == 200
    assert {r["reference"] for r in response.json()["results"]} == {
        privacy_request.reference for privacy_request in expected
    }


def test_an_unknown_flag_is_a_400_naming_the_flags(api_a, tenant_a):
    response = api_a.get(REQUESTS, {"flagged": "know"})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert KNOW_LIMIT in error["fields"]["flagged"][0]


# --- Closing a correction needs its documents opened (§7023(d)(1)) -------------------------------


def _deny(api: Api, privacy_request: PrivacyRequest):
    return api.post(
        f"{REQUESTS}{privacy_request.reference}/close",
        {
            "outcome": "denied",
            "denial_reason": "other",
            "explanation": "Our records show the address you gave us is current.",
            # §7023(b): the assessment a decision on the merits records.
            "assessment": ASSESSMENT,
            "documentation_considered": "The consumer's bill and lease.",
        },
    )


def test_closing_a_correction_with_unopened_documents_is_refused_7023d1(api_a, tenant_a):
    privacy_request = correction(tenant_a, ("bill.png", PNG))

    response = _deny(api_a, privacy_request)

    # Refused because of the request's state, like the other state refusals.
    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "documents_not_opened"
    assert error["message"].startswith(UNOPENED)
    assert "bill.png" in error["message"]
    after = PrivacyRequest.objects.for_tenant(tenant_a).get(pk=privacy_request.pk)
    assert after.status != "closed"


def test_closing_a_correction_is_allowed_after_staff_opened_its_documents(api_a, tenant_a, staff_a):
    privacy_request = correction(tenant_a, ("bill.png", PNG), ("lease.pdf", PDF))
    privacy_request_assign(privacy_request=privacy_request, actor=staff_a, assignee=staff_a)
    open_documents(login(staff_a), privacy_request)

    response = _deny(api_a, privacy_request)

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["outcome"]) == ("closed", "denied")
    timeline = api_a.get(f"{REQUESTS}{privacy_request.reference}/").json()["timeline"]
    messages = [event["message"] for event in timeline if event["kind"] == "document_opened"]
    assert messages == [
        "Document bill.png opened by staff_a.",
        "Document lease.pdf opened by staff_a.",
    ]


def test_the_staff_session_api_is_refused_the_same_way(tenant_a, staff_a):
    privacy_request = correction(tenant_a, ("bill.png", PNG))
    api = Api(client=login(staff_a))

    assert _deny(api, privacy_request).json()["error"]["code"] == "documents_not_opened"
    privacy_request_assign(privacy_request=privacy_request, actor=staff_a, assignee=staff_a)
    open_documents(api.client, privacy_request)
    assert _deny(api, privacy_request).status_code == 200


# --- Schema ------------------------------------------------------------------------------------


def test_the_schema_documents_the_new_fields_and_the_filter():
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]

    fields = set(components["PrivacyRequest"]["properties"])
    assert {
        "language",
        "flags",
        "delete_scope",
        "delete_categories",
        "awaiting_consumer_confirmation",
        "consumer_confirmed_at",
        "correction_field",
        "correction_information",
        "correction_requested",
    } <= fields
    assert "documents" not in fields
    assert "documents" in components["PrivacyRequestDetail"]["properties"]
    assert set(components["RequestDocument"]["properties"]) == {
        "name",
        "content_type",
        "size",
        "uploaded_at",
    }
    parameters = schema["paths"]["/api/v1/requests/"]["get"]["parameters"]
    (flagged,) = [p for p in parameters if p["name"] == "flagged"]
    assert set(flagged["schema"]["enum"]) == {KNOW_LIMIT, REPEAT}
    close = schema["paths"]["/api/v1/requests/{reference}/close"]["post"]
    assert "documents_not_opened" in close["responses"]["409"]["description"]
