"""Staff acting on an agent's, a household's or a parent's request from the admin
(verification/staff_actions.py): opening a verification document (§7023(d)(3), recorded),
accepting the agent's permission only once it was opened (§7063(a)-(b), like §7023(d)(1)),
confirming a household member (§7031(a)(3)), completing a parental check (§7070(a)(2)), each
tenant-scoped (another business's id is a 404) and refused to compliance staff."""

from __future__ import annotations

import html
from datetime import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from requests_app import vocabulary as words
from requests_app.models import PrivacyRequest, RequestEvent
from requests_app.services import Agent, Requester, privacy_request_create
from requests_app.services.transitions import privacy_request_assign
from tests.helpers import login, signed_in
from tests.portal_helpers import PDF
from verification.models import (
    AgentAuthorization,
    DocumentKind,
    HouseholdMember,
    ParentalCheck,
    ParentalMethod,
    VerificationDocument,
    VerificationStatus,
)
from verification.services.agents import verification_document_store
from verification.services.policies import verification_policy
from verification.services.records import verification_for

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-03-02T10:00:00-08:00")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
NOTE = "Signed and dated by the consumer, names the agent, covers requests to delete."
EVIDENCE = "Utility bill at the household address, dated February 2026."


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


def text(response) -> str:
    return html.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [message.message for message in get_messages(response.wsgi_request)]


def timeline(privacy_request: PrivacyRequest) -> list[str]:
    return list(
        RequestEvent.objects.for_tenant(privacy_request.tenant)
        .filter(privacy_request=privacy_request)
        .order_by("at", "pk")
        .values_list("message", flat=True)
    )


def change_url(privacy_request: PrivacyRequest) -> str:
    return reverse("admin:requests_app_privacyrequest_change", args=[privacy_request.pk])


def document_url(document: VerificationDocument) -> str:
    return reverse("admin:verification_verification_document", args=[document.pk])


def accept_url(privacy_request: PrivacyRequest) -> str:
    verification = verification_for(privacy_request)
    return reverse("admin:verification_verification_accept_permission", args=[verification.pk])


def household_url(member: HouseholdMember) -> str:
    return reverse("admin:verification_verification_confirm_household", args=[member.pk])


def parental_url(check: ParentalCheck) -> str:
    return reverse("admin:verification_verification_parental_check", args=[check.pk])


def agent_request(tenant, *, power_of_attorney: bool = False) -> PrivacyRequest:
    extras = (
        {
            "agent_power_of_attorney": True,
            "agent_power_of_attorney_file": SimpleUploadedFile("poa.pdf", PDF),
        }
        if power_of_attorney
        else {"agent_permission_file": SimpleUploadedFile("permission.pdf", PDF)}
    )
    return privacy_request_create(
        tenant=tenant,
        request_type=words.DELETE,
        channel=words.WEBFORM,
        requester=Requester(name="Ana López", email="ana@example.com", state="CA"),
        agent=Agent(name="Alex Agent", organization="", email="alex@agents.example"),
        details={"delete_scope": "all", "delete_categories": []},
        extras=extras,
    )


def household_request(tenant) -> PrivacyRequest:
    return privacy_request_create(
        tenant=tenant,
        request_type=words.DELETE,
        channel=words.WEBFORM,
        requester=Requester(name="Ana López", email="ana@example.com", state="CA"),
        details={"delete_scope": "all", "delete_categories": []},
        extras={"household_members": 2},
    )


def child_request(tenant) -> tuple[PrivacyRequest, VerificationDocument]:
    policy = verification_policy(tenant)
    policy.parental_methods = [ParentalMethod.SIGNED_FORM, ParentalMethod.GOVERNMENT_ID]
    policy.save()
    privacy_request = privacy_request_create(
        tenant=tenant,
        request_type=words.DELETE,
        channel=words.WEBFORM,
        requester=Requester(name="Ana López", email="ana@example.com"),
        details={"delete_scope": "all", "delete_categories": []},
        extras={"child_under_13": True},
    )
    document = verification_document_store(
        privacy_request=privacy_request,
        kind=DocumentKind.PARENT_ID,
        upload=SimpleUploadedFile("licence.png", PNG),
        now=NOW,
    )
    return privacy_request, document


def assigned(privacy_request: PrivacyRequest, user) -> PrivacyRequest:
    return privacy_request_assign(privacy_request=privacy_request, actor=user, assignee=user)


def the_document(privacy_request: PrivacyRequest) -> VerificationDocument:
    return VerificationDocument.objects.for_tenant(privacy_request.tenant).get(
        privacy_request=privacy_request
    )


# --- Opening a document ------------------------------------------------------------------------


def test_the_assigned_staff_member_downloads_the_permission_and_the_opening_is_logged(
    tenant_a, staff_a, freeze
):
    """§7023(d)(3)-(4): decrypted on the way out, as a download, and each opening recorded."""
    freeze(NOW)
    privacy_request = assigned(agent_request(tenant_a), staff_a)
    document = the_document(privacy_request)

    response = login(staff_a).get(document_url(document))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert "permission.pdf" in response["Content-Disposition"]
    assert f"Document opened by staff_a: {DocumentKind.AGENT_PERMISSION.label}." in timeline(
        privacy_request
    )


def test_staff_not_assigned_are_refused_the_document_and_nothing_is_logged(
    tenant_a, staff_a, freeze
):
    freeze(NOW)
    privacy_request = agent_request(tenant_a)
    before = timeline(privacy_request)

    response = login(staff_a).get(document_url(the_document(privacy_request)))

    assert response.status_code == 403
    assert "Only the staff member assigned to this request and compliance staff" in text(response)
    assert timeline(privacy_request) == before


def test_compliance_staff_open_a_document_they_are_not_assigned_to(tenant_a, compliance_a, freeze):
    freeze(NOW)
    privacy_request = agent_request(tenant_a)

    response = login(compliance_a).get(document_url(the_document(privacy_request)))

    assert response.status_code == 200
    assert any(m.startswith("Document opened by compliance_a") for m in timeline(privacy_request))


def test_a_deleted_parents_id_says_when_it_was_deleted_and_is_not_served(
    tenant_a, staff_a, admin_a, freeze, django_capture_on_commit_callbacks
):
    """§7060(d), §7070(a)(2)(F): the file is gone; staff are told when, never shown a 500."""
    freeze(NOW)
    privacy_request, document = child_request(tenant_a)
    check = ParentalCheck.objects.for_tenant(tenant_a).get()
    client = login(staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            parental_url(check),
            {"method": ParentalMethod.GOVERNMENT_ID, "notes": "Licence matches the name given."},
        )

    response = login(admin_a).get(document_url(document))

    assert response.status_code == 410
    assert "was deleted on March 2, 2026 (§7060(d))" in text(response)
    assert "Deleted on March 2, 2026 (§7060(d))" in text(
        login(admin_a).get(change_url(privacy_request))
    )
    assert not any(m.startswith("Document opened") for m in timeline(privacy_request))


# --- The agent's permission (§7063) ------------------------------------------------------------


def test_accepting_the_permission_is_refused_until_it_was_opened_then_verifies_the_request(
    tenant_a, staff_a, freeze
):
    freeze(NOW)
    privacy_request = assigned(agent_request(tenant_a), staff_a)
    client = login(staff_a)
    page = text(client.get(change_url(privacy_request)))
    assert accept_url(privacy_request) in page
    assert document_url(the_document(privacy_request)) in page

    refused = client.post(accept_url(privacy_request), {"note": NOTE})

    assert refused.status_code == 400
    assert "Open the agent's signed permission before accepting it" in text(refused)
    assert AgentAuthorization.objects.for_tenant(tenant_a).get().permission_received_at is None

    client.get(document_url(the_document(privacy_request)))
    response = client.post(accept_url(privacy_request), {"note": NOTE})

    assert response.status_code == 302
    assert response["Location"] == change_url(privacy_request)
    assert "The agent's signed permission was accepted" in messages_of(response)[0]
    privacy_request.refresh_from_db()
    assert privacy_request.status == words.VERIFIED
    assert verification_for(privacy_request).status == VerificationStatus.VERIFIED
    assert "Signed permission checked by staff_a (§7063(a))." in timeline(privacy_request)
    event = RequestEvent.objects.for_tenant(tenant_a).get(
        privacy_request=privacy_request, message__startswith="Signed permission checked"
    )
    assert event.reason == NOTE


def test_another_staff_members_opening_does_not_count_for_the_one_who_accepts(
    tenant_a, staff_a, compliance_a, freeze
):
    freeze(NOW)
    privacy_request = agent_request(tenant_a, power_of_attorney=True)
    login(compliance_a).get(document_url(the_document(privacy_request)))

    refused = login(staff_a).post(accept_url(privacy_request), {"note": NOTE})

    assert refused.status_code == 400
    assert "Open the agent's power of attorney before accepting it" in text(refused)


def test_accepting_the_permission_needs_a_note(tenant_a, staff_a, freeze):
    freeze(NOW)
    privacy_request = assigned(agent_request(tenant_a), staff_a)
    client = login(staff_a)
    client.get(document_url(the_document(privacy_request)))

    response = client.post(accept_url(privacy_request), {"note": ""})

    assert response.status_code == 400
    assert "Say what you checked in the document." in text(response)
    assert AgentAuthorization.objects.for_tenant(tenant_a).get().permission_received_at is None


# --- Households (§7031(a)(3)) ------------------------------------------------------------------


def test_staff_confirm_a_household_member_with_the_evidence(tenant_a, staff_a, freeze):
    freeze(NOW)
    lead = household_request(tenant_a)
    member = HouseholdMember.objects.for_tenant(tenant_a).get(privacy_request=lead)
    client = login(staff_a)
    assert household_url(member) in text(client.get(change_url(lead)))

    response = client.post(household_url(member), {"evidence": EVIDENCE})

    assert response.status_code == 302
    assert response["Location"] == change_url(lead)
    member.refresh_from_db()
    assert member.membership_confirmed_at is not None
    assert member.membership_confirmed_by == staff_a
    assert member.membership_evidence == EVIDENCE
    message = (
        f"Current household membership of {lead.reference} confirmed by staff_a (§7031(a)(3))."
    )
    assert message in timeline(lead)


def test_confirming_a_household_member_without_real_evidence_is_refused(tenant_a, staff_a, freeze):
    freeze(NOW)
    member = HouseholdMember.objects.for_tenant(tenant_a).get(
        privacy_request=household_request(tenant_a)
    )

    response = login(staff_a).post(household_url(member), {"evidence": "ok"})

    assert response.status_code == 400
    assert "Say what shows that this person currently lives in the household" in text(response)
    member.refresh_from_db()
    assert member.membership_confirmed_at is None


# --- Parents and guardians (§7070(a)(2)) -------------------------------------------------------


def test_staff_complete_the_parental_check_and_the_parents_id_is_deleted(
    tenant_a, staff_a, freeze, django_capture_on_commit_callbacks
):
    freeze(NOW)
    privacy_request, document = child_request(tenant_a)
    check = ParentalCheck.objects.for_tenant(tenant_a).get()
    client = login(staff_a)
    assert parental_url(check) in text(client.get(change_url(privacy_request)))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            parental_url(check),
            {"method": ParentalMethod.GOVERNMENT_ID, "notes": "Licence matches the name given."},
        )

    assert response.status_code == 302
    check.refresh_from_db()
    assert check.method == ParentalMethod.GOVERNMENT_ID
    assert check.completed_by == staff_a
    assert check.notes == "Licence matches the name given."
    document.refresh_from_db()
    assert document.deleted_at is not None
    assert not document.file
    messages = timeline(privacy_request)
    assert any(m.startswith("Parent or guardian verified by staff_a") for m in messages)
    assert any(m.startswith("ID deleted") for m in messages)


def test_a_parental_method_the_business_does_not_offer_is_refused(tenant_a, staff_a, freeze):
    freeze(NOW)
    child_request(tenant_a)
    check = ParentalCheck.objects.for_tenant(tenant_a).get()

    response = login(staff_a).post(
        parental_url(check), {"method": ParentalMethod.VIDEO, "notes": "Video call on Monday."}
    )

    assert response.status_code == 400
    assert "Select a valid choice" in text(response)
    check.refresh_from_db()
    assert check.completed_at is None


# --- Scope and roles ---------------------------------------------------------------------------


def _every_url(tenant) -> tuple[list[str], PrivacyRequest]:
    agent = agent_request(tenant)
    lead = household_request(tenant)
    child, parent_id = child_request(tenant)
    member = HouseholdMember.objects.for_tenant(tenant).get(privacy_request=lead)
    check = ParentalCheck.objects.for_tenant(tenant).get(privacy_request=child)
    urls = [
        document_url(the_document(agent)),
        document_url(parent_id),
        accept_url(agent),
        household_url(member),
        parental_url(check),
    ]
    return urls, agent


def _state(tenant) -> tuple:
    return (
        list(AgentAuthorization.objects.for_tenant(tenant).values_list("permission_received_at")),
        list(HouseholdMember.objects.for_tenant(tenant).values_list("membership_confirmed_at")),
        list(ParentalCheck.objects.for_tenant(tenant).values_list("completed_at")),
        RequestEvent.objects.for_tenant(tenant).count(),
    )


FORM = {
    "note": NOTE,
    "evidence": EVIDENCE,
    "method": ParentalMethod.SIGNED_FORM,
    "notes": "Consent form signed.",
}


def test_another_business_gets_404_on_every_url_and_changes_nothing(
    tenant_a, staff_b, admin_b, freeze
):
    freeze(NOW)
    urls, _ = _every_url(tenant_a)
    before = _state(tenant_a)
    for user in (staff_b, admin_b):
        client = login(user)
        for url in urls:
            assert client.get(url).status_code == 404, url
            assert client.post(url, FORM).status_code == 404, url
    assert _state(tenant_a) == before


def test_compliance_staff_cannot_act(tenant_a, compliance_a, freeze):
    freeze(NOW)
    urls, agent = _every_url(tenant_a)
    client = login(compliance_a)
    client.get(urls[0])  # compliance may open the permission: it still may not accept it
    before = _state(tenant_a)
    for url in urls[2:]:
        for response in (client.get(url), client.post(url, FORM)):
            assert response.status_code == 403, url
            assert "Your role (compliance) reads requests but does not act on them" in text(
                response
            )
    assert _state(tenant_a) == before
    agent.refresh_from_db()
    assert agent.status != words.VERIFIED


def test_an_action_without_the_csrf_token_is_refused(tenant_a, staff_a, freeze):
    freeze(NOW)
    member = HouseholdMember.objects.for_tenant(tenant_a).get(
        privacy_request=household_request(tenant_a)
    )
    client = signed_in(Client(enforce_csrf_checks=True), staff_a)

    response = client.post(household_url(member), {"evidence": EVIDENCE})

    assert response.status_code == 403
    member.refresh_from_db()
    assert member.membership_confirmed_at is None
