"""Business settings, staff, API keys and the business switcher in the admin (tenants/admin.py)."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.messages import SUCCESS, WARNING, get_messages
from django.test import Client
from django.urls import reverse

from requests_app.models import PrivacyRequest
from tenants.admin_base import TenantScopedModelAdmin
from tenants.context import SESSION_KEY
from tenants.models import ApiKey, Membership, Role, Tenant, hash_api_key
from tenants.selectors import api_key_lookup
from tenants.services import api_key_create, staff_create
from tests.factories import make_request
from tests.helpers import login

QUEUE = reverse("admin:requests_app_privacyrequest_changelist")
SWITCH = reverse("admin:switch_business")


def text(response) -> str:
    return html.unescape(response.content.decode())


def messages_of(response) -> list[tuple[int, str]]:
    return [(message.level, message.message) for message in get_messages(response.wsgi_request)]


def tenant_url(tenant: Tenant) -> str:
    return reverse("admin:tenants_tenant_change", args=[tenant.pk])


def tenant_form(tenant: Tenant, **overrides) -> dict:
    data = {
        "legal_name": tenant.legal_name,
        "reference_prefix": tenant.reference_prefix,
        "contact_email": tenant.contact_email,
        "toll_free_number": str(tenant.toll_free_number),
        "website_url": tenant.website_url,
        "request_methods": tenant.request_methods,
        "languages": tenant.languages,
        "verification_description": tenant.verification_description,
        "know_limit_policy": tenant.know_limit_policy,
        "postal_address": tenant.postal_address,
        "sells_or_shares": "on" if tenant.sells_or_shares else "",
        "time_zone": tenant.time_zone,
        "business_calendar": tenant.business_calendar,
        "delete_confirmation_days": tenant.delete_confirmation_days,
        "opt_out_identifier": tenant.opt_out_identifier,
        "package_download_days": tenant.package_download_days,
        "package_download_limit": tenant.package_download_limit,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value != ""}


# --- Who may use the admin ------------------------------------------------------------------


def test_active_staff_user_without_membership_is_sent_to_login(db):
    user = get_user_model().objects.create_user("drifter", password="x", is_staff=True)

    response = login(user).get(reverse("admin:index"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_member_sees_the_current_business_and_a_switch_link(tenant_a, staff_a):
    response = login(staff_a).get(reverse("admin:index"))

    assert response.status_code == 200
    content = text(response)
    assert "Business: ACME Corp." in " ".join(re.sub(r"<[^>]+>", "", content).split())
    assert SWITCH in content


def test_anonymous_visitor_is_sent_to_login(db):
    response = Client().get(QUEUE)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# --- The business switcher --------------------------------------------------------------------


@pytest.fixture
def staff_in_two(tenant_a, tenant_b, staff_a):
    staff_create(tenant=tenant_b, username="staff_a", role=Role.STAFF)
    return staff_a


def test_member_of_two_businesses_sees_nothing_until_choosing_one(tenant_a, tenant_b, staff_in_two):
    make_request(tenant_a)
    client = login(staff_in_two)

    index = client.get(reverse("admin:index"))
    queue = client.get(QUEUE)

    assert "none chosen" in text(index)
    assert "Choose the business you are working for" in text(index)
    assert queue.status_code == 403


def test_switching_business_shows_that_business_queue(tenant_a, tenant_b, staff_in_two):
    mine_at_b = make_request(tenant_b)
    make_request(tenant_a)
    client = login(staff_in_two)

    listing = client.get(SWITCH)
    switched = client.post(SWITCH, {"tenant": tenant_b.pk, "next": QUEUE})
    queue = client.get(QUEUE)

    assert [t.legal_name for t in listing.context["tenants"]] == ["ACME Corp.", "Bravo LLC"]
    assert switched.status_code == 302
    assert switched.url == QUEUE
    assert client.session[SESSION_KEY] == tenant_b.pk
    assert [pr.reference for pr in queue.context["cl"].result_list] == [mine_at_b.reference]
    assert (SUCCESS, "You are now working for Bravo LLC.") in messages_of(switched)


def test_switching_to_a_business_one_is_not_a_member_of_is_404(tenant_a, tenant_b, staff_a):
    client = login(staff_a)

    response = client.post(SWITCH, {"tenant": tenant_b.pk})

    assert response.status_code == 404
    assert SESSION_KEY not in client.session


def test_switch_ignores_an_offsite_next_address(tenant_a, tenant_b, staff_in_two):
    response = login(staff_in_two).post(
        SWITCH, {"tenant": tenant_a.pk, "next": "https://evil.example/"}
    )

    assert response.url == reverse("admin:index")


def test_losing_membership_forgets_the_chosen_business(tenant_a, tenant_b, staff_in_two):
    client = login(staff_in_two)
    client.post(SWITCH, {"tenant": tenant_b.pk})
    Membership.objects.filter(user=staff_in_two, tenant=tenant_b).delete()
    make_request(tenant_b)

    response = client.get(QUEUE)

    # Back to the one remaining business, never to the one they lost.
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


# --- Platform superusers ----------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw")


def test_superuser_without_a_business_sees_all_requests_read_only(tenant_a, tenant_b, superuser):
    first, second = make_request(tenant_a), make_request(tenant_b)
    client = login(superuser)

    queue = client.get(QUEUE)
    add = client.get(reverse("admin:requests_app_privacyrequest_add"))
    act = client.get(reverse("admin:requests_app_privacyrequest_extend", args=[first.pk]))

    assert {pr.reference for pr in queue.context["cl"].result_list} == {
        first.reference,
        second.reference,
    }
    assert add.status_code == 403
    assert act.status_code == 403


def test_superuser_who_chose_a_business_sees_and_acts_in_that_business(
    tenant_a, tenant_b, superuser
):
    first = make_request(tenant_a)
    make_request(tenant_b)
    client = login(superuser)
    client.post(SWITCH, {"tenant": tenant_a.pk})

    queue = client.get(QUEUE)

    assert [pr.reference for pr in queue.context["cl"].result_list] == [first.reference]
    assert client.get(reverse("admin:requests_app_privacyrequest_add")).status_code == 200


def test_superuser_sees_every_business_settings(tenant_a, tenant_b, superuser):
    response = login(superuser).get(reverse("admin:tenants_tenant_changelist"))

    assert {t.slug for t in response.context["cl"].result_list} == {"acme", "bravo"}


# --- Business settings -----------------------------------------------------------------------


def test_staff_role_cannot_see_business_settings_or_api_keys(tenant_a, staff_a):
    api_key, _ = api_key_create(tenant=tenant_a)
    client = login(staff_a)

    assert client.get(reverse("admin:tenants_tenant_changelist")).status_code == 403
    assert client.get(tenant_url(tenant_a)).status_code == 403
    assert client.get(reverse("admin:tenants_apikey_changelist")).status_code == 403
    assert client.get(reverse("admin:tenants_apikey_change", args=[api_key.pk])).status_code == 403
    assert client.get(reverse("admin:tenants_membership_changelist")).status_code == 403
    index = text(client.get(reverse("admin:index")))
    assert "API keys" not in index
    assert "Privacy requests" in index


def test_compliance_role_cannot_change_business_settings(tenant_a, compliance_a):
    assert login(compliance_a).get(tenant_url(tenant_a)).status_code == 403


def test_business_admin_sees_only_their_own_business_settings(tenant_a, tenant_b, admin_a):
    client = login(admin_a)

    listing = client.get(reverse("admin:tenants_tenant_changelist"))
    own = client.get(tenant_url(tenant_a))
    other = client.get(tenant_url(tenant_b))

    assert [t.slug for t in listing.context["cl"].result_list] == ["acme"]
    assert own.status_code == 200
    assert "Cesar Chavez Day" in text(own)  # the holiday list in use is visible (R-BD-3)
    assert other.status_code == 404


def test_business_admin_changes_their_settings(tenant_a, admin_a):
    response = login(admin_a).post(
        tenant_url(tenant_a), tenant_form(tenant_a, legal_name="ACME Corporation")
    )

    assert response.status_code == 302
    assert Tenant.objects.get(pk=tenant_a.pk).legal_name == "ACME Corporation"


def test_business_admin_cannot_change_the_portal_address(tenant_a, admin_a):
    login(admin_a).post(tenant_url(tenant_a), tenant_form(tenant_a, slug="hijack"))

    assert Tenant.objects.get(pk=tenant_a.pk).slug == "acme"


def test_invalid_settings_show_the_error_at_the_field(tenant_a, admin_a):
    response = login(admin_a).post(
        tenant_url(tenant_a),
        tenant_form(tenant_a, toll_free_number="+14155550123", time_zone="Mars/Olympus"),
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "This is not a toll-free number" in form.errors["toll_free_number"][0]
    assert "is not a time zone name" in form.errors["time_zone"][0]
    assert Tenant.objects.get(pk=tenant_a.pk).time_zone == "America/Los_Angeles"


def test_business_admin_cannot_add_or_delete_businesses(tenant_a, admin_a):
    client = login(admin_a)

    assert client.get(reverse("admin:tenants_tenant_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:tenants_tenant_delete", args=[tenant_a.pk]), {"post": "yes"}
        ).status_code
        == 403
    )


# --- Staff (memberships) ---------------------------------------------------------------------


def test_business_admin_lists_only_their_business_members(tenant_a, admin_a, staff_a, staff_b):
    response = login(admin_a).get(reverse("admin:tenants_membership_changelist"))

    assert {m.user.username for m in response.context["cl"].result_list} == {
        "admin_a",
        "staff_a",
    }


def test_business_admin_adds_a_new_staff_member_and_sees_the_password_once(tenant_a, admin_a):
    response = login(admin_a).post(
        reverse("admin:tenants_membership_add"),
        {"username": "newbie", "email": "newbie@acme.example", "role": Role.COMPLIANCE},
    )

    assert response.status_code == 302
    membership = Membership.objects.get(user__username="newbie")
    assert (membership.tenant, membership.role) == (tenant_a, Role.COMPLIANCE)
    assert membership.user.is_staff
    assert any(
        level == WARNING and "Their password, shown only now" in message
        for level, message in messages_of(response)
    )


def test_business_admin_cannot_pull_in_another_business_user(tenant_a, admin_a, staff_b):
    response = login(admin_a).post(
        reverse("admin:tenants_membership_add"), {"username": staff_b.username, "role": Role.ADMIN}
    )

    assert response.status_code == 200
    assert "This user name is taken" in response.content.decode()
    assert not Membership.objects.filter(user=staff_b, tenant=tenant_a).exists()


def test_business_admin_changes_a_member_role(tenant_a, admin_a, staff_a):
    membership = Membership.objects.get(user=staff_a, tenant=tenant_a)

    response = login(admin_a).post(
        reverse("admin:tenants_membership_change", args=[membership.pk]), {"role": Role.ADMIN}
    )

    assert response.status_code == 302
    assert Membership.objects.get(pk=membership.pk).role == Role.ADMIN


def test_other_business_membership_is_404(tenant_a, admin_b, staff_a):
    membership = Membership.objects.get(user=staff_a, tenant=tenant_a)

    response = login(admin_b).get(reverse("admin:tenants_membership_change", args=[membership.pk]))

    assert response.status_code == 404


def test_business_admin_cannot_remove_or_demote_their_own_membership(tenant_a, admin_a):
    own = Membership.objects.get(user=admin_a, tenant=tenant_a)
    client = login(admin_a)

    removed = client.post(reverse("admin:tenants_membership_delete", args=[own.pk]), {"post": "1"})
    demoted = client.post(
        reverse("admin:tenants_membership_change", args=[own.pk]), {"role": Role.STAFF}
    )

    assert removed.status_code == 403
    assert demoted.status_code == 403
    assert Membership.objects.get(pk=own.pk).role == Role.ADMIN


def test_business_admin_removes_a_staff_member(tenant_a, admin_a, staff_a):
    membership = Membership.objects.get(user=staff_a, tenant=tenant_a)

    response = login(admin_a).post(
        reverse("admin:tenants_membership_delete", args=[membership.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


# --- API keys --------------------------------------------------------------------------------


def test_creating_an_api_key_shows_the_raw_key_once_and_stores_its_hash(tenant_a, admin_a):
    response = login(admin_a).post(
        reverse("admin:tenants_apikey_add"),
        {"name": "CRM", "scopes": ["requests:read", "requests:write"]},  # as the form offers
    )

    assert response.status_code == 302
    api_key = ApiKey.objects.get(tenant=tenant_a, name="CRM")
    shown = [message for level, message in messages_of(response) if level == WARNING]
    assert len(shown) == 1
    raw_key = shown[0].split(": ", 1)[1].split(" ", 1)[0]
    assert raw_key.startswith("pp_")
    assert api_key.key_hash == hash_api_key(raw_key)
    assert api_key_lookup(raw_key) == api_key


def test_api_key_list_shows_hint_and_state_not_the_key(tenant_a, admin_a):
    api_key, raw_key = api_key_create(tenant=tenant_a, name="Warehouse")

    response = login(admin_a).get(reverse("admin:tenants_apikey_changelist"))

    content = text(response)
    assert f"{api_key.hint}…" in content
    assert "Active" in content
    assert raw_key not in content


def test_the_add_form_offers_the_scopes_with_requests_read_and_write_checked(tenant_a, admin_a):
    page = text(login(admin_a).get(reverse("admin:tenants_apikey_add")))

    boxes = dict(re.findall(r'<input type="checkbox" name="scopes" value="([^"]+)"([^>]*)>', page))
    assert set(boxes) == {
        "requests:read",
        "requests:write",
        "consent:read",
        "consent:write",
        "directory:write",
        "records:read",
        "systems:write",
    }
    assert [scope for scope, rest in boxes.items() if "checked" in rest] == [
        "requests:read",
        "requests:write",
    ]


def test_creating_an_api_key_with_chosen_scopes_makes_that_key(tenant_a, admin_a):
    response = login(admin_a).post(
        reverse("admin:tenants_apikey_add"), {"name": "Web servers", "scopes": ["consent:read"]}
    )

    assert response.status_code == 302
    api_key = ApiKey.objects.get(tenant=tenant_a, name="Web servers")
    assert api_key.scopes == ["consent:read"]
    shown = [message for level, message in messages_of(response) if level == WARNING]
    assert shown[0].endswith("Its scopes: consent:read.")


def test_an_api_key_without_any_scope_is_not_created(tenant_a, admin_a):
    response = login(admin_a).post(reverse("admin:tenants_apikey_add"), {"name": "Nothing"})

    assert response.status_code == 200
    assert "Choose at least one scope." in text(response)
    assert not ApiKey.objects.filter(tenant=tenant_a).exists()


def test_api_key_list_and_page_show_the_scopes(tenant_a, admin_a):
    api_key, _ = api_key_create(tenant=tenant_a, name="Web", scopes=["consent:read"])
    client = login(admin_a)

    listing = text(client.get(reverse("admin:tenants_apikey_changelist")))
    page = text(client.get(reverse("admin:tenants_apikey_change", args=[api_key.pk])))

    assert "consent:read" in listing
    assert "consent:read" in page


def test_revoke_action_revokes_the_key(tenant_a, admin_a):
    api_key, raw_key = api_key_create(tenant=tenant_a)

    response = login(admin_a).post(
        reverse("admin:tenants_apikey_changelist"),
        {"action": "revoke", "_selected_action": [api_key.pk], "index": 0},
    )

    assert response.status_code == 302
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at is not None
    assert api_key_lookup(raw_key) is None
    assert (SUCCESS, f"{api_key}: revoked.") in messages_of(response)


def test_revoke_cannot_reach_another_business_key(tenant_a, tenant_b, admin_a, admin_b):
    theirs, raw_key = api_key_create(tenant=tenant_b)

    login(admin_a).post(
        reverse("admin:tenants_apikey_changelist"),
        {"action": "revoke", "_selected_action": [theirs.pk], "index": 0},
    )
    page = login(admin_a).get(reverse("admin:tenants_apikey_change", args=[theirs.pk]))

    assert api_key_lookup(raw_key) == theirs
    assert page.status_code == 404


# --- The scoping base itself -----------------------------------------------------------------


def test_raw_id_fields_and_related_list_filters_fail_the_system_checks(db):
    class LeakyAdmin(TenantScopedModelAdmin):
        raw_id_fields = ("assignee",)
        list_filter = ("assignee", "status")

    # The checks Django runs at start-up (manage.py check) on every registered admin.
    errors = LeakyAdmin(PrivacyRequest, admin.site).check()

    assert {error.id for error in errors} == {"tenants.E001", "tenants.E002"}


def test_every_registered_tenant_owned_admin_is_scoped():
    from tenants.models import TenantOwnedModel

    for model, model_admin in admin.site._registry.items():
        if issubclass(model, TenantOwnedModel):
            assert isinstance(model_admin, TenantScopedModelAdmin), model.__name__


def test_an_admin_can_view_their_own_membership_but_not_change_it(tenant_a, admin_a):
    own = Membership.objects.get(user=admin_a, tenant=tenant_a)
    client = login(admin_a)
    page = client.get(reverse("admin:tenants_membership_change", args=[own.pk]))
    assert page.status_code == 200  # was a 500: the view-only form had fields=None
    client.post(reverse("admin:tenants_membership_change", args=[own.pk]), {"role": "staff"})
    assert Membership.objects.get(pk=own.pk).role == "admin"


def test_the_postal_address_is_edited_with_the_contact_details_and_request_methods(
    tenant_a, admin_a
):
    html = login(admin_a).get(tenant_url(tenant_a)).content.decode()
    contact = html[html.index("Contact and requests") : html.index("Practices")]
    assert 'name="postal_address"' in contact
