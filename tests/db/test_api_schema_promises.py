"""The OpenAPI schema says what the API does (issue 11): repeated query parameters, cursors,
the earliest receipt time, the know_scope rule, the legal basis: each checked against what the
API answers, not only against the recorded schema."""

from __future__ import annotations

import jsonschema
import pytest
from django.test import Client

from tests.helpers import Api

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/requests/"
OUTBOX = "/api/v1/outbox/"


def _schema() -> dict:
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize(
    ("path", "query"),
    [
        (REQUESTS, "status=received&status=closed"),
        (REQUESTS, "type=know&type=know"),
        (REQUESTS, "cursor=a&cursor=b"),
        (OUTBOX, "page_size=1&page_size=2"),
    ],
)
def test_a_repeated_query_parameter_is_refused_with_a_400_naming_it(api_key_a, path, query):
    response = Api(api_key_a).client.get(
        f"{path}?{query}", headers={"Authorization": f"Bearer {api_key_a}"}
    )
    assert response.status_code == 400
    name = query.split("=")[0]
    assert response.json()["error"]["fields"] == {
        name: [f"Give {name} once; it was given 2 times."]
    }


def test_the_schema_says_repeated_parameters_are_refused():
    paths = _schema()["paths"]
    for path in (REQUESTS, OUTBOX):
        assert "repeated one answers 400" in paths[path]["get"]["description"]


def test_a_made_up_cursor_answers_400_as_the_schema_says(api_key_a):
    response = Api(api_key_a).get(REQUESTS, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["fields"]
    cursor = next(
        p for p in _schema()["paths"][REQUESTS]["get"]["parameters"] if p["name"] == "cursor"
    )
    assert "answers 400 with `fields.cursor`" in cursor["description"]


def test_the_schema_names_the_earliest_receipt_time_the_api_accepts(api_key_a):
    api = Api(api_key_a)
    body = {"type": "delete", "requester": {"email": "a@example.com"}}
    early = api.post(REQUESTS, {**body, "received_at": "2019-12-31T23:59:59Z"})
    assert early.status_code == 400
    assert api.post(REQUESTS, {**body, "received_at": "2020-01-01T00:00:00Z"}).status_code == 201
    field = _schema()["components"]["schemas"]["PrivacyRequestCreateRequest"]["properties"][
        "received_at"
    ]
    assert "from 2020-01-01T00:00:00Z" in field["description"]


def _create_validator() -> jsonschema.Draft4Validator:
    schema = _schema()
    component = schema["components"]["schemas"]["PrivacyRequestCreateRequest"]
    return jsonschema.Draft4Validator(
        {**component, "components": schema["components"]}, format_checker=None
    )


@pytest.mark.parametrize(
    "body",
    [
        {"type": "know", "know_scope": "categories"},
        {"type": "know"},
        {"type": "know", "know_scope": None},
        {"type": "know", "know_scope": ""},
        {"type": "delete"},
        {"type": "delete", "know_scope": None},
        {"type": "delete", "know_scope": "categories"},
        {"type": "opt_out", "know_scope": "both"},
    ],
)
def test_the_schema_and_the_api_agree_on_which_types_need_a_know_scope(api_key_a, body):
    full = {**body, "requester": {"email": "consumer@example.com"}}
    schema_accepts = _create_validator().is_valid(full)
    answer = Api(api_key_a).post(REQUESTS, full)
    assert answer.status_code in (201, 400)
    assert schema_accepts == (answer.status_code == 201), answer.json()


def test_the_legal_basis_is_a_typed_bounded_text_in_and_out():
    components = _schema()["components"]["schemas"]
    given = components["PrivacyRequestCloseRequest"]["properties"]["legal_basis"]
    shown = components["PrivacyRequest"]["properties"]["legal_basis"]
    for field in (given, shown):
        assert field["type"] == "string"
        assert field["maxLength"] == 300
        assert field["nullable"] is True
        assert "exempt" in field["description"]
