"""Staff log opt-outs and limits received by phone, email, mail or in person (§7026(a)(2)-(3)):
they take effect the same way as the portal's, with the comply-by date counted from the real
time of receipt. A documented, good-faith belief of fraud lets staff deny one instead, with an
explanation to the requester (§7026(e), §7027(f)). Staff look up a consumer's consent and its
history (the admin, through one business only)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth import get_user_model

from optout.models import ConsentChange, ConsentState
from optout.selectors import consent_answer, consent_history
from optout.services import consent_subject
from optout.subjects import SubjectKind
from requests_app.models import Communication, EventKind, PrivacyRequest
from tests.factories import make_request
from tests.helpers import PASSWORD, login
from tests.portal_helpers import outbox

pytestmark = pytest.mark.django_db

LOG = "/admin/optout/consentstate/log/"
STATES = "/admin/optout/consentstate/"
QUEUE = "/admin/requests_app/privacyrequest/"
NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # Monday, 10:00 in Los Angeles

PHONE_CALL = {
    "rights": ["sale_sharing"],
    "channel": "phone",
    # Friday before, 09:00 local: the 15 business days count from then, not from logging.
    "received_at_0": "2026-12-04",
    "received_at_1": "09:00:00",
    "language": "en",
    "requester_name": "Ana Ortiz",
    "requester_email": "ana@example.com",
    "requester_phone": "",
    "account_id": "",
    "note": "Called the toll-free line; asked us to stop selling her data.",
    "decision": "apply",
    "explanation": "",
    "fraud_documentation": "",
}
FRAUD_EXPLANATION = (
    "We did not act on this request because it was made in your name by someone who could "
    "not have been you: the same caller made 40 requests for different people within an hour."
)
FRAUD_DOCUMENTATION = (
    "Caller ID 415-555-0100 logged 40 opt-out calls for 40 different names between 09:00 and "
    "10:00; the voice was the same; see call log export attached to ticket 1182."
)


def _requests(tenant) -> list[PrivacyRequest]:
    return list(PrivacyRequest.objects.for_tenant(tenant).order_by("pk"))


def _state(tenant, kind: SubjectKind, raw: str) -> bytes:
    return consent_answer(tenant, consent_subject(tenant, kind, raw).hash).body


@pytest.fixture
def now(freeze):
    freeze(NOW)
    return NOW


def test_a_phone_opt_out_takes_effect_with_the_deadline_from_its_real_receipt_7026a(
    tenant_a, staff_a, now
):
    response = login(staff_a).post(LOG, PHONE_CALL)

    [logged] = _requests(tenant_a)
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}{logged.pk}/change/"
    assert (logged.request_type, logged.channel) == ("opt_out", "phone")
    assert logged.received_at == datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
    # §7026(f)(1): 15 business days after Friday December 4 (Christmas Day not counted), not
    # from Monday's logging (which would give December 29).
    assert logged.comply_by == date(2026, 12, 28)
    assert logged.outcome == "complied"
    assert b'"may_sell_or_share":false' in _state(tenant_a, SubjectKind.EMAIL, "ana@example.com")
    [change] = consent_history(
        tenant_a, consent_subject(tenant_a, SubjectKind.EMAIL, "ana@example.com").hash
    )
    assert (change.source, change.actor, change.privacy_request_id) == ("phone", staff_a, logged.pk)
    note = logged.events.get(kind=EventKind.NOTE)
    assert note.reason == PHONE_CALL["note"]
    assert note.actor == staff_a
    # Closed as complied, the consumer is told by email, as for the portal's form.
    [answer] = Communication.objects.for_tenant(tenant_a).filter(privacy_request=logged)
    assert (answer.template, answer.recipient) == ("closed", "ana@example.com")


def test_both_rights_by_mail_for_a_phone_number_make_two_requests_applied_to_it(
    tenant_a, staff_a, now
):
    login(staff_a).post(
        LOG,
        {
            **PHONE_CALL,
            "rights": ["sale_sharing", "sensitive_use"],
            "channel": "mail",
            "requester_email": "",
            "requester_phone": "(415) 555-0123",
        },
    )
    logged = _requests(tenant_a)
    assert sorted(r.request_type for r in logged) == ["limit", "opt_out"]
    assert {r.channel for r in logged} == {"mail"}
    body = _state(tenant_a, SubjectKind.PHONE, "+14155550123")
    assert b'"may_sell_or_share":false' in body
    assert b'"may_use_sensitive_information":false' in body


def test_an_account_id_alone_is_enough_to_apply_an_in_person_limit(tenant_a, staff_a, now):
    login(staff_a).post(
        LOG,
        {
            **PHONE_CALL,
            "rights": ["sensitive_use"],
            "channel": "in_person",
            "requester_email": "",
            "account_id": "CUST-0042",
        },
    )
    [logged] = _requests(tenant_a)
    assert logged.outcome == "complied"
    assert b'"may_use_sensitive_information":false' in _state(
        tenant_a, SubjectKind.ACCOUNT, "CUST-0042"
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"received_at_0": "2026-12-08"}, "received_at", "cannot be in the future"),
        ({"received_at_0": "yesterday"}, "received_at", "valid date"),
        (
            {"requester_email": "", "requester_phone": "", "account_id": ""},
            "requester_email",
            "email address, phone number or account id",
        ),
        ({"requester_email": "not-an-address"}, "requester_email", "valid email"),
        ({"requester_phone": "12"}, "requester_phone", "valid phone"),
        ({"rights": []}, "rights", "Choose at least one"),
        ({"rights": ["everything"]}, "rights", "valid choice"),
        ({"channel": "webform"}, "channel", "valid choice"),
        ({"account_id": "x" * 201}, "account_id", "at most 200"),
    ],
)
def test_bad_input_shows_the_form_again_with_the_error_at_its_field_and_creates_nothing(
    tenant_a, staff_a, now, changes, field, message
):
    response = login(staff_a).post(LOG, {**PHONE_CALL, **changes})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]), errors
    assert _requests(tenant_a) == []
    assert not ConsentState.objects.for_tenant(tenant_a).exists()


def test_a_fraud_denial_without_documentation_is_refused_and_records_nothing_7026e(
    tenant_a, staff_a, now
):
    response = login(staff_a).post(
        LOG, {**PHONE_CALL, "decision": "deny_fraud", "explanation": FRAUD_EXPLANATION}
    )
    assert response.status_code == 200
    assert "Document the good-faith" in " ".join(
        response.context["form"].errors["fraud_documentation"]
    )
    assert _requests(tenant_a) == []
    assert outbox(tenant_a) == []


def test_a_fraud_denial_without_an_explanation_is_refused_7027f(tenant_a, staff_a, now):
    response = login(staff_a).post(
        LOG,
        {
            **PHONE_CALL,
            "rights": ["sensitive_use"],
            "decision": "deny_fraud",
            "fraud_documentation": FRAUD_DOCUMENTATION,
        },
    )
    assert response.status_code == 200
    assert "explanation" in response.context["form"].errors
    assert _requests(tenant_a) == []


def test_a_documented_fraud_denial_is_recorded_and_the_requester_is_emailed_why_7026e(
    tenant_a, staff_a, now
):
    response = login(staff_a).post(
        LOG,
        {
            **PHONE_CALL,
            "decision": "deny_fraud",
            "explanation": FRAUD_EXPLANATION,
            "fraud_documentation": FRAUD_DOCUMENTATION,
        },
    )
    assert response.status_code == 302
    [denied] = _requests(tenant_a)
    assert (denied.outcome, denied.denial_reason) == ("denied", "fraudulent")
    assert denied.denial_fraud_documentation == FRAUD_DOCUMENTATION
    assert denied.comply_by == date(2026, 12, 28)  # still on the record with its date (§7101)
    # Nothing changed: no opt-out was applied.
    assert b'"may_sell_or_share":true' in _state(tenant_a, SubjectKind.EMAIL, "ana@example.com")
    [email] = outbox(tenant_a)
    assert email.recipient == "ana@example.com"
    assert FRAUD_EXPLANATION in email.body
    assert FRAUD_DOCUMENTATION not in email.body  # kept with the record, never sent


def test_a_fraud_denial_without_an_email_address_tells_staff_to_explain_by_phone_or_letter(
    tenant_a, staff_a, now
):
    login(staff_a).post(
        LOG,
        {
            **PHONE_CALL,
            "requester_email": "",
            "requester_phone": "+14155550123",
            "decision": "deny_fraud",
            "explanation": FRAUD_EXPLANATION,
            "fraud_documentation": FRAUD_DOCUMENTATION,
        },
        follow=True,
    )
    [denied] = _requests(tenant_a)
    closed = denied.events.get(kind=EventKind.CLOSED)
    assert "tell the consumer the answer by phone or letter" in closed.message
    assert outbox(tenant_a) == []


def test_the_queue_offers_logging_an_opt_out_and_the_general_form_leaves_it_to_that_page(
    tenant_a, staff_a
):
    client = login(staff_a)
    queue = client.get(QUEUE).content.decode()
    assert LOG in queue
    assert "Log an opt-out or limit" in queue
    general = client.get(f"{QUEUE}add/")
    offered = dict(general.context["form"].fields["request_type"].choices)
    assert "opt_out" not in offered
    assert "limit" not in offered
    assert "know" in offered


# --- Consent lookup and history -----------------------------------------------------------------


@pytest.fixture
def ana_opted_out(tenant_a, staff_a, now) -> PrivacyRequest:
    login(staff_a).post(LOG, {**PHONE_CALL, "requester_phone": "+14155550123"})
    [logged] = _requests(tenant_a)
    return logged


@pytest.mark.parametrize("term", ["Ana@Example.com", "(415) 555-0123", "+1 415 555 0123"])
def test_staff_find_a_consumer_by_email_or_phone_and_see_the_state_and_history(
    ana_opted_out, tenant_a, staff_a, term
):
    client = login(staff_a)
    listing = client.get(STATES, {"q": term})
    [state] = listing.context["cl"].result_list
    page = client.get(f"{STATES}{state.pk}/change/").content.decode()
    assert "Opted out" in page
    assert "Phone call, logged by staff" in page
    assert f'href="{QUEUE}{ana_opted_out.pk}/change/"' in page
    assert ana_opted_out.reference in page
    assert "staff_a" in page
    assert "2026-12-07" in page  # when the change was made (applied at logging)


def test_an_unknown_consumer_is_not_found_and_a_device_id_is_not_searched(ana_opted_out, staff_a):
    client = login(staff_a)
    assert list(client.get(STATES, {"q": "bob@example.com"}).context["cl"].result_list) == []
    assert list(client.get(STATES, {"q": ""}).context["cl"].result_list) != []


def test_the_request_page_lists_the_consent_changes_it_made(ana_opted_out, tenant_a, staff_a):
    page = login(staff_a).get(f"{QUEUE}{ana_opted_out.pk}/change/").content.decode()
    assert "Consent changes made by this request" in page
    email = consent_subject(tenant_a, SubjectKind.EMAIL, "ana@example.com").hash
    phone = consent_subject(tenant_a, SubjectKind.PHONE, "+14155550123").hash
    assert f"Email address {email[:8]}…" in page
    assert f"Phone number {phone[:8]}…" in page
    assert page.count("Phone call, logged by staff") == 2


def test_a_request_to_know_shows_no_consent_changes(tenant_a, staff_a):
    know = make_request(tenant_a, request_type="know")
    page = login(staff_a).get(f"{QUEUE}{know.pk}/change/").content.decode()
    assert "Consent changes made by this request" not in page


def test_consent_history_is_read_only(ana_opted_out, tenant_a, staff_a):
    state = ConsentState.objects.for_tenant(tenant_a).first()
    client = login(staff_a)
    assert client.get(f"{STATES}add/").status_code == 403
    client.post(f"{STATES}{state.pk}/change/", {"sale_sharing_opted_out": ""})
    state.refresh_from_db()
    assert state.sale_sharing_opted_out
    assert client.get(f"{STATES}{state.pk}/delete/").status_code == 403


# --- Tenant isolation ------------------------------------------------------------------------


def test_staff_of_b_neither_see_a_s_consent_nor_find_it_by_email(ana_opted_out, tenant_a, staff_b):
    client = login(staff_b)
    state = ConsentState.objects.for_tenant(tenant_a).first()
    assert list(client.get(STATES).context["cl"].result_list) == []
    assert list(client.get(STATES, {"q": "ana@example.com"}).context["cl"].result_list) == []
    assert client.get(f"{STATES}{state.pk}/change/").status_code == 404
    assert client.get(f"{QUEUE}{ana_opted_out.pk}/change/").status_code == 404


def test_staff_of_b_log_only_for_b(tenant_a, tenant_b, staff_b, now):
    response = login(staff_b).post(LOG, PHONE_CALL)
    assert response.status_code == 302
    assert _requests(tenant_a) == []
    assert not ConsentChange.objects.for_tenant(tenant_a).exists()
    [logged] = _requests(tenant_b)
    assert logged.reference.startswith("BR-")
    # The same email address at A is a different subject: A's state is untouched.
    assert b'"may_sell_or_share":true' in _state(tenant_a, SubjectKind.EMAIL, "ana@example.com")
    assert b'"may_sell_or_share":false' in _state(tenant_b, SubjectKind.EMAIL, "ana@example.com")


def test_a_staff_user_of_no_business_cannot_log(db, now):
    loner = get_user_model().objects.create_user("loner", password=PASSWORD, is_staff=True)
    response = login(loner).get(LOG)
    # The admin site itself turns away staff who belong to no business: to the sign-in page.
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
