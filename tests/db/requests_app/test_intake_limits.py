"""Intake rules on every channel (portal, API, staff log): two requests to know per 12 months
(Civ. Code §1798.130(b); A-10) and repeat corrections (§7023(g))."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from requests_app.models import EventKind, PrivacyRequest
from requests_app.services import Requester, privacy_request_close, privacy_request_create
from tests.factories import ASSESSMENT, answered, make_request
from tests.helpers import login
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


# --- Two requests to know per 12 months (Civ. Code §1798.130(b); A-10) ----------------------


def _answered_know(tenant, staff, when: datetime, email: str = "casey@example.com"):
    """A request to know received ``when``, then verified and answered."""
    return answered(make_request(tenant, request_type="know", received_at=when, email=email), staff)


@pytest.fixture
def two_answered(tenant_a, staff_a, freeze):
    """Casey's two requests to know of January and March 2025, both answered by staff."""
    freeze(JUN_01)
    return [_answered_know(tenant_a, staff_a, JAN_10), _answered_know(tenant_a, staff_a, MAR_05)]


ASK_AGAIN = "You can make a new request to know from January 10, 2026."


def _third_is_denied_with_the_date(third: PrivacyRequest) -> None:
    assert third.flags == ["know_limit_exceeded"]
    assert third.know_limit_next_date == date(2026, 1, 10)
    assert (third.status, third.outcome, third.denial_reason) == ("closed", "denied", "other")
    assert "1798.130(b)" in third.denial_explanation
    assert "January 10, 2026" in third.denial_explanation


def test_a_third_request_to_know_on_the_portal_is_denied_with_the_date_to_ask_again(
    client, tenant_a, two_answered, freeze
):
    response = _know(client, freeze, JUN_01, email="Casey@Example.com")
    assert response["Location"] == "/acme/know/limit/"
    page = client.get(response["Location"]).content.decode()
    assert "You have already made two requests to know in the last 12 months" in page
    assert ASK_AGAIN in page
    assert "1798.130(b)" in page
    _third_is_denied_with_the_date(_latest(tenant_a))


def test_a_third_request_to_know_through_the_api_gets_the_same_outcome(
    tenant_a, two_answered, api_key_a, freeze
):
    freeze(JUN_01)
    response = Client().post(
        "/api/v1/requests/",
        {
            "type": "know",
            "know_scope": "both",
            "requester": {"name": "Casey", "email": "casey@example.com"},
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_key_a}"},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["outcome"], body["denial_reason"]) == (
        "closed",
        "denied",
        "other",
    )
    assert body["know_limit_next_date"] == "2026-01-10"
    assert body["flags"] == ["know_limit_exceeded"]
    assert "1798.130(b)" in body["explanation"]
    _third_is_denied_with_the_date(_latest(tenant_a))


def test_a_third_request_to_know_logged_by_staff_gets_the_same_outcome(
    tenant_a, two_answered, staff_a, freeze
):
    freeze(JUN_01)
    response = login(staff_a).post(
        "/admin/requests_app/privacyrequest/add/",
        {
            "request_type": "know",
            "know_scope": "both",
            "channel": "phone",
            "received_at_0": "2025-06-01",
            "received_at_1": "09:00:00",
            "language": "en",
            "requester_name": "Casey Consumer",
            "requester_email": "casey@example.com",
        },
        follow=True,
    )
    assert response.status_code == 200
    third = _latest(tenant_a)
    _third_is_denied_with_the_date(third)
    assert "closed it at once as denied" in response.content.decode()


def test_the_answer_to_a_third_request_is_also_its_receipt_confirmation_7021a(
    client, tenant_a, two_answered, freeze
):
    _know(client, freeze, JUN_01)
    third = _latest(tenant_a)
    # Receipt is confirmed by the answer itself: one email, no "we will respond by" message.
    assert [c.template for c in third.communications.all()] == ["closed"]
    assert third.confirmed_at == JUN_01
    kinds = list(third.events.values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.FLAGGED, EventKind.CLOSED, EventKind.ACKNOWLEDGED]
    message = outbox(tenant_a)[-1]
    assert message.recipient == "casey@example.com"
    assert "January 10, 2026" in message.body


def test_a_business_that_flags_leaves_the_third_request_to_staff(
    client, tenant_a, two_answered, freeze
):
    tenant_a.know_limit_policy = "flag"
    tenant_a.save()
    assert _know(client, freeze, JUN_01)["Location"] == "/acme/sent/"
    third = _latest(tenant_a)
    assert third.flags == ["know_limit_exceeded"]
    assert third.know_limit_next_date == date(2026, 1, 10)
    assert third.status == "awaiting_verification"  # open: staff decide
    # Open, so it is verified like any request to know (§7060): the email link goes out too.
    assert [c.template for c in third.communications.all()] == [
        "acknowledgement",
        "verification/verify_email",
    ]
    flagged = third.events.get(kind=EventKind.FLAGGED)
    assert "Staff decide" in flagged.message


def test_two_requests_filed_under_someone_elses_email_never_cost_them_a_request(
    client, tenant_a, freeze
):
    # Someone files two requests to know with Casey's address: never verified, never answered.
    _know(client, freeze, JAN_10)
    _know(client, freeze, MAR_05)
    # Casey's own request is received like any other.
    assert _know(client, freeze, JUN_01)["Location"] == "/acme/sent/"
    assert _latest(tenant_a).flags == []
    assert _latest(tenant_a).know_limit_next_date is None


def test_denied_and_withdrawn_requests_do_not_count(client, tenant_a, staff_a, freeze):
    freeze(JUN_01)
    denied = make_request(tenant_a, request_type="know", received_at=JAN_10)
    privacy_request_close(
        privacy_request=denied,
        actor=staff_a,
        outcome="denied",
        denial_reason="unverifiable",
        explanation="We could not match the details you gave.",
    )
    _answered_know(tenant_a, staff_a, MAR_05)
    assert _know(client, freeze, JUN_01)["Location"] == "/acme/sent/"
    assert _latest(tenant_a).flags == []


def test_the_limit_ends_12_months_after_the_earlier_answered_request(
    client, tenant_a, two_answered, freeze
):
    assert _know(client, freeze, datetime(2026, 1, 9, 17, 0, tzinfo=UTC))["Location"].endswith(
        "/know/limit/"
    )
    assert (
        _know(client, freeze, datetime(2026, 1, 10, 17, 0, tzinfo=UTC))["Location"] == "/acme/sent/"
    )


def test_the_know_limit_is_per_consumer_and_per_business(
    client, tenant_a, tenant_b, two_answered, freeze
):
    assert (
        _know(client, freeze, JUN_01, email="someone.else@example.com")["Location"] == "/acme/sent/"
    )
    assert _know(client, freeze, JUN_01, slug="bravo")["Location"] == "/bravo/sent/"


def test_other_request_types_are_not_limited(client, tenant_a, two_answered, freeze):
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
        assessment=ASSESSMENT,
        documentation_considered="The county's records.",
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


def test_a_repeat_correction_through_the_api_is_flagged_too_7023g(
    tenant_a, api_key_a, freeze, denied_on_jan_15
):
    freeze(datetime(2025, 4, 1, 17, 0, tzinfo=UTC))
    response = Client().post(
        "/api/v1/requests/",
        {
            "type": "correct",
            "requester": {"name": "Casey", "email": "casey@example.com"},
            "correction_field": "postal_address",
            "correction_information": "12 Old Street, Fresno",
            "correction_requested": "34 New Avenue, Fresno",
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_key_a}"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["flags"] == ["repeat_correction_within_6_months"]
    assert response.json()["status"] == "awaiting_verification"  # staff decide


def test_a_repeat_correction_logged_by_intake_on_any_channel_is_flagged_7023g(
    tenant_a, freeze, denied_on_jan_15
):
    freeze(datetime(2025, 4, 1, 17, 0, tzinfo=UTC))
    phoned = privacy_request_create(
        tenant=tenant_a,
        request_type="correct",
        channel="phone",
        requester=Requester(name="Casey Consumer", email="casey@example.com"),
        details={
            "correction_field": "postal_address",
            "correction_information": "12 Old Street, Fresno",
            "correction_requested": "34 New Avenue, Fresno",
        },
    )
    assert phoned.flags == ["repeat_correction_within_6_months"]
    assert phoned.status == "awaiting_verification"


def test_a_repeat_correction_logged_by_staff_is_flagged_too_7023g(
    tenant_a, staff_a, freeze, denied_on_jan_15
):
    freeze(datetime(2025, 4, 1, 17, 0, tzinfo=UTC))
    response = login(staff_a).post(
        "/admin/requests_app/privacyrequest/add/",
        {
            "request_type": "correct",
            "channel": "phone",
            "received_at_0": "2025-04-01",
            "received_at_1": "09:00:00",
            "language": "en",
            "requester_name": "Casey Consumer",
            "requester_email": "casey@example.com",
            "correction_field": "postal_address",
            "correction_information": "12 Old Street, Fresno",
            "correction_requested": "34 New Avenue, Fresno",
        },
    )
    assert response.status_code == 302
    logged = _latest(tenant_a)
    assert (logged.channel, logged.flags) == ("phone", ["repeat_correction_within_6_months"])
