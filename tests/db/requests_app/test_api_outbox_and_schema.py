"""REST API v1: the outbox endpoint, the OpenAPI schema and its docs page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from outbox.services import outbox_email_add
from tests.factories import make_request

pytestmark = pytest.mark.django_db

OUTBOX = "/api/v1/outbox/"


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_outbox_lists_own_emails_newest_first_with_their_reference(
    api_key_a, tenant_a, tenant_b, freeze
):
    freeze(datetime(2025, 11, 3, 18, 0, tzinfo=UTC))
    first = make_request(tenant_a, email="first@example.com")
    freeze(datetime(2025, 11, 4, 18, 0, tzinfo=UTC))
    second = make_request(tenant_a, email="second@example.com")
    freeze(datetime(2025, 11, 5, 18, 0, tzinfo=UTC))
    outbox_email_add(
        tenant=tenant_a,
        recipient="admin@acme.example",
        subject="Staff digest",
        body="Nothing due.",
        dedupe_key="digest:test",
    )
    make_request(tenant_b, email="someone-else@example.com")

    response = Client().get(OUTBOX, headers=_auth(api_key_a))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["recipient"] for row in rows] == [
        "admin@acme.example",
        "second@example.com",
        "first@example.com",
    ]
    assert [row["reference"] for row in rows] == [None, second.reference, first.reference]
    assert set(rows[1]) == {
        "id",
        "channel",
        "recipient",
        "subject",
        "body",
        "reference",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    }
    assert rows[1]["status"] == "pending"
    assert rows[1]["created_at"] == "2025-11-04T18:00:00Z"
    assert rows[1]["sent_at"] is None
    assert second.reference in rows[1]["subject"]


def test_outbox_never_shows_another_businesss_emails(api_key_b, tenant_a):
    make_request(tenant_a)
    response = Client().get(OUTBOX, headers=_auth(api_key_b))
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_outbox_for_staff_session_shows_their_business_only(client_a, client_b, tenant_a):
    make_request(tenant_a)
    assert len(client_a.get(OUTBOX).json()["results"]) == 1
    assert client_b.get(OUTBOX).json()["results"] == []


def test_outbox_without_credentials_is_a_401():
    response = Client().get(OUTBOX)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_outbox_runs_two_queries(api_key_a, tenant_a, django_assert_max_num_queries):
    for _ in range(3):
        make_request(tenant_a)
    # A process loads each business once (tenants.selectors.api_key_lookup).
    Client().get(OUTBOX, headers=_auth(api_key_a))
    with django_assert_max_num_queries(2):
        response = Client().get(OUTBOX, headers=_auth(api_key_a))
    assert len(response.json()["results"]) == 3


def test_schema_is_public_valid_openapi_with_every_endpoint_and_bearer_auth():
    from drf_spectacular.validation import validate_schema

    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert set(paths) >= {
        "/api/v1/requests/",
        "/api/v1/requests/{reference}/",
        "/api/v1/requests/{reference}/extend",
        "/api/v1/requests/{reference}/close",
        "/api/v1/outbox/",
    }
    assert set(paths["/api/v1/requests/"]) == {"get", "post"}
    components = schema["components"]
    assert components["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": components["securitySchemes"]["apiKey"]["description"],
    }
    assert set(components["schemas"]["RequestTypeEnum"]["enum"]) == {
        "know",
        "delete",
        "correct",
        "opt_out",
        "limit",
        "opt_in",
    }
    # The error format is documented on the operations that can fail.
    close_responses = paths["/api/v1/requests/{reference}/close"]["post"]["responses"]
    assert {"400", "401", "404", "409"} <= set(close_responses)
    assert "fields" in components["schemas"]["ErrorDetail"]["properties"]
    list_parameters = {p["name"] for p in paths["/api/v1/requests/"]["get"]["parameters"]}
    assert list_parameters >= {"type", "status", "channel", "overdue", "due_before", "cursor"}


def test_schema_ignores_a_bad_api_key_because_it_is_public():
    response = Client().get("/api/schema/", headers=_auth("pp_wrong"))
    assert response.status_code == 200


def test_docs_page_is_public_and_served_from_local_static_files():
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "/api/schema/" in html
    assert "cdn.jsdelivr.net" not in html
