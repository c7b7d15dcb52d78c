"""Fraud safeguards (§7060(f)): attempt limits per request, per email address and per network
address, the lockout's message, and the alerts to the business's admins."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core.refusals import Refused
from outbox.models import OutboxMessage
from requests_app import vocabulary as words
from requests_app.models import RequestEvent
from requests_app.services import Requester, privacy_request_create
from verification.models import FraudAlert, VerificationAttempt
from verification.services.policies import verification_policy
from verification.services.records import verification_for, verification_submit

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-03-02T10:00:00-08:00")
WRONG = {"phone": "+1 415 555 0199"}


def know_request(tenant, email="ana@example.com"):
    return privacy_request_create(
        tenant=tenant,
        request_type=words.KNOW,
        know_scope=words.KNOW_CATEGORIES,
        channel=words.WEBFORM,
        requester=Requester(name="Ana", email=email),
    )


def fail(verification, ip="203.0.113.7"):
    verification_submit(verification=verification, values=WRONG, ip_address=ip)


def test_a_request_locks_after_its_limit_and_says_until_when(tenant_a, admin_a, freeze):
    freeze(NOW)
    policy = verification_policy(tenant_a)
    verification = verification_for(know_request(tenant_a))
    for _ in range(policy.attempts_per_request):
        fail(verification)
    verification.refresh_from_db()
    assert verification.locked_until == NOW + timedelta(minutes=policy.lockout_minutes)
    with pytest.raises(Refused) as refused:
        fail(verification)
    assert refused.value.code == "locked"
    assert "March 2, 2026" in refused.value.message  # the date in full
    assert (
        RequestEvent.objects.for_tenant(tenant_a)
        .filter(
            privacy_request=verification.privacy_request, kind="flagged", message__contains="locked"
        )
        .exists()
    )
    alert = FraudAlert.objects.for_tenant(tenant_a).get(kind="request_locked")
    assert verification.privacy_request.reference in alert.message
    assert (
        OutboxMessage.objects.for_tenant(tenant_a)
        .filter(recipient=admin_a.email, subject__startswith="Unusual verification activity")
        .exists()
    )


def test_the_lock_ends_after_the_lockout_time(tenant_a, freeze):
    freeze(NOW)
    policy = verification_policy(tenant_a)
    verification = verification_for(know_request(tenant_a))
    for _ in range(policy.attempts_per_request):
        fail(verification, ip=None)
    freeze(NOW + timedelta(minutes=policy.lockout_minutes, seconds=1))
    verification.refresh_from_db()
    fail(verification, ip=None)  # accepted again (and counted)
    assert VerificationAttempt.objects.for_tenant(tenant_a).count() == (
        policy.attempts_per_request + 1
    )


def test_one_address_failing_across_requests_is_refused_and_alerted(tenant_a, freeze):
    freeze(NOW)
    policy = verification_policy(tenant_a)
    policy.attempts_per_email_hour = 3
    policy.attempts_per_request = 10
    policy.save()
    first = verification_for(know_request(tenant_a))
    second = verification_for(know_request(tenant_a))
    fail(first)
    fail(first)
    fail(second)
    with pytest.raises(Refused) as refused:
        fail(second)
    assert refused.value.code == "locked"
    # The refusal counted nothing, and the alert outlived it.
    assert VerificationAttempt.objects.for_tenant(tenant_a).count() == 3
    assert FraudAlert.objects.for_tenant(tenant_a).filter(kind="email_attempts").count() == 1
    with pytest.raises(Refused):
        fail(second)
    assert FraudAlert.objects.for_tenant(tenant_a).filter(kind="email_attempts").count() == 1
    # An hour later the address may try again.
    freeze(NOW + timedelta(hours=1, seconds=1))
    fail(second)


def test_one_network_address_failing_for_many_consumers_is_refused(tenant_a, freeze):
    freeze(NOW)
    policy = verification_policy(tenant_a)
    policy.attempts_per_ip_hour = 4
    policy.save()
    for n in range(4):
        fail(verification_for(know_request(tenant_a, email=f"c{n}@example.com")))
    with pytest.raises(Refused):
        fail(verification_for(know_request(tenant_a, email="c9@example.com")))
    assert FraudAlert.objects.for_tenant(tenant_a).filter(kind="ip_attempts").exists()
    # Another address is not held back by it.
    fail(verification_for(know_request(tenant_a, email="c10@example.com")), ip="198.51.100.1")


def test_many_requests_for_one_identity_alert_the_admins(tenant_a, freeze):
    freeze(NOW)
    policy = verification_policy(tenant_a)
    for _ in range(policy.requests_per_identity_day + 1):
        know_request(tenant_a)
    assert FraudAlert.objects.for_tenant(tenant_a).filter(kind="identity_requests").count() == 1


def test_requests_up_to_the_daily_limit_raise_no_alert(tenant_a, freeze):
    freeze(NOW)
    for _ in range(verification_policy(tenant_a).requests_per_identity_day):
        know_request(tenant_a)
    assert not FraudAlert.objects.for_tenant(tenant_a).filter(kind="identity_requests").exists()


def test_the_identity_count_ignores_case_and_reads_underscores_literally(tenant_a, freeze):
    """One address in any case is one identity; "a_b" is not a pattern matching "axb"."""
    freeze(NOW)
    limit = verification_policy(tenant_a).requests_per_identity_day
    for _ in range(limit):
        know_request(tenant_a, email="axb@example.com")  # another identity: must not count
    for _ in range(limit):
        know_request(tenant_a, email="A_B@Example.com")
    assert not FraudAlert.objects.for_tenant(tenant_a).filter(kind="identity_requests").exists()
    know_request(tenant_a, email="a_b@example.com")
    assert FraudAlert.objects.for_tenant(tenant_a).filter(kind="identity_requests").count() == 1


def test_another_business_s_requests_do_not_count_toward_the_limit(tenant_a, tenant_b, freeze):
    freeze(NOW)
    limit = verification_policy(tenant_a).requests_per_identity_day
    for _ in range(limit):
        know_request(tenant_b)
    for _ in range(limit):
        know_request(tenant_a)
    assert not FraudAlert.objects.for_tenant(tenant_a).filter(kind="identity_requests").exists()


def test_another_business_counts_its_own_attempts(tenant_a, tenant_b, freeze):
    freeze(NOW)
    policy = verification_policy(tenant_a)
    for _ in range(policy.attempts_per_email_hour):
        fail(verification_for(know_request(tenant_a)), ip=None)
    fail(verification_for(know_request(tenant_b)), ip=None)  # B is not locked by A's failures
    assert VerificationAttempt.objects.for_tenant(tenant_b).count() == 1
    assert not FraudAlert.objects.for_tenant(tenant_b).exists()
