"""The record never says what did not happen, and the closing rules hold for every request
(§7021, §7020(d), §7022(f), §7023(f)-(h), §7026(e), (j), §7027(f), (j), §7060(b), §7101(b))."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from core.refusals import Refused
from requests_app.models import Communication, PrivacyRequest
from requests_app.services import (
    privacy_request_close,
    privacy_request_extend,
    privacy_request_mark_verified,
)
from tests.factories import make_request
from tests.helpers import Api, error_of, login

pytestmark = pytest.mark.django_db

RECEIVED = datetime(2025, 11, 3, 18, 0, tzinfo=UTC)
LETTER = (
    "Dear Casey, we need more time to answer your request: we are searching our archive. "
    "We will answer by February 1, 2026."
)


@pytest.fixture
def by_phone(tenant_a, freeze) -> PrivacyRequest:
    """A request to delete taken on the phone, with no email address on file."""
    freeze(RECEIVED)
    return make_request(tenant_a, channel="phone", email="", received_at=RECEIVED)


# --- An extension is never "notified" when nobody was told (§7021(b)) ---------------------------


def test_an_extension_without_an_email_waits_for_staff_to_record_the_notice(by_phone, staff_a):
    with pytest.raises(Refused) as refused:
        privacy_request_extend(privacy_request=by_phone, actor=staff_a, reason="Archive search.")
    assert refused.value.code == "notice_method_required"
    by_phone.refresh_from_db()
    assert by_phone.extended_at is None
    assert not by_phone.events.filter(kind="extended").exists()


def test_an_extension_told_by_letter_is_recorded_with_the_letter(by_phone, staff_a):
    extended = privacy_request_extend(
        privacy_request=by_phone,
        actor=staff_a,
        reason="Archive search.",
        notice_method="mail",
        notice_text=LETTER,
    )
    assert extended.extended_at is not None
    (letter,) = Communication.objects.for_tenant(by_phone.tenant).filter(privacy_request=by_phone)
    assert (letter.channel, letter.template, letter.body.strip()) == ("mail", "extension", LETTER)
    event = extended.events.get(kind="extended")
    assert "consumer told by letter" in event.message
    assert "emailed" not in event.message


def test_an_emailed_extension_says_it_was_emailed(tenant_a, staff_a, freeze):
    freeze(RECEIVED)
    privacy_request = make_request(tenant_a, received_at=RECEIVED)
    extended = privacy_request_extend(
        privacy_request=privacy_request, actor=staff_a, reason="Archive search."
    )
    assert (
        "consumer emailed at consumer@example.com" in extended.events.get(kind="extended").message
    )


def test_the_admin_offers_the_extension_notice_as_a_script_and_records_it(by_phone, staff_a):
    client = login(staff_a)
    url = reverse("admin:requests_app_privacyrequest_extend", args=[by_phone.pk])
    script = client.get(url).context["form"].fields["notice_text"].initial
    assert by_phone.reference in script
    assert "90 days" in script

    refused = client.post(url, {"reason": "Archive search."})
    assert refused.status_code == 200  # the form again, with the reason the notice is missing
    assert "There is no email address on file" in refused.content.decode()

    done = client.post(
        url, {"reason": "Archive search.", "notice_method": "oral", "notice_text": script}
    )
    assert done.status_code == 302
    assert Communication.objects.for_tenant(by_phone.tenant).get().channel == "oral"


def test_the_api_refuses_an_extension_nobody_can_be_told_of(by_phone, api_key_a):
    response = Api(api_key_a).post(
        f"/api/v1/requests/{by_phone.reference}/extend", {"reason": "Archive search."}
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "notice_method_required"
    assert "no email address on file" in error_of(response)["message"]


def test_a_closing_without_an_email_says_the_consumer_still_has_to_be_told(by_phone, staff_a):
    closed = privacy_request_close(
        privacy_request=by_phone,
        actor=staff_a,
        outcome="denied",
        denial_reason="unverifiable",
        explanation="We could not match the details you gave us on the phone.",
    )
    message = closed.events.get(kind="closed").message
    assert "no email address on file" in message
    assert "emailed" not in message


# --- Opt-out and limit denials (§7026(e), (j); §7027(f), (j); §7060(b)) ------------------------


@pytest.mark.parametrize("request_type", ["opt_out", "limit"])
def test_an_opt_out_cannot_be_denied_as_unverifiable(tenant_a, staff_a, request_type):
    opt_out = make_request(tenant_a, request_type=request_type)
    with pytest.raises(Refused) as refused:
        privacy_request_close(
            privacy_request=opt_out,
            actor=staff_a,
            outcome="denied",
            denial_reason="unverifiable",
            explanation="We could not match the details you gave us.",
        )
    assert refused.value.code == "denial_reason_not_allowed"
    opt_out.refresh_from_db()
    assert opt_out.status != "closed"


def test_a_fraud_denial_keeps_its_documentation_and_explains_itself_to_the_requester(
    tenant_a, staff_a
):
    opt_out = make_request(tenant_a, request_type="opt_out")
    closed = privacy_request_close(
        privacy_request=opt_out,
        actor=staff_a,
        outcome="denied",
        denial_reason="fraudulent",
        explanation="We believe this request was not made by you or for you.",
        fraud_documentation="Forty requests in a minute from one address, each with a new name.",
    )
    assert closed.denial_fraud_documentation.startswith("Forty requests")
    answer = closed.communications.get(template="closed")
    assert "not made by you or for you" in answer.body
    assert "Forty requests" not in answer.body  # the documentation is for the record only


def test_the_admin_close_form_refuses_a_one_word_explanation(tenant_a, staff_a):
    privacy_request = make_request(tenant_a)
    response = login(staff_a).post(
        reverse("admin:requests_app_privacyrequest_close", args=[privacy_request.pk]),
        {"outcome": "denied", "denial_reason": "other", "explanation": "Denied."},
    )
    assert response.status_code == 200
    assert "a stock phrase is not an explanation" in response.content.decode()
    privacy_request.refresh_from_db()
    assert privacy_request.status != "closed"


# --- Two-step delete (§7020(d)) ----------------------------------------------------------------


def test_a_two_step_delete_cannot_be_closed_as_complied_before_the_consumer_confirms(
    tenant_a, staff_a
):
    privacy_request = make_request(tenant_a, details={"awaiting_consumer_confirmation": True})
    privacy_request = privacy_request_mark_verified(
        privacy_request=privacy_request, actor=staff_a, method="Email link and two data points."
    )
    with pytest.raises(Refused) as refused:
        privacy_request_close(privacy_request=privacy_request, actor=staff_a, outcome="complied")
    assert refused.value.code == "awaiting_consumer_confirmation"
    privacy_request.refresh_from_db()
    assert privacy_request.status == "verified"
