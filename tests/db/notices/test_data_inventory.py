"""The data inventory (issue 15 item 1): validation, the derived facts, and its admin."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notices.inventory import (
    inventory_category_save,
    inventory_for_display,
    sells_personal_information,
    shares_personal_information,
    uses_sensitive_beyond_7027m,
)
from notices.models import (
    ALREADY_LISTED,
    NO_PURPOSES,
    NO_RETENTION,
    NO_SOURCES,
    SENSITIVE_USE_NOT_SENSITIVE,
    SOLD_WITHOUT_THIRD_PARTIES,
    THIRD_PARTIES_WITHOUT_SALE,
    InventoryCategory,
)
from tenants.services import api_key_create
from tests.helpers import Api, error_of, login

CHANGELIST = "/admin/notices/inventorycategory/"
ADD = CHANGELIST + "add/"


def _entry(tenant, **overrides) -> InventoryCategory:
    fields = {
        "category": "A",
        "sources": ["Directly from you"],
        "purposes": ["Providing our services"],
        "retention": "Two years after your last purchase",
    }
    fields.update(overrides)
    return InventoryCategory(tenant=tenant, **fields)


def _save(tenant, **overrides) -> InventoryCategory:
    return inventory_category_save(inventory_category=_entry(tenant, **overrides))


def _refused(tenant, **overrides) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        _save(tenant, **overrides)
    return refused.value.message_dict


def _count(tenant) -> int:
    return InventoryCategory.objects.for_tenant(tenant).count()


# --- Validation --------------------------------------------------------------------------------


def test_a_sold_category_without_any_third_party_category_is_refused_7011_e_1_E(tenant_a):
    assert _refused(tenant_a, sold=True) == {"third_parties": [SOLD_WITHOUT_THIRD_PARTIES]}
    assert _refused(tenant_a, shared=True) == {"third_parties": [SOLD_WITHOUT_THIRD_PARTIES]}
    assert _count(tenant_a) == 0  # nothing half-saved


def test_third_parties_for_a_category_neither_sold_nor_shared_are_refused(tenant_a):
    errors = _refused(tenant_a, third_parties=["Data brokers"])
    assert errors == {"third_parties": [THIRD_PARTIES_WITHOUT_SALE]}
    assert _count(tenant_a) == 0


def test_sensitive_use_beyond_7027m_is_refused_for_a_category_that_is_not_sensitive(tenant_a):
    errors = _refused(tenant_a, category="F", sensitive_use_beyond_7027m=True)
    assert errors == {"sensitive_use_beyond_7027m": [SENSITIVE_USE_NOT_SENSITIVE]}
    saved = _save(tenant_a, category="SPI-2B", sensitive_use_beyond_7027m=True)
    assert saved.is_sensitive


def test_retention_sources_and_purposes_are_required_7012_e(tenant_a):
    errors = _refused(tenant_a, retention="   ", sources=[], purposes=[])
    assert errors == {
        "retention": [NO_RETENTION],
        "sources": [NO_SOURCES],
        "purposes": [NO_PURPOSES],
    }
    assert _count(tenant_a) == 0


def test_list_items_are_short_distinct_and_not_empty(tenant_a):
    assert "empty" in _refused(tenant_a, sources=["Directly from you", " "])["sources"][0]
    assert "Each item once" in _refused(tenant_a, purposes=["Ads", "ads"])["purposes"][0]
    assert "200 characters" in _refused(tenant_a, disclosed_to=["x" * 201])["disclosed_to"][0]
    assert "list" in _refused(tenant_a, sources="Directly from you")["sources"][0]
    assert _count(tenant_a) == 0


def test_an_unknown_category_code_is_refused(tenant_a):
    assert "category" in _refused(tenant_a, category="L")


def test_a_category_is_listed_once_per_business_but_each_business_has_its_own(tenant_a, tenant_b):
    _save(tenant_a)
    assert _refused(tenant_a, purposes=["Marketing"]) == {"category": [ALREADY_LISTED]}
    _save(tenant_b)  # another business's inventory is its own
    assert _count(tenant_a) == _count(tenant_b) == 1


def test_items_are_saved_stripped(tenant_a):
    saved = _save(tenant_a, sources=["  Public directories "])
    saved.refresh_from_db()
    assert saved.sources == ["Public directories"]


# --- Derived facts -----------------------------------------------------------------------------


def test_an_empty_inventory_neither_sells_shares_nor_uses_sensitive_information(tenant_a):
    assert not sells_personal_information(tenant_a)
    assert not shares_personal_information(tenant_a)
    assert not uses_sensitive_beyond_7027m(tenant_a)


def test_derived_facts_follow_the_inventory_7010_c_d(tenant_a, tenant_b):
    _save(tenant_a, category="A", sold=True, third_parties=["Data brokers"])
    _save(tenant_a, category="SPI-1C")  # precise geolocation, used only for §7027(m) purposes
    assert sells_personal_information(tenant_a)
    assert not shares_personal_information(tenant_a)
    assert not uses_sensitive_beyond_7027m(tenant_a)
    _save(tenant_a, category="F", shared=True, third_parties=["Advertising networks"])
    _save(tenant_a, category="SPI-2B", sensitive_use_beyond_7027m=True)
    assert shares_personal_information(tenant_a)
    assert uses_sensitive_beyond_7027m(tenant_a)
    # Business B's facts are its own.
    assert not sells_personal_information(tenant_b)
    assert not shares_personal_information(tenant_b)
    assert not uses_sensitive_beyond_7027m(tenant_b)


def test_the_inventory_for_display_follows_the_statute_order_and_groups(tenant_a, tenant_b):
    _save(tenant_a, category="SPI-1A")
    _save(tenant_a, category="K", disclosed_to=["Service providers"])
    _save(tenant_a, category="A", sold=True, third_parties=["Data brokers"])
    _save(tenant_b, category="D")
    shown = inventory_for_display(tenant_a)
    assert [row.category for row in shown.personal] == ["A", "K"]
    assert [row.category for row in shown.sensitive] == ["SPI-1A"]
    assert [row.category for row in shown.sold_or_shared] == ["A"]
    assert [row.category for row in shown.disclosed] == ["K"]
    # Its facts agree with the queries the notices ask one by one.
    assert shown.sells is sells_personal_information(tenant_a) is True
    assert shown.shares is shares_personal_information(tenant_a) is False
    assert shown.uses_sensitive_beyond_7027m is uses_sensitive_beyond_7027m(tenant_a) is False


# --- Admin -------------------------------------------------------------------------------------

FORM = {
    "category": "I",
    "name": "Work history",
    "examples": "",
    "sources": "Directly from you\r\nCompany websites\r\n",
    "purposes": "Helping businesses find new customers",
    "retention": "Until you ask us to delete it",
    "sold": "on",
    "third_parties": "Data brokers\nMarketing companies",
    "disclosed_to": "",
}


def test_the_business_admin_adds_an_entry_one_item_per_line(admin_a, tenant_a):
    response = login(admin_a).post(ADD, FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = InventoryCategory.objects.for_tenant(tenant_a).get()
    assert saved.sources == ["Directly from you", "Company websites"]
    assert saved.third_parties == ["Data brokers", "Marketing companies"]
    assert saved.disclosed_to == []
    assert saved.sold
    listing = login(admin_a).get(CHANGELIST).content.decode()
    assert "I. Professional or employment-related information" in listing


def test_the_admin_form_shows_the_statute_names_and_its_refusals(admin_a, tenant_a):
    client = login(admin_a)
    assert "K. Inferences drawn from other personal information" in client.get(ADD).content.decode()
    refused = client.post(ADD, {**FORM, "third_parties": ""})
    assert refused.status_code == 200
    assert SOLD_WITHOUT_THIRD_PARTIES in refused.content.decode().replace("&#x27;", "'")
    _save(tenant_a, category="I")
    duplicate = client.post(ADD, FORM)
    assert duplicate.status_code == 200
    assert ALREADY_LISTED in duplicate.content.decode()
    assert _count(tenant_a) == 1


def test_the_business_admin_edits_an_entry(admin_a, tenant_a):
    entry = _save(tenant_a, category="I")
    response = login(admin_a).post(f"{CHANGELIST}{entry.pk}/change/", FORM)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.name == "Work history"
    assert entry.retention == "Until you ask us to delete it"


def test_staff_and_compliance_cannot_read_or_change_the_inventory(staff_a, compliance_a, tenant_a):
    entry = _save(tenant_a, category="I")
    for user in (staff_a, compliance_a):
        client = login(user)
        assert client.get(CHANGELIST).status_code == 403
        assert client.post(f"{CHANGELIST}{entry.pk}/change/", FORM).status_code == 403
        assert client.post(ADD, FORM).status_code == 403
    entry.refresh_from_db()
    assert entry.name == ""
    assert _count(tenant_a) == 1


def test_another_business_admin_never_sees_these_rows(admin_b, tenant_a):
    entry = _save(tenant_a, category="I", name="Acme-only wording")
    client = login(admin_b)
    assert "Acme-only wording" not in client.get(CHANGELIST).content.decode()
    assert client.get(f"{CHANGELIST}{entry.pk}/change/").status_code == 404
    assert client.post(f"{CHANGELIST}{entry.pk}/change/", FORM).status_code == 404
    entry.refresh_from_db()
    assert entry.name == "Acme-only wording"


# --- API ---------------------------------------------------------------------------------------

INVENTORY_API = "/api/v1/inventory/"


def test_the_api_reads_the_inventory_in_the_statute_order_with_the_derived_facts(
    tenant_a, tenant_b, api_key_a
):
    _save(tenant_a, category="SPI-2B", sensitive_use_beyond_7027m=True)
    _save(tenant_a, category="A", sold=True, third_parties=["Data brokers"], name="Contacts")
    _save(tenant_b, category="D", name="Bravo-only wording")
    client = Api(api_key_a)
    client.get(INVENTORY_API)  # warm: the key's tenant cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(INVENTORY_API)
    assert response.status_code == 200
    # The key and the inventory: the derived facts come from the rows read, not 3 more queries.
    assert len(queries) <= 2, [query["sql"] for query in queries.captured_queries]
    body = response.json()
    assert (body["sells"], body["shares"], body["uses_sensitive_beyond_7027m"]) == (
        True,
        False,
        True,
    )
    assert [row["category"] for row in body["categories"]] == ["A", "SPI-2B"]
    identifiers = body["categories"][0]
    assert identifiers["statutory_name"] == "Identifiers"
    assert identifiers["citation"] == "§1798.140(v)(1)(A)"
    assert identifiers["name"] == "Contacts"
    assert identifiers["third_parties"] == ["Data brokers"]
    assert body["categories"][1]["sensitive"] is True
    assert "Bravo-only wording" not in response.content.decode()


def test_the_api_needs_the_requests_read_scope_and_refuses_query_parameters(tenant_a):
    consent_key = api_key_create(tenant=tenant_a, scopes=["consent:read"])[1]
    assert Api(consent_key).get(INVENTORY_API).status_code == 403
    assert Api().get(INVENTORY_API).status_code in (401, 403)
    reader = api_key_create(tenant=tenant_a, scopes=["requests:read"])[1]
    refused = Api(reader).get(INVENTORY_API, {"category": "A"})
    assert refused.status_code == 400
    assert "category" in error_of(refused)["fields"]


def test_the_business_admin_removes_a_category_no_longer_collected(admin_a, staff_a, tenant_a):
    entry = _save(tenant_a, category="I")
    delete = f"{CHANGELIST}{entry.pk}/delete/"
    assert login(staff_a).post(delete, {"post": "yes"}).status_code == 403
    assert _count(tenant_a) == 1
    assert login(admin_a).post(delete, {"post": "yes"}).status_code == 302
    assert _count(tenant_a) == 0
