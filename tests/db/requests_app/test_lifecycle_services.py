"""Extending, verifying, closing and confirming: the services enforce the regulation's rules."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.refusals import Refused
from outbox.models import OutboxMessage
from requests_app.models import PrivacyRequest
from requests_app.services import (
    privacy_request_assign,
    privacy_request_close,
    privacy_request_extend,
    privacy_request_mark_verified,
    privacy_request_record_confirmation,
    privacy_request_start,
)
from tests.factories import make_request

pytestmark = pytest.mark.django_db

RECEIVED = datetime(2025, 11, 3, 18, 0, tzinfo=UTC)  # D = 2025-11-03, respond by 2025-12-18


def _reload(privacy_request: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.for_tenant(privacy_request.tenant).get(pk=privacy_request.pk)


@pytest.fixture
def open_request(tenant_a, freeze):
    freeze(RECEIVED)
    return make_request(tenant_a, request_type="delete")


def test_extension_defaults_to_ninety_days_and_notifies_the_consumer_with_the_reason_7021b(
    open_request, staff_a, freeze
):
    freeze(datetime(2025, 12, 1, 18, 0, tzinfo=UTC))
    extended = privacy_request_extend(
        privacy_request=open_request,
        actor=staff_a,
        reason="We are still collecting your records from our archive.",
    )
    assert extended.respond_by == date(2026, 2, 1)
    notice = (
        OutboxMessage.objects.for_tenant(open_request.tenant)
        .filter(subject__contains="more time")
        .get()
    )
    assert "collecting your records" in notice.body
    assert "February 1, 2026" in notice.body
    assert extended.events.filter(kind="extended", actor=staff_a).exists()


def test_extension_to_a_chosen_date_within_ninety_days_is_accepted(open_request, staff_a):
    extended = privacy_request_extend(
        privacy_request=open_request,
        actor=staff_a,
        reason="Complex request.",
        new_respond_by=date(2026, 1, 10),
    )
    assert extended.respond_by == date(2026, 1, 10)


def test_extending_twice_is_refused_and_the_due_date_stays_1798_130a2(open_request, staff_a):
    privacy_request_extend(
        privacy_request=open_request,
        actor=staff_a,
        reason="More time needed.",
        new_respond_by=date(2026, 1, 5),
    )
    with pytest.raises(Refused) as refused:
        privacy_request_extend(privacy_request=open_request, actor=staff_a, reason="Again.")
    assert refused.value.code == "already_extended"
    assert _reload(open_request).respond_by == date(2026, 1, 5)


def test_extending_after_day_45_is_refused_a6(open_request, staff_a, freeze):
    # Day 46 in Los Angeles: 2025-12-19.
    freeze(datetime(2025, 12, 19, 18, 0, tzinfo=UTC))
    with pytest.raises(Refused) as refused:
        privacy_request_extend(privacy_request=open_request, actor=staff_a, reason="Too late.")
    assert refused.value.code == "too_late"
    assert _reload(open_request).extended_at is None


def test_extending_on_day_45_late_evening_local_time_is_still_allowed_a6(
    open_request, staff_a, freeze
):
    # 23:30 PT on 2025-12-18 is already 2025-12-19 in UTC.
    freeze(datetime(2025, 12, 19, 7, 30, tzinfo=UTC))
    assert privacy_request_extend(
        privacy_request=open_request, actor=staff_a, reason="Need records."
    ).extended_at


@pytest.mark.parametrize(
    ("new_date", "code"), [(date(2026, 2, 2), "beyond_maximum"), (date(2025, 12, 18), "not_later")]
)
def test_extension_dates_outside_the_allowed_window_are_refused_7021b(
    open_request, staff_a, new_date, code
):
    with pytest.raises(Refused) as refused:
        privacy_request_extend(
            privacy_request=open_request, actor=staff_a, reason="x", new_respond_by=new_date
        )
    assert refused.value.code == code


def test_extension_needs_a_reason_7021b(open_request, staff_a):
    with pytest.raises(Refused) as refused:
        privacy_request_extend(privacy_request=open_request, actor=staff_a, reason="  ")
    assert refused.value.code == "reason_required"


def test_an_opt_out_cannot_be_extended_7026f(tenant_a, staff_a):
    opt_out = make_request(tenant_a, request_type="opt_out")
    with pytest.raises(Refused) as refused:
        privacy_request_extend(privacy_request=opt_out, actor=staff_a, reason="x")
    assert refused.value.code == "not_extendable"


def test_closing_as_complied_before_verification_is_refused(open_request, staff_a):
    with pytest.raises(Refused) as refused:
        privacy_request_close(privacy_request=open_request, actor=staff_a, outcome="complied")
    assert refused.value.code == "not_verified"
    assert _reload(open_request).status == "awaiting_verification"


def test_verify_start_and_close_as_complied_records_the_response_and_tells_the_consumer(
    open_request, staff_a, freeze
):
    privacy_request_mark_verified(
        privacy_request=open_request, actor=staff_a, method="Matched email and phone"
    )
    privacy_request_start(privacy_request=open_request, actor=staff_a)
    freeze(datetime(2025, 11, 20, 18, 0, tzinfo=UTC))
    closed = privacy_request_close(privacy_request=open_request, actor=staff_a, outcome="complied")
    assert (closed.status, closed.outcome) == ("closed", "complied")
    assert closed.responded_at == datetime(2025, 11, 20, 18, 0, tzinfo=UTC)
    assert closed.next_due_at is None
    answer = OutboxMessage.objects.for_tenant(open_request.tenant).get(
        subject__startswith="Our answer"
    )
    # §7022(e) as read in A-13: every delete response says a record is kept.
    assert "record of your request" in answer.body
    assert list(closed.events.values_list("kind", flat=True)) == [
        "created",
        "acknowledged",
        "verified",
        "status",
        "closed",
        # Identity verification deletes the email link it sent at intake (§7060(d)) and says so.
        "note",
    ]


def test_a_denial_records_reason_and_explanation_and_the_notice_gives_them_7022f(
    open_request, staff_a
):
    closed = privacy_request_close(
        privacy_request=open_request,
        actor=staff_a,
        outcome="denied",
        denial_reason="unverifiable",
        explanation="The details you gave did not match our records.",
    )
    assert closed.denial_reason == "unverifiable"
    body = (
        OutboxMessage.objects.for_tenant(open_request.tenant)
        .get(subject__startswith="Our answer")
        .body
    )
    assert "could not verify your identity" in body
    assert "did not match our records" in body


def test_a_closed_request_cannot_be_closed_again(open_request, staff_a):
    privacy_request_close(
        privacy_request=open_request,
        actor=staff_a,
        outcome="denied",
        denial_reason="other",
        explanation="This repeats a request we answered last week.",
    )
    with pytest.raises(Refused) as refused:
        privacy_request_close(
            privacy_request=open_request,
            actor=staff_a,
            outcome="denied",
            denial_reason="other",
            explanation="This repeats a request we answered last week.",
        )
    assert refused.value.code == "closed"


def test_staff_record_an_oral_confirmation_for_a_phone_request_7021a(tenant_a, staff_a):
    phone_request = make_request(tenant_a, channel="phone", email="")
    confirmed = privacy_request_record_confirmation(
        privacy_request=phone_request,
        actor=staff_a,
        method="oral",
        text="We received your request and will check who you are, then answer by January 5.",
        note="Confirmed on the call.",
    )
    assert confirmed.confirmation_method == "oral"
    assert confirmed.events.filter(
        kind="acknowledged", actor=staff_a, reason="Confirmed on the call."
    ).exists()
    with pytest.raises(Refused):
        privacy_request_record_confirmation(
            privacy_request=phone_request,
            actor=staff_a,
            method="oral",
            text="We received your request and will check who you are, then answer by January 5.",
        )


def test_a_request_cannot_be_assigned_to_another_business_staff(open_request, staff_a, staff_b):
    with pytest.raises(Refused) as refused:
        privacy_request_assign(privacy_request=open_request, actor=staff_a, assignee=staff_b)
    assert refused.value.code == "not_a_member"
    assigned = privacy_request_assign(privacy_request=open_request, actor=staff_a, assignee=staff_a)
    assert assigned.assignee == staff_a
