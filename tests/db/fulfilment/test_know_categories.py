"""The answer to a request to know categories (§7024(j)-(l)): assembled from the business's
data inventory and what its data systems found (the checklist is ticked from their answers),
narrowed by staff, refused before verification, sent and recorded."""

from __future__ import annotations

import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEntry
from core.refusals import Refused
from fulfilment.models import DataSystem, SystemTask
from fulfilment.services.know_categories import (
    know_categories_checklist,
    know_categories_preview,
    know_categories_send,
)
from notices.inventory import inventory_category_save
from notices.models import InventoryCategory
from requests_app.models import Communication, RequestEvent
from requests_app.services import privacy_request_mark_verified
from tenants.services import api_key_create
from tests.factories import data_system, make_request, verified_request
from tests.helpers import Api, error_of, login

pytestmark = pytest.mark.django_db


def _inventory(tenant) -> None:
    for code, fields in {
        "A": {
            "sources": ["Directly from you", "Public directories"],
            "purposes": ["Providing our services", "Fraud prevention"],
            "sold": True,
            "third_parties": ["Data brokers"],
            "disclosed_to": ["Service providers (email delivery)"],
        },
        "D": {
            "sources": ["Directly from you"],
            "purposes": ["Providing our services", "Marketing"],
            "shared": True,
            "third_parties": ["Advertising networks"],
        },
        "F": {
            "sources": ["Your device"],
            "purposes": ["Analytics"],
            "disclosed_to": ["Analytics providers"],
        },
    }.items():
        inventory_category_save(
            inventory_category=InventoryCategory(
                tenant=tenant, category=code, retention="Two years", **fields
            )
        )


def _verified(tenant, staff, language="en", scope="categories"):
    privacy_request = make_request(tenant, request_type="know", know_scope=scope, language=language)
    return privacy_request_mark_verified(
        privacy_request=privacy_request,
        actor=staff,
        method="Matched the email link and two data points.",
    )


def test_the_answer_has_the_exact_content_of_7024k_from_the_inventory(tenant_a, staff_a):
    _inventory(tenant_a)
    privacy_request = _verified(tenant_a, staff_a)
    body = know_categories_preview(privacy_request=privacy_request, categories=["A", "D", "F"]).body
    received = privacy_request.received_date
    # (k)(1) categories collected in the 12 months before the request, statutory names (§7024(l))
    assert "1. The kinds of personal information we collected about you from" in body
    assert f"{received:%B} {received.day}, {received.year}:" in body
    assert "- Identifiers\n- Commercial information\n- Internet or other electronic network" in body
    # (k)(2) sources, each once
    assert "2. Where we got it:\n- Directly from you\n- Public directories\n- Your device\n" in body
    # (k)(3) purposes, each once
    assert "- Providing our services\n- Fraud prevention\n- Marketing\n- Analytics\n" in body
    # (k)(4) third parties shared with: sold/shared to and disclosed to
    assert (
        "4. The kinds of third parties we share personal information with:\n- Data brokers\n"
        "- Service providers (email delivery)\n- Advertising networks\n- Analytics providers\n"
    ) in body
    # (k)(5) per category sold or shared, to whom
    assert "- Identifiers (sold): Data brokers\n" in body
    assert "- Commercial information (shared): Advertising networks\n" in body
    # (k)(6) per category disclosed for a business purpose, to whom
    assert "- Identifiers: Service providers (email delivery)\n" in body
    assert "Analytics providers\n" in body.split("6. ")[1]


def test_staff_narrowing_leaves_out_what_does_not_apply(tenant_a, staff_a):
    _inventory(tenant_a)
    privacy_request = _verified(tenant_a, staff_a)
    checklist = know_categories_checklist(privacy_request)
    # No data system: nothing says which categories, so the whole inventory is ticked.
    assert checklist.fallback
    assert [(c.code, c.ticked) for c in checklist.choices] == [
        ("A", True),
        ("D", True),
        ("F", True),
    ]
    body = know_categories_preview(privacy_request=privacy_request, categories=["D"]).body
    assert "Identifiers" not in body
    assert "Data brokers" not in body
    assert "Public directories" not in body
    assert "- Commercial information (shared): Advertising networks" in body
    assert "None: we did not disclose any of it for a business purpose." in body


def test_an_unverified_request_is_refused_7024b(tenant_a, staff_a):
    _inventory(tenant_a)
    privacy_request = make_request(tenant_a, request_type="know", know_scope="categories")
    with pytest.raises(Refused) as refused:
        know_categories_send(privacy_request=privacy_request, categories=["A"], actor=staff_a)
    assert refused.value.code == "not_verified"
    assert "§7024(b)" in refused.value.message
    assert (
        not Communication.objects.for_tenant(tenant_a)
        .filter(template="fulfilment/know_categories")
        .exists()
    )


def test_a_request_for_specific_pieces_only_gets_no_categories_answer(tenant_a, staff_a):
    _inventory(tenant_a)
    privacy_request = _verified(tenant_a, staff_a, scope="specific")
    with pytest.raises(Refused) as refused:
        know_categories_send(privacy_request=privacy_request, categories=["A"], actor=staff_a)
    assert refused.value.code == "not_a_categories_request"


@pytest.mark.parametrize(
    ("chosen", "code"), [([], "categories_required"), (["K"], "unknown_category")]
)
def test_no_or_an_unknown_category_is_refused(tenant_a, staff_a, chosen, code):
    _inventory(tenant_a)
    privacy_request = _verified(tenant_a, staff_a)
    with pytest.raises(Refused) as refused:
        know_categories_send(privacy_request=privacy_request, categories=chosen, actor=staff_a)
    assert refused.value.code == code


def test_sending_stores_a_communication_on_the_timeline_and_in_the_audit_trail(tenant_a, staff_a):
    _inventory(tenant_a)
    privacy_request = _verified(tenant_a, staff_a, scope="both")
    communication = know_categories_send(
        privacy_request=privacy_request, categories=["A", "F"], actor=staff_a
    )
    stored = Communication.objects.for_tenant(tenant_a).get(pk=communication.pk)
    assert stored.template == "fulfilment/know_categories"
    assert stored.recipient == "consumer@example.com"
    assert stored.subject.startswith("The personal information we collected about you")
    assert "Identifiers" in stored.body
    event = RequestEvent.objects.for_tenant(tenant_a).filter(privacy_request=privacy_request).last()
    assert event.data["categories"] == ["A", "F"]
    assert event.actor == staff_a
    assert (
        AuditEntry.objects.for_tenant(tenant_a)
        .filter(
            target=f"privacy_request:{privacy_request.reference}",
            summary__startswith="Sent the categories answer",
        )
        .exists()
    )


def test_the_answer_is_in_spanish_for_a_spanish_speaker(tenant_a, staff_a):
    _inventory(tenant_a)
    privacy_request = _verified(tenant_a, staff_a, language="es")
    communication = know_categories_send(
        privacy_request=privacy_request, categories=["A"], actor=staff_a
    )
    assert communication.language == "es"
    assert communication.subject.startswith("La información personal que recopilamos sobre usted")
    assert "2. De dónde la obtuvimos:" in communication.body
    assert "- Identifiers (vendida): Data brokers" in communication.body
    assert " de 20" in communication.body.split("1. ")[1].split("\n")[0]  # dates in full


def test_staff_review_preview_and_send_on_the_admin_page(tenant_a, staff_a):
    _inventory(tenant_a)
    privacy_request = _verified(tenant_a, staff_a)
    client = login(staff_a)
    page = client.get(
        reverse("admin:requests_app_privacyrequest_change", args=[privacy_request.pk])
    ).content.decode()
    url = reverse("admin:fulfilment_know_categories", args=[privacy_request.pk])
    assert url in page
    checklist = client.get(url).content.decode()
    assert checklist.count("checked") == 3  # no system says: every category ticked at first
    assert "No data system's answer says which categories" in checklist
    preview = client.post(url, {"categories": ["A"], "preview": "1"})
    assert preview.status_code == 200
    assert "Data brokers" in preview.content.decode()
    assert (
        not Communication.objects.for_tenant(tenant_a)
        .filter(template="fulfilment/know_categories")
        .exists()
    )
    sent = client.post(url, {"categories": ["A"], "send": "1"})
    assert sent.status_code == 302
    assert (
        Communication.objects.for_tenant(tenant_a)
        .filter(template="fulfilment/know_categories")
        .count()
        == 1
    )


def test_the_admin_page_refuses_an_unverified_request_with_the_message(tenant_a, staff_a):
    _inventory(tenant_a)
    privacy_request = make_request(tenant_a, request_type="know", know_scope="categories")
    url = reverse("admin:fulfilment_know_categories", args=[privacy_request.pk])
    response = login(staff_a).post(url, {"categories": ["A"], "send": "1"})
    assert response.status_code == 400
    assert "Verify the requester" in response.content.decode()


def test_another_business_request_is_not_found(tenant_a, staff_b):
    privacy_request = make_request(tenant_a, request_type="know", know_scope="categories")
    url = reverse("admin:fulfilment_know_categories", args=[privacy_request.pk])
    assert login(staff_b).get(url).status_code == 404


# --- The checklist ticked from the data systems' answers (§7024(k)(1)) -----------------------------

TASKS = "/api/v1/system-tasks/"
CHECKBOX = re.compile(r'<input type="checkbox" name="categories" value="([^"]+)"[^>]*>')


def _ticked_on_page(page: str) -> list[str]:
    return [m.group(1) for m in CHECKBOX.finditer(page) if " checked" in m.group(0)]


def _boxes_on_page(page: str) -> list[str]:
    return [m.group(1) for m in CHECKBOX.finditer(page)]


@pytest.fixture
def systems_a(tenant_a, admin_a, staff_a, started):
    """Tenant A's inventory A, B, D, F; a CRM holding A, B, D and a warehouse holding F."""
    _inventory(tenant_a)
    inventory_category_save(
        inventory_category=InventoryCategory(
            tenant=tenant_a,
            category="B",
            retention="Two years",
            sources=["Directly from you"],
            purposes=["Providing our services"],
        )
    )
    crm, _ = data_system(
        tenant_a, admin_a, name="CRM", assignee=staff_a, categories=["D", "A", "B"]
    )
    warehouse, _ = data_system(
        tenant_a, admin_a, name="Warehouse", kind="warehouse", assignee=staff_a, categories=["F"]
    )
    return crm, warehouse


@pytest.fixture
def key_a(tenant_a) -> str:
    return api_key_create(tenant=tenant_a, name="Connector", scopes=["systems:write"])[1]


def _request_and_tasks(tenant, staff):
    privacy_request = verified_request(tenant, staff, request_type="know", know_scope="categories")
    tasks = {
        task.system.name: task
        for task in SystemTask.objects.for_tenant(tenant)
        .filter(privacy_request=privacy_request)
        .select_related("system")
    }
    return privacy_request, tasks


def _answer(key, task, body):
    return Api(key).post(f"{TASKS}{task.pk}/answer/", body)


def _checklist_page(staff, privacy_request):
    url = reverse("admin:fulfilment_know_categories", args=[privacy_request.pk])
    response = login(staff).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_system_s_categories_are_kept_in_the_statute_s_order(systems_a):
    crm, _ = systems_a
    crm.refresh_from_db()
    assert crm.categories == ["A", "B", "D"]


def test_7024k1_crm_done_and_warehouse_nothing_found_tick_only_the_crm_s_categories(
    systems_a, tenant_a, staff_a, key_a
):
    privacy_request, tasks = _request_and_tasks(tenant_a, staff_a)
    assert _answer(key_a, tasks["CRM"], {"outcome": "done"}).status_code == 200
    assert _answer(key_a, tasks["Warehouse"], {"outcome": "nothing_found"}).status_code == 200
    checklist = know_categories_checklist(privacy_request)
    assert checklist.from_answers
    assert [(c.code, c.ticked) for c in checklist.choices] == [
        ("A", True),
        ("B", True),
        ("D", True),
        ("F", False),
    ]
    page = _checklist_page(staff_a, privacy_request)
    assert _boxes_on_page(page) == ["A", "B", "D", "F"]
    assert _ticked_on_page(page) == ["A", "B", "D"]
    assert page.count("Found by: CRM") == 3
    # Each box's label carries what the systems said, so a screen reader reads it with the box.
    labels = re.findall(r"<label for=\"id_categories_\d+\">(.*?)</label>", page, re.S)
    assert len(labels) == 4
    assert sum("Found by: CRM" in label for label in labels) == 3
    assert "held or found by the data systems that answered “done”" in page
    assert "Still open" not in page


def test_categories_found_in_the_answer_override_what_the_system_holds(
    systems_a, tenant_a, staff_a, key_a
):
    privacy_request, tasks = _request_and_tasks(tenant_a, staff_a)
    response = _answer(key_a, tasks["CRM"], {"outcome": "done", "categories_found": ["D", "A"]})
    assert response.status_code == 200, response.content
    assert response.json()["categories_found"] == ["A", "D"]  # the inventory's order
    _answer(key_a, tasks["Warehouse"], {"outcome": "nothing_found"})
    assert _ticked_on_page(_checklist_page(staff_a, privacy_request)) == ["A", "D"]
    event = RequestEvent.objects.for_tenant(tenant_a).get(
        privacy_request=privacy_request, message__startswith="CRM answered"
    )
    assert event.message == "CRM answered: done (find and export); categories found: A, D."
    assert event.data["categories_found"] == ["A", "D"]


def test_staff_say_in_the_admin_answer_which_categories_were_found(systems_a, tenant_a, staff_a):
    privacy_request, tasks = _request_and_tasks(tenant_a, staff_a)
    client = login(staff_a)
    url = f"/admin/fulfilment/systemtask/{tasks['Warehouse'].pk}/answer/"
    form = client.get(url).content.decode()
    assert 'value="SPI-2B"' not in form  # only the business's own inventory is offered
    assert "A. Identifiers" in form
    refused = client.post(url, {"outcome": "nothing_found", "categories_found": ["F"]})
    assert refused.status_code == 200
    assert "Only an answer “done” says which categories" in refused.content.decode()
    tasks["Warehouse"].refresh_from_db()
    assert tasks["Warehouse"].state == "open"
    done = client.post(url, {"outcome": "done", "categories_found": ["F"]})
    assert done.status_code == 302
    tasks["Warehouse"].refresh_from_db()
    assert (tasks["Warehouse"].outcome, tasks["Warehouse"].categories_found) == ("done", ["F"])
    page = _checklist_page(staff_a, privacy_request)
    assert _ticked_on_page(page) == ["F"]
    assert "Found by: Warehouse" in page
    # The CRM has not answered: what it holds is marked, and it is named as still open.
    assert page.count("Not yet answered by: CRM") == 3
    assert "Still open (not yet answered): CRM" in page


def test_a_deletion_s_answer_form_has_no_categories(systems_a, tenant_a, staff_a):
    privacy_request = verified_request(tenant_a, staff_a, request_type="delete")
    task = SystemTask.objects.for_tenant(tenant_a).filter(privacy_request=privacy_request).first()
    form = login(staff_a).get(f"/admin/fulfilment/systemtask/{task.pk}/answer/")
    assert 'name="categories_found"' not in form.content.decode()


def test_fallback_every_category_ticked_when_no_system_declares_categories(
    tenant_a, admin_a, staff_a, key_a, started
):
    _inventory(tenant_a)
    data_system(tenant_a, admin_a, name="CRM", assignee=staff_a)
    data_system(tenant_a, admin_a, name="Support desk", kind="support", assignee=staff_a)
    privacy_request, tasks = _request_and_tasks(tenant_a, staff_a)
    _answer(key_a, tasks["CRM"], {"outcome": "done"})
    _answer(key_a, tasks["Support desk"], {"outcome": "done"})
    page = _checklist_page(staff_a, privacy_request)
    assert _ticked_on_page(page) == ["A", "D", "F"]
    assert "No data system's answer says which categories" in page
    assert "Answered “done” without saying which categories: CRM, Support desk." in page


def test_every_system_finding_nothing_ticks_nothing_and_says_so(
    systems_a, tenant_a, staff_a, key_a
):
    privacy_request, tasks = _request_and_tasks(tenant_a, staff_a)
    _answer(key_a, tasks["CRM"], {"outcome": "nothing_found"})
    _answer(key_a, tasks["Warehouse"], {"outcome": "nothing_found"})
    page = _checklist_page(staff_a, privacy_request)
    assert _ticked_on_page(page) == []
    assert "Every data system answered that it found nothing about this consumer" in page


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        (
            {"outcome": "done", "categories_found": ["A", "K", "Q"]},
            "unknown_category",
            "Not in the business's data inventory: K, Q.",
        ),
        (
            {"outcome": "nothing_found", "categories_found": ["A"]},
            "categories_not_expected",
            "Only an answer “done” says which categories",
        ),
        (
            {"outcome": "exempt", "basis": "Civil Code §1798.145(a)", "categories_found": ["A"]},
            "categories_not_expected",
            "this one is “exempt”",
        ),
        ({"outcome": "done", "categories_found": "A"}, None, "list"),
        # DRF reads a number as its text: named like any other unknown code.
        ({"outcome": "done", "categories_found": [1]}, "unknown_category", "inventory: 1."),
    ],
)
def test_bad_categories_found_answer_400_naming_them_and_save_nothing(
    systems_a, tenant_a, staff_a, key_a, body, code, words
):
    _, tasks = _request_and_tasks(tenant_a, staff_a)
    events_before = RequestEvent.objects.for_tenant(tenant_a).count()
    audit_before = AuditEntry.objects.for_tenant(tenant_a).count()
    response = _answer(key_a, tasks["CRM"], body)
    assert response.status_code == 400, response.content
    error = error_of(response)
    if code:
        assert error["code"] == code
    assert words in json.dumps(error, ensure_ascii=False)
    assert "categories_found" in error["fields"]
    task = SystemTask.objects.for_tenant(tenant_a).get(pk=tasks["CRM"].pk)
    assert (task.state, task.outcome, task.categories_found) == ("open", "", [])
    assert RequestEvent.objects.for_tenant(tenant_a).count() == events_before
    assert AuditEntry.objects.for_tenant(tenant_a).count() == audit_before


def test_the_same_answer_with_the_same_categories_is_200_and_with_others_409(
    systems_a, tenant_a, staff_a, key_a
):
    _, tasks = _request_and_tasks(tenant_a, staff_a)
    body = {"outcome": "done", "categories_found": ["B"]}
    assert _answer(key_a, tasks["CRM"], body).status_code == 200
    assert _answer(key_a, tasks["CRM"], body).status_code == 200
    other = _answer(key_a, tasks["CRM"], {"outcome": "done", "categories_found": ["A"]})
    assert other.status_code == 409
    assert error_of(other)["code"] == "already_answered"
    tasks["CRM"].refresh_from_db()
    assert tasks["CRM"].categories_found == ["B"]


def test_tenant_isolation_another_business_s_inventory_code_is_refused(
    systems_a, tenant_a, tenant_b, admin_a, staff_a, key_a
):
    # Tenant B records K; tenant A's inventory has no K.
    inventory_category_save(
        inventory_category=InventoryCategory(
            tenant=tenant_b,
            category="K",
            retention="A year",
            sources=["Directly from you"],
            purposes=["Marketing"],
        )
    )
    _, tasks = _request_and_tasks(tenant_a, staff_a)
    response = _answer(key_a, tasks["CRM"], {"outcome": "done", "categories_found": ["K"]})
    assert response.status_code == 400
    assert error_of(response)["message"].startswith("Not in the business's data inventory: K.")
    # Nor may tenant A's system declare it: not a choice in the admin, refused by the service.
    client = login(admin_a)
    form = client.get("/admin/fulfilment/datasystem/add/").content.decode()
    assert 'value="K"' not in form
    assert 'value="F"' in form
    posted = client.post(
        "/admin/fulfilment/datasystem/add/",
        {
            "name": "Shop",
            "kind": "ecommerce",
            "categories": ["A", "K"],
            "owner": admin_a.pk,
            "handles_know": "on",
            "method": "person",
            "assignee": staff_a.pk,
            "due_days": "20",
            "active": "on",
        },
    )
    assert posted.status_code == 200
    assert "Select a valid choice. K is not one of the available choices." in (
        posted.content.decode()
    )
    assert not DataSystem.objects.for_tenant(tenant_a).filter(name="Shop").exists()
    with pytest.raises(ValidationError) as refused:
        data_system(tenant_a, admin_a, name="Shop", assignee=staff_a, categories=["A", "K"])
    assert refused.value.message_dict["categories"] == [
        "Not in the business's data inventory: K. Record the category there first (Data "
        "inventory, in the notices)."
    ]
    assert not DataSystem.objects.for_tenant(tenant_a).filter(name="Shop").exists()


def test_an_admin_records_the_categories_a_system_holds(systems_a, tenant_a, admin_a, staff_a):
    client = login(admin_a)
    response = client.post(
        "/admin/fulfilment/datasystem/add/",
        {
            "name": "Shop",
            "kind": "ecommerce",
            "categories": ["F", "A"],
            "owner": admin_a.pk,
            "handles_know": "on",
            "method": "person",
            "assignee": staff_a.pk,
            "due_days": "20",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    shop = DataSystem.objects.for_tenant(tenant_a).get(name="Shop")
    assert shop.categories == ["A", "F"]
    page = client.get(f"/admin/fulfilment/datasystem/{shop.pk}/change/").content.decode()
    assert "F. Internet or other electronic network activity information" in page
    assert _ticked_on_page(page) == ["A", "F"]
    listing = client.get("/admin/fulfilment/datasystem/").content.decode()
    assert "A, B, D" in listing  # the CRM's categories held
