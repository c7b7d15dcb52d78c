"""Tenant isolation, walked generically: every URL pattern, admin page and API endpoint.

Business B's admin (its most privileged role) and B's API key visit every route of the project,
filled in with business A's objects. Each answer must be a refusal (403/404, or a redirect that
shows nothing), or a page that contains none of A's data. A route this walk does not know how to
fill in fails the test: whoever adds a view must tell the walk how to reach it, and so gets checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from outbox.models import OutboxMessage, WebhookEndpoint
from outbox.services import webhook_endpoint_create
from requests_app.models import Communication, PrivacyRequest, RequestEvent
from requests_app.services import privacy_request_assign
from tenants.models import ApiKey, Membership, Role
from tenants.services import api_key_create, staff_create
from tests.factories import make_request
from tests.helpers import PASSWORD, login

pytestmark = pytest.mark.django_db

# Strings that exist only in business A's data.
A_CONSUMER_NAME = "Zebediah Acmeperson"
A_CONSUMER_EMAIL = "zebediah@acme-only.example"
A_STAFF_USERNAME = "acme_only_staffer"

# Routes that hold no tenant data at all (static pages, auth, schema), by URL name or prefix.
PUBLIC_ROUTE_NAMES = {
    "home",
    "schema",
    "docs",
    "redoc",
    "swagger-ui",
    "javascript-catalog",
    "set_language",
}
# Portal routes are the consumers' pages: anonymous, tenant taken from the slug or host; they are
# walked with B's slug and must not show A's data either.


@dataclass
class World:
    privacy_request: PrivacyRequest
    objects_by_model: dict[type, object]
    markers: list[str]


@pytest.fixture
def world(tenant_a, tenant_b) -> World:
    staff_a, _ = staff_create(
        tenant=tenant_a, username=A_STAFF_USERNAME, role=Role.ADMIN, password=PASSWORD
    )
    privacy_request = make_request(tenant_a, name=A_CONSUMER_NAME, email=A_CONSUMER_EMAIL)
    privacy_request = privacy_request_assign(
        privacy_request=privacy_request, actor=staff_a, assignee=staff_a
    )
    api_key, _ = api_key_create(tenant=tenant_a, name="acme-only-key")
    group = Group.objects.create(name="acme-only-group")  # platform-level: superusers only
    endpoint, _ = webhook_endpoint_create(
        tenant=tenant_a, name="acme-only-endpoint", url="https://crm.acme.example/hooks"
    )
    objects_by_model: dict[type, object] = {
        PrivacyRequest: privacy_request,
        RequestEvent: RequestEvent.objects.for_tenant(tenant_a).first(),
        Communication: Communication.objects.for_tenant(tenant_a).first(),
        OutboxMessage: OutboxMessage.objects.for_tenant(tenant_a).first(),
        ApiKey: api_key,
        WebhookEndpoint: endpoint,
        Membership: Membership.objects.get(user=staff_a, tenant=tenant_a),
        type(tenant_a): tenant_a,
        type(staff_a): staff_a,
        Group: group,
    }
    markers = [
        privacy_request.reference,
        A_CONSUMER_NAME,
        A_CONSUMER_EMAIL,
        A_STAFF_USERNAME,
        "acme-only-key",
        "acme-only-group",
        "acme-only-endpoint",
    ]
    return World(privacy_request, objects_by_model, markers)


@pytest.fixture
def b_admin_client(tenant_b) -> Client:
    user, _ = staff_create(
        tenant=tenant_b, username="bravo_admin", role=Role.ADMIN, password=PASSWORD
    )
    return login(user)


@pytest.fixture
def b_api_client(tenant_b) -> Client:
    _, raw = api_key_create(tenant=tenant_b)
    return Client(headers={"authorization": f"Bearer {raw}"})


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        else:
            yield prefix + str(entry.pattern), namespace + (entry.name or ""), entry


def _admin_model_for(route: str):
    """admin/requests_app/privacyrequest/<path:object_id>/change/ → PrivacyRequest."""
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    if not match:
        return None
    for model in admin.site._registry:
        if (model._meta.app_label, model._meta.model_name) == match.group(1, 2):
            return model
    return None


def _fill(route: str, name: str, world: World, tenant_b) -> str | None:
    """Turn a route into a URL aimed at business A's objects; None if the walk doesn't know how."""
    values: dict[str, str] = {}
    for kind, key in re.findall(r"<(?:(\w+):)?(\w+)>", route):
        if key == "object_id":
            model = _admin_model_for(route)
            target = world.objects_by_model.get(model) if model else None
            if target is None:
                return None
            values[key] = str(target.pk)
        elif key in {"reference"}:
            values[key] = world.privacy_request.reference
        elif key in {"tenant_slug", "slug"}:
            values[key] = tenant_b.slug  # B's own portal, asked for A's objects
        elif key in {"pk", "id", "message_id", "request_id"}:
            values[key] = str(world.privacy_request.pk)
        elif key == "document_id":
            # The admin's document download under A's request (the refusal for a real document
            # of A is tested in requests_app/test_admin_portal_fields.py).
            values[key] = str(world.privacy_request.pk)
        elif key == "format":
            values[key] = ".json"
        elif key in {"app_label"}:
            values[key] = "requests_app"
        elif key in {"url", "path"}:
            values[key] = "requests_app/privacyrequest/"
        elif key in {"content_type_id"}:
            return "skip"
        else:
            return None
        del kind
    url = "/" + route
    for key, value in values.items():
        url = re.sub(rf"<(?:\w+:)?{key}>", value, url)
    # Regex routes (e.g. admin's app index) are rendered by hand.
    url = url.replace("^", "").replace("$", "")
    url = re.sub(r"\(\?P<app_label>[^)]*\)", "requests_app", url)
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values.get(m.group(1), ""), url)


def _routes() -> list[tuple[str, str]]:
    return [(route, name) for route, name, _ in _walk(get_resolver().url_patterns)]


def _assert_refused_or_clean(response, world: World, what: str) -> None:
    if response.status_code in (401, 403, 404, 405):
        return
    if response.status_code in (301, 302):
        location = response.headers.get("Location", "")
        assert world.privacy_request.reference not in location, f"{what} redirects to A's object"
        return
    assert response.status_code < 500, f"{what} answered {response.status_code}"
    body = b"".join(response) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    for marker in world.markers:
        assert marker not in text, f"{what} shows business A's data ({marker!r})"


def test_every_route_is_reachable_by_the_walk(world, tenant_b):
    unknown = [
        (route, name)
        for route, name in _routes()
        if name.split(":")[-1] not in PUBLIC_ROUTE_NAMES
        and _fill(route, name, world, tenant_b) is None
    ]
    assert unknown == [], (
        "The tenant-isolation walk cannot fill in these routes; teach _fill() their URL kwargs "
        f"so they are checked: {unknown}"
    )


@pytest.mark.parametrize("who", ["b_admin_client", "b_api_client"])
def test_business_b_gets_nothing_of_business_a_anywhere(world, tenant_b, who, request):
    client: Client = request.getfixturevalue(who)
    checked = 0
    for route, name in _routes():
        url = _fill(route, name, world, tenant_b)
        if url in (None, "skip"):
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url, follow=False)
            _assert_refused_or_clean(response, world, f"{method.upper()} {url} ({name}) as {who}")
            checked += 1
    assert checked > 20
    # And nothing of A's changed.
    fresh = PrivacyRequest.objects.for_tenant(world.privacy_request.tenant).get(
        pk=world.privacy_request.pk
    )
    assert (fresh.status, fresh.respond_by, fresh.assignee_id, fresh.extended_at) == (
        world.privacy_request.status,
        world.privacy_request.respond_by,
        world.privacy_request.assignee_id,
        None,
    )


def test_b_admin_cannot_act_on_a_requests_through_admin_actions(world, b_admin_client):
    for action in (
        "extend",
        "close",
        "assign",
        "mark_verified",
        "record_confirmation",
        "delete_selected",
    ):
        response = b_admin_client.post(
            "/admin/requests_app/privacyrequest/",
            {
                "action": action,
                "_selected_action": [world.privacy_request.pk],
                "reason": "x",
                "outcome": "denied",
            },
        )
        assert response.status_code in (200, 302, 403, 404)
    fresh = PrivacyRequest.objects.for_tenant(world.privacy_request.tenant).get(
        pk=world.privacy_request.pk
    )
    assert fresh.status == world.privacy_request.status
    assert fresh.extended_at is None


@pytest.mark.parametrize("model", [PrivacyRequest, RequestEvent, Communication, OutboxMessage])
def test_every_tenant_owned_admin_uses_the_tenant_scope(model, world, b_admin_client):
    """B's admin sees none of A's rows in any tenant-owned changelist, and A's object pages are 404."""
    if model not in admin.site._registry:
        # The queue and the outbox must have admin pages; the timeline may be an inline only.
        assert model not in (PrivacyRequest, OutboxMessage), f"{model.__name__} lost its admin page"
        pytest.skip(f"{model.__name__} is shown inline only")
    info = (model._meta.app_label, model._meta.model_name)
    listing = b_admin_client.get(f"/admin/{info[0]}/{info[1]}/")
    _assert_refused_or_clean(listing, world, f"{model.__name__} changelist")
    target = world.objects_by_model[model]
    page = b_admin_client.get(f"/admin/{info[0]}/{info[1]}/{target.pk}/change/")
    assert page.status_code in (302, 403, 404)
    if page.status_code == 302:
        assert page.headers["Location"].rstrip("/").endswith("/admin")
