"""The pure rules of system tasks: due dates, reminder times, answers (fulfilment.task_rules)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from core.refusals import Refused
from fulfilment import task_rules as rules

LA = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize(
    ("request_type", "action"),
    [
        ("know", "find"),
        ("delete", "delete"),
        ("correct", "correct"),
        ("opt_out", None),
        ("limit", None),
        ("opt_in", None),
    ],
)
def test_each_verifiable_type_asks_its_action_and_opt_outs_ask_none(request_type, action):
    assert rules.action_for(request_type) == action


def test_a_task_is_due_twenty_days_after_verification_by_default_well_before_day_45_7021b():
    due = rules.task_due_on(
        start=date(2026, 2, 2), due_days=rules.DEFAULT_DUE_DAYS, request_due=date(2026, 3, 19)
    )
    assert due == date(2026, 2, 22)


def test_a_task_is_never_due_after_the_request_itself_7021b():
    assert rules.task_due_on(
        start=date(2026, 3, 10), due_days=20, request_due=date(2026, 3, 19)
    ) == date(2026, 3, 19)
    # A request already past its due date: the task is due at once, not in the past.
    assert rules.task_due_on(
        start=date(2026, 3, 25), due_days=20, request_due=date(2026, 3, 19)
    ) == date(2026, 3, 25)


def test_the_first_reminder_comes_three_days_before_the_due_date_at_eight_local():
    created = datetime(2026, 2, 2, 17, 0, tzinfo=UTC)
    first = rules.first_reminder_at(due_on=date(2026, 2, 22), created_at=created, zone=LA)
    assert first == datetime(2026, 2, 19, 8, 0, tzinfo=LA)


def test_a_task_due_soon_is_not_reminded_on_the_day_it_was_given():
    created = datetime(2026, 2, 2, 17, 0, tzinfo=UTC)  # 09:00 in Los Angeles
    first = rules.first_reminder_at(due_on=date(2026, 2, 3), created_at=created, zone=LA)
    assert first == datetime(2026, 2, 3, 8, 0, tzinfo=LA)


def test_after_a_reminder_the_next_is_the_next_local_morning_across_midnight_utc():
    # 23:30 in Los Angeles is already the next day in UTC: the next local morning still counts.
    sent = datetime(2026, 2, 3, 7, 30, tzinfo=UTC)
    assert rules.next_reminder_at(now=sent, zone=LA) == datetime(2026, 2, 3, 8, 0, tzinfo=LA)
    assert rules.local_day_start(now=sent, zone=LA) == datetime(2026, 2, 2, 0, 0, tzinfo=LA)


def test_an_exemption_needs_its_basis():
    with pytest.raises(Refused) as refused:
        rules.answer_check(outcome="exempt", note="kept", basis="  ")
    assert (refused.value.code, refused.value.field) == ("basis_required", "basis")
    rules.answer_check(outcome="exempt", note="", basis="Civil Code §1798.105(d)(8)")


@pytest.mark.parametrize(
    ("outcome", "basis", "code"),
    [("maybe", "", "invalid_outcome"), ("done", "§1798.105(d)", "basis_not_expected")],
)
def test_other_bad_answers_are_refused_with_the_field(outcome, basis, code):
    with pytest.raises(Refused) as refused:
        rules.answer_check(outcome=outcome, note="", basis=basis)
    assert refused.value.code == code


def test_the_timeline_summary_counts_systems_and_names_the_action():
    assert rules.tasks_summary(3, "delete") == "3 systems asked to find and delete the data."
    assert rules.tasks_summary(1, "find") == "1 system asked to find and export the data."
