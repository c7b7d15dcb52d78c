"""Helpers shared by the tests: signing staff in, a JSON client for the REST API, the
tenant-owned models, a business's snapshot, the test client's choice of middleware chain.

Test modules import these from here, never from a conftest (pytest loads a conftest itself, under
a module name of its own; importing it again makes a second copy).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client
from django.test.client import ClientHandler
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacyportal.handlers import ApiChainMixin, takes_api_chain
from tenants.models import ApiKey, Membership, Tenant, TenantOwnedModel
from tenants.two_factor import totp_device_set

PASSWORD = "correct horse battery"
# The tests' staff authenticator secret (tests/db/tenants/test_signin.py computes its codes).
ROOT = Path(__file__).resolve().parents[1]  # the repository
TEST_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"  # RFC 6238's test key


# Django's own, bound before tests/conftest.py puts RoutedClientHandler in its place.
DjangoClientHandler = ClientHandler


class ApiClientHandler(ApiChainMixin, ClientHandler):
    """The test client's handler with the API's middleware chain (settings.API_MIDDLEWARE)."""


class RoutedClientHandler(ClientHandler):
    """The test client's handler, choosing the middleware chain for each request as
    ``privacyportal.wsgi.application`` does (``takes_api_chain``): an API key request without
    cookies takes the API's chain, everything else the full one. tests/conftest.py gives it to
    every ``Client``, so the tests see what production serves."""

    def __init__(self, enforce_csrf_checks: bool = True, *args: Any, **kwargs: Any) -> None:
        super().__init__(enforce_csrf_checks, *args, **kwargs)
        self.api = ApiClientHandler(enforce_csrf_checks, *args, **kwargs)

    def __call__(self, environ: dict[str, Any]) -> Any:
        if takes_api_chain(environ):
            return self.api(environ)
        return super().__call__(environ)


def chain_client(chain: str, *, enforce_csrf_checks: bool = False) -> Client:
    """A test client that sends every request through one chain: "full" (settings.MIDDLEWARE,
    Django's own test handler) or "api" (settings.API_MIDDLEWARE), whatever the request."""
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    handler = {"full": DjangoClientHandler, "api": ApiClientHandler}[chain]
    client.handler = handler(enforce_csrf_checks)
    return client


def login(user: Any) -> Client:
    """A client signed in as ``user``, with the second factor passed (as after the login form)."""
    client = Client()
    signed_in(client, user)
    return client


def totp_code(key_hex: str = TEST_TOTP_KEY_HEX, at: datetime | None = None) -> str:
    """The authenticator app's code for ``key_hex`` now (or ``at``)."""
    totp = TOTP(bytes.fromhex(key_hex))
    if at is not None:
        totp.time = at.timestamp()
    return f"{totp.token():06d}"


def env_example() -> dict[str, str]:
    """The production values of ``.env.example``, by name."""
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def signed_in(client: Client, user: Any) -> Client:
    """Sign ``client`` in as ``user`` with both factors: ``force_login`` alone is the password
    alone, which opens no admin page where a second factor is needed (tenants.two_factor)."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = totp_device_set(user=user, key_hex=TEST_TOTP_KEY_HEX)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


class Api:
    """A JSON client for one caller: an API key, or a logged-in staff session."""

    def __init__(self, key: str | None = None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def get(self, path: str, params: dict[str, Any] | None = None):
        return self.client.get(path, params or {}, headers=self.headers)

    def post(self, path: str, body: Any = None, *, raw: str | bytes | None = None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(
            path, data=data, content_type="application/json", headers=self.headers
        )


def error_of(response) -> dict[str, Any]:
    """The API's error body: {"code", "message", "fields"?}; always JSON, never an HTML page."""
    assert response["Content-Type"] == "application/json", response.content[:200]
    return response.json()["error"]


# --- The requests API's tests: one request body and one receipt time -----------------------

REQUESTS = "/api/v1/requests/"
# D = 2025-11-21 in Los Angeles (23:30 local): respond by D + 45 = 2026-01-05.
LATE_FRIDAY_NIGHT_PT = "2025-11-22T07:30:00Z"
RECEIVED = datetime(2025, 11, 22, 7, 30, tzinfo=UTC)
SOON_AFTER = datetime(2025, 11, 25, 18, 0, tzinfo=UTC)


def create_body(**overrides: Any) -> dict[str, Any]:
    """A valid ``POST /api/v1/requests/`` body (a request to delete), with ``overrides``."""
    body: dict[str, Any] = {
        "type": "delete",
        "channel": "webform",
        "received_at": LATE_FRIDAY_NIGHT_PT,
        "requester": {
            "name": "Casey Consumer",
            "email": "casey@example.com",
            "phone": "(415) 555-0123",
            "state": "CA",
        },
    }
    body.update(overrides)
    return body


def tenant_owned_models() -> list[type[TenantOwnedModel]]:
    """Every concrete tenant-owned model of every installed app, in INSTALLED_APPS order.

    Found through Django's app registry, so a model added to any app is in the list the day it
    is added. Proxy models are left out: they share their concrete model's rows.
    """
    return [
        model
        for model in apps.get_models()
        if issubclass(model, TenantOwnedModel) and not model._meta.proxy
    ]


Rows = dict[Any, dict[str, Any]]


def _rows(queryset: models.QuerySet) -> Rows:
    pk = queryset.model._meta.pk.attname
    return {row[pk]: row for row in queryset.values()}


def snapshot(tenant: Tenant) -> dict[str, Rows]:
    """Every row of ``tenant``, field by field: its tenant-owned rows model by model, then its
    tenancy rows (the business itself, its memberships, API keys and its members' accounts).

    Two equal snapshots mean nothing of the business was added, changed or removed: no status,
    timestamp, assignee or token moved, and no event, communication or outbox row appeared.
    """
    taken = {
        model._meta.label: _rows(model.objects.for_tenant(tenant))
        for model in tenant_owned_models()
    }
    user_model = get_user_model()
    taken["tenants.Tenant"] = _rows(Tenant.objects.filter(pk=tenant.pk))
    taken["tenants.Membership"] = _rows(Membership.objects.filter(tenant=tenant))
    taken["tenants.ApiKey"] = _rows(ApiKey.objects.filter(tenant=tenant))
    taken[user_model._meta.label] = _rows(
        user_model._default_manager.filter(memberships__tenant=tenant)
    )
    return taken


def snapshot_changes(before: dict[str, Rows], after: dict[str, Rows]) -> list[str]:
    """What differs between two snapshots, one line per row, for assertion messages."""
    changes = []
    for label in sorted(set(before) | set(after)):
        old, new = before.get(label, {}), after.get(label, {})
        for pk in sorted(set(old) | set(new)):
            if pk not in new:
                changes.append(f"{label} {pk} removed")
            elif pk not in old:
                changes.append(f"{label} {pk} added")
            else:
                fields = sorted(f for f in old[pk] if old[pk][f] != new[pk].get(f))
                if fields:
                    changes.append(f"{label} {pk} changed: {', '.join(fields)}")
    return changes


@dataclass
class WebhookReceiver:
    """A webhook receiver on 127.0.0.1: records what it gets and answers ``status`` (after
    ``delay`` seconds, with ``location`` as a Location header when set)."""

    status: int = 200
    delay: float = 0.0
    location: str = ""
    received: list[dict] = field(default_factory=list)
    url: str = ""


@contextmanager
def webhook_receiver(path: str = "/hooks/privacy") -> Iterator[WebhookReceiver]:
    state = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append({"headers": dict(self.headers), "body": body})
            time.sleep(state.delay)
            self.send_response(state.status)
            if state.location:
                self.send_header("Location", state.location)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
