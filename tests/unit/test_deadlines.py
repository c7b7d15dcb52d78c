"""Unit tests for requests_app.deadlines (§7021, §7026(f), §7027(g); requirements A-2, A-4..A-6).

Expected dates are worked out by hand (see the comments) and pinned: a change to the holiday
package or to the rules must fail here before it can move a statutory deadline.
"""

from __future__ import annotations

import calendar as pycal
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

import core.calendar
from core.calendar import (
    CA_STATE,
    CALENDAR_CHOICES,
    WEEKENDS_ONLY,
    BusinessCalendar,
    business_calendar,
    end_of_day,
    start_of_day,
)
from core.refusals import Refused
from requests_app import deadlines
from requests_app.deadlines import (
    check_extension,
    comply_by,
    confirm_by,
    days_left,
    deadline_state,
    deadlines_for,
    max_respond_by,
    receipt_date,
    respond_by,
)

LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")
CA = business_calendar(CA_STATE)
WE = business_calendar(WEEKENDS_ONLY)
CALENDARS = [CA, WE]


def d(iso: str) -> date:
    return date.fromisoformat(iso)


def utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th ``weekday`` of the month (n = -1: the last one)."""
    days = [
        date(year, month, day)
        for day in range(1, pycal.monthrange(year, month)[1] + 1)
        if date(year, month, day).weekday() == weekday
    ]
    return days[n - 1] if n > 0 else days[n]


def _ca_state_oracle(year: int) -> frozenset[date]:
    """An independent statement of the H-CA list (A-2), written from the rules, not the package."""
    mon, thu = 0, 3
    thanksgiving = _nth_weekday(year, 11, thu, 4)
    days = {
        date(year, 1, 1),  # New Year's Day
        _nth_weekday(year, 1, mon, 3),  # Martin Luther King Jr. Day
        _nth_weekday(year, 2, mon, 3),  # Presidents' Day
        date(year, 3, 31),  # Cesar Chavez Day
        _nth_weekday(year, 5, mon, -1),  # Memorial Day
        date(year, 7, 4),  # Independence Day
        _nth_weekday(year, 9, mon, 1),  # Labor Day
        date(year, 11, 11),  # Veterans Day
        thanksgiving,
        thanksgiving + timedelta(days=1),  # the day after Thanksgiving
        date(year, 12, 25),  # Christmas Day
    }
    # Sunday -> Monday; Saturday -> nothing (state offices stay open on the Friday).
    days |= {day + timedelta(days=1) for day in days if day.weekday() == 6}
    return frozenset(days)


# ---------------------------------------------------------------------------------------------
# The CA_STATE calendar, pinned
# ---------------------------------------------------------------------------------------------

PINNED_CA_STATE = {
    2024: [
        "2024-01-01", "2024-01-15", "2024-02-19",
        "2024-03-31", "2024-04-01",  # Cesar Chavez Day on a Sunday -> Monday observed
        "2024-05-27", "2024-07-04", "2024-09-02", "2024-11-11",
        "2024-11-28", "2024-11-29", "2024-12-25",
    ],
    2025: [
        "2025-01-01", "2025-01-20", "2025-02-17", "2025-03-31", "2025-05-26", "2025-07-04",
        "2025-09-01", "2025-11-11", "2025-11-27", "2025-11-28", "2025-12-25",
    ],
    2026: [
        "2026-01-01", "2026-01-19", "2026-02-16", "2026-03-31", "2026-05-25",
        "2026-07-04",  # a Saturday: no Friday substitute
        "2026-09-07", "2026-11-11", "2026-11-26", "2026-11-27", "2026-12-25",
    ],
    2027: [
        "2027-01-01", "2027-01-18", "2027-02-15", "2027-03-31", "2027-05-31",
        "2027-07-04", "2027-07-05",  # Independence Day on a Sunday -> Monday observed
        "2027-09-06", "2027-11-11", "2027-11-25", "2027-11-26",
        "2027-12-25",  # a Saturday: no Friday substitute
    ],
    2028: [
        "2028-01-01",  # a Saturday
        "2028-01-17", "2028-02-21", "2028-03-31", "2028-05-29", "2028-07-04", "2028-09-04",
        "2028-11-11",  # a Saturday
        "2028-11-23", "2028-11-24", "2028-12-25",
    ],
}  # fmt: skip


@pytest.mark.parametrize("year", sorted(PINNED_CA_STATE))
def test_ca_state_holidays_match_the_pinned_list_a2(year: int) -> None:
    assert CA.holidays_in(year) == frozenset(map(d, PINNED_CA_STATE[year]))


@pytest.mark.parametrize("year", range(2020, 2041))
def test_ca_state_holidays_match_the_rules_written_out_a2(year: int) -> None:
    assert CA.holidays_in(year) == _ca_state_oracle(year)


def test_ca_state_holiday_names_are_the_calhr_list_a2() -> None:
    assert {
        "New Year's Day",
        "Martin Luther King Jr. Day",
        "Presidents' Day",
        "Cesar Chavez Day",
        "Memorial Day",
        "Independence Day",
        "Labor Day",
        "Veterans Day",
        "Thanksgiving Day",
        "Day After Thanksgiving",
        "Christmas Day",
    } == core.calendar._CA_STATE_HOLIDAY_NAMES


@pytest.mark.parametrize(
    ("day", "why"),
    [
        ("2025-01-20", "Martin Luther King Jr. Day"),
        ("2025-02-17", "Presidents' Day"),
        ("2026-02-16", "Presidents' Day"),
        ("2027-02-15", "Presidents' Day, same day as Susan B. Anthony Day"),
        ("2025-03-31", "Cesar Chavez Day"),
        ("2026-03-31", "Cesar Chavez Day"),
        ("2024-04-01", "Cesar Chavez Day (Sun) observed"),
        ("2027-07-05", "Independence Day (Sun) observed"),
        ("2025-11-27", "Thanksgiving Day"),
        ("2025-11-28", "Day After Thanksgiving"),
        ("2025-12-25", "Christmas Day"),
        ("2026-01-01", "New Year's Day"),
        ("2026-11-11", "Veterans Day"),
        ("2028-12-25", "Christmas Day"),
    ],
)
def test_ca_state_closure_weekday_is_not_a_business_day_a2(day: str, why: str) -> None:
    assert not CA.is_business_day(d(day)), why
    assert WE.is_business_day(d(day)), "weekends-only ignores holidays"


@pytest.mark.parametrize(
    ("day", "why"),
    [
        ("2026-07-03", "Fri before Independence Day on a Saturday: no substitute"),
        ("2027-12-24", "Fri before Christmas on a Saturday: no substitute"),
        ("2027-12-31", "Fri before New Year's Day 2028 on a Saturday: no substitute"),
        ("2028-11-10", "Fri before Veterans Day on a Saturday: no substitute"),
        ("2025-06-19", "Juneteenth: federal only"),
        ("2026-06-19", "Juneteenth: federal only"),
        ("2028-06-19", "Juneteenth: federal only"),
        ("2028-02-15", "Susan B. Anthony Day: commemorative"),
        ("2027-10-29", "Diwali: Gov. Code §6700 since 2025, offices open"),
        ("2028-10-17", "Diwali: offices open"),
        ("2025-10-13", "Columbus Day: offices open"),
        ("2025-09-26", "Native American Day: offices open"),
        ("2026-02-12", "Lincoln Day: offices open"),
        ("2025-12-24", "Christmas Eve"),
        ("2025-12-31", "New Year's Eve"),
        ("2025-11-26", "Wednesday before Thanksgiving"),
    ],
)
def test_days_holidays_lists_but_offices_do_not_close_are_business_days_a2(
    day: str, why: str
) -> None:
    assert CA.is_business_day(d(day)), why
    assert d(day) not in CA.holidays_in(d(day).year)


@pytest.mark.parametrize("day", ["2026-11-08", "2025-02-15", "2026-02-15"])
def test_diwali_and_susan_b_anthony_day_are_not_ca_state_holidays_a2(day: str) -> None:
    # These fall on weekends (so are not business days anyway) but must not be on the list.
    assert d(day) not in CA.holidays_in(d(day).year)
    assert CA.holiday_name(d(day)) is None


def test_python_holidays_own_list_differs_from_ca_state_on_the_documented_days_a2() -> None:
    package = holidays.country_holidays("US", subdiv="CA", years=2026)  # observed=True
    assert d("2026-07-03") in package  # Friday substitute
    assert d("2026-06-19") in package  # Juneteenth
    assert d("2026-11-08") in package  # Diwali
    for day in ("2026-07-03", "2026-06-19"):
        assert CA.is_business_day(d(day))


@pytest.mark.parametrize(
    ("day", "name"),
    [
        ("2025-03-31", "Cesar Chavez Day"),
        ("2025-11-28", "Day After Thanksgiving"),
        ("2027-02-15", "Presidents' Day"),  # Susan B. Anthony Day is filtered out
        ("2027-07-04", "Independence Day"),
        ("2027-07-05", "Independence Day (observed)"),
        ("2026-07-03", None),
        ("2026-06-19", None),
        ("2026-11-08", None),
        ("2025-11-26", None),
    ],
)
def test_holiday_name_names_ca_state_closures_only_a2(day: str, name: str | None) -> None:
    assert CA.holiday_name(d(day)) == name


def test_weekends_only_calendar_has_no_holidays() -> None:
    assert WE.holidays_in(2025) == frozenset()
    assert WE.holiday_name(d("2025-12-25")) is None


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2025-11-22", False),  # Saturday
        ("2025-11-23", False),  # Sunday
        ("2025-11-24", True),  # Monday
        ("2025-11-21", True),  # Friday
    ],
)
@pytest.mark.parametrize("cal", CALENDARS, ids=lambda c: c.name)
def test_weekends_are_never_business_days_on_either_calendar_a2(
    cal: BusinessCalendar, day: str, expected: bool
) -> None:
    assert cal.is_business_day(d(day)) is expected


def test_renamed_holiday_raises_instead_of_becoming_a_business_day_a2(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = holidays.country_holidays

    def renamed(*args: object, **kwargs: object) -> holidays.HolidayBase:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        result.pop(date(2026, 3, 31))
        result[date(2026, 3, 31)] = "César Chávez Day"
        return result

    monkeypatch.setattr(holidays, "country_holidays", renamed)
    # __wrapped__ bypasses the per-year cache, so the real list stays cached for other tests.
    with pytest.raises(RuntimeError, match="Cesar Chavez Day"):
        core.calendar._ca_state_holidays.__wrapped__(2026)


# ---------------------------------------------------------------------------------------------
# Calendars: choices, labels, errors
# ---------------------------------------------------------------------------------------------


def test_calendar_choices_and_labels() -> None:
    assert CALENDAR_CHOICES == (
        (CA_STATE, "California state office closures"),
        (WEEKENDS_ONLY, "Weekends only"),
    )
    assert CA.label == "California state office closures"
    assert WE.label == "Weekends only"
    assert business_calendar(CA_STATE) == CA


@pytest.mark.parametrize("name", ["", "CA_STATE", "federal", "us_ca", "tenant"])
def test_unknown_calendar_raises_value_error(name: str) -> None:
    with pytest.raises(ValueError, match="calendar"):
        business_calendar(name)


@pytest.mark.parametrize("count", [0, -1, -10])
def test_add_business_days_rejects_a_count_below_one(count: int) -> None:
    with pytest.raises(ValueError, match="count"):
        CA.add_business_days(d("2025-11-03"), count)


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        ("2025-11-21", 1, "2025-11-24"),  # Fri -> Mon
        ("2025-11-24", 1, "2025-11-25"),  # the start day never counts
        ("2025-11-26", 1, "2025-12-01"),  # over Thanksgiving + the day after + weekend
        ("2025-12-24", 1, "2025-12-26"),  # over Christmas
        ("2027-07-02", 1, "2027-07-06"),  # over Sunday Independence Day observed Monday
        ("2026-07-02", 1, "2026-07-03"),  # Friday before a Saturday holiday counts
    ],
)
def test_add_business_days_counts_from_the_day_after_start_7021a(
    start: str, count: int, expected: str
) -> None:
    assert CA.add_business_days(d(start), count) == d(expected)


# ---------------------------------------------------------------------------------------------
# Receipt date D and the end of a day
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received_at", "tz", "expected"),
    [
        # R-BD-2: the local date, whatever the UTC date.
        ("2025-11-22T07:30", LA, "2025-11-21"),
        ("2025-11-22T08:30", LA, "2025-11-22"),
        # Late night on New Year's Eve.
        ("2025-12-31T07:59:59", LA, "2025-12-30"),
        ("2025-12-31T08:00", LA, "2025-12-31"),
        ("2026-01-01T07:59:59.999999", LA, "2025-12-31"),
        # Around the spring-forward of 2026-03-08 (02:00 PST -> 03:00 PDT at 10:00Z).
        ("2026-03-08T07:59:59", LA, "2026-03-07"),
        ("2026-03-08T08:00", LA, "2026-03-08"),
        ("2026-03-08T09:59:59", LA, "2026-03-08"),  # 01:59:59 PST
        ("2026-03-08T10:00", LA, "2026-03-08"),  # 03:00 PDT
        ("2026-03-09T06:59:59", LA, "2026-03-08"),  # 23:59:59 PDT
        ("2026-03-09T07:00", LA, "2026-03-09"),
        # Around the fall-back of 2026-11-01 (02:00 PDT -> 01:00 PST at 09:00Z).
        ("2026-11-01T06:59:59", LA, "2026-10-31"),  # 23:59:59 PDT
        ("2026-11-01T07:00", LA, "2026-11-01"),
        ("2026-11-01T08:30", LA, "2026-11-01"),  # 01:30 PDT
        ("2026-11-01T09:30", LA, "2026-11-01"),  # 01:30 PST, the repeated hour
        ("2026-11-02T07:59:59", LA, "2026-11-01"),  # 23:59:59 PST
        ("2026-11-02T08:00", LA, "2026-11-02"),
        # Another tenant time zone changes D for the same instant.
        ("2025-11-22T04:30", NY, "2025-11-21"),
        ("2025-11-22T05:30", NY, "2025-11-22"),
        ("2025-11-22T05:30", LA, "2025-11-21"),
        ("2025-11-22T08:30", ZoneInfo("UTC"), "2025-11-22"),
        ("2025-11-22T20:00", ZoneInfo("Asia/Tokyo"), "2025-11-23"),
    ],
)
def test_receipt_date_is_the_local_date_in_the_tenant_time_zone_a4(
    received_at: str, tz: ZoneInfo, expected: str
) -> None:
    assert receipt_date(utc(received_at), tz) == d(expected)


def test_receipt_date_accepts_any_aware_datetime_a4() -> None:
    local = datetime(2025, 11, 21, 23, 30, tzinfo=LA)
    assert receipt_date(local, LA) == d("2025-11-21")
    assert receipt_date(local, NY) == d("2025-11-22")


@pytest.mark.parametrize(
    "received_at",
    [datetime(2025, 11, 22, 8, 30), datetime.fromisoformat("2025-11-22T08:30:00")],
)
def test_naive_received_at_raises_value_error_a4(received_at: datetime) -> None:
    with pytest.raises(ValueError, match="aware"):
        receipt_date(received_at, LA)
    with pytest.raises(ValueError, match="aware"):
        deadlines_for("know", received_at, LA, CA)


@pytest.mark.parametrize(
    ("day", "tz", "start", "end"),
    [
        ("2025-11-21", LA, "2025-11-21T08:00", "2025-11-22T07:59:59.999999"),
        ("2025-07-04", LA, "2025-07-04T07:00", "2025-07-05T06:59:59.999999"),
        # Spring forward: a 23-hour day.
        ("2026-03-08", LA, "2026-03-08T08:00", "2026-03-09T06:59:59.999999"),
        # Fall back: a 25-hour day.
        ("2026-11-01", LA, "2026-11-01T07:00", "2026-11-02T07:59:59.999999"),
        ("2026-03-08", NY, "2026-03-08T05:00", "2026-03-09T03:59:59.999999"),
        ("2026-11-01", NY, "2026-11-01T04:00", "2026-11-02T04:59:59.999999"),
        ("2026-02-14", ZoneInfo("UTC"), "2026-02-14T00:00", "2026-02-14T23:59:59.999999"),
    ],
)
def test_a_day_runs_from_local_midnight_to_the_last_local_microsecond_a5(
    day: str, tz: ZoneInfo, start: str, end: str
) -> None:
    assert start_of_day(d(day), tz) == utc(start)
    assert end_of_day(d(day), tz) == utc(end)
    assert start_of_day(d(day), tz).tzinfo is UTC
    assert end_of_day(d(day), tz).tzinfo is UTC


def test_end_of_day_is_23_59_59_999999_local_a5() -> None:
    for day in ("2026-03-08", "2026-11-01", "2026-06-30"):
        local = end_of_day(d(day), LA).astimezone(LA)
        assert (local.date(), local.hour, local.minute, local.second, local.microsecond) == (
            d(day),
            23,
            59,
            59,
            999999,
        )


# ---------------------------------------------------------------------------------------------
# Confirm by: 10 business days (§7021(a))
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "expected", "why"),
    [
        # R-BD-1: Mon 24, Tue 25, Wed 26 (3), Thanksgiving + day after skipped,
        # Mon 1 .. Fri 5 (8), Mon 8, Tue 9 (10).
        ("2025-11-22", "2025-12-09", "Saturday receipt over Thanksgiving"),
        # R-BD-1: Jan 1 skipped; Fri 2 (1), Mon 5 .. Fri 9 (6), Mon 12 .. Thu 15 (10).
        ("2025-12-31", "2026-01-15", "year end"),
        # R-BD-3: Mar 31 skipped; Apr 1-4 (4), Apr 7-11 (9), Apr 14 (10).
        ("2025-03-28", "2025-04-14", "Cesar Chavez Day"),
        ("2025-03-29", "2025-04-14", "Saturday receipt"),
        ("2025-03-30", "2025-04-14", "Sunday receipt"),
        # R-TL-2: MLK Day Jan 20 skipped; Jan 13-17 (5), Jan 21-24 (9), Jan 27 (10).
        ("2025-01-10", "2025-01-27", "Martin Luther King Jr. Day"),
        # Thanksgiving run: Dec 1-5 (5), Dec 8-12 (10).
        ("2025-11-26", "2025-12-12", "Wednesday before Thanksgiving"),
        ("2025-11-27", "2025-12-12", "received on Thanksgiving Day"),
        ("2025-11-28", "2025-12-12", "received on the day after Thanksgiving"),
        # Received on Christmas: Dec 26, 29, 30, 31 (4), Jan 2 (5), Jan 5-9 (10).
        ("2025-12-25", "2026-01-09", "received on a holiday"),
        ("2025-12-30", "2026-01-14", "over New Year's Day"),
        # Christmas 2027 and New Year 2028 fall on Saturdays: Dec 27-31 (5), Jan 3-7 (10).
        ("2027-12-24", "2028-01-07", "Saturday holidays move nothing"),
        # Jul 5 2027 observed: Jul 6-9 (4), Jul 12-16 (9), Jul 19 (10).
        ("2027-07-02", "2027-07-19", "Sunday Independence Day observed Monday"),
        # Jul 3 2026 is a business day: Jun 22-26 (5), Jun 29 - Jul 3 (10).
        ("2026-06-19", "2026-07-03", "Friday before a Saturday holiday counts"),
        ("2026-02-13", "2026-03-02", "Presidents' Day 2026-02-16"),
    ],
)
def test_confirm_by_is_ten_ca_state_business_days_after_d_7021a(
    received: str, expected: str, why: str
) -> None:
    assert confirm_by(d(received), CA) == d(expected), why


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("2025-03-28", "2025-04-11"),  # R-BD-3: Mar 31 counts on the strictest reading
        ("2025-11-22", "2025-12-05"),
        ("2025-11-26", "2025-12-10"),
        ("2025-12-31", "2026-01-14"),
        ("2027-07-02", "2027-07-16"),
    ],
)
def test_confirm_by_on_weekends_only_calendar_skips_only_weekends_7021a(
    received: str, expected: str
) -> None:
    assert confirm_by(d(received), WE) == d(expected)


# ---------------------------------------------------------------------------------------------
# Respond by: D + 45, no roll-forward (§7021(b); A-5); maximum D + 90
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("2025-11-03", "2025-12-18"),  # R-7021-b-1
        ("2025-12-31", "2026-02-14"),  # R-7021-b-1: a Saturday, kept
        ("2025-11-21", "2026-01-05"),  # R-BD-2
        ("2025-11-22", "2026-01-06"),  # R-BD-2
        ("2025-01-10", "2025-02-24"),  # R-TL-2
        ("2025-11-26", "2026-01-10"),  # a Saturday, kept
        ("2025-10-11", "2025-11-25"),
        ("2025-10-13", "2025-11-27"),  # Thanksgiving Day, kept
        ("2025-11-10", "2025-12-25"),  # Christmas Day, kept
        ("2023-12-31", "2024-02-14"),  # leap year
        ("2024-01-15", "2024-02-29"),  # lands on Feb 29
    ],
)
def test_respond_by_is_d_plus_45_without_roll_forward_7021b(received: str, expected: str) -> None:
    assert respond_by(d(received)) == d(expected)


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("2025-11-03", "2026-02-01"),
        ("2025-12-31", "2026-03-31"),
        ("2025-01-10", "2025-04-10"),
        ("2023-12-01", "2024-02-29"),
    ],
)
def test_max_respond_by_is_d_plus_90_7021b(received: str, expected: str) -> None:
    assert max_respond_by(d(received)) == d(expected)


# ---------------------------------------------------------------------------------------------
# Comply by: 15 business days (§7026(f)(1), §7027(g)(1))
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "cal", "expected", "why"),
    [
        # R-7026-f1-1: Dec 22-24 (3), 25 skipped, 26 (4), 29-31 (7), Jan 1 skipped,
        # Jan 2 (8), Jan 5-9 (13), Jan 12-13 (15).
        ("2025-12-19", CA, "2026-01-13", "Christmas and New Year's Day skipped"),
        # R-7027-g1-1: Mar 17-21 (5), 24-28 (10), 31 skipped, Apr 1-4 (14), Apr 7 (15).
        ("2025-03-14", CA, "2025-04-07", "Cesar Chavez Day skipped"),
        # Jun 15-19 (5, Juneteenth counts), 22-26 (10), Jun 29 - Jul 3 (15).
        ("2026-06-12", CA, "2026-07-03", "Juneteenth and the Friday before Jul 4 count"),
        ("2025-11-26", CA, "2025-12-19", "Wednesday before Thanksgiving"),
        ("2025-12-19", WE, "2026-01-09", "weekends only"),
        ("2025-03-14", WE, "2025-04-04", "weekends only"),
    ],
)
def test_comply_by_is_fifteen_business_days_after_d_7026f1_7027g1(
    received: str, cal: BusinessCalendar, expected: str, why: str
) -> None:
    assert comply_by(d(received), cal) == d(expected), why


def test_python_holidays_own_list_would_give_a_later_comply_by_a2() -> None:
    # Documents the divergence in A-2: the package's list would move the deadline to 07-07.
    package = holidays.country_holidays("US", subdiv="CA", years=2026)
    day, count = d("2026-06-12"), 0
    while count < 15:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in package:
            count += 1
    assert day == d("2026-07-07")
    assert comply_by(d("2026-06-12"), CA) == d("2026-07-03")


# ---------------------------------------------------------------------------------------------
# deadlines_for
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_type", "received_at", "expected"),
    [
        # R-BD-2
        ("know", "2025-11-22T07:30", ("2025-11-21", "2025-12-09", "2026-01-05", None)),
        ("know", "2025-11-22T08:30", ("2025-11-22", "2025-12-09", "2026-01-06", None)),
        # R-TL-2: a logged request received 2025-01-10 (10:00 PST)
        ("delete", "2025-01-10T18:00", ("2025-01-10", "2025-01-27", "2025-02-24", None)),
        ("correct", "2025-03-28T20:00", ("2025-03-28", "2025-04-14", "2025-05-12", None)),
        # R-7026-f1-1 / R-7027-g1-1
        ("opt_out", "2025-12-19T20:00", ("2025-12-19", None, None, "2026-01-13")),
        ("limit", "2025-03-14T20:00", ("2025-03-14", None, None, "2025-04-07")),
        ("opt_out", "2026-06-12T20:00", ("2026-06-12", None, None, "2026-07-03")),
        # opt-in has no statutory deadline
        ("opt_in", "2025-11-22T08:30", ("2025-11-22", None, None, None)),
    ],
)
def test_deadlines_for_each_request_type_7021_7026f_7027g(
    request_type: str, received_at: str, expected: tuple[str | None, ...]
) -> None:
    result = deadlines_for(request_type, utc(received_at), LA, CA)
    received, confirm, respond, comply = (None if v is None else d(v) for v in expected)
    assert result == deadlines.Deadlines(
        received_date=received,  # type: ignore[arg-type]
        calendar=CA_STATE,
        confirm_by=confirm,
        respond_by=respond,
        comply_by=comply,
    )


def test_deadlines_for_records_the_calendar_used_a2() -> None:
    result = deadlines_for("know", utc("2025-03-28T20:00"), LA, WE)
    assert result.calendar == WEEKENDS_ONLY
    assert result.confirm_by == d("2025-04-11")
    assert result.respond_by == d("2025-05-12")


def test_deadlines_for_uses_the_tenant_time_zone_a4() -> None:
    at = utc("2025-11-22T05:30")  # Nov 22 00:30 in New York, Nov 21 21:30 in Los Angeles
    assert deadlines_for("know", at, NY, CA).received_date == d("2025-11-22")
    assert deadlines_for("know", at, LA, CA).received_date == d("2025-11-21")
    assert deadlines_for("know", at, NY, CA).respond_by == d("2026-01-06")
    assert deadlines_for("know", at, LA, CA).respond_by == d("2026-01-05")


@pytest.mark.parametrize("request_type", ["", "KNOW", "access", "opt-out", "portability"])
def test_unknown_request_type_raises_value_error(request_type: str) -> None:
    with pytest.raises(ValueError, match="request type"):
        deadlines_for(request_type, utc("2025-11-22T08:30"), LA, CA)


def test_request_type_sets_are_disjoint_and_complete() -> None:
    assert {"know", "delete", "correct"} == deadlines.RESPONSE_TYPES
    assert {"opt_out", "limit"} == deadlines.COMPLY_TYPES
    assert not deadlines.RESPONSE_TYPES & deadlines.COMPLY_TYPES


def test_statutory_constants_7021_7026f_7027g() -> None:
    assert deadlines.CONFIRM_BUSINESS_DAYS == 10
    assert deadlines.RESPOND_CALENDAR_DAYS == 45
    assert deadlines.MAX_EXTENDED_CALENDAR_DAYS == 90
    assert deadlines.COMPLY_BUSINESS_DAYS == 15
    assert deadlines.DUE_SOON_DAYS == 3


# ---------------------------------------------------------------------------------------------
# Extension (§7021(b), Civ. Code §1798.130(a)(2); A-6)
# ---------------------------------------------------------------------------------------------

D0 = d("2025-11-03")  # respond by 2025-12-18, at most 2026-02-01
DUE0 = d("2025-12-18")


def _extend(**overrides: object) -> date:
    kwargs: dict[str, object] = {
        "received": D0,
        "current_respond_by": DUE0,
        "already_extended": False,
        "today": D0 + timedelta(days=30),
    }
    kwargs.update(overrides)
    return check_extension(**kwargs)  # type: ignore[arg-type]


def test_extension_defaults_to_d_plus_90_7021b() -> None:
    assert _extend() == d("2026-02-01")


@pytest.mark.parametrize("new", ["2025-12-19", "2026-01-15", "2026-02-01"])
def test_extension_to_a_chosen_date_up_to_d_plus_90_is_allowed_7021b(new: str) -> None:
    assert _extend(new_respond_by=d(new)) == d(new)


@pytest.mark.parametrize("today_offset", [0, 1, 44, 45])
def test_extension_is_allowed_up_to_and_including_day_45_1798_130a2(today_offset: int) -> None:
    assert _extend(today=D0 + timedelta(days=today_offset)) == d("2026-02-01")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"today": D0 + timedelta(days=46)}, "too_late"),
        ({"today": D0 + timedelta(days=89)}, "too_late"),
        ({"already_extended": True}, "already_extended"),
        ({"already_extended": True, "current_respond_by": d("2026-01-15")}, "already_extended"),
        ({"new_respond_by": DUE0}, "not_later"),
        ({"new_respond_by": DUE0 - timedelta(days=1)}, "not_later"),
        ({"new_respond_by": d("2026-02-02")}, "beyond_maximum"),
        ({"new_respond_by": d("2026-06-01")}, "beyond_maximum"),
        # Nothing is left to extend when the current date is already the maximum.
        ({"current_respond_by": d("2026-02-01")}, "not_later"),
    ],
)
def test_extension_refused_with_a_code_and_plain_message_7021b_1798_130a2(
    overrides: dict[str, object], code: str
) -> None:
    with pytest.raises(Refused) as excinfo:
        _extend(**overrides)
    refused = excinfo.value
    assert refused.code == code
    # The request's state refuses it (409 in the API) or the date asked for does (400).
    assert refused.conflict == (code in {"too_late", "already_extended"})
    assert str(refused) == refused.message
    assert len(refused.message) > 20
    assert refused.message[0].isupper()
    assert refused.message.endswith(".")
    assert "_" not in refused.message  # no internal codes shown to staff


def test_second_extension_message_cites_the_one_extension_rule_7021b() -> None:
    with pytest.raises(Refused) as excinfo:
        _extend(already_extended=True)
    assert excinfo.value.message == (
        "This request was already extended once; the law allows one extension (§7021(b))."
    )


def test_late_extension_message_gives_the_end_of_the_45_days_a6() -> None:
    with pytest.raises(Refused) as excinfo:
        _extend(today=D0 + timedelta(days=46))
    assert "2025-12-18" in excinfo.value.message
    assert "45 days" in excinfo.value.message


def test_extension_beyond_maximum_message_gives_the_latest_date_7021b() -> None:
    with pytest.raises(Refused) as excinfo:
        _extend(new_respond_by=d("2026-02-02"))
    assert "2026-02-01" in excinfo.value.message


# ---------------------------------------------------------------------------------------------
# Due-soon / overdue (R-TL-1)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "left", "state"),
    [
        ("2025-12-10", 8, "on_track"),
        ("2025-12-14", 4, "on_track"),
        ("2025-12-15", 3, "due_soon"),
        ("2025-12-17", 1, "due_soon"),
        ("2025-12-18", 0, "due_today"),
        ("2025-12-19", -1, "overdue"),
        ("2026-01-18", -31, "overdue"),
    ],
)
def test_deadline_state_boundaries_a5(today: str, left: int, state: str) -> None:
    due = d("2025-12-18")
    assert days_left(due, d(today)) == left
    assert deadline_state(due, d(today)) == state


def test_due_today_until_the_end_of_the_local_day_then_overdue_a5() -> None:
    # R-TL-1: at 23:00 PT on D+45 -> "due today"; at 00:01 PT on D+46 -> "overdue".
    due = respond_by(D0)
    late_evening = datetime(2025, 12, 18, 23, 0, tzinfo=LA)
    just_after = datetime(2025, 12, 19, 0, 1, tzinfo=LA)
    assert deadline_state(due, receipt_date(late_evening, LA)) == "due_today"
    assert deadline_state(due, receipt_date(just_after, LA)) == "overdue"
    assert late_evening <= end_of_day(due, LA) < just_after
    # 23:00 PT is already the next day in UTC: "today" must be the tenant-local date.
    assert late_evening.astimezone(UTC).date() == d("2025-12-19")


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

DATES = st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31))
CALS = st.sampled_from(CALENDARS)
ZONES = st.sampled_from(
    [
        LA,
        NY,
        ZoneInfo("UTC"),
        ZoneInfo("Pacific/Honolulu"),
        ZoneInfo("Asia/Kolkata"),
        ZoneInfo("Australia/Lord_Howe"),  # 30-minute DST shift
        ZoneInfo("America/Santiago"),  # DST changes at midnight
    ]
)
RULES = st.sampled_from(
    [(confirm_by, deadlines.CONFIRM_BUSINESS_DAYS), (comply_by, deadlines.COMPLY_BUSINESS_DAYS)]
)


@given(received=DATES, cal=CALS, rule=RULES)
def test_business_day_deadline_is_the_nth_business_day_after_d_7021a_7026f1(
    received: date, cal: BusinessCalendar, rule: tuple[object, int]
) -> None:
    func, n = rule
    due = func(received, cal)  # type: ignore[operator]
    assert due > received
    assert cal.is_business_day(due)
    between = [received + timedelta(days=i) for i in range(1, (due - received).days + 1)]
    assert sum(cal.is_business_day(day) for day in between) == n


@given(first=DATES, second=DATES, cal=CALS, rule=RULES)
def test_business_day_deadline_is_monotone_in_d_7021a_7026f1(
    first: date, second: date, cal: BusinessCalendar, rule: tuple[object, int]
) -> None:
    func, _ = rule
    early, late = sorted((first, second))
    assert func(early, cal) <= func(late, cal)  # type: ignore[operator]


@given(received=DATES, rule=RULES)
def test_weekends_only_is_never_later_than_ca_state_a2(
    received: date, rule: tuple[object, int]
) -> None:
    func, _ = rule
    assert func(received, WE) <= func(received, CA)  # type: ignore[operator]


@given(day=DATES)
def test_ca_state_business_day_matches_the_rules_written_out_a2(day: date) -> None:
    expected = day.weekday() < 5 and day not in _ca_state_oracle(day.year)
    assert CA.is_business_day(day) is expected
    assert WE.is_business_day(day) is (day.weekday() < 5)


@given(received=DATES)
def test_respond_by_is_always_45_and_maximum_90_days_after_d_7021b(received: date) -> None:
    assert (respond_by(received) - received).days == 45
    assert (max_respond_by(received) - received).days == 90


@given(day=DATES, tz=ZONES)
def test_start_and_end_of_day_fall_on_that_local_day_a4_a5(day: date, tz: ZoneInfo) -> None:
    assert receipt_date(start_of_day(day, tz), tz) == day
    assert receipt_date(end_of_day(day, tz), tz) == day
    assert receipt_date(start_of_day(day, tz) - timedelta(microseconds=1), tz) < day
    assert end_of_day(day, tz) + timedelta(microseconds=1) == start_of_day(
        day + timedelta(days=1), tz
    )


@given(
    instant=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2035, 12, 31)),
    tz=ZONES,
)
def test_every_instant_lies_within_its_receipt_day_a4(instant: datetime, tz: ZoneInfo) -> None:
    at = instant.replace(tzinfo=UTC)
    received = receipt_date(at, tz)
    assert start_of_day(received, tz) <= at <= end_of_day(received, tz)


@given(received=DATES, offset=st.integers(0, 45), new_offset=st.integers(46, 90))
def test_a_permitted_extension_lands_in_current_due_to_d_plus_90_7021b(
    received: date, offset: int, new_offset: int
) -> None:
    new = check_extension(
        received=received,
        current_respond_by=respond_by(received),
        already_extended=False,
        today=received + timedelta(days=offset),
        new_respond_by=received + timedelta(days=new_offset),
    )
    assert respond_by(received) < new <= max_respond_by(received)


@given(due=DATES, today=DATES)
def test_deadline_state_agrees_with_days_left(due: date, today: date) -> None:
    left = days_left(due, today)
    assert left == (due - today).days
    state = deadline_state(due, today)
    assert (state == "overdue") is (left < 0)
    assert (state == "due_today") is (left == 0)
    assert (state == "due_soon") is (1 <= left <= deadlines.DUE_SOON_DAYS)
