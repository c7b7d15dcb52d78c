"""The status page: a one-time, expiring sign-in link by email (no account, no password), the
request's status, deadlines, timeline and messages, and withdrawal."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from requests_app.models import PrivacyRequest, StatusLink
from requests_app.services import privacy_request_extend
from tests.factories import make_request
from tests.portal_helpers import AGENT, KNOW, outbox, rows, sent_emails

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal")]

NOW = datetime(2025, 11, 3, 18, 0, tzinfo=UTC)


@pytest.fixture
def submitted(client, tenant_a, freeze) -> PrivacyRequest:
    freeze(NOW)
    client.post("/acme/know/", KNOW)
    return PrivacyRequest.objects.for_tenant(tenant_a).get()


def _ask_for_link(client, reference: str, email: str, slug: str = "acme"):
    return client.post(f"/{slug}/status/", {"reference": reference, "email": email})


def _sent_sign_in_link() -> str:
    """The sign-in link in the last one the consumer received by email (the stored message
    shows it redacted: test_status_link_secrecy)."""
    links = [
        match.group(1)
        for email in sent_emails()
        if (match := re.search(r"http://testserver(/\S+/status/sign-in/\?t=[\w-]+)", email.body))
    ]
    assert links, "no sign-in link was sent"
    return links[-1]


def _token(link: str) -> str:
    return link.split("?t=", 1)[1]


def _sign_in(client, link: str):
    assert client.get(link).status_code == 200
    return client.post(link.split("?", 1)[0], {"t": _token(link)})


def test_the_sign_in_link_is_sent_by_email_through_the_outbox(client, tenant_a, submitted):
    before = rows(tenant_a)
    response = _ask_for_link(client, submitted.reference, "casey@example.com")
    assert response["Location"] == "/acme/status/check-email/"
    message = outbox(tenant_a)[-1]
    assert message.recipient == "casey@example.com"
    assert message.subject == f"Your link to see privacy request {submitted.reference}"
    assert "works once and for 30 minutes" in message.body
    assert _sent_sign_in_link().startswith("/acme/status/sign-in/?t=")
    # A sign-in mechanism, not a message about the request: no Communication keeps the token.
    after = rows(tenant_a)
    assert after["StatusLink"] == before["StatusLink"] + 1
    assert after["Communication"] == before["Communication"]
    link = StatusLink.objects.for_tenant(tenant_a).get()
    assert link.token_hash != _token(_sent_sign_in_link())
    assert len(link.token_hash) == 64


def test_the_reference_is_accepted_in_any_case_and_without_dashes(client, tenant_a, submitted):
    compact = submitted.reference.replace("-", " ").lower()
    _ask_for_link(client, compact, " Casey@Example.COM ")
    assert StatusLink.objects.for_tenant(tenant_a).count() == 1


def test_an_agent_can_ask_with_their_own_email_address(client, tenant_a, freeze):
    freeze(NOW)
    client.post("/acme/know/", {**KNOW, **AGENT, "email": ""})
    privacy_request = PrivacyRequest.objects.for_tenant(tenant_a).get()
    _ask_for_link(client, privacy_request.reference, "alex@agents.example")
    assert outbox(tenant_a)[-1].recipient == "alex@agents.example"


def test_a_wrong_email_and_a_wrong_reference_get_the_same_answer_as_a_right_one_r_p_2(
    client, tenant_a, submitted
):
    right = _ask_for_link(client, submitted.reference, "casey@example.com")
    wrong_email = _ask_for_link(client, submitted.reference, "mallory@example.com")
    wrong_reference = _ask_for_link(client, "AC-2222-2222", "casey@example.com")
    assert right.status_code == wrong_email.status_code == wrong_reference.status_code == 302
    assert right["Location"] == wrong_email["Location"] == wrong_reference["Location"]
    page = client.get(right["Location"]).content.decode()
    assert "If the reference number and email address match a request" in page
    # Only the right pair sent anything.
    assert StatusLink.objects.for_tenant(tenant_a).count() == 1


def test_a_match_and_a_miss_take_the_same_time_r_p_2(client, tenant_a, submitted, monkeypatch):
    """A match writes the link and its email, a miss writes nothing: the answer waits out the
    difference, so timing does not tell whether a reference and an address belong together."""
    from types import SimpleNamespace

    from requests_app.services import status_links

    now = [1000.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    monkeypatch.setattr(
        status_links, "time", SimpleNamespace(monotonic=lambda: now[0], sleep=sleep)
    )
    issue = status_links.status_link_issue

    def timed_issue(**kwargs):
        sent = issue(**kwargs)
        now[0] += 0.08 if sent else 0.002  # a match does more work than a miss
        return sent

    monkeypatch.setattr(status_links, "status_link_issue", timed_issue)
    took = {}
    for case, reference, email in (
        ("match", submitted.reference, "casey@example.com"),
        ("wrong email", submitted.reference, "mallory@example.com"),
        ("wrong reference", "AC-2222-2222", "casey@example.com"),
    ):
        began = now[0]
        assert _ask_for_link(client, reference, email).status_code == 302
        took[case] = round(now[0] - began, 6)
    assert set(took.values()) == {status_links.STATUS_LOOKUP_SECONDS}
    assert StatusLink.objects.for_tenant(tenant_a).count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"reference": "", "email": "casey@example.com"},
            "id_reference",
            "Enter your reference number",
        ),
        ({"reference": "AC-2222-2222", "email": ""}, "id_email", "Enter an email address"),
        ({"reference": "AC-2222-2222", "email": "casey@"}, "id_email", "right format"),
        ({"reference": "x" * 31, "email": "casey@example.com"}, "id_reference", "use at most 30"),
        (
            {"reference": "AC-2222-2222", "email": "casey@example.com", "leave_empty": "bot"},
            None,
            "We could not accept this form.",
        ),
    ],
)
def test_invalid_status_lookups_are_refused_with_messages_and_send_nothing(
    client, tenant_a, submitted, data, field, message
):
    before = rows(tenant_a)
    response = client.post("/acme/status/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    if field:
        assert f'id="{field}-error"' in html
    assert rows(tenant_a) == before


def test_the_link_opens_the_status_page_once(client, tenant_a, submitted):
    _ask_for_link(client, submitted.reference, "casey@example.com")
    link = _sent_sign_in_link()
    # Opening the link (mail scanners do) changes nothing; the button uses it.
    assert client.get(link).status_code == 200
    assert client.get(link).status_code == 200
    response = _sign_in(client, link)
    assert response["Location"] == "/acme/status/request/"
    page = client.get("/acme/status/request/").content.decode()
    assert submitted.reference in page
    assert "We are checking that the request comes from you" in page  # status
    assert "We will answer by" in page
    assert "Thursday, December 18, 2025" in page
    assert "America/Los_Angeles" in page
    assert "We received your request" in page
    assert "We confirmed that we received it" in page
    assert f"We received your privacy request {submitted.reference}" in page  # the message sent
    # Used: a second browser cannot sign in with it.
    other = Client()
    assert other.get(link).status_code == 410
    second = other.post("/acme/status/sign-in/", {"t": _token(link)})
    assert second.status_code == 410
    assert "This link does not work any more" in second.content.decode()


def test_an_expired_link_is_refused(client, tenant_a, submitted, freeze):
    _ask_for_link(client, submitted.reference, "casey@example.com")
    link = _sent_sign_in_link()
    freeze(NOW + timedelta(minutes=30, seconds=1))
    assert client.get(link).status_code == 410
    assert client.post("/acme/status/sign-in/", {"t": _token(link)}).status_code == 410
    assert client.get("/acme/status/request/")["Location"] == "/acme/status/"


def test_an_unknown_or_missing_token_is_refused(client, tenant_a, submitted):
    assert client.get("/acme/status/sign-in/?t=not-a-token").status_code == 410
    assert client.get("/acme/status/sign-in/").status_code == 410
    assert client.post("/acme/status/sign-in/", {}).status_code == 410


def test_the_status_page_needs_a_sign_in_and_it_lasts_an_hour(client, tenant_a, submitted, freeze):
    assert client.get("/acme/status/request/")["Location"] == "/acme/status/"
    _ask_for_link(client, submitted.reference, "casey@example.com")
    _sign_in(client, _sent_sign_in_link())
    freeze(NOW + timedelta(minutes=59))
    assert client.get("/acme/status/request/").status_code == 200
    freeze(NOW + timedelta(minutes=61))
    assert client.get("/acme/status/request/")["Location"] == "/acme/status/"


def test_signing_out_ends_the_access(client, tenant_a, submitted):
    _ask_for_link(client, submitted.reference, "casey@example.com")
    _sign_in(client, _sent_sign_in_link())
    assert client.post("/acme/status/sign-out/")["Location"] == "/acme/status/"
    assert client.get("/acme/status/request/")["Location"] == "/acme/status/"


def test_business_a_status_link_cannot_show_anything_at_business_b(
    client, tenant_a, tenant_b, submitted, freeze
):
    _ask_for_link(client, submitted.reference, "casey@example.com", slug="bravo")
    assert StatusLink.objects.for_tenant(tenant_a).count() == 0  # B does not know A's reference
    _ask_for_link(client, submitted.reference, "casey@example.com")
    link = _sent_sign_in_link()
    token = _token(link)
    assert client.get(f"/bravo/status/sign-in/?t={token}").status_code == 410
    assert client.post("/bravo/status/sign-in/", {"t": token}).status_code == 410
    # Signed in at A, the browser is not signed in at B.
    _sign_in(client, link)
    assert client.get("/acme/status/request/").status_code == 200
    assert client.get("/bravo/status/request/")["Location"] == "/bravo/status/"
    # Even a session that names A's request under B's key shows nothing of it.
    session = client.session
    session[f"portal_status_{tenant_b.pk}"] = {"id": submitted.pk, "until": 4e9}
    session.save()
    response = client.get("/bravo/status/request/")
    assert response.status_code == 302
    assert submitted.reference not in response.content.decode()


def test_the_status_page_shows_an_extension_and_its_reason(
    client, tenant_a, submitted, staff_a, freeze
):
    freeze(NOW + timedelta(days=20))
    privacy_request_extend(
        privacy_request=submitted,
        actor=staff_a,
        reason="Your records are in an archive we must restore.",
    )
    _ask_for_link(client, submitted.reference, "casey@example.com")
    _sign_in(client, _sent_sign_in_link())
    page = client.get("/acme/status/request/").content.decode()
    assert "We extended the deadline: Your records are in an archive we must restore." in page
    assert "Why we need more time" in page
    assert f"We need more time for your privacy request {submitted.reference}" in page


def test_the_consumer_can_withdraw_an_open_request_after_confirming(client, tenant_a, submitted):
    _ask_for_link(client, submitted.reference, "casey@example.com")
    _sign_in(client, _sent_sign_in_link())
    assert 'href="/acme/status/withdraw/"' in client.get("/acme/status/request/").content.decode()
    page = client.get("/acme/status/withdraw/").content.decode()
    # §7004(a)(2)(D): equal buttons; no guilt wording.
    assert (
        '<button type="submit" name="choice" value="yes" class="button">Withdraw my request</button>'
        in page
    )
    assert (
        '<button type="submit" name="choice" value="no" class="button">Keep my request</button>'
        in page
    )

    assert (
        client.post("/acme/status/withdraw/", {"choice": "no"})["Location"]
        == "/acme/status/request/"
    )
    submitted.refresh_from_db()
    assert submitted.status == "awaiting_verification"

    client.post("/acme/status/withdraw/", {"choice": "yes"})
    submitted.refresh_from_db()
    assert (submitted.status, submitted.outcome, submitted.denial_reason) == (
        "closed",
        "withdrawn",
        "",
    )
    closed = submitted.communications.get(template="closed")
    assert closed.subject == f"You withdrew your privacy request {submitted.reference}"
    assert "we have withdrawn your request to know" in closed.body
    page = client.get("/acme/status/request/").content.decode()
    assert "Closed: You withdrew this request" in page
    assert "/acme/status/withdraw/" not in page
    # A closed request cannot be withdrawn again.
    assert (
        client.post("/acme/status/withdraw/", {"choice": "yes"})["Location"]
        == "/acme/status/request/"
    )
    assert submitted.communications.filter(template="closed").count() == 1


def test_a_two_step_delete_can_be_confirmed_from_the_status_page(client, tenant_a, freeze):
    tenant_a.delete_two_step = True
    tenant_a.save()
    freeze(NOW)
    client.post(
        "/acme/delete/",
        {**{k: v for k, v in KNOW.items() if k != "know_scope"}, "delete_scope": "all"},
    )
    privacy_request = PrivacyRequest.objects.for_tenant(tenant_a).get()
    other_browser = Client()
    _ask_for_link(other_browser, privacy_request.reference, "casey@example.com")
    _sign_in(other_browser, _sent_sign_in_link())
    page = other_browser.get("/acme/status/request/").content.decode()
    assert "<h2>Please confirm your request to delete</h2>" in page
    other_browser.post("/acme/status/request/", {"choice": "yes"})
    privacy_request.refresh_from_db()
    assert privacy_request.awaiting_consumer_confirmation is False
    page = other_browser.get("/acme/status/request/").content.decode()
    assert "<h2>Please confirm your request to delete</h2>" not in page
    assert "You confirmed your request to delete" in page


def test_requests_made_by_other_channels_can_be_checked_too(client, tenant_a):
    privacy_request = make_request(tenant_a, channel="phone", email="phone.caller@example.com")
    _ask_for_link(client, privacy_request.reference, "phone.caller@example.com")
    _sign_in(client, _sent_sign_in_link())
    assert privacy_request.reference in client.get("/acme/status/request/").content.decode()
