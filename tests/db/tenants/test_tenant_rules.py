"""Tenant settings follow §7020; the scoping path refuses to answer without a tenant."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from requests_app.models import PrivacyRequest, RequestEvent
from tenants.models import ApiKey, Tenant, TenantScopeError, hash_api_key
from tenants.selectors import api_key_lookup
from tenants.services import api_key_create, api_key_revoke, tenant_create
from tests.factories import make_request

pytestmark = pytest.mark.django_db

BASE = {"contact_email": "privacy@x.example"}


def _create(**settings):
    return tenant_create(slug="shop", legal_name="Shop Co", **(BASE | settings))


def test_a_business_that_is_not_online_only_needs_a_toll_free_number_7020b():
    with pytest.raises(ValidationError) as refused:
        _create(request_methods=["webform", "email"])
    assert "§7020(b)" in str(refused.value)


def test_one_method_alone_is_refused_unless_online_only_7020b():
    with pytest.raises(ValidationError):
        _create(request_methods=["toll_free_phone"], toll_free_number="+18885550100")


def test_a_local_number_is_not_accepted_as_toll_free_r_7020_b_3():
    with pytest.raises(ValidationError) as refused:
        _create(request_methods=["webform", "toll_free_phone"], toll_free_number="+14155550100")
    assert "not a toll-free number" in str(refused.value)


@pytest.mark.parametrize("area_code", ["800", "833", "844", "855", "866", "877", "888"])
def test_every_toll_free_area_code_is_accepted_r_7020_b_3(area_code):
    tenant = _create(
        request_methods=["webform", "toll_free_phone"], toll_free_number=f"+1{area_code}5550100"
    )
    assert tenant.pk


def test_an_online_only_business_may_offer_only_email_7020a():
    tenant = _create(online_only=True, request_methods=["email"])
    assert tenant.request_methods == ["email"]


def test_a_business_with_a_website_must_offer_the_webform_r_7020_b_2():
    with pytest.raises(ValidationError) as refused:
        _create(
            website_url="https://shop.example",
            request_methods=["email", "toll_free_phone"],
            toll_free_number="+18885550100",
        )
    assert "online form" in str(refused.value)


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ValidationError):
        _create(
            time_zone="Mars/Olympus",
            request_methods=["webform", "toll_free_phone"],
            toll_free_number="+18885550100",
        )


def test_create_tenant_command_explains_a_refusal():
    with pytest.raises(CommandError, match="toll-free"):
        call_command("create_tenant", "shop", "--name", "Shop Co", "--toll-free", "+1 415 555 0100")


def test_create_tenant_command_takes_the_postal_address_mail_needs_7020():
    methods = ["--methods", "webform,toll_free_phone,mail", "--toll-free", "+1 888 555 0100"]
    with pytest.raises(CommandError, match="postal_address"):
        call_command("create_tenant", "shop", "--name", "Shop Co", *methods)
    address = "Shop Co, 1 Main Street, Fresno, CA 93721"
    call_command(
        "create_tenant", "shop", "--name", "Shop Co", *methods, "--postal-address", address,
        stdout=StringIO(),
    )  # fmt: skip
    assert Tenant.objects.get(slug="shop").postal_address == address


def test_unscoped_queries_of_tenant_data_raise():
    with pytest.raises(TenantScopeError):
        PrivacyRequest.objects.all()
    with pytest.raises(TenantScopeError):
        RequestEvent.objects.filter(kind="created")
    with pytest.raises(TenantScopeError):
        PrivacyRequest.objects.for_tenant(None)


def test_for_tenant_returns_only_that_business_rows(tenant_a, tenant_b):
    mine = make_request(tenant_a)
    make_request(tenant_b)
    assert list(PrivacyRequest.objects.for_tenant(tenant_a)) == [mine]


def test_a_row_cannot_point_at_another_business_row(tenant_a, tenant_b):
    other = make_request(tenant_b)
    event = RequestEvent(
        tenant=tenant_a,
        privacy_request=other,
        kind="note",
        at=other.received_at,
        actor_label="x",
        message="x",
    )
    with pytest.raises(ValidationError, match="another business"):
        event.full_clean()


def test_api_keys_are_stored_only_as_hashes_and_can_be_revoked(tenant_a):
    api_key, raw = api_key_create(tenant=tenant_a)
    assert raw not in {api_key.key_hash, api_key.hint}
    assert ApiKey.objects.get(pk=api_key.pk).key_hash == hash_api_key(raw)
    assert api_key_lookup(raw).tenant == tenant_a
    api_key_revoke(api_key=api_key)
    assert api_key_lookup(raw) is None
