"""The two-step delete (§7020(d)): the second step, its cancellation, and the close of requests
never confirmed (A-18)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from requests_app.models import EventKind, PrivacyRequest
from requests_app.services.sweep import close_unconfirmed_deletes
from requests_app.tasks import sweep_deadlines_task
from tests.portal_helpers import DELETE, communication_of, outbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal")]


def _latest(tenant) -> PrivacyRequest:
    return PrivacyRequest.objects.for_tenant(tenant).order_by("-created_at", "-id").first()


# --- Two-step delete (§7020(d)) ------------------------------------------------------------------


@pytest.fixture
def two_step(tenant_a):
    tenant_a.delete_two_step = True
    tenant_a.save()
    return tenant_a


def test_two_step_delete_asks_for_confirmation_and_the_clock_starts_at_the_first_step_7020d(
    client, two_step, freeze
):
    freeze(datetime(2025, 11, 3, 18, 0, tzinfo=UTC))
    response = client.post("/acme/delete/", DELETE)
    assert response["Location"] == "/acme/delete/confirm/"
    privacy_request = _latest(two_step)
    assert privacy_request.awaiting_consumer_confirmation is True
    assert privacy_request.respond_by == date(2025, 12, 18)
    # The acknowledgement goes out at once (§7021(a)) and says a confirmation is needed.
    ack = communication_of(privacy_request)
    assert "Please confirm your request to delete" in ack.body

    page = client.get("/acme/delete/confirm/").content.decode()
    assert "We will not delete anything until you confirm." in page
    # §7004(a)(2)(D): the two choices are equally prominent.
    assert '<button type="submit" name="choice" value="yes" class="button">' in page
    assert '<button type="submit" name="choice" value="no" class="button">' in page

    freeze(datetime(2025, 11, 6, 18, 0, tzinfo=UTC))
    response = client.post("/acme/delete/confirm/", {"choice": "yes"})
    assert response["Location"] == "/acme/sent/"
    privacy_request.refresh_from_db()
    assert privacy_request.awaiting_consumer_confirmation is False
    assert privacy_request.consumer_confirmed_at == datetime(2025, 11, 6, 18, 0, tzinfo=UTC)
    assert privacy_request.respond_by == date(2025, 12, 18)  # D + 45 from the first step
    assert privacy_request.events.filter(kind=EventKind.CONSUMER_CONFIRMED).count() == 1
    assert "Thank you for confirming" in client.get("/acme/sent/").content.decode()
    # Confirming twice changes nothing.
    assert client.post("/acme/delete/confirm/", {"choice": "yes"})["Location"] == "/acme/sent/"
    assert privacy_request.events.filter(kind=EventKind.CONSUMER_CONFIRMED).count() == 1


def test_cancelling_the_second_step_withdraws_the_request_7020d(client, two_step):
    client.post("/acme/delete/", DELETE)
    response = client.post("/acme/delete/confirm/", {"choice": "no"})
    assert response["Location"] == "/acme/delete/cancelled/"
    privacy_request = _latest(two_step)
    assert (privacy_request.status, privacy_request.outcome) == ("closed", "withdrawn")
    assert "We will not delete anything" in client.get(response["Location"]).content.decode()
    assert (
        outbox(two_step)[-1].subject
        == f"You withdrew your privacy request {privacy_request.reference}"
    )


def test_without_two_step_the_delete_request_needs_no_confirmation(client, tenant_a):
    assert client.post("/acme/delete/", DELETE)["Location"] == "/acme/sent/"
    assert client.get("/acme/delete/confirm/")["Location"] == "/acme/sent/"


def test_the_delete_form_says_a_confirmation_will_follow_when_two_step_is_on(client, two_step):
    assert "we will ask you to confirm" in client.get("/acme/delete/").content.decode()


def test_a_two_step_delete_never_confirmed_is_closed_as_denied_after_the_window_a18(
    client, two_step, freeze
):
    freeze(datetime(2025, 11, 3, 18, 0, tzinfo=UTC))
    client.post("/acme/delete/", DELETE)
    unconfirmed = _latest(two_step)
    client.post("/acme/delete/", {**DELETE, "email": "other@example.com"})
    confirmed = _latest(two_step)
    client.post("/acme/delete/confirm/", {"choice": "yes"})

    freeze(datetime(2025, 11, 16, 18, 0, tzinfo=UTC))  # 13 days: still inside the 14-day window
    assert close_unconfirmed_deletes() == 0

    freeze(datetime(2025, 11, 17, 19, 0, tzinfo=UTC))
    assert sweep_deadlines_task()["unconfirmed_deletes_closed"] == 1
    unconfirmed.refresh_from_db()
    confirmed.refresh_from_db()
    assert (unconfirmed.status, unconfirmed.outcome, unconfirmed.denial_reason) == (
        "closed",
        "denied",
        "other",
    )
    assert "did not confirm" in unconfirmed.denial_explanation
    assert unconfirmed.communications.filter(template="closed").exists()
    assert confirmed.status != "closed"
    assert close_unconfirmed_deletes() == 0  # idempotent
