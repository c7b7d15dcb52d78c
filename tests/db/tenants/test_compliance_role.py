"""The compliance role is its own role (issue 14 item 5): compliance officers read the queue and
every record, and act on nothing unless they also hold the staff role ("compliance_staff").

The actions are found, not listed: like the tenant-isolation walk (whose business with one object
of every tenant-owned model, and whose URL filling, are reused), every admin URL of a model admin
is POSTed by a staff member with the staff forms' data, each in a transaction rolled back after;
those that changed anything of the business are the staff's actions. The action pages every
request offers (``QUEUE_ACTIONS``, the verification and opt-out pages, logging a request) are
added by name, so an action the business's objects do not reach today is still tried. Compliance
is refused each of them (403, with the reason) and changes nothing; compliance-and-staff, staff
and admins act.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import resolve, reverse

from optout.models import ConsentState
from requests_app.admin import QUEUE_ACTIONS
from requests_app.models import PrivacyRequest, Status
from requests_app.services import status_links
from tenants.admin_base import TenantScopedModelAdmin
from tenants.api_auth import operation_acts
from tenants.models import Membership, Role, Tenant
from tenants.services import staff_create
from tests.db.test_tenant_isolation import (
    World,
    _admin_model,
    _business,
    _post_data,
    _routes,
    _run_every_admin_action,
    _urls,
)
from tests.helpers import PASSWORD, login, snapshot, snapshot_changes
from verification.models import Verification

pytestmark = pytest.mark.django_db

REFUSAL = (
    "Your role (compliance) reads requests but does not act on them. Ask an admin for the "
    "compliance-and-staff role if you need both."
)
REQUESTS_API = "/api/v1/requests/"


@pytest.fixture
def world(tenant_a, settings, tmp_path, monkeypatch) -> World:
    """Business A with one object of every tenant-owned model (the isolation walk's builders)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PORTAL_RATE_LIMIT_PREFIX = f"compliance-role-{uuid.uuid4().hex}"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(status_links, "STATUS_LOOKUP_SECONDS", 0)
    a, objects = _business(tenant_a, "acme-only", "Zebediah Acmeperson")
    return World(a=a, b=a, objects=objects, b_objects=objects, markers=[])


def member(tenant: Tenant, role: str) -> Client:
    user, _ = staff_create(tenant=tenant, username=f"{role}-member", role=role, password=PASSWORD)
    return login(user)


def post_data(world: World) -> dict[str, Any]:
    """The isolation walk's staff form data, plus what the verification and opt-out decisions
    ask for, so a staff member's POST reaches the service."""
    return {
        **_post_data(world),
        "decision": "apply",
        "evidence": "utility bill at the household's address",
        "notes": "call with the parent",
    }


# --- The admin's action URLs -------------------------------------------------------------------


def model_admin_urls(world: World) -> list[str]:
    """Every URL of a tenant-scoped model admin, filled in with the business's objects."""
    urls = []
    for route, _name in _routes():
        model = _admin_model(route)
        if model is None or not isinstance(admin.site._registry[model], TenantScopedModelAdmin):
            continue
        urls += _urls(route, world) or []
    return urls


def named_action_urls(world: World) -> list[str]:
    """The action pages, by name: each must refuse compliance whatever the object's state."""
    privacy_request = world.privacy_request
    verification = world.objects[Verification]
    verification_urls = [
        reverse("admin:verification_verification_retry_matcher", args=[verification.pk]),
        reverse("admin:verification_verification_accept_permission", args=[verification.pk]),
    ]
    for model, name in (
        ("HouseholdMember", "admin:verification_verification_confirm_household"),
        ("ParentalCheck", "admin:verification_verification_parental_check"),
    ):
        [obj] = [o for m, o in world.objects.items() if m.__name__ == model]
        verification_urls.append(reverse(name, args=[obj.pk]))
    return [
        *(
            reverse(f"admin:requests_app_privacyrequest_{slug}", args=[privacy_request.pk])
            for slug in QUEUE_ACTIONS
        ),
        reverse("admin:requests_app_privacyrequest_add"),
        reverse("admin:optout_consentstate_log"),
        reverse("admin:optout_consentstate_agent", args=[privacy_request.pk]),
        reverse("admin:optout_recipientnotification_add"),
        *verification_urls,
    ]


# Opening a document is reading it: the opening is recorded on the timeline by design
# (§7023(d)(1)), and the roles that may read it (compliance among them, §7023(d)(3)) may open it.
DOWNLOADS = ("/documents/",)


def is_download(url: str) -> bool:
    return any(part in url for part in DOWNLOADS)


def changed_by_posting(client: Client, world: World, urls: list[str]) -> set[str]:
    """The URLs whose POST changed anything of the business, each tried alone (rolled back)."""
    changed = set()
    data = post_data(world)
    for url in urls:
        with transaction.atomic():
            before = snapshot(world.a.tenant)
            client.post(url, data)
            if snapshot_changes(before, snapshot(world.a.tenant)):
                changed.add(url)
            transaction.set_rollback(True)
    return changed


def body(response: Any) -> str:
    return response.content.decode()


def test_staff_actions_found_by_the_walk_are_refused_to_compliance_and_change_nothing(world):
    """Every admin URL whose POST changes the business for a staff member or an admin answers
    compliance 403, and nothing of the business changes however compliance posts."""
    tenant = world.a.tenant
    urls = [url for url in model_admin_urls(world) if not is_download(url)]
    staff_actions = changed_by_posting(member(tenant, Role.STAFF), world, urls)
    admin_actions = changed_by_posting(login(world.a.admin), world, urls)
    # The walk is real: staff act through it on the request (extend, close, ...).
    privacy_request = world.privacy_request
    for slug in ("extend", "assign"):
        assert reverse(f"admin:requests_app_privacyrequest_{slug}", args=[privacy_request.pk]) in (
            staff_actions
        )
    assert staff_actions <= admin_actions  # admins can do everything staff can

    compliance = member(tenant, Role.COMPLIANCE)
    before = snapshot(tenant)
    data = post_data(world)
    for url in sorted(admin_actions | set(named_action_urls(world))):
        response = compliance.post(url, data)
        assert response.status_code == 403, f"POST {url} answered {response.status_code}"
        if url in staff_actions or url in named_action_urls(world):
            assert REFUSAL in body(response), url
    for url in urls:  # every other page of the queue's admins, posted to as well
        compliance.post(url, data)
    assert snapshot_changes(before, snapshot(tenant)) == []


def test_the_named_action_pages_refuse_compliance_on_get_too(world):
    compliance = member(world.a.tenant, Role.COMPLIANCE)
    for url in named_action_urls(world):
        response = compliance.get(url)
        assert response.status_code == 403, f"GET {url} answered {response.status_code}"
        assert REFUSAL in body(response), url


def test_compliance_staff_can_do_what_staff_can(world):
    tenant = world.a.tenant
    urls = [url for url in model_admin_urls(world) if not is_download(url)]
    staff_actions = changed_by_posting(member(tenant, Role.STAFF), world, urls)
    both = changed_by_posting(member(tenant, Role.COMPLIANCE_STAFF), world, urls)
    assert staff_actions
    assert both == staff_actions


def test_every_changelist_action_is_refused_to_compliance_and_changes_nothing(world):
    """Every changelist action of every admin, posted by compliance: those of the admins that
    read the queue answer 403 with the reason; none changes anything."""
    tenant = world.a.tenant
    queue_models = {
        model.__name__
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, TenantScopedModelAdmin) and model_admin.ability == "queue"
    }
    compliance = member(tenant, Role.COMPLIANCE)
    before = snapshot(tenant)
    responses = _run_every_admin_action(compliance, world, world.objects)
    refused = 0
    for what, response in responses:
        if what.rsplit(" on ", 1)[1] in queue_models:
            assert response.status_code == 403, f"{what} answered {response.status_code}"
            assert REFUSAL in body(response), what
            refused += 1
    assert refused >= len(QUEUE_ACTIONS)
    assert snapshot_changes(before, snapshot(tenant)) == []


@pytest.mark.parametrize("role", [Role.STAFF, Role.COMPLIANCE_STAFF, Role.ADMIN])
def test_the_changelist_actions_act_for_roles_that_act(world, role):
    tenant = world.a.tenant
    client = login(world.a.admin) if role == Role.ADMIN else member(tenant, role)
    before = snapshot(tenant)
    _run_every_admin_action(client, world, world.objects)
    assert any(
        "requests_app.PrivacyRequest" in change or "requests_app.RequestEvent" in change
        for change in snapshot_changes(before, snapshot(tenant))
    )


# --- What compliance reads -----------------------------------------------------------------------


def test_compliance_reads_the_queue_without_the_action_menu(world):
    privacy_request = world.privacy_request
    queue = reverse("admin:requests_app_privacyrequest_changelist")
    page = member(world.a.tenant, Role.COMPLIANCE).get(queue)
    assert page.status_code == 200
    assert privacy_request.reference in body(page)
    assert 'name="action"' not in body(page)  # no bulk actions
    assert "Log a request" not in body(page)
    assert "Look up a consumer&#x27;s consent" in body(page)  # a reading tool stays
    staff_page = member(world.a.tenant, Role.STAFF).get(queue)
    assert 'name="action"' in body(staff_page)
    assert "Log a request" in body(staff_page)


def test_compliance_reads_a_request_s_record_without_action_buttons(world):
    privacy_request = world.privacy_request
    url = reverse("admin:requests_app_privacyrequest_change", args=[privacy_request.pk])
    action_urls = [
        reverse(f"admin:requests_app_privacyrequest_{slug}", args=[privacy_request.pk])
        for slug in QUEUE_ACTIONS
    ]
    page = member(world.a.tenant, Role.COMPLIANCE).get(url)
    assert page.status_code == 200
    content = body(page)
    assert privacy_request.reference in content
    assert world.a.consumer_name in content
    assert "timeline" in content.lower()
    assert not [action for action in action_urls if action in content]
    assert 'name="_save"' not in content
    staff = body(member(world.a.tenant, Role.STAFF).get(url))
    assert [action for action in action_urls if action in staff], "staff see the buttons"


def test_compliance_reads_every_queue_admin_s_list_and_pages(world):
    """Every admin the queue reads (ability "queue"): its list and the business's object's page
    answer compliance 200, read-only (no save button)."""
    compliance = member(world.a.tenant, Role.COMPLIANCE)
    read = 0
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, TenantScopedModelAdmin) or model_admin.ability != "queue":
            continue
        obj = world.objects.get(model._meta.concrete_model)
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        listing = compliance.get(base)
        assert listing.status_code == 200, f"{model.__name__}'s list answered {listing}"
        if obj is None:
            continue
        assert f"{base}{obj.pk}/change/" in body(listing), f"{model.__name__}: row not listed"
        page = compliance.get(f"{base}{obj.pk}/change/")
        assert page.status_code == 200, f"{model.__name__}'s page answered {page}"
        assert 'name="_save"' not in body(page), f"{model.__name__}'s page is not read-only"
        read += 1
    assert read >= 5


def test_compliance_reads_the_verification_record_without_its_buttons(world):
    """The household member waiting for confirmation (§7031(a)(3)): staff get the button to
    confirm it on the request's verification record, compliance reads the record without it."""
    [household_member] = [o for m, o in world.objects.items() if m.__name__ == "HouseholdMember"]
    assert household_member.membership_confirmed_at is None
    verification = Verification.objects.for_tenant(world.a.tenant).get(
        privacy_request=household_member.privacy_request
    )
    confirm = reverse(
        "admin:verification_verification_confirm_household", args=[household_member.pk]
    )
    pages = [
        reverse("admin:verification_verification_change", args=[verification.pk]),
        reverse("admin:requests_app_privacyrequest_change", args=[verification.privacy_request_id]),
    ]
    compliance = member(world.a.tenant, Role.COMPLIANCE)
    staff = member(world.a.tenant, Role.STAFF)
    for url in pages:
        page = compliance.get(url)
        assert page.status_code == 200
        content = body(page)
        assert "Household membership (§7031(a)(3))" in content
        assert "not confirmed a current member yet" in content
        assert confirm not in content
        assert confirm in body(staff.get(url)), "staff get the button"


def test_compliance_reads_consent_states(world):
    consent = world.objects[ConsentState]
    compliance = member(world.a.tenant, Role.COMPLIANCE)
    listing = compliance.get(reverse("admin:optout_consentstate_changelist"))
    assert listing.status_code == 200
    assert reverse("admin:optout_consentstate_change", args=[consent.pk]) in body(listing)
    page = compliance.get(reverse("admin:optout_consentstate_change", args=[consent.pk]))
    assert page.status_code == 200
    assert "Sale and sharing" in body(page)
    assert "history of changes" in body(page).lower()
    assert 'name="_save"' not in body(page)


# --- The API with a staff session ---------------------------------------------------------------


def api_post(client: Client, path: str, payload: dict[str, Any]) -> Any:
    return client.post(path, data=json.dumps(payload), content_type="application/json")


NEW_REQUEST = {
    "type": "know",
    "know_scope": "categories",
    "requester": {"name": "Casey Consumer", "email": "casey@example.com"},
}


def test_the_api_with_a_compliance_session_reads_but_does_not_write(world):
    tenant = world.a.tenant
    privacy_request = world.privacy_request
    compliance = member(tenant, Role.COMPLIANCE)
    listed = compliance.get(REQUESTS_API)
    assert listed.status_code == 200
    assert privacy_request.reference in body(listed)
    detail = compliance.get(f"{REQUESTS_API}{privacy_request.reference}")
    assert detail.status_code == 200
    before = snapshot(tenant)
    for path, payload in (
        (REQUESTS_API, NEW_REQUEST),
        (f"{REQUESTS_API}{privacy_request.reference}/extend", {"reason": "complex request"}),
        (f"{REQUESTS_API}{privacy_request.reference}/close", {"outcome": "complied"}),
        (f"{REQUESTS_API}{privacy_request.reference}/assign", {"assignee": None}),
        (f"{REQUESTS_API}{privacy_request.reference}/start", {}),
    ):
        response = api_post(compliance, path, payload)
        assert response.status_code == 403, path
        assert REFUSAL in json.dumps(response.json()), path
    assert snapshot_changes(before, snapshot(tenant)) == []


def test_every_api_operation_that_writes_refuses_a_compliance_session(world):
    """Every API route, filled in with the business's objects: each method whose operation
    writes (tenants.api_auth.operation_acts) answers compliance 403 with the reason."""
    tenant = world.a.tenant
    compliance = member(tenant, Role.COMPLIANCE)
    before = snapshot(tenant)
    writes = 0
    for route, _name in _routes():
        if not route.startswith("api/"):
            continue
        for url in _urls(route, world) or []:
            view_class = getattr(resolve(url).func, "view_class", None)
            if view_class is None:
                continue
            for method in ("post", "put", "patch", "delete"):
                if not hasattr(view_class, method) or not operation_acts(view_class, method):
                    continue
                response = getattr(compliance, method)(url, {}, content_type="application/json")
                assert response.status_code == 403, f"{method.upper()} {url}: {response}"
                assert REFUSAL in json.dumps(response.json()), url
                writes += 1
    assert writes >= 8  # create, extend, close, verify, start, assign, confirmation, minors...
    assert snapshot_changes(before, snapshot(tenant)) == []


@pytest.mark.parametrize("role", [Role.STAFF, Role.COMPLIANCE_STAFF])
def test_the_api_with_an_acting_session_writes(world, role):
    response = api_post(member(world.a.tenant, role), REQUESTS_API, NEW_REQUEST)
    assert response.status_code == 201, response.content[:300]
    created = PrivacyRequest.objects.for_tenant(world.a.tenant).get(
        reference=response.json()["reference"]
    )
    assert created.status != Status.CLOSED


# --- Giving the role ---------------------------------------------------------------------------


def test_an_admin_gives_the_compliance_and_staff_role(world):
    response = login(world.a.admin).post(
        reverse("admin:tenants_membership_add"),
        {"username": "officer", "email": "officer@acme.example", "role": Role.COMPLIANCE_STAFF},
    )
    assert response.status_code == 302, body(response)[:500]
    membership = Membership.objects.get(user__username="officer")
    assert (membership.tenant, membership.role) == (world.a.tenant, Role.COMPLIANCE_STAFF)


def test_create_staff_gives_the_compliance_and_staff_role(tenant_a, capsys):
    call_command("create_staff", tenant_a.slug, "officer", "--role", "compliance_staff")
    assert "officer is compliance_staff" in capsys.readouterr().out
    membership = Membership.objects.get(user__username="officer")
    assert membership.role == Role.COMPLIANCE_STAFF
