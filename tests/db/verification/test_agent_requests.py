"""Authorized agents (§7001(d), §7063): the consumer's signed permission, the power of
attorney, the consumer's direct confirmation, and the consumer kept informed."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.refusals import Refused
from core.tokens import token_new
from core.uploads import UPLOAD_MAX_BYTES, OversizeUpload
from requests_app import vocabulary as words
from requests_app.models import PrivacyRequest, RequestEvent
from requests_app.services import Agent, Requester, privacy_request_create
from requests_app.services.transitions import privacy_request_assign, privacy_request_close
from tests.portal_helpers import EXE, PDF, outbox, stored_files
from verification.models import (
    AgentAuthorization,
    AgentConsumerStep,
    DocumentKind,
    LinkPurpose,
    VerificationDocument,
    VerificationLink,
    VerificationStatus,
)
from verification.services import blockers
from verification.services.agents import (
    agent_confirmation_answer,
    agent_permission_accept,
)
from verification.services.documents import verification_document_open
from verification.services.policies import verification_policy
from verification.services.records import verification_for

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-03-02T10:00:00-08:00")
CONSUMER_EMAIL = "ana@example.com"
AGENT_EMAIL = "alex@agents.example"


def agent_request(tenant, *, extras=None, consumer_email=CONSUMER_EMAIL):
    return privacy_request_create(
        tenant=tenant,
        request_type=words.DELETE,
        channel=words.WEBFORM,
        requester=Requester(name="Ana López", email=consumer_email, state="CA"),
        agent=Agent(name="Alex Agent", organization="", email=AGENT_EMAIL),
        details={"delete_scope": "all", "delete_categories": []},
        extras=extras or {},
    )


def policy_set(tenant, **values):
    policy = verification_policy(tenant)
    for name, value in values.items():
        setattr(policy, name, value)
    policy.save()


def pdf(name="permission.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def to(tenant, address):
    return [m for m in outbox(tenant) if m.recipient == address]


def confirmation_token(privacy_request) -> str:
    # The raw token left in the email only: a fresh one stands in for the click.
    raw, token_hash = token_new()
    VerificationLink.objects.for_tenant(privacy_request.tenant).filter(
        privacy_request=privacy_request, purpose=LinkPurpose.AGENT_CONFIRMATION
    ).update(token_hash=token_hash)
    return raw


def test_agent_request_waits_for_the_signed_permission_until_staff_accept_it(
    tenant_a, staff_a, freeze
):
    """§7063(a): with the permission required and nothing more asked of the consumer, the
    request is verified once staff have checked the permission, and not before."""
    freeze(NOW)
    privacy_request = agent_request(tenant_a, extras={"agent_permission_file": pdf()})
    authorization = AgentAuthorization.objects.for_tenant(tenant_a).get()
    assert authorization.permission_required
    assert authorization.permission_received_at is None
    assert blockers.blockers(privacy_request)
    # The consumer does not verify themselves: no email link is sent to anyone.
    assert not VerificationLink.objects.for_tenant(tenant_a).exists()
    document = VerificationDocument.objects.for_tenant(tenant_a).get()
    assert document.kind == DocumentKind.AGENT_PERMISSION
    assert PDF not in document.file.read()  # stored encrypted
    assert verification_for(privacy_request).status == VerificationStatus.PENDING
    privacy_request_assign(privacy_request=privacy_request, actor=staff_a, assignee=staff_a)
    verification_document_open(document=document, actor=staff_a)

    agent_permission_accept(privacy_request=privacy_request, actor=staff_a, note="Signed, dated.")

    privacy_request.refresh_from_db()
    verification = verification_for(privacy_request)
    assert privacy_request.status == words.VERIFIED
    assert verification.status == VerificationStatus.VERIFIED
    assert verification.reached_degree == verification.required_degree
    assert "signed permission checked by staff" in verification.method
    assert "no data point of the consumer matched" in verification.method
    messages = list(RequestEvent.objects.for_tenant(tenant_a).values_list("message", flat=True))
    assert f"Signed permission checked by {staff_a.get_username()} (§7063(a))." in messages


def test_a_power_of_attorney_needs_no_permission_and_no_consumer_confirmation(
    tenant_a, staff_a, freeze
):
    """§7063(b): the policy asks for the permission and the consumer's confirmation, but an
    agent with a power of attorney needs neither."""
    freeze(NOW)
    policy_set(tenant_a, agent_consumer_step=AgentConsumerStep.CONFIRM)
    privacy_request = agent_request(
        tenant_a,
        extras={
            "agent_power_of_attorney": True,
            "agent_power_of_attorney_file": pdf("poa.pdf"),
        },
    )
    authorization = AgentAuthorization.objects.for_tenant(tenant_a).get()
    assert authorization.power_of_attorney
    assert not authorization.permission_required
    assert authorization.consumer_step == AgentConsumerStep.NONE
    assert blockers.blockers(privacy_request) == []
    assert not VerificationLink.objects.for_tenant(tenant_a).exists()  # nobody asked to confirm
    assert (
        VerificationDocument.objects.for_tenant(tenant_a).get().kind
        == DocumentKind.POWER_OF_ATTORNEY
    )
    # Staff accept the power of attorney once they have opened it (verification_document_open).
    privacy_request_assign(privacy_request=privacy_request, actor=staff_a, assignee=staff_a)
    verification_document_open(
        document=VerificationDocument.objects.for_tenant(tenant_a).get(), actor=staff_a
    )

    agent_permission_accept(privacy_request=privacy_request, actor=staff_a)

    privacy_request.refresh_from_db()
    assert privacy_request.status == words.VERIFIED
    assert "power of attorney checked" in verification_for(privacy_request).method


def test_consumer_confirms_the_agent_and_the_due_date_never_moves(tenant_a, staff_a, freeze):
    """§7063(a)(2), §7021(b): the request waits for the consumer's answer; its date does not
    change while it waits."""
    freeze(NOW)
    policy_set(tenant_a, agent_consumer_step=AgentConsumerStep.CONFIRM)
    privacy_request = agent_request(tenant_a)
    respond_by = privacy_request.respond_by
    link = VerificationLink.objects.for_tenant(tenant_a).get()
    assert link.purpose == LinkPurpose.AGENT_CONFIRMATION
    assert link.email == CONSUMER_EMAIL
    assert len(blockers.blockers(privacy_request)) == 2  # permission and confirmation

    agent_permission_accept(privacy_request=privacy_request, actor=staff_a)
    privacy_request.refresh_from_db()
    assert privacy_request.status != words.VERIFIED  # still waiting for the consumer

    freeze(datetime.fromisoformat("2026-03-06T10:00:00-08:00"))  # within the 7 days
    token = confirmation_token(privacy_request)
    assert agent_confirmation_answer(tenant=tenant_a, token=token, gave_permission=True)
    # The link works once.
    assert agent_confirmation_answer(tenant=tenant_a, token=token, gave_permission=False) is None

    privacy_request.refresh_from_db()
    assert privacy_request.status == words.VERIFIED
    assert privacy_request.respond_by == respond_by
    authorization = AgentAuthorization.objects.for_tenant(tenant_a).get()
    assert authorization.consumer_confirmed_at is not None
    assert authorization.consumer_refused_at is None


def test_consumer_who_gave_no_permission_closes_the_request_denied(tenant_a, freeze):
    freeze(NOW)
    policy_set(tenant_a, agent_consumer_step=AgentConsumerStep.CONFIRM)
    privacy_request = agent_request(tenant_a)

    closed = agent_confirmation_answer(
        tenant=tenant_a, token=confirmation_token(privacy_request), gave_permission=False
    )

    assert closed.status == words.CLOSED
    assert closed.outcome == words.DENIED
    assert closed.denial_reason == words.AGENT_WITHOUT_PERMISSION
    assert "did not give Alex Agent permission" in closed.denial_explanation
    assert AgentAuthorization.objects.for_tenant(tenant_a).get().consumer_refused_at
    # The agent gets the answer; the consumer a copy of it.
    assert "did not give Alex Agent permission" in to(tenant_a, AGENT_EMAIL)[-1].body
    assert "did not give Alex Agent permission" in to(tenant_a, CONSUMER_EMAIL)[-1].body


def test_consumer_refusal_is_in_spanish_for_a_spanish_request(tenant_a, freeze):
    freeze(NOW)
    policy_set(tenant_a, agent_consumer_step=AgentConsumerStep.CONFIRM)
    privacy_request = privacy_request_create(
        tenant=tenant_a,
        request_type=words.DELETE,
        channel=words.WEBFORM,
        requester=Requester(name="Ana López", email=CONSUMER_EMAIL),
        agent=Agent(name="Alex Agent", email=AGENT_EMAIL),
        details={"delete_scope": "all", "delete_categories": []},
        language="es",
    )
    closed = agent_confirmation_answer(
        tenant=tenant_a, token=confirmation_token(privacy_request), gave_permission=False
    )
    assert "no le dio permiso" in closed.denial_explanation


def test_business_agent_without_entity_number_is_refused_and_nothing_is_created(
    tenant_a, settings, tmp_path
):
    """§7001(d): an agent that is a business is registered with the Secretary of State."""
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(Refused) as refused:
        agent_request(tenant_a, extras={"agent_kind": "business", "agent_permission_file": pdf()})
    assert refused.value.code == "entity_number_required"
    assert "Secretary of State" in refused.value.message
    assert not PrivacyRequest.objects.for_tenant(tenant_a).exists()
    assert not stored_files(tmp_path)


def test_business_agent_with_entity_number_is_recorded(tenant_a):
    agent_request(tenant_a, extras={"agent_kind": "business", "agent_entity_number": "c0806592"})
    authorization = AgentAuthorization.objects.for_tenant(tenant_a).get()
    assert authorization.agent_kind == "business"
    assert authorization.entity_number == "C0806592"


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("permission.pdf", EXE),
        OversizeUpload("permission.pdf", UPLOAD_MAX_BYTES + 1, "application/pdf"),
    ],
    ids=["not-a-pdf", "oversize"],
)
def test_a_wrong_permission_file_is_refused_before_anything_is_written(
    tenant_a, settings, tmp_path, upload
):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(Refused) as refused:
        agent_request(tenant_a, extras={"agent_permission_file": upload})
    assert refused.value.field == "agent_permission_file"
    assert not PrivacyRequest.objects.for_tenant(tenant_a).exists()
    assert not AgentAuthorization.objects.for_tenant(tenant_a).exists()
    assert not stored_files(tmp_path)
    assert not outbox(tenant_a)


def test_the_consumer_is_told_of_the_request_and_gets_a_copy_of_the_outcome(
    tenant_a, staff_a, freeze
):
    freeze(NOW)
    privacy_request = agent_request(tenant_a)
    notice = to(tenant_a, CONSUMER_EMAIL)
    assert len(notice) == 1
    assert notice[0].subject.startswith("Someone made a privacy request for you")
    assert "Hello Ana López," in notice[0].body
    assert "Alex Agent made a request to delete" in notice[0].body

    agent_permission_accept(privacy_request=privacy_request, actor=staff_a)
    privacy_request_close(privacy_request=privacy_request, actor=staff_a, outcome="complied")

    copy = to(tenant_a, CONSUMER_EMAIL)[-1]
    assert copy.subject.startswith("Our answer to your privacy request")
    assert "Hello Ana López," in copy.body
    assert "We did what you asked." in copy.body
    assert to(tenant_a, AGENT_EMAIL)[-1].subject == copy.subject


def test_no_copy_when_the_consumer_gave_no_address_of_their_own(tenant_a, staff_a, freeze):
    freeze(NOW)
    privacy_request = agent_request(tenant_a, consumer_email="")
    agent_permission_accept(privacy_request=privacy_request, actor=staff_a)
    privacy_request_close(privacy_request=privacy_request, actor=staff_a, outcome="complied")
    assert {m.recipient for m in outbox(tenant_a)} == {AGENT_EMAIL}


def test_consumer_step_verify_sends_the_email_link_to_the_consumer(tenant_a, freeze):
    """§7063(a)(1): the consumer verifies their own identity, through the normal flow."""
    freeze(NOW)
    policy_set(tenant_a, agent_consumer_step=AgentConsumerStep.VERIFY)
    agent_request(tenant_a)
    link = VerificationLink.objects.for_tenant(tenant_a).get()
    assert link.purpose == LinkPurpose.EMAIL
    assert link.email == CONSUMER_EMAIL


def test_confirmation_page_asks_with_two_equal_buttons(tenant_a, client, freeze):
    freeze(NOW)
    policy_set(tenant_a, agent_consumer_step=AgentConsumerStep.CONFIRM)
    privacy_request = agent_request(tenant_a)
    token = confirmation_token(privacy_request)
    url = f"/{tenant_a.slug}/verify/agent/"

    page = client.get(url, {"t": token})
    assert page.status_code == 200
    assert "Yes, I gave them permission" in page.text
    assert "No, I did not" in page.text
    assert client.get(url, {"t": "nope"}).status_code == 404

    answered = client.post(url, {"t": token, "choice": "yes"})
    assert answered.status_code == 200
    assert "You confirmed" in answered.text
    assert client.post(url, {"t": token, "choice": "no"}).status_code == 404  # used once
    assert AgentAuthorization.objects.for_tenant(tenant_a).get().consumer_refused_at is None


def test_portal_form_takes_the_agents_kind_and_permission(tenant_a, client, freeze):
    from tests.portal_helpers import AGENT, DELETE

    freeze(NOW)
    data = {
        **DELETE,
        **AGENT,
        "email": CONSUMER_EMAIL,
        "agent_kind": "business",
        "agent_entity_number": "",
        "agent_permission_file": pdf(),
    }
    refused = client.post(f"/{tenant_a.slug}/delete/", data)
    assert refused.status_code == 400
    assert "California Secretary of State: give its entity number" in refused.text
    assert not PrivacyRequest.objects.for_tenant(tenant_a).exists()

    data |= {"agent_entity_number": "C0806592", "agent_permission_file": pdf()}
    assert client.post(f"/{tenant_a.slug}/delete/", data).status_code == 302
    authorization = AgentAuthorization.objects.for_tenant(tenant_a).get()
    assert (authorization.agent_kind, authorization.entity_number) == ("business", "C0806592")
    document = VerificationDocument.objects.for_tenant(tenant_a).get()
    assert document.kind == DocumentKind.AGENT_PERMISSION


def test_portal_form_refuses_a_permission_that_is_not_a_pdf_or_image(tenant_a, client):
    from tests.portal_helpers import AGENT, DELETE

    data = {**DELETE, **AGENT, "agent_permission_file": SimpleUploadedFile("p.pdf", EXE)}
    page = client.post(f"/{tenant_a.slug}/delete/", data)
    assert page.status_code == 400
    assert "We can only accept PDF, JPEG or PNG files" in page.text
    assert not PrivacyRequest.objects.for_tenant(tenant_a).exists()
