"""The answer to a request to know categories (§7024(j)-(l)): assembled from the business's
data inventory, narrowed by staff, refused before verification, sent and recorded."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from core.refusals import Refused
from fulfilment.services.know_categories import (
    know_categories_choices,
    know_categories_preview,
    know_categories_send,
)
from notices.inventory import inventory_category_save
from notices.models import InventoryCategory
from requests_app.models import Communication, RequestEvent
from requests_app.services import privacy_request_mark_verified
from tests.factories import make_request
from tests.helpers import login

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
    choices = know_categories_choices(privacy_request)
    assert [(c.code, c.ticked) for c in choices] == [("A", True), ("D", True), ("F", True)]
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
    assert checklist.count("checked") == 3  # every category ticked at first
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
