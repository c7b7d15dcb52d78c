"""Tenant isolation, walked generically: every URL pattern, admin page, API endpoint and task.

Business A gets one real object of every tenant-owned model: the models are found through
``TenantOwnedModel``'s subclasses in every installed app, and each is made by its builder in
``tests/factories.py`` through the app's own services. Business B's admin (its most privileged
role) and B's API key then visit every route of the project filled in with A's objects, with GET
and POST; every admin changelist and action is tried on A's rows; every ``TenantTask`` runs with
B's id and A's object ids. No answer may show any of A's data, a URL holding one of A's ids must
be refused (401/403/404/405, or a redirect to such an answer), and nothing of A's may change.

Whatever the walk cannot fill in fails it: a tenant-owned model without a builder, a URL argument
it does not know, a task that is neither a ``TenantTask`` nor a reviewed cross-tenant task.
Whoever adds one tells the walk how to reach it, and so is checked the day it is added.
"""

from __future__ import annotations

import inspect
import itertools
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from fulfilment.models import ResponsePackage
from notices.models import IncentiveProgram, NoticeVersion
from outbox.models import OutboxMessage, OutboxStatus
from privacyportal.celery import app as celery_app
from recordkeeping.models import PublishedMetrics
from requests_app.models import PrivacyRequest
from requests_app.services import status_links
from tenants.models import ApiKey, Membership, Role, SignInLockout, Tenant
from tenants.services import api_key_create, staff_create
from tenants.tasks import TenantTask
from tests.factories import BUILDERS, Business, missing_builder_message
from tests.helpers import (
    PASSWORD,
    login,
    signed_in,
    snapshot,
    snapshot_changes,
    tenant_owned_models,
)

pytestmark = pytest.mark.django_db

User = get_user_model()

REFUSALS = {401, 403, 404, 405}

# Tasks that take no business and work across all of them, on purpose. Each was reviewed for
# it; a new task is a TenantTask (the business's id first) or is added here with the reason.
REVIEWED_CROSS_TENANT_TASKS = {
    "recordkeeping.tasks.retention_purge_all": (
        "the daily retention purge walks the businesses one by one; each one's requests are read "
        "and written through .objects.for_tenant(its business) (recordkeeping.retention)"
    ),
    "outbox.relay": (
        "sends every business's due messages: outbox_due_ids hands each one to "
        "outbox_message_send with its own business"
    ),
    "requests_app.tasks.sweep_deadlines": (
        "the deadline sweep: one indexed query over what is due across businesses (house style, "
        "Celery); every write is keyed by the rows it read"
    ),
    "optout.tasks.consent_cache_repair": (
        "writes again the consent lookup answers whose cache write failed: one indexed read of "
        "the unpublished states, each answer written under its own business's key"
    ),
    "optout.tasks.opt_in_expire": (
        "closes expired, unconfirmed opt-in requests: visits each business in turn and reads "
        "its own confirmations through for_tenant; each close is keyed by the row it claimed"
    ),
    "verification.tasks.webhook_match_catch_up": (
        "asks again the businesses' systems whose question was lost: one indexed read of the "
        "overdue questions; each is queued as a TenantTask with its own business"
    ),
    "verification.tasks.verification_sweep": (
        "reminders and end-of-period denials: one indexed query over the due verifications "
        "across businesses, then each row locked through Verification.objects.for_tenant(its "
        "own business) and handled in its own transaction"
    ),
    "fulfilment.tasks.system_task_reminder_sweep": (
        "reminders of the data systems' tasks: one indexed read of the due tasks across "
        "businesses, each with its own business; each claim and email is written through "
        "SystemTask.objects.for_tenant(its business) and that business's outbox"
    ),
}


# --- The two businesses ------------------------------------------------------------------------


@dataclass
class World:
    a: Business
    b: Business
    # Each business's object of every model the walk may be asked for: one of every tenant-owned
    # model, its tenancy rows (the business, a member's membership and account, an API key),
    # and for A a platform-level group.
    objects: dict[type[models.Model], models.Model]
    b_objects: dict[type[models.Model], models.Model]
    markers: list[str]  # strings that exist only in A's data

    @property
    def privacy_request(self) -> PrivacyRequest:
        return self.objects[PrivacyRequest]  # type: ignore[return-value]


def _business(
    tenant: Tenant, label: str, consumer_name: str
) -> tuple[Business, dict[type[models.Model], models.Model]]:
    admin_user, _ = staff_create(
        tenant=tenant, username=f"{label}-admin", role=Role.ADMIN, password=PASSWORD
    )
    business = Business(
        tenant=tenant,
        admin=admin_user,
        label=label,
        consumer_name=consumer_name,
        consumer_email=f"{consumer_name.lower().replace(' ', '.')}@example.com",
    )
    objects: dict[type[models.Model], models.Model] = {
        model: business.get(model) for model in tenant_owned_models()
    }
    # The tenancy rows. The membership is a staff member's, not the admin's: MembershipAdmin
    # keeps admins off their own membership, so A's admin could not confirm that the walk's
    # URL for it is a real one (test_a_s_own_admin_reaches_a_s_objects_at_the_walk_s_urls).
    clerk, _ = staff_create(tenant=tenant, username=f"{label}-clerk", password=PASSWORD)
    api_key, raw_key = api_key_create(tenant=tenant, name=f"{label}-key")
    business.secrets["api_key"] = raw_key
    objects[Tenant] = tenant
    objects[Membership] = Membership.objects.get(user=clerk, tenant=tenant)
    objects[ApiKey] = api_key
    objects[User] = clerk
    # The clerk's failed sign-ins (django-axes): only the business's own admins see and clear them.
    objects[SignInLockout._meta.concrete_model] = SignInLockout.objects.create(
        username=clerk.get_username(),
        ip_address="192.0.2.10",
        user_agent=f"{label}-agent",
        get_data="",
        post_data="",
        http_accept="text/html",
        path_info="/admin/login/",
        failures_since_start=3,
    )
    return business, objects


@pytest.fixture
def world(tenant_a, tenant_b, settings, tmp_path, monkeypatch) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    # The walk POSTs to every portal page: its own rate-limit counters, and room for all of them.
    settings.PORTAL_RATE_LIMIT_PREFIX = f"isolation-{uuid.uuid4().hex}"
    settings.PORTAL_RATE_LIMITS = {"ip": (1000, 600), "email": (1000, 3600)}
    # Neither password hashing nor the status lookup's fixed answer time (R-P-2) is walked here;
    # without them the file runs in seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(status_links, "STATUS_LOOKUP_SECONDS", 0)

    a, objects = _business(tenant_a, "acme-only", "Zebediah Acmeperson")
    b, b_objects = _business(tenant_b, "bravo-only", "Bertha Bravoperson")
    objects[Group] = Group.objects.create(name="acme-only-group")  # platform-level: superusers
    markers = [
        objects[PrivacyRequest].reference,
        a.label,  # in every name chosen for A: documents, endpoints, keys, users, the group
        a.consumer_name,
        a.consumer_email,
        a.secrets["status_link_token"],
        tenant_a.legal_name,
        tenant_a.contact_email,
    ]
    return World(a=a, b=b, objects=objects, b_objects=b_objects, markers=markers)


def test_every_tenant_owned_model_has_a_builder():
    missing = [
        missing_builder_message(model) for model in tenant_owned_models() if model not in BUILDERS
    ]
    assert missing == [], "\n".join(missing)
    stale = [model for model in BUILDERS if model not in tenant_owned_models()]
    assert stale == [], f"builders for models that are not tenant-owned (any more): {stale}"


# --- Visiting ------------------------------------------------------------------------------------


@dataclass
class Visitor:
    """B's admin (signed in) or B's API key (a bearer header), visiting URLs."""

    who: str
    client: Client
    user: Any = None

    def visit(self, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
        response = getattr(self.client, method)(url, data or {})
        if self.user is not None and "_auth_user_id" not in self.client.session:
            # A route signed B out (the admin's logout): sign in again, or every later page
            # would be walked anonymously and prove nothing.
            signed_in(self.client, self.user)
        return response


def _visitor(world: World, who: str) -> Visitor:
    if who == "admin":
        return Visitor(who, login(world.b.admin), world.b.admin)
    key = world.b.secrets["api_key"]
    return Visitor(who, Client(headers={"authorization": f"Bearer {key}"}))


def _post_data(world: World) -> dict[str, Any]:
    """What B sends to every form: A's identifiers, and what the staff forms need, so a POST that
    reached one of A's objects would act on it."""
    privacy_request = world.privacy_request
    return {
        # A's identifiers, as B might type or forge them.
        "reference": privacy_request.reference,
        "email": privacy_request.requester_email,
        "t": world.a.secrets["status_link_token"],
        "tenant": world.a.tenant.pk,
        "privacy_request": privacy_request.pk,
        # The staff actions' forms (requests_app.admin.actions), confirmed.
        "assignee": "",
        "method": "oral",
        "reason": "isolation walk",
        "outcome": "denied",
        "denial_reason": "other",
        "explanation": "isolation walk",
        "note": "isolation walk",
        "apply": "1",
        "post": "yes",  # the admin's delete confirmations
        "choice": "yes",  # the portal's withdraw and two-step delete buttons
    }


def _query(world: World) -> dict[str, str]:
    """A's identifiers as query parameters, for the pages that read some (the status sign-in
    link, the API). The admin's changelists refuse unknown parameters: their search is tried in
    test_b_s_admin_changelists_list_b_s_rows_and_none_of_a_s."""
    privacy_request = world.privacy_request
    return {
        "t": world.a.secrets["status_link_token"],
        "reference": privacy_request.reference,
        "email": privacy_request.requester_email,
    }


def _autocomplete_queries() -> list[dict[str, str]]:
    """The admin's autocomplete, asked for every autocomplete field's choices (all the rows B's
    scope allows: an empty term matches everything)."""
    return [
        {
            "app_label": model._meta.app_label,
            "model_name": model._meta.model_name,
            "field_name": field_name,
            "term": "",
        }
        for model, model_admin in admin.site._registry.items()
        for field_name in model_admin.autocomplete_fields
    ]


def _assert_refused_or_clean(
    visitor: Visitor,
    response: Any,
    world: World,
    what: str,
    sent: set[str] = frozenset(),
    hops: int = 3,
) -> None:
    """No answer shows any of A's markers, in its body or headers (a download's file name); what
    B sent itself may be echoed back (a form showing its input). A URL holding one of A's ids is
    refused (401/403/404/405), or redirects to an answer that passes this check in turn."""
    status = response.status_code
    assert status != 429, f"{what} was rate-limited: the walk did not reach the view"
    assert status < 500, f"{what} answered {status}"
    body = b"".join(response) if response.streaming else response.content
    text = unquote(body.decode("utf-8", "replace") + str(dict(response.headers)))
    for marker in world.markers:
        if not any(marker in value for value in sent):
            assert marker not in text, f"{what} shows business A's data ({marker!r})"
    path = response.request["PATH_INFO"]
    if 300 <= status < 400:
        location = response.headers.get("Location", "")
        target = urlsplit(location)
        if target.netloc in ("", "testserver") and target.path != path:
            assert hops, f"{what}: too many redirects"
            followed = visitor.visit("get", location)
            _assert_refused_or_clean(
                visitor, followed, world, f"{what} → {location}", sent, hops - 1
            )
    elif _holds_an_id(path):
        assert status in REFUSALS, f"{what} answered {status}: B reached one of A's objects"


def _holds_an_id(path: str) -> bool:
    """Whether a URL names an object (not only a business's portal or an app)."""
    try:
        route = resolve(path).route
    except Resolver404:
        return False
    # A calendar year names no object: /<B>/metrics/<year>/ is B's own publication of that year
    # (recordkeeping's public metrics page), which the markers check shows none of A's data.
    # Nor does a version number: /<B>/privacy-policy/versions/<n>/ is B's own version n of its
    # own policy (notices' public history), which the markers check shows none of A's data.
    return bool(set(_arguments(route)) - {"tenant_slug", "app_label", "year", "number"})


# --- Routes, and how the walk fills them in ------------------------------------------------------


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        else:
            assert isinstance(entry, URLPattern)
            yield prefix + str(entry.pattern), namespace + (entry.name or "")


def _routes() -> list[tuple[str, str]]:
    return list(_walk(get_resolver().url_patterns))


# <converter:name> of path() routes, (?P<name>...) of re_path() routes.
_ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")


def _arguments(route: str) -> list[str]:
    return [path_name or regex_name for path_name, regex_name in _ARGUMENT.findall(route)]


def _regex_group(route: str, start: int) -> tuple[str, int]:
    """The pattern of the (?P<name>...) group at ``start``, and where the group ends."""
    depth, index = 1, route.index(">", start) + 1
    begin = index
    while depth:
        char = route[index]
        if char == "\\":
            index += 2
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        index += 1
    return route[begin : index - 1], index


def _alternatives(route: str, name: str) -> list[str] | None:
    """The words of a group like (?P<app_label>auth|tenants|outbox)."""
    start = route.index(f"(?P<{name}>")
    pattern, _ = _regex_group(route, start)
    return pattern.split("|") if re.fullmatch(r"[\w|]+", pattern) else None


def _render(route: str, values: dict[str, str]) -> str:
    parts, index = [], 0
    while index < len(route):
        match = _ARGUMENT.match(route, index)
        if match and match.group(1):
            parts.append(values[match.group(1)])
            index = match.end()
        elif match:
            parts.append(values[match.group(2)])
            index = _regex_group(route, index)[1]
        else:
            parts.append(route[index])
            index += 1
    # The regex syntax left in the project's routes: anchors and optional trailing slashes.
    # Whatever else a route uses, test_every_route_is_reachable_by_the_walk finds out: the URL
    # it renders must resolve to that very route.
    return "/" + "".join(parts).replace("^", "").replace("$", "").replace("/?", "/")


def _admin_model(route: str) -> type[models.Model] | None:
    """admin/requests_app/privacyrequest/<path:object_id>/change/ → PrivacyRequest."""
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    if not match:
        return None
    for model in admin.site._registry:
        if (model._meta.app_label, model._meta.model_name) == match.group(1, 2):
            return model
    return None


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def object_for_argument(
    name: str, objects: dict[type[models.Model], models.Model], app_label: str | None = None
) -> Any:
    """The object an argument named ``<thing>_id`` points at: of the one model whose name, in
    snake case, is or ends in ``<thing>`` (``message_id`` → OutboxMessage, ``document_id`` →
    RequestDocument, ``request_id`` → PrivacyRequest); of several, the one of ``app_label``
    (the app whose admin page the route is). None when no model, or several, fit."""
    if not name.endswith("_id"):
        return None
    thing = name.removesuffix("_id")
    fits = [
        (model, obj)
        for model, obj in objects.items()
        if _snake(model.__name__) == thing or _snake(model.__name__).endswith(f"_{thing}")
    ]
    if len(fits) > 1 and app_label is not None:
        fits = [(model, obj) for model, obj in fits if model._meta.app_label == app_label]
    return fits[0][1] if len(fits) == 1 else None


def _values(route: str, name: str, world: World) -> list[str] | None:
    """The values of URL argument ``name`` aimed at A's objects; None if the walk can't tell."""
    admin_model = _admin_model(route)
    if name in ("object_id", "id", "pk") and admin_model is not None:
        # The object of the admin's own model (its change, history, delete, action pages, and
        # the documents of A's request under it).
        target = world.objects.get(admin_model._meta.concrete_model)
        return [str(target.pk)] if target is not None else None
    if name == "tenant_slug":
        return [world.b.tenant.slug]  # B's own portal, asked about A's objects
    if name == "reference":
        return [world.privacy_request.reference]
    if name == "year":
        return [str(world.objects[PublishedMetrics].year)]  # the year A published
    if name == "program_slug":
        return [world.objects[IncentiveProgram].slug]  # A's financial incentive program
    if name == "public_id":
        return [world.objects[ResponsePackage].public_id]  # A's released package (§7024(f))
    if name == "number":
        return [str(world.objects[NoticeVersion].number)]  # the policy version A published
    if name == "app_label":
        return _alternatives(route, name)
    if name == "url":
        # The admin's catch-all (adds the slash and redirects): towards A's request's page.
        opts = PrivacyRequest._meta
        return [f"{opts.app_label}/{opts.model_name}/{world.privacy_request.pk}/change"]
    target = object_for_argument(
        name, world.objects, admin_model._meta.app_label if admin_model is not None else None
    )
    return [str(target.pk)] if target is not None else None


def _urls(route: str, world: World) -> list[str] | None:
    """``route`` filled in with A's objects (several URLs when it takes several kinds of
    object); None if the walk cannot fill one of its arguments."""
    names = _arguments(route)
    if "content_type_id" in names:
        # The admin's "view on site" (/admin/r/<content type>/<object>/): each of A's objects.
        return [
            _render(
                route,
                {
                    "content_type_id": str(ContentType.objects.get_for_model(type(obj)).pk),
                    "object_id": str(obj.pk),
                },
            )
            for obj in world.objects.values()
        ]
    options: dict[str, list[str]] = {}
    for name in names:
        values = _values(route, name, world)
        if not values:
            return None
        options[name] = values
    return [
        _render(route, dict(zip(options, combination, strict=True)))
        for combination in itertools.product(*options.values())
    ]


def _resolves_to(url: str, route: str) -> bool:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return False
    return match.route.replace("^", "") == route.replace("^", "")


def test_every_route_is_reachable_by_the_walk(world):
    unknown, astray = [], []
    for route, name in _routes():
        urls = _urls(route, world)
        if urls is None:
            unknown.append(
                (route, name, [n for n in _arguments(route) if not _values(route, n, world)])
            )
            continue
        astray += [(route, url) for url in urls if not _resolves_to(url, route)]
    assert unknown == [], (
        "The tenant-isolation walk cannot fill in these routes' arguments (route, name, "
        "arguments). Name the argument after the model it points at (<model>_id), or teach "
        f"_values() what it is, so the route is walked: {unknown}"
    )
    assert astray == [], f"These URLs do not reach the route they were made from: {astray}"


@pytest.mark.parametrize("who", ["admin", "api_key"])
def test_business_b_gets_nothing_of_business_a_anywhere(world, who):
    visitor = _visitor(world, who)
    before = snapshot(world.a.tenant)
    data = _post_data(world)
    sent = {str(value) for value in data.values()}
    visited = 0
    for route, name in _routes():
        urls = _urls(route, world)
        assert urls is not None, f"{route}: see test_every_route_is_reachable_by_the_walk"
        for url in urls:
            what = f"{url} ({name or 'unnamed'}) as B's {who}"
            response = visitor.visit("get", url)
            _assert_refused_or_clean(visitor, response, world, f"GET {what}")
            queries = (
                _autocomplete_queries()
                if name == "admin:autocomplete"
                else []
                if url.startswith("/admin/")
                else [_query(world)]
            )
            for query in queries:
                response = visitor.visit("get", f"{url}?{urlencode(query)}")
                _assert_refused_or_clean(
                    visitor, response, world, f"GET {what} with {query}", set(query.values())
                )
            response = visitor.visit("post", url, data)
            _assert_refused_or_clean(visitor, response, world, f"POST {what}", sent)
            visited += 1
    assert visited >= len(_routes())
    changes = snapshot_changes(before, snapshot(world.a.tenant))
    assert changes == [], f"B's visits changed business A's data: {changes}"


# --- The admin ---------------------------------------------------------------------------------

# Every admin of a tenant-owned model, and of the tenancy rows.
ADMIN_MODELS = [
    model
    for model in (*tenant_owned_models(), Tenant, Membership, ApiKey)
    if model in admin.site._registry
]


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda model: model.__name__)
def test_b_s_admin_changelists_list_b_s_rows_and_none_of_a_s(model, world):
    """B's changelist lists B's own row (so it is the real list) and none of A's, also when B
    searches for A's reference; A's object's page answers 404 like a missing one."""
    visitor = _visitor(world, "admin")
    opts = model._meta
    base = f"/admin/{opts.app_label}/{opts.model_name}/"
    mine, theirs = world.b_objects[model], world.objects[model]
    listing = visitor.visit("get", base)
    assert listing.status_code == 200, f"{model.__name__}'s changelist answered {listing}"
    assert f"{base}{mine.pk}/change/" in listing.content.decode(), "B's own row is not listed"
    reference = world.privacy_request.reference
    searched = visitor.visit("get", f"{base}?{urlencode({'q': reference})}")
    for response, sent in ((listing, set()), (searched, {reference})):  # the search box repeats q
        assert f"{base}{theirs.pk}/change/" not in response.content.decode()
        _assert_refused_or_clean(visitor, response, world, f"{model.__name__}'s changelist", sent)
    page = visitor.visit("get", f"{base}{theirs.pk}/change/")
    assert page.status_code == 404, f"A's {model.__name__} page answered {page}"


def _run_every_admin_action(client: Client, world: World, objects: dict) -> list[Any]:
    """Every changelist action of every admin, on the given business's object of its model."""
    responses = []
    for model, model_admin in admin.site._registry.items():
        target = objects.get(model._meta.concrete_model)
        if target is None:
            continue
        opts = model._meta
        for _, action, _ in model_admin._get_base_actions():
            response = client.post(
                f"/admin/{opts.app_label}/{opts.model_name}/",
                {**_post_data(world), "action": action, "_selected_action": [target.pk]},
            )
            responses.append((f"{action} on {model.__name__}", response))
    return responses


def test_b_s_admin_actions_do_nothing_to_a_s_objects(world):
    visitor = _visitor(world, "admin")
    before = snapshot(world.a.tenant)
    for what, response in _run_every_admin_action(visitor.client, world, world.objects):
        _assert_refused_or_clean(visitor, response, world, what, {world.privacy_request.reference})
    changes = snapshot_changes(before, snapshot(world.a.tenant))
    assert changes == [], f"B's admin actions changed business A's data: {changes}"
    # The same actions, by A's own admin, do act: the walk's data reaches the services.
    _run_every_admin_action(login(world.a.admin), world, world.objects)
    assert snapshot_changes(before, snapshot(world.a.tenant)), (
        "A's own admin changed nothing with these actions either: B's attempts proved nothing"
    )


def _has_page(view_on_site_url: str) -> bool:
    content_type_id = resolve(view_on_site_url).kwargs["content_type_id"]
    model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
    return hasattr(model, "get_absolute_url")


def test_a_s_own_admin_reaches_a_s_objects_at_the_walk_s_urls(world):
    """The URLs the walk fills in point at A's real objects: A's admin is not told they are
    missing (a walk aimed at nothing would prove nothing)."""
    client = Client(raise_request_exception=False)
    signed_in(client, world.a.admin)
    visitor = Visitor("A's admin", client, world.a.admin)
    missing = []
    for route, name in _routes():
        if not route.startswith("admin/") or set(_arguments(route)) <= {"app_label", "url"}:
            continue  # no object in the URL
        for url in _urls(route, world) or []:
            if name == "admin:view_on_site" and not _has_page(url):
                continue  # Django's "view on site" is a 404 for whoever asks
            status = visitor.visit("get", url).status_code
            if status == 404 or status >= 500:
                missing.append((name, url, status))
    assert missing == []


# --- Celery tasks --------------------------------------------------------------------------------


def _project_tasks() -> dict[str, Any]:
    celery_app.loader.import_default_modules()
    return {name: task for name, task in celery_app.tasks.items() if not name.startswith("celery.")}


TENANT_TASKS = sorted(
    name for name, task in _project_tasks().items() if isinstance(task, TenantTask)
)


def test_every_task_is_a_tenant_task_or_a_reviewed_cross_tenant_one():
    tasks = _project_tasks()
    unreviewed = sorted(
        name
        for name, task in tasks.items()
        if not isinstance(task, TenantTask) and name not in REVIEWED_CROSS_TENANT_TASKS
    )
    assert unreviewed == [], (
        f"Tasks {unreviewed} take no business: base them on tenants.tasks.TenantTask (the "
        "business's id first), or, if they must work across businesses, add them to "
        "REVIEWED_CROSS_TENANT_TASKS with the reason it is safe."
    )
    stale = sorted(
        name
        for name in REVIEWED_CROSS_TENANT_TASKS
        if name not in tasks or isinstance(tasks[name], TenantTask)
    )
    assert stale == [], f"no longer cross-tenant tasks; drop them from the reviewed list: {stale}"
    assert TENANT_TASKS, "no TenantTask at all: the task walk below would check nothing"


# Values for task arguments that name no object (a task's text, a count), by argument name.
TASK_ARGUMENTS: dict[str, Any] = {
    "attempt": 0,  # verification.webhook_match: the count of tries already made
}


def _task_arguments(name: str, world: World) -> list[Any]:
    """A's object ids for every argument after the business's (``message_id`` → A's message);
    arguments with a default keep it."""
    parameters = list(inspect.signature(celery_app.tasks[name].run).parameters.values())
    assert parameters, f"{name} is a TenantTask: its body takes the tenant first"
    assert parameters[0].name == "tenant", (
        f"{name} is a TenantTask: its body takes the tenant first"
    )
    arguments = []
    for parameter in parameters[1:]:
        if parameter.default is not inspect.Parameter.empty:
            continue
        if parameter.name in TASK_ARGUMENTS:
            arguments.append(TASK_ARGUMENTS[parameter.name])
            continue
        target = object_for_argument(parameter.name, world.objects)
        assert target is not None, (
            f"{name}: the walk cannot tell which of A's objects `{parameter.name}` is. Name it "
            "after its model (<model>_id), or, if it names no object, give it a value in "
            "TASK_ARGUMENTS"
        )
        arguments.append(target.pk)
    return arguments


@pytest.mark.parametrize("name", TENANT_TASKS)
def test_a_tenant_task_run_for_b_on_a_s_objects_changes_nothing(name, world, mailoutbox):
    task = celery_app.tasks[name]
    arguments = _task_arguments(name, world)
    before = snapshot(world.a.tenant)

    task(world.b.tenant.pk, *arguments)  # the task's own __call__, as a worker runs it

    changes = snapshot_changes(before, snapshot(world.a.tenant))
    assert changes == [], f"{name} run for B changed business A's data: {changes}"
    assert mailoutbox == [], f"{name} run for B sent {len(mailoutbox)} email(s)"
    message = OutboxMessage.objects.for_tenant(world.a.tenant).get(
        pk=world.objects[OutboxMessage].pk
    )
    assert (message.status, message.sent_at) == (OutboxStatus.PENDING, None)

    # Run for A itself, the same call does act on A's objects: the walk aimed at real ones.
    task(world.a.tenant.pk, *arguments)
    assert snapshot_changes(before, snapshot(world.a.tenant)) or mailoutbox, (
        f"{name} run for A changed nothing of A's either, so B's run proved nothing: give it "
        "objects it acts on (the builders in tests/factories.py)"
    )
