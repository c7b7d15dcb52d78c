"""Bad input never answers 500 (issue 11, item 5): lone surrogates in the API's JSON, bodies over
Django's own cap, NUL and control characters in portal paths, query strings and forms.

Every answer is a 4xx a person can read: the API's JSON error format (core.api_errors), the
portal's pages; and nothing is half created.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from core.api_http import ApiJSONRenderer
from fulfilment.models import SystemTask
from tenants.models import ApiScope
from tenants.services import api_key_create
from tests.factories import Business, make_request
from tests.helpers import REQUESTS, Api, chain_client, create_body, error_of, login
from tests.portal_helpers import FORMS, rows

pytestmark = pytest.mark.django_db

LONE = "\ud800"  # a high surrogate with no low one after it: no character, no UTF-8 for it


# --- Lone surrogates in the API's JSON --------------------------------------------------------


def _schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _component(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _refs(prop: dict[str, Any]) -> list[str]:
    found = [prop["$ref"]] if "$ref" in prop else []
    for key in ("allOf", "oneOf", "anyOf"):
        found += [part["$ref"] for part in prop.get(key, []) if "$ref" in part]
    return found


def _text_fields(schema: dict[str, Any], component: dict[str, Any]) -> Iterator[tuple[str, ...]]:
    """The path of every string or enum property of a request body, nested objects included."""
    for name, prop in component.get("properties", {}).items():
        refs = [_component(schema, ref) for ref in _refs(prop)]
        kinds = [prop, *refs, *prop.get("oneOf", []), *prop.get("allOf", [])]
        if any(kind.get("type") == "string" or "enum" in kind for kind in kinds):
            yield (name,)
        elif prop.get("type") == "array":
            yield (name, "[]")
        for nested in refs:
            if nested.get("type") == "object":
                yield from ((name, *inner) for inner in _text_fields(schema, nested))


# A body that is a JSON list of objects (the directory import): the field paths start with it.
LIST_BODY = "[list]"


def _body_with(path: tuple[str, ...], value: str) -> Any:
    if path[0] == LIST_BODY:
        return [_body_with(path[1:], value)]
    if path[-1] == "[]":
        return _body_with(path[:-1], [value])  # type: ignore[arg-type]
    body: Any = value
    for name in reversed(path):
        body = {name: body}
    return body


def _cases() -> list[Any]:
    schema = _schema()
    cases = []
    for url, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if method != "post" or content is None:
                continue
            body = content["schema"]
            prefix: tuple[str, ...] = ()
            if body.get("type") == "array":
                body, prefix = body["items"], (LIST_BODY,)
            if "$ref" not in body:  # free-form records (a system's data part): tested apart
                continue
            component = _component(schema, body["$ref"])
            cases += [
                pytest.param(url, prefix + field, id=f"{url} {'.'.join(prefix + field)}")
                for field in _text_fields(schema, component)
            ]
    return cases


def test_the_walk_below_reaches_every_enum_field_of_the_issue():
    fields = {tuple(case.values) for case in _cases()}
    for url, field in [
        ("/api/v1/requests/", ("type",)),
        ("/api/v1/requests/", ("channel",)),
        ("/api/v1/requests/", ("know_scope",)),
        ("/api/v1/requests/", ("requester", "email")),
        ("/api/v1/requests/{reference}/close", ("outcome",)),
        ("/api/v1/requests/{reference}/close", ("denial_reason",)),
    ]:
        assert (url, field) in fields


def _system_task_of(tenant, admin) -> SystemTask:
    business = Business(tenant, admin, "surrogate", "Casey Consumer", "casey@example.com")
    return business.get(SystemTask)


@pytest.mark.parametrize(("url", "field"), _cases())
def test_a_lone_surrogate_in_any_text_field_of_any_endpoint_is_a_json_400(
    tenant_a, url, field, request
):
    reference = make_request(tenant_a).reference
    # A key with every scope: each endpoint must reach its input validation.
    api = Api(api_key_create(tenant=tenant_a, scopes=list(ApiScope.values))[1])
    raw = json.dumps(_body_with(field, LONE))  # ASCII: "\ud800" as a JSON escape
    if "{system_task_id}" in url:  # a data system's open task of A (fulfilment)
        url = url.replace(
            "{system_task_id}",
            str(_system_task_of(tenant_a, request.getfixturevalue("admin_a")).pk),
        )
    before = rows(tenant_a)
    response = api.post(url.replace("{reference}", reference), raw=raw)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    named = ".".join(part for part in field if part not in ("[]", LIST_BODY))
    if field[0] == LIST_BODY:
        named = f"[0].{named}"  # the first (only) item of the list
    assert error["fields"][named] == ["Surrogate characters are not allowed: U+D800."]
    assert rows(tenant_a) == before


def test_a_lone_surrogate_in_a_field_name_is_a_json_400(api_key_a):
    raw = json.dumps({**create_body(), LONE: "x"})
    response = Api(api_key_a).post(REQUESTS, raw=raw)
    assert response.status_code == 400
    assert error_of(response)["message"] == "Surrogate characters are not allowed: U+D800."


def test_an_escaped_surrogate_pair_is_one_character_and_is_accepted(api_key_a):
    body = create_body(requester={"name": "Casey \ud83d\ude00", "email": "casey@example.com"})
    response = Api(api_key_a).post(REQUESTS, raw=json.dumps(body))
    assert response.status_code == 201
    assert response.json()["requester"]["name"] == "Casey \U0001f600"


def test_an_answer_echoing_a_lone_surrogate_is_still_valid_json():
    # Any way a surrogate could still reach an answer (an error message quoting the input):
    # written as a JSON escape, never a UnicodeEncodeError and an HTML 500.
    data = {"error": {"code": "invalid", "message": f"“{LONE}” is not a request type."}}
    rendered = ApiJSONRenderer().render(data, "application/json")
    assert json.loads(rendered) == data


@pytest.mark.parametrize("name", ["type", "status", "channel", "flagged"])
def test_undecodable_bytes_in_a_list_filter_are_a_json_400(api_key_a, name):
    # The query string's UTF-8 for U+D800: Django decodes it to U+FFFD, which is no enum value.
    response = Api(api_key_a).client.get(
        f"{REQUESTS}?{name}=%ED%A0%80", headers={"Authorization": f"Bearer {api_key_a}"}
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"


# --- Bodies over Django's own cap (DATA_UPLOAD_MAX_MEMORY_SIZE) -------------------------------


@pytest.mark.parametrize("chain", ["full", "api"])
def test_a_body_over_2_5_mb_gets_the_api_s_json_413_on_both_chains(tenant_a, api_key_a, chain):
    body = json.dumps(create_body(requester={"name": "x" * 2_700_000}))
    before = rows(tenant_a)
    response = chain_client(chain).post(
        REQUESTS,
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_key_a}"},
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"
    assert rows(tenant_a) == before


# --- NUL and control characters in portal addresses, query strings and forms ------------------


@pytest.mark.parametrize("path", ["/a%00/", "/a%00/know/", "/%00/", "/acme%00/status/", "/%01%1f/"])
def test_a_nul_or_control_character_in_the_first_path_segment_is_a_404(tenant_a, path):
    response = Client(raise_request_exception=False).get(path)
    assert response.status_code == 404


PORTAL_PAGES = ["", "know/", "delete/", "correct/", "status/", "status/sign-in/", "sent/"]


@pytest.mark.parametrize("page", PORTAL_PAGES)
@pytest.mark.parametrize("character", ["%00", "%01", "%1b", "%7f"])
def test_control_characters_in_a_portal_query_string_are_never_a_500(
    tenant_a, portal, page, character
):
    query = f"t={character}&lang={character}&ref=x{character}y&{character}=1"
    response = Client(raise_request_exception=False).get(f"/{tenant_a.slug}/{page}?{query}")
    assert response.status_code < 500


@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_nul_in_any_portal_form_field_is_refused_and_creates_nothing(tenant_a, portal, form):
    client = Client(raise_request_exception=False)
    before = rows(tenant_a)
    for field, value in FORMS[form].items():
        data = {**FORMS[form], field: f"{value}\x00"}
        response = client.post(f"/{tenant_a.slug}/{form}/", data)
        assert response.status_code == 400, field
        assert rows(tenant_a) == before, field


def test_a_nul_in_the_status_lookup_form_is_never_a_500(tenant_a, portal):
    client = Client(raise_request_exception=False)
    for data in ({"reference": "AC\x00", "email": "c@example.com"}, {"t": "\x00"}):
        for page in ("status/", "status/sign-in/"):
            response = client.post(f"/{tenant_a.slug}/{page}", data)
            assert response.status_code < 500, (page, data)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/requests_app/privacyrequest/?status__exact=%00",
        "/admin/requests_app/privacyrequest/?q=%00",
        "/admin/outbox/outboxmessage/?status__exact=a%00",
        "/admin/tenants/membership/?role__exact=%00",
        "/admin/requests_app/privacyrequest/%00/change/",
    ],
)
def test_a_nul_in_an_admin_address_is_a_400_never_a_500(admin_a, path):
    client = login(admin_a)
    client.raise_request_exception = False
    response = client.get(path)
    assert response.status_code in {400, 404}
