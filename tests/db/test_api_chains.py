"""The API's own middleware chain (privacyportal.handlers): which requests take it, and that they
get the very answers of the full chain, status, headers and bytes, refusals included."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.core.servers.basehttp import get_internal_wsgi_application
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client, RequestFactory
from django.utils import translation

from outbox.models import OutboxMessage
from privacyportal.handlers import (
    ApiLocaleMiddleware,
    ApiWSGIHandler,
    PortalApplication,
    takes_api_chain,
)
from tenants.models import ApiScope
from tenants.services import api_key_create
from tests.factories import make_request
from tests.helpers import chain_client, signed_in

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/requests/"
CREATE = {"type": "delete", "requester": {"name": "Casey", "email": "casey@example.com"}}


def _environ(path: str, **extra: str) -> dict[str, Any]:
    path, _, query = path.partition("?")
    return {"PATH_INFO": path, "QUERY_STRING": query, **extra}


# --- Which requests take the API's chain ----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "extra", "api_chain"),
    [
        ("/api/v1/requests/", {}, True),
        ("/api/v1/requests/AC-7KQ3-9XW2/close", {"HTTP_AUTHORIZATION": "Bearer pp_x"}, True),
        ("/api/v1/requests/?page_size=5&cursor=cD0y%3D", {}, True),
        ("/api/v1/requests/", {"HTTP_COOKIE": "tracking=1"}, True),  # nobody's cookie
        ("/api/v1/requests/?lang=fr", {}, True),  # not a language the portal offers
        # Staff with their admin session: SessionAuthentication and its CSRF check.
        ("/api/v1/requests/", {"HTTP_COOKIE": "sessionid=abc"}, False),
        ("/api/v1/requests/", {"HTTP_COOKIE": "a=1; csrftoken=abc"}, False),
        ("/api/v1/requests/", {"HTTP_COOKIE": "django_language=es"}, False),
        # LanguageFromQueryMiddleware switches the language and sets its cookie.
        ("/api/v1/requests/?lang=es", {}, False),
        ("/api/v1/requests/?page_size=5&%6Cang=es", {}, False),
        # The docs page needs its CSRF cookie; the schema, the admin and the portal are pages.
        ("/api/docs/", {}, False),
        ("/api/schema/", {}, False),
        ("/api/v1", {}, False),
        ("/admin/", {}, False),
        ("/acme/status/", {}, False),
    ],
)
def test_only_cookieless_calls_under_api_v1_take_the_api_chain(path, extra, api_chain):
    assert takes_api_chain(_environ(path, **extra)) is api_chain


def test_gunicorn_runserver_and_the_demo_share_the_dispatching_entry():
    # gunicorn (Dockerfile, docker-compose.yml, the benchmarks) loads privacyportal.wsgi's
    # application; runserver (the demo) loads WSGI_APPLICATION.
    from privacyportal import wsgi

    assert isinstance(wsgi.application, PortalApplication)
    assert settings.WSGI_APPLICATION == "privacyportal.wsgi.application"
    assert get_internal_wsgi_application() is wsgi.application


def test_the_api_chain_is_the_full_chain_less_what_only_browsers_need():
    # A middleware added to MIDDLEWARE fails here until someone decides whether API key calls
    # need it too (then it goes in API_MIDDLEWARE, in the same order).
    equivalent = {
        "privacyportal.handlers.ApiLocaleMiddleware": "django.middleware.locale.LocaleMiddleware"
    }
    api = [equivalent.get(path, path) for path in settings.API_MIDDLEWARE]
    assert api == [path for path in settings.MIDDLEWARE if path in api]
    assert set(settings.MIDDLEWARE) - set(api) == {
        "whitenoise.middleware.WhiteNoiseMiddleware",  # /static/ only
        "django.contrib.sessions.middleware.SessionMiddleware",
        "tenants.middleware.LanguageFromQueryMiddleware",  # ?lang= takes the full chain
        "tenants.middleware.PortalTenantMiddleware",  # /api/ is a reserved slug: no tenant
        "django.middleware.csrf.CsrfViewMiddleware",  # DRF's views are csrf_exempt
        "django.contrib.auth.middleware.AuthenticationMiddleware",  # anonymous without a session
        # Staff sign-in: a session's second factor and time limits, the admin login's lockout
        # (API keys are no sign-in: a wrong key is a 401 and nothing to lock).
        "django_otp.middleware.OTPMiddleware",
        "tenants.signin.StaffSessionMiddleware",
        "axes.middleware.AxesMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        # Headers of HTML pages; /api/v1/ is excluded from both (CONTENT_SECURITY_POLICY).
        "csp.middleware.CSPMiddleware",
        "core.page_headers.PermissionsPolicyMiddleware",
    }


# --- The same answers through both chains ----------------------------------------------------


@pytest.fixture
def keys(tenant_a) -> dict[str, str]:
    return {
        "all": api_key_create(tenant=tenant_a)[1],
        "read": api_key_create(tenant=tenant_a, scopes=[ApiScope.REQUESTS_READ])[1],
        "consent": api_key_create(tenant=tenant_a, scopes=[ApiScope.CONSENT_READ])[1],
    }


def _call(client: Client, case: dict[str, Any], keys: dict[str, str]):
    headers = dict(case.get("headers", {}))
    if case.get("key"):
        headers["Authorization"] = f"Bearer {keys[case['key']]}"
    kwargs: dict[str, Any] = {"headers": headers}
    if "body" in case:
        kwargs["data"] = case["body"]
        kwargs["content_type"] = case.get("content_type", "application/json")
    return getattr(client, case.get("method", "get"))(case["path"], **kwargs)


def _answer(response) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status_code, sorted(response.items()), response.content


@pytest.fixture
def reference(tenant_a) -> str:
    return make_request(tenant_a, request_type="know").reference


SAME_ANSWER_CASES: dict[str, dict[str, Any]] = {
    "list": {"path": REQUESTS, "key": "all"},
    "list, two per page": {"path": f"{REQUESTS}?page_size=2", "key": "read"},
    "list, no trailing slash": {"path": "/api/v1/requests", "key": "read"},
    "list, bad page size": {"path": f"{REQUESTS}?page_size=0", "key": "all"},
    "list, bad cursor": {"path": f"{REQUESTS}?cursor=nonsense", "key": "all"},
    "list, ?format=json": {"path": f"{REQUESTS}?format=json", "key": "all"},
    "list, ?format=xml": {"path": f"{REQUESTS}?format=xml", "key": "all"},
    "list, Accept: application/json": {
        "path": REQUESTS,
        "key": "all",
        "headers": {"Accept": "application/json"},
    },
    "list, pretty printed": {
        "path": REQUESTS,
        "key": "all",
        "headers": {"Accept": "application/json; indent=4"},
    },
    "list, browser's Accept": {
        "path": REQUESTS,
        "key": "all",
        "headers": {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    },
    "406 for HTML only": {"path": REQUESTS, "key": "all", "headers": {"Accept": "text/html"}},
    "406 for an empty Accept": {"path": REQUESTS, "key": "all", "headers": {"Accept": ""}},
    "detail": {"path": "{reference}", "key": "all"},
    "detail, lower case": {"path": "{reference_lower}", "key": "read"},
    "HEAD": {"path": REQUESTS, "key": "all", "method": "head"},
    "OPTIONS": {"path": REQUESTS, "key": "all", "method": "options"},
    "outbox": {"path": "/api/v1/outbox/", "key": "read"},
    "401 without a key": {"path": REQUESTS},
    "401 without a key, in Spanish": {"path": REQUESTS, "headers": {"Accept-Language": "es"}},
    "401 for another scheme": {"path": REQUESTS, "headers": {"Authorization": "Basic YTpi"}},
    "401 for an unknown key": {"path": REQUESTS, "headers": {"Authorization": "Bearer pp_nope"}},
    "403 missing scope": {"path": REQUESTS, "key": "consent"},
    "403 missing scope to write": {"path": REQUESTS, "key": "read", "method": "post", "body": {}},
    "404 unknown reference": {"path": f"{REQUESTS}ZZ-NONE-0000", "key": "all"},
    "404 unknown API path": {"path": "/api/v1/nothing/here", "key": "all"},
    "405": {"path": REQUESTS, "key": "all", "method": "delete"},
    "405 in Spanish": {
        "path": REQUESTS,
        "key": "all",
        "method": "put",
        "body": {},
        "headers": {"Accept-Language": "es-MX,es;q=0.9"},
    },
    "400 invalid input": {"path": REQUESTS, "key": "all", "method": "post", "body": {"type": 1}},
    "400 invalid input in Spanish": {
        "path": REQUESTS,
        "key": "all",
        "method": "post",
        "body": {"type": "delete", "requester": {"email": "not an address"}},
        "headers": {"Accept-Language": "es"},
    },
    "400 not JSON": {"path": REQUESTS, "key": "all", "method": "post", "body": "{"},
    "413": {"path": REQUESTS, "key": "all", "method": "post", "body": "[" + "1," * 40_000 + "1]"},
    "415": {
        "path": REQUESTS,
        "key": "all",
        "method": "post",
        "body": "type=delete",
        "content_type": "application/x-www-form-urlencoded",
    },
    "415 with a charset": {
        "path": REQUESTS,
        "key": "all",
        "method": "post",
        "body": "{}",
        "content_type": "application/json; charset=utf-8",
    },
    "409 refusal": {
        "path": "{reference}/extend",
        "key": "all",
        "method": "post",
        "body": {"reason": "Too much data to gather."},
    },
}


@pytest.mark.parametrize("case", SAME_ANSWER_CASES.values(), ids=SAME_ANSWER_CASES.keys())
def test_both_chains_give_the_same_answer(case, keys, reference, freeze):
    freeze(datetime.now(UTC))  # both answers of the same moment (due dates, "today")
    case = dict(case)
    case["path"] = case["path"].format(
        reference=f"{REQUESTS}{reference}", reference_lower=f"{REQUESTS}{reference.lower()}"
    )
    if case.get("method") == "post" and "extend" in case["path"]:
        _call(chain_client("full"), case, keys)  # extended once: both then answer the refusal
    full = _answer(_call(chain_client("full"), case, keys))
    api = _answer(_call(chain_client("api"), case, keys))
    assert api == full
    assert full[0] < 500


def test_a_create_gets_the_same_headers_and_fields_through_both_chains(keys):
    answers = []
    for chain in ("full", "api"):
        response = _call(
            chain_client(chain),
            {"path": REQUESTS, "key": "all", "method": "post", "body": CREATE},
            keys,
        )
        assert response.status_code == 201
        answers.append(response)
    full, api = answers
    volatile = {"Location", "Content-Length"}  # the reference, in the body too
    assert {k: v for k, v in api.items() if k not in volatile} == {
        k: v for k, v in full.items() if k not in volatile
    }
    assert list(api.json()) == list(full.json())


def test_security_headers_and_https_redirect_are_the_same_on_both_chains(keys, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_SSL_REDIRECT = True
    secure = {"path": REQUESTS, "key": "all", "headers": {"X-Forwarded-Proto": "https"}}
    full = _answer(_call(chain_client("full"), secure, keys))
    assert _answer(_call(chain_client("api"), secure, keys)) == full
    headers = dict(full[1])
    assert headers["Strict-Transport-Security"] == "max-age=3600; includeSubDomains"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"

    plain = {"path": REQUESTS, "key": "all"}
    redirect = _answer(_call(chain_client("full"), plain, keys))
    assert redirect[0] == 301
    assert _answer(_call(chain_client("api"), plain, keys)) == redirect


def test_a_host_we_do_not_serve_is_refused_on_both_chains(keys):
    case = {"path": REQUESTS, "key": "all", "headers": {"Host": "evil.example"}}
    full = _call(chain_client("full"), case, keys)
    api = _call(chain_client("api"), case, keys)
    assert full.status_code == api.status_code == 400
    assert _answer(api) == _answer(full)


def test_the_acknowledgement_links_to_the_portal_from_the_api_chain(tenant_a, keys):
    # reverse() inside an API request still knows the portal's and the admin's URLs: the API
    # chain never swaps the URLconf.
    bodies = []
    for chain in ("full", "api"):
        response = _call(
            chain_client(chain),
            {"path": REQUESTS, "key": "all", "method": "post", "body": CREATE},
            keys,
        )
        reference = response.json()["reference"]
        messages = OutboxMessage.objects.for_tenant(tenant_a).filter(about_label=reference)
        bodies.append(sorted(message.body.replace(reference, "REF") for message in messages))
    assert bodies[0] == bodies[1]
    assert any(f"{settings.PORTAL_BASE_URL}/acme/status/" in body for body in bodies[1])


# --- Staff sessions keep the full chain -----------------------------------------------------


def test_staff_with_their_session_go_through_the_full_chain(client_a):
    response = client_a.get(REQUESTS)
    assert response.status_code == 200
    assert hasattr(response.wsgi_request, "session")  # SessionMiddleware ran
    # Through the API's chain the same cookie opens nothing: there is no session there.
    api = chain_client("api")
    api.cookies = client_a.cookies
    assert api.get(REQUESTS).status_code == 401


def test_csrf_is_still_enforced_for_staff_sessions_on_unsafe_methods(staff_a, keys):
    client = signed_in(Client(enforce_csrf_checks=True), staff_a)
    body = json.dumps(CREATE)

    refused = client.post(REQUESTS, data=body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert refused.json()["error"]["message"].startswith("CSRF Failed")

    secret = "A" * 32  # a CSRF secret (cookie) and the same token in the header
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    accepted = client.post(
        REQUESTS, data=body, content_type="application/json", headers={"X-CSRFToken": secret}
    )
    assert accepted.status_code == 201, accepted.content

    # A key needs no token: there is no session to ride on.
    with_key = Client(enforce_csrf_checks=True).post(
        REQUESTS,
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {keys['all']}"},
    )
    assert with_key.status_code == 201


# --- The production entry itself --------------------------------------------------------------


@contextmanager
def _signals_keep_the_test_transaction() -> Iterator[None]:
    # What Django's test client does around a request: the test's transaction must survive.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _wsgi(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    answer: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer[:] = [status, headers]

    with _signals_keep_the_test_transaction():
        result = app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            result.close()
    return answer[0], sorted(answer[1]), body


def _wsgi_environ(method: str, path: str, body: bytes = b"", **headers: str) -> dict[str, Any]:
    request = RequestFactory().generic(
        method, path, data=body, content_type="application/json", **headers
    )
    environ = dict(request.environ)
    environ["wsgi.input"] = io.BytesIO(body)
    return environ


def test_the_wsgi_application_serves_keys_through_the_api_chain(keys, reference):
    application = PortalApplication()
    assert isinstance(application.api, ApiWSGIHandler)
    api_chain, served = application.api, []

    def recorded(environ: dict[str, Any], start_response: Any) -> Any:
        served.append(environ["PATH_INFO"])
        return api_chain(environ, start_response)

    application.api = recorded  # type: ignore[assignment]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {keys['all']}"}

    api = _wsgi(application, _wsgi_environ("GET", f"{REQUESTS}{reference}", **auth))
    full = _wsgi(application.full, _wsgi_environ("GET", f"{REQUESTS}{reference}", **auth))
    assert served == [f"{REQUESTS}{reference}"]
    assert api[0] == "200 OK"
    assert api == full

    created = _wsgi(
        application, _wsgi_environ("POST", REQUESTS, json.dumps(CREATE).encode(), **auth)
    )
    assert created[0] == "201 Created"
    refused = _wsgi(application, _wsgi_environ("GET", REQUESTS))
    assert refused == _wsgi(application.full, _wsgi_environ("GET", REQUESTS))
    assert ("Vary", "Accept-Language, Cookie") in refused[1]
    assert served == [f"{REQUESTS}{reference}", REQUESTS, REQUESTS]


# --- The API chain's LocaleMiddleware ---------------------------------------------------------


@pytest.mark.parametrize(
    "accept_language",
    [
        None,
        "",
        "es",
        "es-MX,es;q=0.9,en;q=0.8",
        "fr-CA",
        "en-US",
        "*",
        "de;q=1.0, es;q=0.5",
        "xx-!!",
    ],
)
def test_the_api_locale_middleware_does_what_django_s_does(accept_language):
    from django.http import HttpResponse
    from django.middleware.locale import LocaleMiddleware

    results = []
    for middleware_class in (LocaleMiddleware, ApiLocaleMiddleware):
        seen: dict[str, Any] = {}

        def view(request: WSGIRequest, _seen: dict[str, Any] = seen) -> HttpResponse:
            _seen["active"] = translation.get_language()
            _seen["code"] = request.LANGUAGE_CODE
            return HttpResponse(b"{}")

        headers = {} if accept_language is None else {"HTTP_ACCEPT_LANGUAGE": accept_language}
        with translation.override("es" if accept_language is None else "en"):  # a stale language
            response = middleware_class(view)(RequestFactory().get(REQUESTS, **headers))
        results.append((seen, sorted(response.items())))
    assert results[0] == results[1]
