"""Authorized agents' opt-outs and limits (§7026(j), §7027(j)): the portal's agent page records
the request with the consumer's signed permission, stored encrypted; staff open the permission,
then apply the request to the consumer's consent state or deny it, and the agent is told. A
request without the permission is recorded all the same (§7101) and may be denied. An opt-out
preference signal is never an agent's request."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.encryption import decrypt
from core.refusals import Refused
from optout.choice_services import choice_submit
from optout.models import ConsentState
from optout.selectors import consent_answer, consent_history
from optout.services import consent_subject
from optout.subjects import SubjectKind
from requests_app.models import EventKind, PrivacyRequest, RequestDocument
from requests_app.services import privacy_request_create
from requests_app.services.intake import Agent, Requester
from tests.factories import DEVICE_ID
from tests.helpers import login
from tests.portal_helpers import EXE, PDF, PNG, outbox, rows, stored_files

pytestmark = pytest.mark.django_db

PAGE = "/acme/agent-opt-out/"
SENT = "/acme/agent-opt-out/sent/"
QUEUE = "/admin/requests_app/privacyrequest/"
NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # Monday

AGENT_FORM = {
    "rights": ["sale_sharing"],
    "consumer_email": "ana@example.com",
    "consumer_phone": "",
    "agent_name": "Alex Agent",
    "agent_organization": "Privacy Helpers LLC",
    "agent_email": "alex@agents.example",
    "agent_phone": "",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Uploads in a temporary MEDIA_ROOT, and fresh rate-limit counters (a key prefix of their
    own: the cache may be the Redis that also carries Celery's queues, so it is never flushed)."""
    settings.PORTAL_RATE_LIMIT_PREFIX = f"agent-page-test-{uuid.uuid4().hex}"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def now(freeze):
    freeze(NOW)
    return NOW


def _permission(name: str = "signed-permission.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _requests(tenant) -> list[PrivacyRequest]:
    return list(PrivacyRequest.objects.for_tenant(tenant).order_by("pk"))


def _submit(client, **changes):
    data = {**AGENT_FORM, "permission": _permission(), **changes}
    if data["permission"] is None:
        del data["permission"]
    return client.post(PAGE, data)


def _state(tenant, raw: str = "ana@example.com") -> bytes:
    return consent_answer(tenant, consent_subject(tenant, SubjectKind.EMAIL, raw).hash).body


# --- The portal page ------------------------------------------------------------------------


def test_the_agent_page_offers_the_business_s_rights_in_english_and_spanish(client, tenant_a):
    english = client.get(PAGE).content.decode()
    assert "Opt out or limit for a consumer, as their authorized agent" in english
    assert "Opt out of the sale and sharing of their personal information" in english
    assert "Limit the use of their sensitive personal information" in english
    assert 'type="file"' in english
    spanish = client.get(PAGE, {"lang": "es"}).content.decode()
    assert '<html lang="es">' in spanish
    assert "Solicitar la exclusión o la limitación por un consumidor" in spanish
    assert "El permiso firmado del consumidor" in spanish


def test_an_agent_s_request_is_recorded_with_the_permission_and_waits_for_staff_7026j(
    client, tenant_a, media, now
):
    response = _submit(client, rights=["sale_sharing", "sensitive_use"])

    assert response.status_code == 302
    assert response["Location"] == SENT
    logged = _requests(tenant_a)
    assert sorted(r.request_type for r in logged) == ["limit", "opt_out"]
    for privacy_request in logged:
        assert privacy_request.channel == "agent"
        assert privacy_request.submitted_by_agent
        assert (privacy_request.agent_name, privacy_request.agent_email) == (
            "Alex Agent",
            "alex@agents.example",
        )
        assert privacy_request.requester_email == "ana@example.com"
        assert privacy_request.is_open
        # §7026(f)(1): 15 business days from receipt; the sweep watches it.
        assert privacy_request.comply_by == date(2026, 12, 29)
        assert privacy_request.next_due_at is not None
        [document] = RequestDocument.objects.for_tenant(tenant_a).filter(
            privacy_request=privacy_request
        )
        assert document.original_name == "signed-permission.pdf"
        stored = Path(document.file.path).read_bytes()
        assert PDF not in stored  # encrypted at rest
        assert decrypt(stored) == PDF
    # Nothing applied before staff check the permission.
    assert not ConsentState.objects.for_tenant(tenant_a).exists()
    sent = client.get(SENT).content.decode()
    for privacy_request in logged:
        assert privacy_request.reference in sent
    assert "Tuesday, December 29, 2026" in sent
    assert "alex@agents.example" in sent


def test_an_agent_s_request_without_permission_is_recorded_and_flagged_7101(
    client, tenant_a, media, now
):
    response = _submit(client, permission=None, consumer_email="", consumer_phone="4155550123")
    assert response.status_code == 302
    [logged] = _requests(tenant_a)
    assert str(logged.requester_phone) == "+14155550123"
    flagged = logged.events.get(kind=EventKind.FLAGGED)
    assert "no signed permission" in flagged.message
    assert "You did not send the consumer’s signed permission" in client.get(SENT).content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"rights": []}, "rights", "Choose at least one"),
        ({"rights": ["everything"]}, "rights", "Choose one of the options shown"),
        ({"consumer_email": ""}, "consumer_email", "email address or phone number"),
        ({"consumer_email": "ana@"}, "consumer_email", "right format"),
        ({"consumer_phone": "12"}, "consumer_phone", "phone number like"),
        ({"agent_name": ""}, "agent_name", "your full name"),
        ({"agent_email": ""}, "agent_email", "your email address"),
        ({"permission": SimpleUploadedFile("p.exe", EXE)}, "permission", "PDF, JPEG or PNG"),
        ({"permission": SimpleUploadedFile("p.pdf", b"")}, "permission", "empty"),
        ({"leave_empty": "bot"}, "__all__", "could not accept"),
    ],
)
def test_bad_input_on_the_agent_page_shows_the_error_at_its_field_and_creates_nothing(
    client, tenant_a, media, changes, field, message
):
    before = rows(tenant_a)
    response = _submit(client, **changes)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]), errors
    assert rows(tenant_a) == before
    assert stored_files(media) == []


def test_a_business_that_neither_sells_nor_uses_sensitive_information_says_so(client, tenant_a):
    type(tenant_a).objects.filter(pk=tenant_a.pk).update(
        sells_or_shares=False, uses_sensitive_beyond_7027m=False
    )
    page = client.get(PAGE).content.decode()
    assert "There is nothing to opt out of or limit here." in page
    assert "<form" not in page


def test_the_sent_page_without_a_submission_goes_back_to_the_form(client, tenant_a):
    response = client.get(SENT)
    assert response.status_code == 302
    assert response["Location"] == PAGE


# --- Staff decide -----------------------------------------------------------------------------


@pytest.fixture
def agent_request(client, tenant_a, media, now) -> PrivacyRequest:
    _submit(client)
    [logged] = _requests(tenant_a)
    return logged


def _decide(user, privacy_request, **data):
    return login(user).post(f"/admin/optout/consentstate/agent/{privacy_request.pk}/", data)


def _open_permission(user, privacy_request) -> None:
    document = RequestDocument.objects.for_tenant(privacy_request.tenant).get(
        privacy_request=privacy_request
    )
    response = login(user).get(f"{QUEUE}{privacy_request.pk}/documents/{document.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_the_request_page_shows_the_permission_and_the_way_to_decide(
    agent_request, compliance_staff_a
):
    page = login(compliance_staff_a).get(f"{QUEUE}{agent_request.pk}/change/").content.decode()
    assert "the consumer&#x27;s signed permission, sent by the agent" in page.lower()
    assert "signed-permission.pdf" in page
    assert f"/admin/optout/consentstate/agent/{agent_request.pk}/" in page


def test_applying_before_opening_the_permission_is_refused(agent_request, compliance_staff_a):
    response = _decide(compliance_staff_a, agent_request, decision="apply")
    assert response.status_code == 200
    assert "Open the consumer" in response.content.decode()
    agent_request.refresh_from_db()
    assert agent_request.is_open
    assert not ConsentState.objects.for_tenant(agent_request.tenant).exists()


def test_staff_apply_an_agent_s_request_once_the_permission_is_opened_7026j(
    agent_request, tenant_a, compliance_staff_a
):
    _open_permission(compliance_staff_a, agent_request)
    response = _decide(compliance_staff_a, agent_request, decision="apply")
    assert response.status_code == 302
    agent_request.refresh_from_db()
    assert agent_request.outcome == "complied"
    assert b'"may_sell_or_share":false' in _state(tenant_a)
    [change] = consent_history(
        tenant_a, consent_subject(tenant_a, SubjectKind.EMAIL, "ana@example.com").hash
    )
    assert (change.source, change.actor) == ("agent", compliance_staff_a)
    # The agent is told, at their address (not the consumer's).
    [email] = outbox(tenant_a)
    assert email.recipient == "alex@agents.example"
    assert "We did what you asked." in email.body


def test_a_request_without_permission_cannot_be_applied_and_is_denied_with_the_reason_7026j(
    client, tenant_a, media, now, staff_a
):
    _submit(client, permission=None)
    [logged] = _requests(tenant_a)
    refused = _decide(staff_a, logged, decision="apply")
    assert "did not provide the consumer" in refused.content.decode()

    response = _decide(staff_a, logged, decision="deny", explanation="")
    assert response.status_code == 302
    logged.refresh_from_db()
    assert (logged.outcome, logged.denial_reason) == ("denied", "agent_without_permission")
    assert not ConsentState.objects.for_tenant(tenant_a).exists()
    [email] = outbox(tenant_a)
    assert email.recipient == "alex@agents.example"
    assert "You did not give us the consumer's signed permission" in email.body
    assert "section 7026(j)" in email.body


def test_a_spanish_agent_is_told_in_spanish(client, tenant_a, media, now, staff_a):
    client.get(PAGE, {"lang": "es"})
    _submit(client, permission=None)
    [logged] = _requests(tenant_a)
    assert logged.language == "es"
    _decide(staff_a, logged, decision="deny", explanation="")
    [email] = outbox(tenant_a)
    assert "No nos dio el permiso firmado del consumidor" in email.body
    assert email.subject.startswith("Nuestra respuesta")


def test_closing_an_agent_s_request_as_complied_without_applying_it_is_refused(
    agent_request, tenant_a, compliance_staff_a
):
    _open_permission(compliance_staff_a, agent_request)
    response = login(compliance_staff_a).post(
        f"{QUEUE}{agent_request.pk}/close/", {"outcome": "complied"}, follow=True
    )
    assert "complied with by applying it" in response.content.decode()
    agent_request.refresh_from_db()
    assert agent_request.is_open
    assert outbox(tenant_a) == []


def test_a_denial_with_too_short_an_explanation_shows_the_error(agent_request, compliance_staff_a):
    _open_permission(compliance_staff_a, agent_request)
    response = _decide(compliance_staff_a, agent_request, decision="deny", explanation="No.")
    assert response.status_code == 200
    assert response.context["form"].errors["explanation"]
    agent_request.refresh_from_db()
    assert agent_request.is_open


def test_no_decision_chosen_shows_the_error(agent_request, compliance_staff_a):
    response = _decide(compliance_staff_a, agent_request, decision="")
    assert response.status_code == 200
    assert "decision" in response.context["form"].errors


def test_only_an_agent_s_open_opt_out_or_limit_is_decided_there(tenant_a, staff_a, now):
    [made] = choice_submit(
        tenant=tenant_a,
        rights=["sale_sharing"],
        channel="phone",
        requester=Requester(email="ana@example.com"),
    )
    response = _decide(staff_a, made.privacy_request, decision="deny")
    assert "Only an authorized agent" in response.content.decode()


def test_staff_of_b_cannot_open_or_decide_a_s_agent_request(agent_request, staff_b):
    client = login(staff_b)
    url = f"/admin/optout/consentstate/agent/{agent_request.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"decision": "apply"}).status_code == 404
    assert client.post(url, {"decision": "deny"}).status_code == 404
    agent_request.refresh_from_db()
    assert agent_request.is_open


# --- Rules kept by the services ------------------------------------------------------------


def test_a_signal_is_never_an_agent_s_request_7026j(tenant_a):
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    with pytest.raises(Refused) as refused:
        choice_submit(
            tenant=tenant_a,
            rights=["sale_sharing"],
            channel="gpc",
            subjects=[device],
            agent=Agent(name="Privacy Helpers LLC"),
        )
    assert refused.value.code == "signal_not_agent"
    assert _requests(tenant_a) == []


def test_only_corrections_and_agents_opt_outs_take_documents(tenant_a, media):
    with pytest.raises(Refused) as refused:
        privacy_request_create(
            tenant=tenant_a,
            request_type="opt_out",
            channel="webform",
            requester=Requester(email="ana@example.com"),
            documents=[_permission()],
        )
    assert refused.value.code == "documents_not_allowed"
    assert _requests(tenant_a) == []
    assert stored_files(media) == []


def test_an_agent_s_png_permission_is_accepted(client, tenant_a, media, now):
    response = _submit(
        client, permission=SimpleUploadedFile("permission.png", PNG, content_type="image/png")
    )
    assert response.status_code == 302
    [document] = RequestDocument.objects.for_tenant(tenant_a)
    assert document.content_type == "image/png"
