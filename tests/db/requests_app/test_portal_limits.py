"""Limits and flags at intake: two requests to know per 12 months (Civ. Code §1798.130(b)),
repeat corrections (§7023(g)), and the two-step delete (§7020(d))."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from requests_app.models import EventKind, PrivacyRequest
from requests_app.services import (
    Requester,
    privacy_request_close,
    privacy_request_create,
    privacy_request_mark_verified,
)
from tests.portal_helpers import CORRECT, DELETE, KNOW, PNG, outbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal")]

# 17:00 UTC is mid-morning in Los Angeles: the local date is the UTC date.
JAN_10 = datetime(2025, 1, 10, 17, 0, tzinfo=UTC)
MAR_05 = datetime(2025, 3, 5, 17, 0, tzinfo=UTC)
JUN_01 = datetime(2025, 6, 1, 17, 0, tzinfo=UTC)


def _know(client, freeze, when: datetime, email: str = "casey@example.com", slug: str = "acme"):
    freeze(when)
    return client.post(f"/{slug}/know/", {**KNOW, "email": email})


def _latest(tenant) -> PrivacyRequest:
    return PrivacyRequest.objects.for_tenant(tenant).order_by("-created_at", "-id").first()


# --- Two requests to know per 12 months ---------------------------------------------------------


def test_a_third_request_to_know_in_12_months_gets_a_page_with_the_date_to_ask_again_1798_130b(
    client, tenant_a, freeze
):
    assert _know(client, freeze, JAN_10)["Location"] == "/acme/sent/"
    assert _know(client, freeze, MAR_05)["Location"] == "/acme/sent/"
    response = _know(client, freeze, JUN_01, email="Casey@Example.com")
    assert response["Location"] == "/acme/know/limit/"
    page = client.get(response["Location"]).content.decode()
    assert "You have already made two requests to know in the last 12 months" in page
    assert "You can make a new request to know from January 10, 2026." in page
    assert "1798.130(b)" in page


def test_the_third_attempt_is_logged_flagged_and_answered_never_dropped_1798_130b(
    client, tenant_a, freeze
):
    _know(client, freeze, JAN_10)
    _know(client, freeze, MAR_05)
    _know(client, freeze, JUN_01)
    third = _latest(tenant_a)
    assert third.flags == ["know_limit_exceeded"]
    assert (third.status, third.outcome, third.denial_reason) == ("closed", "denied", "other")
    assert "1798.130(b)" in third.denial_explanation
    assert "January 10, 2026" in third.denial_explanation
    # Receipt is confirmed by the answer itself: one email, no "we will respond by" message.
    assert [c.template for c in third.communications.all()] == ["closed"]
    assert third.confirmed_at == JUN_01
    kinds = list(third.events.values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.FLAGGED, EventKind.CLOSED, EventKind.ACKNOWLEDGED]
    message = outbox(tenant_a)[-1]
    assert message.recipient == "casey@example.com"
    assert "January 10, 2026" in message.body


def test_open_requests_to_know_count_toward_the_limit_and_denied_ones_do_not(
    client, tenant_a, freeze, staff_a
):
    _know(client, freeze, JAN_10)
    first = _latest(tenant_a)
    _know(client, freeze, MAR_05)
    # The first one is denied: it no longer counts, so a third one is accepted.
    privacy_request_close(
        privacy_request=first,
        actor=staff_a,
        outcome="denied",
        denial_reason="unverifiable",
        explanation="We could not match your details.",
    )
    assert _know(client, freeze, JUN_01)["Location"] == "/acme/sent/"
    assert _latest(tenant_a).flags == []


def test_fulfilled_requests_count_and_the_limit_ends_12_months_after_the_earlier_one(
    client, tenant_a, freeze, staff_a
):
    _know(client, freeze, JAN_10)
    first = _latest(tenant_a)
    privacy_request_mark_verified(
        privacy_request=first, actor=staff_a, method="email + 2 data points"
    )
    privacy_request_close(privacy_request=first, actor=staff_a, outcome="complied")
    _know(client, freeze, MAR_05)
    assert _know(client, freeze, datetime(2026, 1, 9, 17, 0, tzinfo=UTC))["Location"].endswith(
        "/know/limit/"
    )
    assert (
        _know(client, freeze, datetime(2026, 1, 10, 17, 0, tzinfo=UTC))["Location"] == "/acme/sent/"
    )


def test_the_know_limit_is_per_consumer_and_per_business(client, tenant_a, tenant_b, freeze):
    _know(client, freeze, JAN_10)
    _know(client, freeze, MAR_05)
    assert (
        _know(client, freeze, JUN_01, email="someone.else@example.com")["Location"] == "/acme/sent/"
    )
    assert _know(client, freeze, JUN_01, slug="bravo")["Location"] == "/bravo/sent/"


def test_other_request_types_are_not_limited(client, tenant_a, freeze):
    _know(client, freeze, JAN_10)
    _know(client, freeze, MAR_05)
    freeze(JUN_01)
    assert client.post("/acme/delete/", DELETE)["Location"] == "/acme/sent/"
    assert client.post("/acme/correct/", CORRECT)["Location"] == "/acme/sent/"


def test_the_limit_page_without_a_limited_submission_goes_home(client, tenant_a):
    assert client.get("/acme/know/limit/")["Location"] == "/acme/"


# --- Repeat corrections (§7023(g)) ---------------------------------------------------------------


def _denied_correction(
    tenant, staff, *, field: str = "postal_address", information: str = "12 Old Street, Fresno"
):
    """A request to correct received 2025-01-02 and denied on 2025-01-15."""
    privacy_request = privacy_request_create(
        tenant=tenant,
        request_type="correct",
        channel="email",
        requester=Requester(name="Casey Consumer", email="casey@example.com"),
        received_at=datetime(2025, 1, 2, 17, 0, tzinfo=UTC),
        details={
            "correction_field": field,
            "correction_information": information,
            "correction_requested": "34 New Avenue, Fresno",
        },
    )
    return privacy_request_close(
        privacy_request=privacy_request,
        actor=staff,
        outcome="denied",
        denial_reason="other",
        explanation="Our records from the county show the address is right.",
    )


def _correct(client, freeze, when: datetime, **changes):
    freeze(when)
    response = client.post("/acme/correct/", {**CORRECT, **changes})
    assert response.status_code == 302
    return response


@pytest.fixture
def denied_on_jan_15(tenant_a, staff_a, freeze):
    freeze(datetime(2025, 1, 15, 18, 0, tzinfo=UTC))
    return _denied_correction(tenant_a, staff_a)


def test_a_correction_of_the_same_field_within_6_months_of_a_denial_is_flagged_7023g(
    client, tenant_a, freeze, denied_on_jan_15
):
    _correct(client, freeze, datetime(2025, 4, 1, 17, 0, tzinfo=UTC), email="CASEY@example.com")
    privacy_request = _latest(tenant_a)
    assert privacy_request.flags == ["repeat_correction_within_6_months"]
    assert privacy_request.status == "awaiting_verification"  # staff decide; nothing automatic
    flagged = privacy_request.events.get(kind=EventKind.FLAGGED)
    assert denied_on_jan_15.reference in flagged.message
    assert "§7023(g)" in flagged.message


def test_a_correction_more_than_6_months_after_the_denial_is_not_flagged_7023g(
    client, tenant_a, freeze, denied_on_jan_15
):
    _correct(client, freeze, datetime(2025, 8, 1, 17, 0, tzinfo=UTC))
    assert _latest(tenant_a).flags == []


def test_a_correction_of_a_different_field_is_not_flagged_7023g(
    client, tenant_a, freeze, denied_on_jan_15
):
    _correct(client, freeze, datetime(2025, 4, 1, 17, 0, tzinfo=UTC), correction_field="name")
    assert _latest(tenant_a).flags == []


def test_a_correction_with_new_documentation_is_a_new_request_and_not_flagged_7023g(
    client, tenant_a, freeze, denied_on_jan_15
):
    upload = SimpleUploadedFile("lease.png", PNG, content_type="image/png")
    _correct(client, freeze, datetime(2025, 4, 1, 17, 0, tzinfo=UTC), document=upload)
    assert _latest(tenant_a).flags == []


def test_something_else_is_the_same_inaccuracy_only_when_it_describes_the_same_thing_7023g(
    client, tenant_a, staff_a, freeze
):
    freeze(datetime(2025, 1, 15, 18, 0, tzinfo=UTC))
    _denied_correction(tenant_a, staff_a, field="other", information="My loyalty  tier is Bronze")
    _correct(
        client,
        freeze,
        datetime(2025, 4, 1, 17, 0, tzinfo=UTC),
        correction_field="other",
        correction_information="my loyalty tier is bronze",
    )
    assert _latest(tenant_a).flags == ["repeat_correction_within_6_months"]
    _correct(
        client,
        freeze,
        datetime(2025, 4, 2, 17, 0, tzinfo=UTC),
        correction_field="other",
        correction_information="My birthday is wrong",
    )
    assert _latest(tenant_a).flags == []


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
    ack = privacy_request.communications.get()
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
    from requests_app.services.portal import close_unconfirmed_deletes
    from requests_app.tasks import sweep_deadlines_task

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
