"""Requests to correct (§7023, issue 16 item 5): the recorded assessment, recipients told to
correct, the consumer's 250-word statement, the source named, a correction that stays corrected
(the check API), and the §7023(j) disclosure that does not count as a request to know."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from core.refusals import Refused
from optout.models import RecipientNotification
from optout.recipient_services import recipient_create
from outbox.models import OutboxMessage
from requests_app import vocabulary as words
from requests_app.models import (
    Communication,
    CorrectionStatement,
    PrivacyRequest,
    RecordedCorrection,
)
from requests_app.services import privacy_request_close, privacy_request_mark_verified
from requests_app.services.corrections import correction_digest
from tenants.services import api_key_create
from tests.factories import ASSESSMENT, answered, closed_correction, make_request
from tests.helpers import login
from tests.portal_helpers import CORRECT, sent_emails

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal")]

START = datetime(2026, 2, 2, 17, 0, tzinfo=UTC)
CHECK = "/api/v1/corrections/check/"


@pytest.fixture(autouse=True)
def _now(freeze):
    freeze(START)


def _answer(privacy_request: PrivacyRequest) -> str:
    return (
        Communication.objects.for_tenant(privacy_request.tenant)
        .filter(privacy_request=privacy_request, template="closed")
        .get()
        .body
    )


def _verified_correction(tenant, actor, **details) -> PrivacyRequest:
    privacy_request = make_request(
        tenant,
        request_type="correct",
        details={
            "correction_field": "postal_address",
            "correction_information": "12 Old Street, Fresno",
            "correction_requested": "34 New Avenue, Fresno",
            **details,
        },
    )
    return privacy_request_mark_verified(
        privacy_request=privacy_request, actor=actor, method="Email link and two data points."
    )


# --- §7023(b): the assessment -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "close"),
    [
        ("complied", {}),
        (
            "complied_in_part",
            {
                "denial_reason": "exempt",
                "legal_basis": "Civ. Code §1798.145",
                "done_explanation": "We corrected your phone number.",
            },
        ),
        ("denied", {"denial_reason": "other"}),
    ],
)
def test_7023_b_a_correction_is_not_closed_on_the_merits_without_the_assessment(
    tenant_a, staff_a, outcome, close
):
    privacy_request = _verified_correction(tenant_a, staff_a)
    if outcome != "complied":
        close["explanation"] = "Our records and the county's show the address we hold is right."
    with pytest.raises(Refused) as refused:
        privacy_request_close(
            privacy_request=privacy_request, actor=staff_a, outcome=outcome, **close
        )
    assert refused.value.code == "assessment_required"
    assert refused.value.field == "assessment"
    with pytest.raises(Refused) as refused:
        privacy_request_close(
            privacy_request=privacy_request,
            actor=staff_a,
            outcome=outcome,
            assessment=ASSESSMENT,
            **close,
        )
    assert refused.value.field == "documentation_considered"
    privacy_request.refresh_from_db()
    assert privacy_request.is_open

    closed = privacy_request_close(
        privacy_request=privacy_request,
        actor=staff_a,
        outcome=outcome,
        assessment=ASSESSMENT,
        documentation_considered="The consumer's utility bill.",
        **close,
    )
    closed.refresh_from_db()
    assert closed.correction_assessment == ASSESSMENT
    assert closed.correction_documentation == "The consumer's utility bill."
    # Kept with the record, never sent to the consumer.
    assert ASSESSMENT not in _answer(closed)


def test_7023_b_a_denial_not_on_the_merits_needs_no_assessment(tenant_a, staff_a):
    privacy_request = make_request(tenant_a, request_type="correct")
    closed = privacy_request_close(
        privacy_request=privacy_request,
        actor=staff_a,
        outcome="denied",
        denial_reason="unverifiable",
        explanation="We could not match the details you gave to our records of you.",
    )
    assert closed.outcome == "denied"


def test_7023_b_the_admin_close_form_asks_for_the_assessment(tenant_a, admin_a):
    privacy_request = _verified_correction(tenant_a, admin_a)
    page = login(admin_a).get(f"/admin/requests_app/privacyrequest/{privacy_request.pk}/close/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "totality of the circumstances" in text
    assert 'name="documentation_considered"' in text
    assert 'name="information_source"' in text


# --- §7023(c): recipients told to correct --------------------------------------------------------


def test_7023_c_service_providers_are_told_to_correct_on_compliance(tenant_a, staff_a, freeze):
    freeze(datetime(2026, 1, 5, 17, 0, tzinfo=UTC))
    recipient_create(
        tenant=tenant_a,
        name="Mailer Inc",
        kind="service_provider",
        categories="Identifiers",
        delivery="email",
        email="privacy@mailer.example",
    )
    recipient_create(
        tenant=tenant_a,
        name="Ad Network",
        kind="third_party",
        categories="Identifiers",
        delivery="email",
        email="privacy@ads.example",
        sold_or_shared=True,
    )
    freeze(START)
    privacy_request = closed_correction(tenant_a, staff_a)
    notified = RecipientNotification.objects.for_tenant(tenant_a).filter(
        privacy_request=privacy_request
    )
    assert [n.recipient.name for n in notified] == ["Mailer Inc"]
    body = notified.get().message.body
    assert "Correct the consumer's personal information" in body
    assert "correct it to: 34 New Avenue, Fresno" in body
    assert "§7023(c)" in body


# --- §7023(f)(4): the consumer's statement -------------------------------------------------------


def _signed_in(client: Client, tenant, privacy_request) -> None:
    client.post(
        f"/{tenant.slug}/status/",
        {"reference": privacy_request.reference, "email": privacy_request.requester_email},
    )
    links = re.findall(
        r"http://testserver(/\S+/status/sign-in/)\?t=([\w-]+)",
        "\n".join(email.body for email in sent_emails()),
    )
    path, token = links[-1]
    assert client.post(path, {"t": token}).status_code == 302


def _words(count: int) -> str:
    return " ".join(f"word{index}" for index in range(count))


def test_7023_f_4_a_statement_of_250_words_at_most_is_kept_shown_and_passed_on(
    tenant_a, admin_a, freeze
):
    freeze(datetime(2026, 1, 5, 17, 0, tzinfo=UTC))
    recipient_create(
        tenant=tenant_a,
        name="Clinic Partner",
        kind="third_party",
        categories="Health information",
        delivery="email",
        email="privacy@clinic.example",
    )
    freeze(START)
    privacy_request = closed_correction(tenant_a, admin_a, outcome="denied")
    # The answer offers it, with the page's address.
    answer = _answer(privacy_request)
    assert "250 words" in answer
    assert f"/{tenant_a.slug}/status/statement/" in answer

    client = Client()
    url = f"/{tenant_a.slug}/status/statement/"
    assert client.get(url).status_code == 302  # not signed in: to the status lookup
    _signed_in(client, tenant_a, privacy_request)
    assert (
        "Send us your statement" in client.get(f"/{tenant_a.slug}/status/request/").content.decode()
    )

    too_long = client.post(url, {"item": "Diagnosis code", "text": _words(251)})
    assert too_long.status_code == 400
    assert "at most 250 words" in too_long.content.decode()
    assert not CorrectionStatement.objects.for_tenant(tenant_a).exists()

    sent = client.post(url, {"item": "Diagnosis code", "text": _words(249)})
    assert sent.status_code == 302
    assert client.get(sent["Location"]).status_code == 200
    statement = CorrectionStatement.objects.for_tenant(tenant_a).get()
    assert (statement.privacy_request, statement.word_count) == (privacy_request, 249)
    # Exactly 250 is still within the limit.
    assert client.post(url, {"item": "Blood type", "text": _words(250)}).status_code == 302

    # Shown to staff on the request's page.
    page = login(admin_a).get(f"/admin/requests_app/privacyrequest/{privacy_request.pk}/change/")
    assert "Diagnosis code" in page.content.decode()
    # Passed on to the recipients, once per statement.
    forwarded = OutboxMessage.objects.for_tenant(tenant_a).filter(
        dedupe_key__startswith="correction-statement:"
    )
    assert forwarded.count() == 2
    assert all(message.recipient == "privacy@clinic.example" for message in forwarded)
    assert "word248" in forwarded.order_by("id").first().body


def test_7023_f_4_the_statement_page_is_not_offered_on_a_complied_correction(tenant_a, admin_a):
    privacy_request = closed_correction(tenant_a, admin_a)
    client = Client()
    _signed_in(client, tenant_a, privacy_request)
    answer = client.get(f"/{tenant_a.slug}/status/statement/")
    assert answer.status_code == 302
    assert answer["Location"].endswith("/status/request/")


def test_7023_f_4_the_statement_page_is_in_spanish(tenant_a, admin_a):
    privacy_request = closed_correction(tenant_a, admin_a, outcome="denied")
    client = Client()
    _signed_in(client, tenant_a, privacy_request)
    client.get(f"/{tenant_a.slug}/?lang=es")
    page = client.post(
        f"/{tenant_a.slug}/status/statement/", {"item": "Código", "text": _words(251)}
    )
    assert "250 palabras como máximo" in page.content.decode()


# --- §7023(i): the source ----------------------------------------------------------------------


def test_7023_i_the_source_of_the_inaccurate_information_is_named_in_the_answer(tenant_a, staff_a):
    privacy_request = closed_correction(
        tenant_a, staff_a, information_source="Acme Data Broker LLC"
    )
    assert "came from: Acme Data Broker LLC." in _answer(privacy_request)
    denied = closed_correction(
        tenant_a,
        staff_a,
        email="lucia@example.com",
        information_source="Acme Data Broker LLC",
        outcome="denied",
    )
    assert "came from: Acme Data Broker LLC." in _answer(denied)


def test_7023_i_no_source_no_sentence(tenant_a, staff_a):
    assert "came from" not in _answer(closed_correction(tenant_a, staff_a))


# --- §7023(c) as amended: a correction stays corrected ---------------------------------------------


def _api(tenant) -> Client:
    raw = api_key_create(tenant=tenant, name="Importer", scopes=["systems:write"])[1]
    return Client(headers={"authorization": f"Bearer {raw}"})


def test_7023_c_the_corrected_value_is_recorded_as_hashes_only(tenant_a, tenant_b, staff_a):
    privacy_request = closed_correction(tenant_a, staff_a, information_source="Broker")
    recorded = RecordedCorrection.objects.for_tenant(tenant_a).get(privacy_request=privacy_request)
    assert recorded.field == "postal_address"
    # Keyed hashes of the normalized values; no column holds the value itself.
    assert recorded.value_digest == correction_digest(
        tenant_a.pk, "postal_address", " 34 NEW avenue,  Fresno"
    )
    assert recorded.email_digest == correction_digest(tenant_a.pk, "email", "Casey@Example.com")
    assert recorded.value_digest != correction_digest(
        tenant_b.pk, "postal_address", "34 New Avenue, Fresno"
    )
    stored = " ".join(
        str(getattr(recorded, f.attname)) for f in RecordedCorrection._meta.concrete_fields
    )
    assert "Avenue" not in stored


def test_7023_c_the_check_api_flags_a_value_that_contradicts_the_correction(
    tenant_a, tenant_b, staff_a
):
    closed_correction(tenant_a, staff_a, information_source="Acme Data Broker")
    client = _api(tenant_a)
    body = {"email": "CASEY@example.com", "field": "postal_address"}

    same = client.post(
        CHECK, {**body, "value": "34 new  avenue, fresno"}, content_type="application/json"
    )
    assert same.status_code == 200, same.content
    assert same.json()["contradicts_correction"] is False
    assert same.json()["corrected_on"] == "2026-02-02"

    old = client.post(
        CHECK,
        {**body, "value": "12 Old Street, Fresno", "source": "acme data broker"},
        content_type="application/json",
    )
    assert old.status_code == 200
    assert old.json()["contradicts_correction"] is True
    assert old.json()["same_source"] is True
    recorded = RecordedCorrection.objects.for_tenant(tenant_a).get()
    assert recorded.contradictions == 1
    assert recorded.last_contradicted_at is not None

    # Nothing recorded for this information, or another business's consumer: a plain "no
    # correction recorded" (the import may go ahead), counted nowhere.
    nothing = {
        "correction_recorded": False,
        "contradicts_correction": False,
        "corrected_on": None,
        "request_reference": "",
        "source": "",
        "same_source": False,
    }
    other_field = client.post(
        CHECK, {**body, "field": "name", "value": "Casey"}, content_type="application/json"
    )
    assert (other_field.status_code, other_field.json()) == (200, nothing)
    other_business = _api(tenant_b).post(
        CHECK, {**body, "value": "12 Old Street, Fresno"}, content_type="application/json"
    )
    assert (other_business.status_code, other_business.json()) == (200, nothing)
    assert RecordedCorrection.objects.for_tenant(tenant_a).get().contradictions == 1


def test_7023_c_a_rotated_secret_key_keeps_the_corrections_matched(tenant_a, staff_a, settings):
    """A correction stays corrected across a SECRET_KEY rotation: the old key as a fallback
    still matches, and `corrections_rekey` moves the hashes to the new key."""
    old_key = settings.SECRET_KEY
    closed_correction(tenant_a, staff_a)
    body = {"email": "casey@example.com", "field": "postal_address"}

    def check(value: str) -> dict:
        answer = _api(tenant_a).post(
            CHECK, {**body, "value": value}, content_type="application/json"
        )
        assert answer.status_code == 200, answer.content
        return answer.json()

    settings.SECRET_KEY = "a-new-key-" + "x" * 60
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert check("34 New Avenue, Fresno")["contradicts_correction"] is False
    assert check("12 Old Street, Fresno")["contradicts_correction"] is True

    out = StringIO()
    call_command("corrections_rekey", stdout=out)
    assert "1 rewritten" in out.getvalue()
    settings.SECRET_KEY_FALLBACKS = []  # the old key is gone
    assert check("34 New Avenue, Fresno") | {"corrected_on": None} == {
        "correction_recorded": True,
        "contradicts_correction": False,
        "corrected_on": None,
        "request_reference": PrivacyRequest.objects.for_tenant(tenant_a).get().reference,
        "source": "",
        "same_source": False,
    }
    assert check("12 Old Street, Fresno")["contradicts_correction"] is True
    again = StringIO()
    call_command("corrections_rekey", stdout=again)
    assert "0 rewritten" in again.getvalue()


def test_7023_c_without_the_old_key_nothing_matches(tenant_a, staff_a, settings):
    closed_correction(tenant_a, staff_a)
    settings.SECRET_KEY = "a-new-key-" + "x" * 60
    answer = _api(tenant_a).post(
        CHECK,
        {"email": "casey@example.com", "field": "postal_address", "value": "12 Old Street"},
        content_type="application/json",
    )
    # Why the fallback matters: the record is no longer found with the new key alone.
    assert answer.json()["correction_recorded"] is False


@pytest.mark.parametrize(
    "body",
    [
        {"field": "postal_address", "value": "x"},
        {"email": "not-an-email", "field": "postal_address", "value": "x"},
        {"email": "casey@example.com", "field": "shoe_size", "value": "x"},
        {"email": "casey@example.com", "field": "postal_address", "value": ""},
    ],
)
def test_7023_c_the_check_api_refuses_bad_input_with_400(tenant_a, staff_a, body):
    closed_correction(tenant_a, staff_a)
    answer = _api(tenant_a).post(CHECK, body, content_type="application/json")
    assert answer.status_code == 400
    assert RecordedCorrection.objects.for_tenant(tenant_a).get().contradictions == 0


def test_7023_c_the_check_api_needs_systems_write(tenant_a, staff_a):
    closed_correction(tenant_a, staff_a)
    raw = api_key_create(tenant=tenant_a)[1]
    answer = Client(headers={"authorization": f"Bearer {raw}"}).post(
        CHECK,
        {"email": "casey@example.com", "field": "postal_address", "value": "x"},
        content_type="application/json",
    )
    assert answer.status_code == 403


# --- §7023(j): all specific pieces, not counted ------------------------------------------------------


def test_7023_j_the_portal_checkbox_asks_for_the_disclosure(tenant_a):
    answer = Client().post(f"/{tenant_a.slug}/correct/", {**CORRECT, "see_specific_pieces": "on"})
    assert answer.status_code == 302, answer.content.decode()[:3000]
    privacy_request = PrivacyRequest.objects.for_tenant(tenant_a).get()
    assert privacy_request.correction_disclosure_wanted is True


def test_7023_j_the_disclosure_confirming_a_correction_does_not_count_toward_two_a_year(
    tenant_a, staff_a
):
    corrected = closed_correction(tenant_a, staff_a, details={"correction_disclosure_wanted": True})
    assert "does not count toward your two requests to know" in _answer(corrected)
    disclosure = PrivacyRequest.objects.for_tenant(tenant_a).get(confirms_correction=corrected)
    assert (disclosure.request_type, disclosure.know_scope) == ("know", "specific")
    assert disclosure.requester_email == corrected.requester_email
    answered(disclosure, staff_a)
    # One request to know answered, plus the disclosure: a new one is within the limit.
    answered(make_request(tenant_a, request_type="know"), staff_a)
    within = make_request(tenant_a, request_type="know")
    assert words.FLAG_KNOW_LIMIT not in within.flags
    assert within.know_limit_next_date is None
    # Were the disclosure counted, this would be the third in 12 months: the control.
    answered(within, staff_a)
    third = make_request(tenant_a, request_type="know")
    assert words.FLAG_KNOW_LIMIT in third.flags


def test_7023_j_no_disclosure_unless_asked(tenant_a, staff_a):
    corrected = closed_correction(tenant_a, staff_a)
    assert (
        not PrivacyRequest.objects.for_tenant(tenant_a)
        .filter(confirms_correction=corrected)
        .exists()
    )
    assert "does not count toward" not in _answer(corrected)
