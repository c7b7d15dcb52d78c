"""API key scopes: each operation needs one, a key without it gets 403 naming it, and keys made
before scopes (or without naming any) keep reading and writing requests."""

from __future__ import annotations

import importlib
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.api_errors import api_not_found
from tenants.api import TenantScopedAPIView
from tenants.api_auth import operation_scope
from tenants.models import ApiKey, ApiScope
from tenants.services import api_key_create
from tests.factories import make_request

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/requests/"
OUTBOX = "/api/v1/outbox/"
CREATE_BODY = {"type": "delete", "requester": {"name": "Casey", "email": "casey@example.com"}}
# The schema and its docs page are public (privacyportal/api_urls.py): no key, no tenant.
PUBLIC_API_ROUTES = {"api-schema", "api-docs"}


def _key(tenant, *scopes: str) -> str:
    return api_key_create(tenant=tenant, scopes=list(scopes))[1]


def _get(raw_key: str, path: str):
    return Client().get(path, headers={"Authorization": f"Bearer {raw_key}"})


def _post(raw_key: str, path: str, body: dict[str, Any]):
    return Client().post(
        path,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw_key}"},
    )


def _assert_missing_scope(response, scope: str) -> None:
    assert response.status_code == 403, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "missing_scope"
    assert f"lacks the scope {scope}" in error["message"]


# --- Enforcement -------------------------------------------------------------------------------


def test_a_consent_lookup_key_reads_no_requests_and_no_outbox(tenant_a):
    privacy_request = make_request(tenant_a)
    raw = _key(tenant_a, ApiScope.CONSENT_READ)

    for path in (REQUESTS, f"{REQUESTS}{privacy_request.reference}/", OUTBOX):
        response = _get(raw, path)
        _assert_missing_scope(response, "requests:read")
        assert privacy_request.reference not in response.content.decode()
        assert "consent:read" in response.json()["error"]["message"]  # what the key has


def test_a_consent_lookup_key_cannot_create_extend_or_close(tenant_a):
    privacy_request = make_request(tenant_a)
    status_before = privacy_request.status
    raw = _key(tenant_a, ApiScope.CONSENT_READ)
    reference = privacy_request.reference

    _assert_missing_scope(_post(raw, REQUESTS, CREATE_BODY), "requests:write")
    _assert_missing_scope(
        _post(raw, f"{REQUESTS}{reference}/extend", {"reason": "Complex"}), "requests:write"
    )
    _assert_missing_scope(
        _post(raw, f"{REQUESTS}{reference}/close", {"outcome": "complied"}), "requests:write"
    )
    privacy_request.refresh_from_db()
    assert privacy_request.status == status_before
    assert privacy_request.extended_at is None


def test_a_read_only_key_lists_and_reads_but_cannot_create(tenant_a):
    privacy_request = make_request(tenant_a)
    raw = _key(tenant_a, ApiScope.REQUESTS_READ)

    assert _get(raw, REQUESTS).json()["results"][0]["reference"] == privacy_request.reference
    assert _get(raw, f"{REQUESTS}{privacy_request.reference}/").status_code == 200
    assert _get(raw, OUTBOX).status_code == 200
    _assert_missing_scope(_post(raw, REQUESTS, CREATE_BODY), "requests:write")


def test_a_write_only_key_creates_but_cannot_list(tenant_a):
    raw = _key(tenant_a, ApiScope.REQUESTS_WRITE)

    assert _post(raw, REQUESTS, CREATE_BODY).status_code == 201
    _assert_missing_scope(_get(raw, REQUESTS), "requests:read")


def test_head_needs_the_scope_of_get_and_options_any_key(tenant_a):
    consent = _key(tenant_a, ApiScope.CONSENT_READ)
    reader = _key(tenant_a, ApiScope.REQUESTS_READ)
    auth = {"Authorization": f"Bearer {consent}"}

    assert Client().head(REQUESTS, headers=auth).status_code == 403  # a HEAD answer has no body
    assert Client().head(REQUESTS, headers={"Authorization": f"Bearer {reader}"}).status_code == (
        200
    )
    # OPTIONS describes the endpoint only; every key could ask before scopes.
    assert Client().options(REQUESTS, headers=auth).status_code == 200


def test_a_method_the_endpoint_lacks_is_still_a_405_for_any_key(tenant_a):
    privacy_request = make_request(tenant_a)
    raw = _key(tenant_a, ApiScope.CONSENT_READ)
    assert _get(raw, f"{REQUESTS}{privacy_request.reference}/extend").status_code == 405


def test_staff_sessions_keep_their_role_rules(client_a, tenant_a):
    make_request(tenant_a)
    assert client_a.get(REQUESTS).status_code == 200
    assert client_a.get(OUTBOX).status_code == 200
    response = client_a.post(REQUESTS, data=CREATE_BODY, content_type="application/json")
    assert response.status_code == 201


def test_a_refused_key_costs_only_the_key_query(tenant_a, django_assert_num_queries):
    raw = _key(tenant_a, ApiScope.CONSENT_READ)
    _get(raw, REQUESTS)  # loads the business into the process's copy
    with django_assert_num_queries(1):  # the key (with its scopes); no request is read
        _assert_missing_scope(_get(raw, REQUESTS), "requests:read")


class _UnscopedApi(TenantScopedAPIView):
    """An endpoint whose author forgot ``required_scope``."""

    def get(self, request: Request) -> Response:
        return Response({"secret": "data"})


class _UnscopedOpenApi(_UnscopedApi):
    permission_classes = [AllowAny]  # cannot drop the scope check either


@pytest.mark.parametrize("view_class", [_UnscopedApi, _UnscopedOpenApi])
def test_an_operation_that_declares_no_scope_refuses_every_key(tenant_a, view_class):
    raw = _key(tenant_a, *ApiScope.values)  # every scope there is
    request = APIRequestFactory().get("/api/v1/unscoped/", HTTP_AUTHORIZATION=f"Bearer {raw}")

    response = view_class.as_view()(request)

    assert response.status_code == 403
    assert "declares no scope" in response.data["error"]["message"]
    assert "secret" not in response.data


def _drf_routes(patterns, prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _drf_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            view_class = getattr(entry.callback, "cls", None)
            is_drf = isinstance(view_class, type) and issubclass(view_class, APIView)
            if is_drf or (entry.name or "").startswith("api-") or route.startswith("api/"):
                yield route, entry.name or "", entry.callback


def test_every_api_operation_declares_the_scope_a_key_needs():
    routes = list(_drf_routes(get_resolver().url_patterns))
    assert {"api-v1-requests", "api-v1-request-detail", "api-v1-outbox", "api-schema"} <= {
        name for _, name, _ in routes
    }
    undeclared = []
    for route, name, callback in routes:
        view_class = getattr(callback, "cls", None)
        if name in PUBLIC_API_ROUTES:
            assert callback.initkwargs["authentication_classes"] == [], f"{name} reads keys"
            continue
        if callback is api_not_found:  # the JSON 404 of unknown addresses: it reads nothing
            continue
        assert isinstance(view_class, type), f"{route} is not an API view"
        assert issubclass(view_class, TenantScopedAPIView), f"{name} is not tenant-scoped"
        handlers = [
            method
            for method in view_class.http_method_names
            if method not in ("options", "head") and hasattr(view_class, method)
        ]
        assert handlers, f"{name} answers no method"
        undeclared += [
            f"{name} {method.upper()} ({view_class.__name__})"
            for method in handlers
            if operation_scope(view_class, method) not in ApiScope.values
        ]
    assert undeclared == [], (
        "Give each API operation's class a required_scope (tenants.models.ApiScope); until then "
        f"no API key can use it: {undeclared}"
    )


def test_the_collection_needs_read_to_list_and_write_to_create():
    view_class = resolve(REQUESTS).func.cls
    assert operation_scope(view_class, "GET") == "requests:read"
    assert operation_scope(view_class, "HEAD") == "requests:read"
    assert operation_scope(view_class, "POST") == "requests:write"


def test_the_schema_names_each_operations_scope():
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    scopes = {
        operation["operationId"]: operation["x-api-key-scope"]
        for path in schema["paths"].values()
        for operation in path.values()
    }
    assert set(scopes.values()) <= set(ApiScope.values)
    expected = {
        "requests_list": "requests:read",
        "requests_retrieve": "requests:read",
        "outbox_list": "requests:read",
        "requests_create": "requests:write",
        "requests_extend": "requests:write",
        "requests_close": "requests:write",
    }
    assert {operation: scopes.get(operation) for operation in expected} == expected
    create = schema["paths"]["/api/v1/requests/"]["post"]
    assert create["description"].endswith("API keys need the scope `requests:write`.")
    assert "`requests:write`" in create["responses"]["403"]["description"]
    listing = schema["paths"]["/api/v1/requests/"]["get"]
    assert "`requests:read`" in listing["responses"]["403"]["description"]


# --- Keys made before scopes -------------------------------------------------------------------


def _fill_migration() -> Any:
    return importlib.import_module("tenants.migrations.0007_apikey_scopes_fill")


def test_a_key_made_before_scopes_keeps_reading_and_writing_requests(tenant_a):
    api_key, raw = api_key_create(tenant=tenant_a)
    ApiKey.objects.filter(pk=api_key.pk).update(scopes=[])  # as the schema migration leaves it
    _assert_missing_scope(_get(raw, REQUESTS), "requests:read")  # empty scopes: fail-closed

    _fill_migration().give_existing_keys_their_scopes(django_apps, None)

    assert ApiKey.objects.get(pk=api_key.pk).scopes == ["requests:read", "requests:write"]
    created = _post(raw, REQUESTS, CREATE_BODY)
    assert created.status_code == 201
    reference = created.json()["reference"]
    assert _get(raw, REQUESTS).json()["results"][0]["reference"] == reference
    assert _get(raw, f"{REQUESTS}{reference}/").status_code == 200
    assert _get(raw, OUTBOX).status_code == 200
    assert _post(raw, f"{REQUESTS}{reference}/extend", {"reason": "Complex"}).status_code == 200


def test_the_data_migration_leaves_keys_that_have_scopes_alone(tenant_a):
    consent, _ = api_key_create(tenant=tenant_a, scopes=[ApiScope.CONSENT_READ])
    _fill_migration().give_existing_keys_their_scopes(django_apps, None)
    assert ApiKey.objects.get(pk=consent.pk).scopes == ["consent:read"]


def test_the_data_migration_pins_the_pre_scope_set_not_the_current_default():
    assert _fill_migration().PRE_SCOPE_SCOPES == ["requests:read", "requests:write"]


def test_the_key_lookup_brings_the_scopes(tenant_a):
    from tenants.selectors import api_key_lookup

    _, raw = api_key_create(tenant=tenant_a, scopes=["consent:read", "requests:read"])
    assert api_key_lookup(raw).scopes == ["requests:read", "consent:read"]  # vocabulary order


# --- Making keys -------------------------------------------------------------------------------


def test_a_key_made_without_scopes_reads_and_writes_requests(tenant_a):
    api_key, _ = api_key_create(tenant=tenant_a)
    assert api_key.scopes == ["requests:read", "requests:write"]


def test_an_unknown_scope_is_refused_with_the_known_ones(tenant_a):
    with pytest.raises(ValidationError) as error:
        api_key_create(tenant=tenant_a, scopes=["requests:read", "records:write"])
    message = error.value.message_dict["scopes"][0]
    assert "Unknown scope(s): records:write" in message
    assert "requests:read, requests:write, consent:read" in message
    assert not ApiKey.objects.filter(tenant=tenant_a).exists()


def test_a_key_without_any_scope_is_refused(tenant_a):
    with pytest.raises(ValidationError) as error:
        api_key_create(tenant=tenant_a, scopes=[])
    assert "at least one scope" in error.value.message_dict["scopes"][0]


def test_scopes_are_stored_once_each_in_the_vocabulary_order(tenant_a):
    api_key, _ = api_key_create(
        tenant=tenant_a, scopes=["consent:read", "requests:read", "consent:read"]
    )
    assert api_key.scopes == ["requests:read", "consent:read"]


def _command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_api_key_without_scope_makes_a_request_key_and_says_so(tenant_a):
    out, err = _command("acme", "--name", "CRM")

    raw = out.strip()
    assert raw.startswith("pp_")
    assert "\n" not in raw  # stdout is the key alone, as before scopes
    api_key = ApiKey.objects.get(tenant=tenant_a, name="CRM")
    assert api_key.scopes == ["requests:read", "requests:write"]
    assert "Scopes: requests:read, requests:write (the default" in err
    assert _post(raw, REQUESTS, CREATE_BODY).status_code == 201


def test_create_api_key_with_scopes_makes_that_key(tenant_a):
    out, err = _command("acme", "--name", "Web", "--scope", "consent:read")

    assert ApiKey.objects.get(tenant=tenant_a, name="Web").scopes == ["consent:read"]
    assert err.strip() == "Scopes: consent:read"
    _assert_missing_scope(_get(out.strip(), REQUESTS), "requests:read")


def test_create_api_key_refuses_an_unknown_scope(tenant_a):
    with pytest.raises(CommandError, match="Unknown scope\\(s\\): requests:delete"):
        _command("acme", "--scope", "requests:read", "--scope", "requests:delete")
    assert not ApiKey.objects.filter(tenant=tenant_a).exists()
