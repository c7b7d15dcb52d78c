"""When the sweep looks at a request again (pure): reminders, escalations, due states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from requests_app import milestones

LA = ZoneInfo("America/Los_Angeles")


@dataclass
class Row:
    confirm_by: date | None = None
    confirmed_at: datetime | None = None
    respond_by: date | None = None
    comply_by: date | None = None


def test_a_confirmed_request_has_a_due_soon_and_an_overdue_milestone():
    row = Row(
        confirm_by=date(2026, 12, 9),
        confirmed_at=datetime(2026, 11, 24, tzinfo=UTC),
        respond_by=date(2027, 1, 7),
    )
    keys = [m.key for m in milestones.milestones(row, LA)]
    assert keys == ["due_soon:2027-01-07", "overdue:2027-01-07"]


def test_an_unconfirmed_request_is_escalated_before_its_confirm_by_date_7021a():
    row = Row(confirm_by=date(2026, 12, 9), respond_by=date(2027, 1, 7))
    found = {m.key: m for m in milestones.milestones(row, LA)}
    escalation = found["confirm_due:2026-12-09"]
    assert escalation.escalate
    # three days before, at the start of the local day
    assert escalation.at == datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    assert found["confirm_overdue:2026-12-09"].at == datetime(2026, 12, 10, 8, 0, tzinfo=UTC)


def test_overdue_starts_just_after_the_end_of_the_local_due_day():
    row = Row(comply_by=date(2026, 1, 13))
    overdue = next(m for m in milestones.milestones(row, LA) if m.key.startswith("overdue"))
    assert overdue.at == datetime(2026, 1, 14, 8, 0, tzinfo=UTC)


def test_next_due_at_is_the_first_milestone_still_ahead():
    row = Row(respond_by=date(2027, 1, 7), confirmed_at=datetime(2026, 11, 24, tzinfo=UTC))
    assert milestones.next_due_at(row, LA, datetime(2026, 11, 24, tzinfo=UTC)) == datetime(
        2027, 1, 4, 8, 0, tzinfo=UTC
    )
    assert milestones.next_due_at(row, LA, datetime(2027, 1, 5, tzinfo=UTC)) == datetime(
        2027, 1, 8, 8, 0, tzinfo=UTC
    )
    assert milestones.next_due_at(row, LA, datetime(2027, 1, 9, tzinfo=UTC)) is None


def test_a_request_with_no_deadline_has_no_milestones():
    assert milestones.milestones(Row(), LA) == []
    assert milestones.next_due_at(Row(), LA, datetime(2026, 1, 1, tzinfo=UTC)) is None


def test_the_first_milestone_counts_those_already_past():
    row = Row(respond_by=date(2026, 1, 5), confirmed_at=datetime(2025, 11, 21, tzinfo=UTC))
    assert milestones.first_milestone_at(row, LA) == datetime(2026, 1, 2, 8, 0, tzinfo=UTC)
    assert milestones.first_milestone_at(Row(), LA) is None


def test_opt_out_and_limit_requests_are_due_to_comply_not_to_respond_7026f_7027g():
    comply = [m.what for m in milestones.milestones(Row(comply_by=date(2027, 1, 7)), LA)]
    assert comply[0] == "due soon: comply by 2027-01-07"
    respond = [m.what for m in milestones.milestones(Row(respond_by=date(2027, 1, 7)), LA)]
    assert respond[0] == "due soon: respond by 2027-01-07"


def test_the_most_urgent_milestone_is_a_missed_deadline_then_the_nearest_one():
    row = Row(confirm_by=date(2026, 12, 9), respond_by=date(2027, 1, 7))
    found = {m.key.partition(":")[0]: m for m in milestones.milestones(row, LA)}
    assert set(found) == {"confirm_due", "confirm_overdue", "due_soon", "overdue"}
    assert milestones.most_urgent(found.values()) is found["overdue"]
    assert (
        milestones.most_urgent([found["due_soon"], found["confirm_overdue"]])
        is found["confirm_overdue"]
    )
    assert milestones.most_urgent([found["due_soon"], found["confirm_due"]]) is found["confirm_due"]
    assert milestones.most_urgent([found["due_soon"]]) is found["due_soon"]
