"""The staff side of verification in the admin (verification/admin.py): the record and its
evidence on a request's page (§7060(c)(1): which data points, never their values), verifying by
hand with a written justification, marking fraud, the business's policy (§7062(d), §7060(f),
§7021(b)), fraud alerts (§7060(f)), and the queue's verification column and filter."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from audit.services import statements_per_entry
from requests_app import vocabulary as words
from requests_app.models import EventKind, PrivacyRequest, RequestEvent
from requests_app.services import Requester, privacy_request_create
from tests.factories import make_request
from tests.helpers import login
from verification.models import (
    CheckSource,
    DataPointCheck,
    DirectoryRecord,
    FraudAlert,
    MatcherState,
    Verification,
    VerificationPolicy,
    VerificationStatus,
)
from verification.normalize import hash_value
from verification.services.policies import directory_key, verification_policy
from verification.services.records import verification_for, verification_submit

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-03-02T10:00:00-08:00")
PHONE = "+1 415 555 0100"
ADDRESS = "12 Oak Street, San Francisco CA 94110"
JUSTIFICATION = (
    "Called the consumer at the phone number on file; they confirmed their last order and "
    "postal address."
)
CHANGELIST = "admin:requests_app_privacyrequest_changelist"


def text(response) -> str:
    return html.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [message.message for message in get_messages(response.wsgi_request)]


def change_url(privacy_request: PrivacyRequest) -> str:
    return reverse("admin:requests_app_privacyrequest_change", args=[privacy_request.pk])


def act_url(privacy_request: PrivacyRequest, action: str) -> str:
    return reverse(f"admin:requests_app_privacyrequest_{action}", args=[privacy_request.pk])


def policy_url(policy: VerificationPolicy) -> str:
    return reverse("admin:verification_verificationpolicy_change", args=[policy.pk])


def reload(verification: Verification) -> Verification:
    return Verification.objects.for_tenant(verification.tenant).get(pk=verification.pk)


def directory_add(tenant, **values: str) -> list[str]:
    key = directory_key(verification_policy(tenant))
    hashes = {f"{point}_hash": hash_value(key, point, value) for point, value in values.items()}
    DirectoryRecord.objects.for_tenant(tenant).create(
        tenant=tenant, record_key=hash_value(key, "account", "c-1"), imported_at=NOW, **hashes
    )
    return list(hashes.values())


def know_request(tenant, email: str = "ana@example.com") -> PrivacyRequest:
    return privacy_request_create(
        tenant=tenant,
        request_type=words.KNOW,
        know_scope=words.KNOW_CATEGORIES,
        channel=words.WEBFORM,
        requester=Requester(name="Ana López", email=email),
    )


# --- The record and its evidence on a request's page ------------------------------------------


def test_request_page_shows_each_check_and_never_a_value_or_hash(tenant_a, staff_a, freeze):
    freeze(NOW)
    hashes = directory_add(tenant_a, phone=PHONE, postal_address=ADDRESS, name="Ana López")
    privacy_request = know_request(tenant_a)
    verification_submit(
        verification=verification_for(privacy_request),
        values={"phone": PHONE, "postal_address": ADDRESS},
    )

    page = text(login(staff_a).get(change_url(privacy_request)))

    assert "Identity verification (§7060–§7063)" in page
    assert "Phone number" in page
    assert "Postal address" in page
    assert "Consumer directory" in page
    assert "Matched" in page
    assert "Verified" in page  # two points matched: a reasonable degree (§7062(b))
    for value in (PHONE, "415 555 0100", "4155550100", "Oak Street", *hashes):
        assert value not in page


def test_request_page_shows_signed_declaration_and_agent_authorization(tenant_a, staff_a, freeze):
    freeze(NOW)
    privacy_request = know_request(tenant_a)
    from verification.models import AgentAuthorization, Declaration

    Declaration.objects.for_tenant(tenant_a).create(
        tenant=tenant_a,
        privacy_request=privacy_request,
        typed_name="Ana María López",
        typed_date=NOW.date(),
        statement="I declare…",
        language="en",
        signed_at=NOW,
        ip_address="203.0.113.9",
    )
    AgentAuthorization.objects.for_tenant(tenant_a).create(
        tenant=tenant_a,
        privacy_request=privacy_request,
        agent_kind="business",
        entity_number="C1234567",
        power_of_attorney=True,
        created_at=NOW,
    )

    page = text(login(staff_a).get(change_url(privacy_request)))

    assert "Ana María López" in page
    assert "203.0.113.9" in page
    assert "C1234567" in page
    assert "Yes (§7063(b))" in page


def test_opt_out_page_has_no_verification_section(tenant_a, staff_a):
    # §7060(b): opt-out and limit are never verified.
    privacy_request = make_request(tenant_a, request_type="opt_out")

    page = text(login(staff_a).get(change_url(privacy_request)))

    assert 'id="verification-group"' not in page
    assert "Identity verification (§7060–§7063)" not in page


def test_failed_business_system_shows_its_error_and_a_retry_page(tenant_a, staff_a, freeze):
    freeze(NOW)
    verification = verification_for(know_request(tenant_a))
    Verification.objects.for_tenant(tenant_a).filter(pk=verification.pk).update(
        status=VerificationStatus.CHECKING,
        matcher_state=MatcherState.FAILED,
        matcher_error="HTTP 503 from the business's system",
        matcher_attempts=3,
    )
    client = login(staff_a)

    page = text(client.get(change_url(verification.privacy_request)))
    retry = client.get(
        reverse("admin:verification_verification_retry_matcher", args=[verification.pk])
    )

    assert "HTTP 503 from the business's system" in page
    assert retry.status_code == 200
    assert "HTTP 503" in text(retry)


# --- Verifying by hand, marking fraud ----------------------------------------------------------


def test_verifying_by_hand_with_a_few_words_is_refused(tenant_a, staff_a):
    privacy_request = make_request(tenant_a)

    response = login(staff_a).post(act_url(privacy_request, "mark_verified"), {"method": "ok"})

    assert response.status_code == 200
    assert "at least a sentence" in text(response)
    verification = verification_for(privacy_request)
    assert verification.status == VerificationStatus.PENDING
    assert (
        PrivacyRequest.objects.for_tenant(tenant_a).get(pk=privacy_request.pk).verified_at is None
    )
    assert not RequestEvent.objects.for_tenant(tenant_a).filter(
        privacy_request=privacy_request, kind=EventKind.VERIFIED
    )


def test_verifying_by_hand_records_by_hand_who_and_the_justification(tenant_a, staff_a):
    privacy_request = make_request(tenant_a)
    client = login(staff_a)

    response = client.post(act_url(privacy_request, "mark_verified"), {"method": JUSTIFICATION})

    assert response.status_code == 302
    verification = verification_for(privacy_request)
    assert verification.status == VerificationStatus.VERIFIED
    assert verification.reached_degree == verification.required_degree
    assert verification.method.startswith("By hand: Called the consumer")
    assert "staff_a" in verification.method
    check = DataPointCheck.objects.for_tenant(tenant_a).get(verification=verification)
    assert check.source == CheckSource.STAFF
    assert JUSTIFICATION in check.note
    assert "staff_a" in check.note
    page = text(client.get(change_url(privacy_request)))
    assert "Checked by staff" in page
    assert "By hand: Called the consumer" in page


def test_closing_as_fraudulent_marks_the_verification_fraud(tenant_a, staff_a):
    # §7023(h)-style documented belief of fraud: the record says fraud, not "unverifiable".
    privacy_request = make_request(tenant_a)

    response = login(staff_a).post(
        act_url(privacy_request, "close"),
        {
            "outcome": "denied",
            "denial_reason": words.FRAUDULENT,
            "explanation": "We believe this request was not made by the consumer it names.",
            "fraud_documentation": "The phone number given belongs to another customer, who "
            "told us they never asked for this.",
        },
    )

    assert response.status_code == 302, messages_of(response)
    assert verification_for(privacy_request).status == VerificationStatus.FRAUD


# --- The business's policy ---------------------------------------------------------------------


def policy_data(**changes: Any) -> dict[str, Any]:
    data = {
        "delete_degree": "reasonably_high",
        "correct_degree": "reasonable",
        "high_degree_delete_categories": ["biometric", "sensitive"],
        "high_degree_correct_fields": ["date_of_birth"],
        "asked_points": ["name", "phone", "account"],
        "reminder_days": "2, 9, 40",
        "link_valid_days": "5",
        "use_directory": "on",
        "webhook_endpoint": "",
        "webhook_timeout_seconds": "5",
        "account_reauth_minutes": "15",
        "agent_requires_permission": "on",
        "agent_consumer_step": "confirm",
        "parental_methods": ["signed_form", "video"],
        "attempts_per_request": "5",
        "attempts_per_email_hour": "5",
        "attempts_per_ip_hour": "20",
        "lockout_minutes": "60",
        "requests_per_identity_day": "5",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_business_admin_opens_and_changes_the_policy(tenant_a, admin_a):
    client = login(admin_a)

    opened = client.get(reverse("admin:verification_verificationpolicy_changelist"))
    policy = verification_policy(tenant_a)
    form = client.get(policy_url(policy))
    saved = client.post(policy_url(policy), policy_data())

    assert opened.status_code == 200
    assert policy_url(policy) in opened.content.decode()
    assert form.status_code == 200
    assert "directory_key" not in form.content.decode()
    assert policy.directory_key_encrypted not in form.content.decode()
    assert saved.status_code == 302, text(saved)
    policy = verification_policy(tenant_a)
    assert policy.delete_degree == "reasonably_high"
    assert policy.reminder_days == [2, 9, 40]
    assert policy.asked_points == ["name", "phone", "account"]
    assert policy.parental_methods == ["signed_form", "video"]
    assert policy.high_degree_correct_fields == ["date_of_birth"]


def test_staff_cannot_open_the_policy(tenant_a, staff_a, compliance_a):
    policy = verification_policy(tenant_a)

    assert login(staff_a).get(policy_url(policy)).status_code == 403
    assert login(compliance_a).post(policy_url(policy), policy_data()).status_code == 403
    assert verification_policy(tenant_a).reminder_days == [3, 10, 30]


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("3, 60", "45 or less"),
        ("10, 3", "ascending order"),
        ("3, 3", "ascending order"),
        ("0, 3", "1 or more"),
        ("3, soon", "“soon” is not a number of days"),
    ],
)
def test_unusable_reminder_days_are_refused_with_a_message(tenant_a, admin_a, days, message):
    policy = verification_policy(tenant_a)

    response = login(admin_a).post(policy_url(policy), policy_data(reminder_days=days))

    assert response.status_code == 200
    assert message in text(response)
    assert verification_policy(tenant_a).reminder_days == [3, 10, 30]


def test_a_data_point_outside_the_list_cannot_be_asked(tenant_a, admin_a):
    # §7060(c)(2): no Social Security number, whatever is posted.
    policy = verification_policy(tenant_a)

    response = login(admin_a).post(policy_url(policy), policy_data(asked_points=["name", "ssn"]))

    assert response.status_code == 200
    assert "ssn" not in verification_policy(tenant_a).asked_points


def test_policy_needs_a_parental_method_and_a_data_point(tenant_a, admin_a):
    policy = verification_policy(tenant_a)

    response = login(admin_a).post(
        policy_url(policy), policy_data(parental_methods=None, asked_points=None)
    )

    page = text(response)
    assert response.status_code == 200
    assert "Choose at least one way to verify a parent or guardian" in page
    assert "Choose at least one data point" in page


def test_policy_takes_only_the_business_s_own_webhook_endpoint(tenant_a, tenant_b, admin_a):
    from outbox.models import WebhookEndpoint

    theirs = WebhookEndpoint.objects.for_tenant(tenant_b).create(
        tenant=tenant_b, name="Bravo CRM", url="https://bravo.example/hook", created_at=NOW
    )
    policy = verification_policy(tenant_a)

    response = login(admin_a).post(policy_url(policy), policy_data(webhook_endpoint=theirs.pk))

    assert response.status_code == 200
    assert "Bravo CRM" not in text(response)
    assert verification_policy(tenant_a).webhook_endpoint_id is None


# --- Another business sees nothing -------------------------------------------------------------


def test_b_s_admin_gets_404_on_a_s_policy_alerts_and_verification(
    tenant_a, tenant_b, admin_b, freeze
):
    freeze(NOW)
    policy = verification_policy(tenant_a)
    alert = FraudAlert.objects.for_tenant(tenant_a).create(
        tenant=tenant_a,
        kind="identity_burst",
        message="Six requests for ana@example.com today.",
        created_at=NOW,
        dedupe_key="a-1",
    )
    verification = verification_for(know_request(tenant_a))
    client = login(admin_b)

    for url in (
        policy_url(policy),
        reverse("admin:verification_fraudalert_change", args=[alert.pk]),
        reverse("admin:verification_verification_change", args=[verification.pk]),
        reverse("admin:verification_verification_retry_matcher", args=[verification.pk]),
    ):
        assert client.get(url).status_code == 404, url
    alerts = client.get(reverse("admin:verification_fraudalert_changelist"))
    assert "Six requests" not in text(alerts)


def test_staff_read_their_business_s_fraud_alerts(tenant_a, staff_a, freeze):
    freeze(NOW)
    FraudAlert.objects.for_tenant(tenant_a).create(
        tenant=tenant_a,
        kind="identity_burst",
        message="Six requests for ana@example.com today.",
        created_at=NOW,
        dedupe_key="a-1",
    )

    response = login(staff_a).get(reverse("admin:verification_fraudalert_changelist"))

    assert response.status_code == 200
    assert "Six requests for ana@example.com today." in text(response)
    assert "Add fraud alert" not in text(response)


# --- The queue ---------------------------------------------------------------------------------


def test_queue_shows_and_filters_by_verification_state(tenant_a, staff_a, freeze):
    freeze(NOW)
    waiting = know_request(tenant_a, email="waiting@example.com")
    locked = know_request(tenant_a, email="locked@example.com")
    checking = know_request(tenant_a, email="checking@example.com")
    done = know_request(tenant_a, email="done@example.com")
    scoped = Verification.objects.for_tenant(tenant_a)
    scoped.filter(privacy_request=locked).update(locked_until=NOW + timedelta(minutes=30))
    scoped.filter(privacy_request=checking).update(
        status=VerificationStatus.CHECKING, matcher_state=MatcherState.WAITING
    )
    scoped.filter(privacy_request=done).update(status=VerificationStatus.VERIFIED)
    client = login(staff_a)

    def listed(value: str) -> list[str]:
        response = client.get(reverse(CHANGELIST) + f"?verification={value}")
        return [row.reference for row in response.context["cl"].result_list]

    page = text(client.get(reverse(CHANGELIST)))
    assert "Waiting for the consumer" in page
    assert "⚠ Locked (too many failed attempts)" in page
    assert "Waiting for the business's system" in page
    assert listed("consumer") == [waiting.reference]
    assert listed("locked") == [locked.reference]
    assert listed("business") == [checking.reference]
    assert listed("verified") == [done.reference]
    assert listed("nonsense") == []


def test_queue_of_200_requests_keeps_its_query_count_with_the_verification_column(
    tenant_a, staff_a, django_assert_max_num_queries
):
    # The same bound as the queue's own test (tests/db/requests_app/test_admin_queue.py): the
    # column is read from the list's join, never a query per row.
    for number in range(200):
        make_request(tenant_a, email=f"c{number}@example.com")
    client = login(staff_a)
    client.get(reverse(CHANGELIST))  # warm up: sessions, content types

    # And the page's one read entry on the audit trail (issue 14 item 3).
    budget = 12 + statements_per_entry()
    with django_assert_max_num_queries(budget):
        response = client.get(reverse(CHANGELIST) + "?verification=consumer&q=example.com")
    with django_assert_max_num_queries(budget):
        response = client.get(reverse(CHANGELIST))

    assert len(response.context["cl"].result_list) == 50
    assert text(response).count("Waiting for the consumer") >= 50
