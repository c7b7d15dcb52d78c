"""A consumer's one-time sign-in link reaches the consumer's mailbox and nobody else: no API answer
and no admin page shows a link that works, so neither an API key nor a staff member can sign in
as the consumer and act in their name (issue 11). Staff see that a link was sent."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from core import clock
from outbox.models import OutboxMessage
from outbox.sealing import Secret
from requests_app.models import Communication, PrivacyRequest
from requests_app.services.consumer_messages import ACKNOWLEDGEMENT_SUBJECT, consumer_email_send
from tests.factories import make_request
from tests.helpers import login
from tests.portal_helpers import KNOW, outbox, sent_emails

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal")]

NOW = datetime(2025, 11, 3, 18, 0, tzinfo=UTC)
REDACTION = "[sign-in link: sent, not shown]"
# Anything that looks like a token in a link: the status page's ?t=, whatever it is called.
TOKEN_IN_LINK = re.compile(r"[?&](?:amp;)?t=([\w-]+)")


@pytest.fixture
def privacy_request(client, tenant_a, freeze) -> PrivacyRequest:
    freeze(NOW)
    client.post("/acme/know/", KNOW)
    privacy_request = PrivacyRequest.objects.for_tenant(tenant_a).get()
    client.post(
        "/acme/status/", {"reference": privacy_request.reference, "email": "casey@example.com"}
    )
    return privacy_request


def _signs_in(token: str) -> bool:
    """Whether ``token`` opens the consumer's status page (in a browser of its own)."""
    response = Client().post("/acme/status/sign-in/", {"t": token})
    return response.status_code == 302 and response["Location"] == "/acme/status/request/"


def _working_tokens(text: str) -> list[str]:
    return [token for token in TOKEN_IN_LINK.findall(text) if _signs_in(token)]


def test_an_api_key_reading_the_outbox_finds_no_sign_in_link_that_works(privacy_request, api_key_a):
    response = Client().get("/api/v1/outbox/", headers={"Authorization": f"Bearer {api_key_a}"})
    assert response.status_code == 200
    assert _working_tokens(response.content.decode()) == []
    # It shows that the link was sent, to whom and about which request.
    [row] = [r for r in response.json()["results"] if r["subject"].startswith("Your link")]
    assert (row["recipient"], row["reference"]) == ("casey@example.com", privacy_request.reference)
    assert REDACTION in row["body"]


def test_staff_see_that_a_link_was_sent_never_the_link(privacy_request, tenant_a, admin_a):
    staff = login(admin_a)
    [message] = [m for m in outbox(tenant_a) if m.dedupe_key.startswith("status-link:")]
    pages = [
        reverse("admin:outbox_outboxmessage_changelist"),
        reverse("admin:outbox_outboxmessage_change", args=[message.pk]),
        reverse("admin:requests_app_privacyrequest_change", args=[privacy_request.pk]),
        *(
            reverse("admin:requests_app_communication_change", args=[communication.pk])
            for communication in Communication.objects.for_tenant(tenant_a)
        ),
    ]
    [email] = [e for e in sent_emails() if e.subject.startswith("Your link")]
    token = TOKEN_IN_LINK.search(email.body).group(1)  # the consumer's, for the check
    for page in pages:
        html = staff.get(page).content.decode()
        assert token not in html, page
    assert REDACTION in staff.get(pages[1]).content.decode()


def test_the_emailed_link_signs_the_consumer_in_and_the_outbox_then_forgets_it(
    privacy_request, tenant_a, api_key_a
):
    [email] = [e for e in sent_emails() if e.subject.startswith("Your link")]
    assert email.to == ["casey@example.com"]
    assert "http://testserver/acme/status/sign-in/?t=" in email.body
    [token] = _working_tokens(email.body)  # it opens the consumer's status page
    message = OutboxMessage.objects.for_tenant(tenant_a).get(dedupe_key__startswith="status-link:")
    assert (message.status, message.body_encrypted) == ("sent", "")
    assert token not in message.body


# --- The same for a link in a message about the request (a Communication) ----------------------


def test_a_link_in_a_consumer_message_reaches_only_the_consumer(
    tenant_a, settings, tmp_path, api_key_a
):
    # A later issue's message with a one-time link, here in the acknowledgement's place: the
    # template compiled into a shape (message_shapes) must not keep one request's link for the next.
    emails = tmp_path / "requests_app" / "emails"
    emails.mkdir(parents=True)
    (emails / "acknowledgement.txt").write_text(
        "{% autoescape off %}Hello, download {{ privacy_request.reference }} here:"
        " {{ download_link }}{% endautoescape %}\n"
    )
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [tmp_path, *engine["DIRS"]]}]
    requests = [make_request(tenant_a, email=f"c{n}@example.com") for n in range(2)]
    links = {}
    for privacy_request in requests:
        link = f"https://portal.example/acme/download/?t=token-of-{privacy_request.reference}"
        links[privacy_request.reference] = link
        communication = consumer_email_send(
            privacy_request,
            template="acknowledgement",
            subject=ACKNOWLEDGEMENT_SUBJECT,
            now=clock.now(),
            secrets={"download_link": Secret("download link", link)},
        )
        assert communication.body == (
            f"Hello, download {privacy_request.reference} here: [download link: sent, not shown]\n"
        )
    api = Client().get("/api/v1/outbox/", headers={"Authorization": f"Bearer {api_key_a}"})
    assert "token-of-" not in api.content.decode()
    for privacy_request in requests:
        detail = Client().get(
            f"/api/v1/requests/{privacy_request.reference}",
            headers={"Authorization": f"Bearer {api_key_a}"},
        )
        assert detail.status_code == 200
        assert "token-of-" not in detail.content.decode()

    sent = {email.to[0]: email.body for email in sent_emails() if "here: https" in email.body}
    assert sent == {
        privacy_request.requester_email: (
            f"Hello, download {privacy_request.reference} here: "
            f"{links[privacy_request.reference]}\n"
        )
        for privacy_request in requests
    }
