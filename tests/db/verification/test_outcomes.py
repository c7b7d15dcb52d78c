"""What happens to a request whose consumer does not finish verifying: reminders on the business's
days, then, only on the last afternoon of the response period, denial as unverifiable (§7021(b),
§7022(a), §7023(a), §7024(a)-(b)), or, for specific pieces verified to the reasonable degree,
the categories-only answer (§7024(a))."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection

from requests_app import vocabulary as words
from requests_app.models import Communication, PrivacyRequest, RequestEvent
from requests_app.services import Requester, privacy_request_create
from requests_app.services.transitions import (
    privacy_request_close,
    privacy_request_extend,
    privacy_request_mark_verified,
)
from tests.db.verification.test_degrees_matching import HELD, directory_add, email_link_opened
from verification import degrees
from verification.models import LinkPurpose, Verification, VerificationLink, VerificationStatus
from verification.services.outcomes import local_datetime, verification_sweep
from verification.services.policies import verification_policy
from verification.services.records import verification_for, verification_submit
from verification.tasks import verification_sweep_task

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-03-02T10:00:00-08:00")  # a Monday, Pacific time
REMINDER = "verification/verify_reminder"


def request_made(tenant, request_type=words.KNOW, know_scope=words.KNOW_SPECIFIC, **kwargs):
    return privacy_request_create(
        tenant=tenant,
        request_type=request_type,
        know_scope=know_scope if request_type == words.KNOW else "",
        channel=words.WEBFORM,
        requester=Requester(name="Ana López", email="ana@example.com"),
        **kwargs,
    )


def at(privacy_request: PrivacyRequest, day: date, hour: int, minute: int = 0) -> datetime:
    return local_datetime(day, time(hour, minute), privacy_request.tenant.zone)


def day_after_receipt(privacy_request: PrivacyRequest, days: int, hour=9, minute=0) -> datetime:
    return at(privacy_request, privacy_request.received_date + timedelta(days=days), hour, minute)


def sweep_at(freeze, when: datetime):
    freeze(when)
    return verification_sweep(when)


def reminders(privacy_request: PrivacyRequest) -> list[Communication]:
    return list(privacy_request.communications.filter(template=REMINDER))


def reloaded(privacy_request: PrivacyRequest) -> tuple[PrivacyRequest, Verification]:
    privacy_request.refresh_from_db()
    return privacy_request, verification_for(privacy_request)


# --- Reminders ----------------------------------------------------------------------------------


def test_reminders_go_out_on_days_3_10_and_30_with_a_fresh_link(tenant_a, freeze):
    freeze(NOW)
    privacy_request = request_made(tenant_a)
    links_before = VerificationLink.objects.for_tenant(tenant_a).count()
    assert sweep_at(freeze, day_after_receipt(privacy_request, 3, 8, 59)).reminders_sent == 0
    for number, days in enumerate((3, 10, 30), start=1):
        result = sweep_at(freeze, day_after_receipt(privacy_request, days))
        assert result.reminders_sent == 1
        assert len(reminders(privacy_request)) == number
        _, verification = reloaded(privacy_request)
        assert verification.reminders_sent == number
        assert privacy_request.events.filter(message__startswith=f"Reminder {number} sent").exists()
    # Each reminder carries a new one-time link to the consumer's own address.
    links = VerificationLink.objects.for_tenant(tenant_a).filter(privacy_request=privacy_request)
    assert links.count() == links_before + 3
    assert {link.email for link in links} == {"ana@example.com"}
    email = reminders(privacy_request)[0]
    assert email.recipient == "ana@example.com"
    assert "not yet confirmed your email address" in email.body
    assert "?t=" not in email.body  # the record keeps the link redacted (outbox.sealing)
    # After day 30, nothing until the denial time.
    _, verification = reloaded(privacy_request)
    assert verification.next_due_at == at(privacy_request, privacy_request.respond_by, 17)


def test_a_business_with_reminders_on_day_5_only_sends_one(tenant_a, freeze):
    freeze(NOW)
    policy = verification_policy(tenant_a)
    policy.reminder_days = [5]
    policy.save()
    privacy_request = request_made(tenant_a)
    sent = sum(
        sweep_at(freeze, day_after_receipt(privacy_request, days)).reminders_sent
        for days in (3, 5, 10, 30)
    )
    assert sent == 1
    assert len(reminders(privacy_request)) == 1


def test_proven_email_reminder_asks_for_more_information(tenant_a, freeze):
    freeze(NOW)
    privacy_request = request_made(tenant_a)
    email_link_opened(privacy_request)
    sweep_at(freeze, day_after_receipt(privacy_request, 3))
    (email,) = reminders(privacy_request)
    assert "We still need a little more information" in email.body


def test_spanish_speaker_gets_the_reminder_in_spanish(tenant_a, freeze):
    freeze(NOW)
    privacy_request = request_made(tenant_a, language="es")
    sweep_at(freeze, day_after_receipt(privacy_request, 3))
    (email,) = reminders(privacy_request)
    assert email.language == "es"
    assert "Recordatorio" in email.subject
    assert "Todavía no ha confirmado su dirección de correo electrónico" in email.body


def test_no_reminder_after_verification(tenant_a, staff_a, freeze):
    freeze(NOW)
    privacy_request = request_made(tenant_a)
    privacy_request_mark_verified(
        privacy_request=privacy_request, actor=staff_a, method="Checked the account by phone."
    )
    for days in (3, 10, 30):
        sweep_at(freeze, day_after_receipt(privacy_request, days))
    assert reminders(privacy_request) == []
    assert verification_for(privacy_request).next_due_at is None


def test_no_reminder_on_a_day_the_consumer_already_got_a_link(tenant_a, freeze):
    freeze(NOW)
    privacy_request = request_made(tenant_a)
    # A request entered (from a letter) three days after receipt, at 8:00 on the reminder day:
    # its email link went out this morning; the 9:00 reminder would be a second email today.
    verification = verification_for(privacy_request)
    freeze(day_after_receipt(privacy_request, 3, 8))
    from verification.services.records import verification_link_send

    verification_link_send(
        privacy_request=privacy_request,
        purpose=LinkPurpose.EMAIL,
        email="ana@example.com",
        now=day_after_receipt(privacy_request, 3, 8),
    )
    sweep_at(freeze, day_after_receipt(privacy_request, 3))
    assert reminders(privacy_request) == []
    verification.refresh_from_db()
    assert verification.next_due_at == day_after_receipt(privacy_request, 10)


def test_the_sweep_run_twice_sends_one_reminder(tenant_a, freeze):
    freeze(NOW)
    privacy_request = request_made(tenant_a)
    when = day_after_receipt(privacy_request, 3, 9, 2)
    first = sweep_at(freeze, when)
    second = verification_sweep(when)
    assert (first.reminders_sent, second.reminders_sent) == (1, 0)
    assert second.examined == 0  # no longer due: not even read
    assert len(reminders(privacy_request)) == 1


def test_a_late_sweep_sends_one_reminder_for_the_ones_it_missed(tenant_a, freeze):
    freeze(NOW)
    privacy_request = request_made(tenant_a)
    result = sweep_at(freeze, day_after_receipt(privacy_request, 12))
    assert result.reminders_sent == 1
    assert len(reminders(privacy_request)) == 1
    assert verification_for(privacy_request).next_due_at == day_after_receipt(privacy_request, 30)


# --- The sweep reads only what is due ------------------------------------------------------------


def test_the_sweep_touches_only_due_verifications(tenant_a, tenant_b, freeze):
    freeze(NOW)
    due = request_made(tenant_a)
    not_due = request_made(tenant_b)
    later = verification_for(not_due)
    Verification.objects.for_tenant(tenant_b).filter(pk=later.pk).update(
        next_due_at=day_after_receipt(not_due, 20)
    )
    later.refresh_from_db()
    sweep_at(freeze, day_after_receipt(due, 3))
    assert len(reminders(due)) == 1
    untouched = verification_for(not_due)
    assert (untouched.next_due_at, untouched.updated_at, untouched.reminders_sent) == (
        later.next_due_at,
        later.updated_at,
        0,
    )
    assert reminders(not_due) == []


def test_a_sweep_with_nothing_due_is_one_query(tenant_a, freeze, django_assert_num_queries):
    freeze(NOW)
    for _ in range(5):
        request_made(tenant_a)
    with django_assert_num_queries(1):
        result = verification_sweep(NOW + timedelta(days=1))
    assert result.examined == 0


# --- The end of the response period --------------------------------------------------------------


def test_no_denial_before_the_last_afternoon_then_denied_at_five(tenant_a, freeze):
    freeze(NOW)
    privacy_request = request_made(tenant_a, request_type=words.DELETE)
    respond_by = privacy_request.respond_by
    assert respond_by == privacy_request.received_date + timedelta(days=45)
    for when in (
        at(privacy_request, respond_by - timedelta(days=1), 23, 59),
        at(privacy_request, respond_by, 16, 59),
    ):
        assert sweep_at(freeze, when).denied == 0
        assert reloaded(privacy_request)[0].is_open
    result = sweep_at(freeze, at(privacy_request, respond_by, 17))
    assert result.denied == 1
    privacy_request, verification = reloaded(privacy_request)
    assert privacy_request.status == words.CLOSED
    assert privacy_request.outcome == words.DENIED
    assert privacy_request.denial_reason == words.UNVERIFIABLE
    assert verification.status == VerificationStatus.UNVERIFIABLE
    # §7022(a): the requestor is told their identity cannot be verified.
    assert "could not verify your identity" in privacy_request.denial_explanation
    assert "not deleted any personal information" in privacy_request.denial_explanation
    answer = privacy_request.communications.get(template="closed")
    assert "We could not verify your identity" in answer.body
    assert privacy_request.denial_explanation in answer.body
    assert privacy_request.responded_at <= at(privacy_request, respond_by, 23, 59)


def test_a_request_to_correct_is_denied_saying_nothing_was_corrected(tenant_a, freeze):
    freeze(NOW)
    privacy_request = request_made(
        tenant_a,
        request_type=words.CORRECT,
        details={"correction_field": "phone", "correction_requested": "+1 415 555 0199"},
    )
    sweep_at(freeze, at(privacy_request, privacy_request.respond_by, 17))
    privacy_request, _ = reloaded(privacy_request)
    assert privacy_request.denial_reason == words.UNVERIFIABLE
    assert "not corrected any personal information" in privacy_request.denial_explanation


def test_denial_explanation_is_in_the_consumers_language(tenant_a, freeze):
    freeze(NOW)
    privacy_request = request_made(tenant_a, request_type=words.DELETE, language="es")
    sweep_at(freeze, at(privacy_request, privacy_request.respond_by, 17))
    privacy_request, _ = reloaded(privacy_request)
    assert "No pudimos verificar su identidad" in privacy_request.denial_explanation


def test_an_extended_request_is_denied_only_at_its_new_date(tenant_a, staff_a, freeze):
    freeze(NOW)
    privacy_request = request_made(tenant_a, request_type=words.DELETE)
    old_respond_by = privacy_request.respond_by
    freeze(NOW + timedelta(days=20))
    privacy_request_extend(
        privacy_request=privacy_request,
        actor=staff_a,
        reason="We need more time to search our archived systems for your information.",
    )
    privacy_request.refresh_from_db()
    assert privacy_request.respond_by > old_respond_by
    assert sweep_at(freeze, at(privacy_request, old_respond_by, 17)).denied == 0
    assert reloaded(privacy_request)[0].is_open
    assert sweep_at(freeze, at(privacy_request, privacy_request.respond_by, 17)).denied == 1


def test_a_request_closed_meanwhile_is_skipped(tenant_a, staff_a, freeze):
    freeze(NOW)
    privacy_request = request_made(tenant_a, request_type=words.DELETE)
    freeze(NOW + timedelta(days=1))
    privacy_request_close(privacy_request=privacy_request, actor=staff_a, outcome=words.WITHDRAWN)
    result = sweep_at(freeze, at(privacy_request, privacy_request.respond_by, 17))
    assert result.examined == 0
    privacy_request, verification = reloaded(privacy_request)
    assert privacy_request.outcome == words.WITHDRAWN
    assert verification.status == VerificationStatus.CLOSED
    assert reminders(privacy_request) == []


def test_specific_pieces_verified_to_the_reasonable_degree_get_categories(tenant_a, freeze):
    """§7024(a): no specific piece, but evaluated as a request for categories (§7062(b))."""
    freeze(NOW)
    directory_add(tenant_a, **HELD)
    privacy_request = request_made(tenant_a, know_scope=words.KNOW_BOTH)
    email_link_opened(privacy_request)
    verification_submit(
        verification=verification_for(privacy_request), values={"phone": HELD["phone"]}
    )
    privacy_request, verification = reloaded(privacy_request)
    assert verification.reached_degree == degrees.REASONABLE
    assert verification.status == VerificationStatus.PENDING  # specific pieces need more
    result = sweep_at(freeze, at(privacy_request, privacy_request.respond_by, 17))
    assert (result.categories_only, result.denied) == (1, 0)
    privacy_request, verification = reloaded(privacy_request)
    assert privacy_request.is_open
    assert privacy_request.status == words.VERIFIED
    assert verification.status == VerificationStatus.VERIFIED
    assert verification.categories_only
    assert "§7024(a)" in verification.method
    told = privacy_request.communications.get(template="verification/categories_only")
    assert "we will not disclose them" in told.body
    assert "categories of personal information" in told.body
    assert verification_sweep(at(privacy_request, privacy_request.respond_by, 17, 5)).examined == 0


def test_specific_pieces_not_even_reasonably_verified_are_denied(tenant_a, freeze):
    freeze(NOW)
    tenant_a.privacy_policy_url = "https://acme.example/privacy"
    tenant_a.save()
    privacy_request = request_made(tenant_a, know_scope=words.KNOW_SPECIFIC)
    email_link_opened(privacy_request)  # one point: not the reasonable degree
    sweep_at(freeze, at(privacy_request, privacy_request.respond_by, 17))
    privacy_request, verification = reloaded(privacy_request)
    assert privacy_request.denial_reason == words.UNVERIFIABLE
    assert not verification.categories_only
    assert "cannot disclose any specific pieces" in privacy_request.denial_explanation
    assert "https://acme.example/privacy" in privacy_request.denial_explanation


def test_categories_not_verified_are_denied_with_the_privacy_policy_link(tenant_a, freeze):
    """§7024(b): denied, the consumer is directed to the general practices of the policy."""
    freeze(NOW)
    tenant_a.privacy_policy_url = "https://acme.example/privacy"
    tenant_a.save()
    privacy_request = request_made(tenant_a, know_scope=words.KNOW_CATEGORIES)
    sweep_at(freeze, at(privacy_request, privacy_request.respond_by, 17))
    privacy_request, _ = reloaded(privacy_request)
    assert privacy_request.outcome == words.DENIED
    assert privacy_request.denial_reason == words.UNVERIFIABLE
    assert "general practices" in privacy_request.denial_explanation
    answer = privacy_request.communications.get(template="closed")
    assert "https://acme.example/privacy" in answer.body


def test_without_a_privacy_policy_address_the_notice_page_is_given(tenant_a, freeze):
    freeze(NOW)
    assert not tenant_a.privacy_policy_url
    privacy_request = request_made(tenant_a, know_scope=words.KNOW_CATEGORIES)
    sweep_at(freeze, at(privacy_request, privacy_request.respond_by, 17))
    privacy_request, _ = reloaded(privacy_request)
    assert "/acme/notice-at-collection/" in privacy_request.denial_explanation


def test_denial_is_idempotent_and_the_task_reports_it(tenant_a, freeze):
    freeze(NOW)
    privacy_request = request_made(tenant_a, request_type=words.DELETE)
    freeze(at(privacy_request, privacy_request.respond_by, 17, 3))
    assert verification_sweep_task()["denied"] == 1
    assert verification_sweep_task()["denied"] == 0
    privacy_request.refresh_from_db()
    assert privacy_request.communications.filter(template="closed").count() == 1
    closed = RequestEvent.objects.for_tenant(tenant_a).filter(
        privacy_request=privacy_request, kind="closed"
    )
    assert closed.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_reminder_once(tenant_a, freeze):
    """Each row is locked (skip_locked) and re-checked as due under the lock, and a reminder's
    timeline entry has a unique key per day: two sweeps racing never remind twice."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite runs one writer at a time")
    freeze(NOW)
    made = [request_made(tenant_a) for _ in range(8)]
    when = day_after_receipt(made[0], 3)
    freeze(when)
    barrier = threading.Barrier(2)
    results = []

    def sweep() -> None:
        try:
            barrier.wait()
            results.append(verification_sweep(when, batch_size=3))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result.reminders_sent for result in results) == len(made)
    for privacy_request in made:
        assert len(reminders(privacy_request)) == 1
        assert verification_for(privacy_request).reminders_sent == 1
