"""The OpenAPI schema and its docs page: public, valid, every endpoint documented."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

OUTBOX = "/api/v1/outbox/"


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
    response = Client().get("/api/schema/", headers={"Authorization": "Bearer pp_wrong"})
    assert response.status_code == 200


def test_docs_page_is_public_and_served_from_local_static_files():
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "/api/schema/" in html
    assert "cdn.jsdelivr.net" not in html
