"""Statutory deadlines for privacy requests (§7021, §7026(f), §7027(g)).

Pure rules: only the standard library and ``holidays`` are imported, and nothing here reads
the clock. Every "now", "today", time zone and calendar is an argument.

Conventions (requirements.md A-2, A-4, A-5, A-6):

* The day of receipt *D* is the local date, in the tenant's time zone, of the instant the
  request arrived. Night and weekend arrivals are not moved to the next business day.
* Business days are counted from the first business day *after* D: "10 business days" is the
  10th business day in (D, ...]. A business day is a Monday-Friday that is not a holiday of the
  chosen calendar.
* "45 calendar days" is D + 45 (Civil Code §10: exclude the first day, include the last), with
  no roll-forward when that date is a weekend or holiday. The extension limit is D + 90.
* A deadline ends at the end of its local day (23:59:59.999999 in the tenant's time zone);
  ``end_of_day`` gives that instant in UTC.
* Calendars: ``CA_STATE`` (default) is the days California state offices close (CalHR):
  New Year's Day, Martin Luther King Jr. Day, Presidents' Day, Cesar Chavez Day, Memorial Day,
  Independence Day, Labor Day, Veterans Day, Thanksgiving and the day after, Christmas. A
  Sunday holiday is observed the Monday; a Saturday holiday gets no weekday in its place.
  Everything else ``holidays`` lists for California (Susan B. Anthony Day, Juneteenth, Diwali,
  Friday substitutes) is a business day: every extra holiday would move a deadline later.
  ``WEEKENDS_ONLY`` (the strictest reading) skips only Saturdays and Sundays.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays
from holidays.version import __version__ as _HOLIDAYS_VERSION

CA_STATE = "ca_state"
WEEKENDS_ONLY = "weekends_only"
CALENDAR_CHOICES: tuple[tuple[str, str], ...] = (
    (CA_STATE, "California state office closures"),
    (WEEKENDS_ONLY, "Weekends only"),
)

CONFIRM_BUSINESS_DAYS = 10  # §7021(a)
RESPOND_CALENDAR_DAYS = 45  # §7021(b)
MAX_EXTENDED_CALENDAR_DAYS = 90  # §7021(b), Civ. Code §1798.130(a)(2)
COMPLY_BUSINESS_DAYS = 15  # §7026(f)(1), §7027(g)(1)

RESPONSE_TYPES = frozenset({"know", "delete", "correct"})  # confirm (§7021(a)) + respond (b)
COMPLY_TYPES = frozenset({"opt_out", "limit"})  # comply by (§7026(f)(1), §7027(g)(1))
_NO_DEADLINE_TYPES = frozenset({"opt_in"})  # no statutory deadline

DUE_SOON_DAYS = 3

# The CalHR closure days, spelled as holidays==0.108 names them. Pinned by the unit tests.
_CA_STATE_HOLIDAY_NAMES = frozenset(
    {
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
    }
)

_SATURDAY, _SUNDAY = 5, 6


@functools.lru_cache(maxsize=64)
def _ca_state_holidays(year: int) -> Mapping[date, str]:
    """CA_STATE closure days of ``year``, with their names."""
    # observed=False: the package's own observed rule also moves Saturday holidays to the
    # Friday, which state offices do not close; the Sunday rule is applied below.
    source = holidays.country_holidays("US", subdiv="CA", years=year, observed=False)
    days: dict[date, str] = {}
    found: set[str] = set()
    for day in sorted(source):
        # get_list: two holidays on one day come back joined ("Presidents' Day; Susan B. ...").
        kept = [name for name in source.get_list(day) if name in _CA_STATE_HOLIDAY_NAMES]
        if kept:
            days[day] = "; ".join(kept)
            found.update(kept)
    missing = _CA_STATE_HOLIDAY_NAMES - found
    if missing:
        # A renamed or dropped holiday must never silently become a business day.
        raise RuntimeError(
            f"The holidays package (version {_HOLIDAYS_VERSION}) does not list "
            f"{', '.join(sorted(missing))} for California in {year}; the CA_STATE calendar "
            "cannot be built. Check the holiday names in requests_app/deadlines.py."
        )
    for day, name in list(days.items()):
        if day.weekday() == _SUNDAY:
            days[day + timedelta(days=1)] = f"{name} (observed)"
    return MappingProxyType(days)


@dataclass(frozen=True)
class BusinessCalendar:
    """Which days count as business days (A-2); built with ``business_calendar``."""

    name: str

    @property
    def label(self) -> str:
        return dict(CALENDAR_CHOICES)[self.name]

    def _holidays(self, year: int) -> Mapping[date, str]:
        if self.name == WEEKENDS_ONLY:
            return MappingProxyType({})
        return _ca_state_holidays(year)

    def holidays_in(self, year: int) -> frozenset[date]:
        """Weekday and weekend holidays of ``year`` (a Saturday holiday is listed but moves
        nothing, since Saturday is not a business day anyway)."""
        return frozenset(self._holidays(year))

    def holiday_name(self, day: date) -> str | None:
        return self._holidays(day.year).get(day)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < _SATURDAY and day not in self._holidays(day.year)

    def add_business_days(self, start: date, count: int) -> date:
        """The ``count``-th business day after ``start``; ``start`` itself never counts."""
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        day = start
        while count:
            day += timedelta(days=1)
            if self.is_business_day(day):
                count -= 1
        return day


def business_calendar(name: str) -> BusinessCalendar:
    if name not in dict(CALENDAR_CHOICES):
        raise ValueError(f"Unknown business-day calendar {name!r}")
    return BusinessCalendar(name)


def receipt_date(received_at: datetime, tz: ZoneInfo) -> date:
    """D: the local date in ``tz`` of the arrival instant (A-4)."""
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be timezone-aware")
    return received_at.astimezone(tz).date()


# Cached: the sweep asks for the same few days in the same zones for thousands of rows.
@functools.lru_cache(maxsize=4096)
def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of the local ``day``, in UTC."""
    # fold=0 picks the earlier reading of an ambiguous midnight, and for a midnight that a DST
    # jump skips it gives the instant of the jump: the first instant of the day either way.
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


# Cached: the sweep asks for the same few days in the same zones for thousands of rows.
@functools.lru_cache(maxsize=4096)
def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The last instant (23:59:59.999999 local) of ``day``, in UTC: when a deadline ends."""
    # Subtract in UTC: aware arithmetic in the local zone is wall-clock and ignores DST.
    return start_of_day(day + timedelta(days=1), tz) - timedelta(microseconds=1)


def confirm_by(received: date, calendar: BusinessCalendar) -> date:
    """Confirm receipt within 10 business days (§7021(a))."""
    return calendar.add_business_days(received, CONFIRM_BUSINESS_DAYS)


def respond_by(received: date) -> date:
    """Respond within 45 calendar days, D + 45, no roll-forward (§7021(b); A-5)."""
    return received + timedelta(days=RESPOND_CALENDAR_DAYS)


def max_respond_by(received: date) -> date:
    """The latest extended due date, D + 90 (§7021(b), Civ. Code §1798.130(a)(2))."""
    return received + timedelta(days=MAX_EXTENDED_CALENDAR_DAYS)


def comply_by(received: date, calendar: BusinessCalendar) -> date:
    """Comply with an opt-out or limit within 15 business days (§7026(f)(1), §7027(g)(1))."""
    return calendar.add_business_days(received, COMPLY_BUSINESS_DAYS)


@dataclass(frozen=True)
class Deadlines:
    received_date: date
    calendar: str
    confirm_by: date | None
    respond_by: date | None
    comply_by: date | None


def deadlines_for(
    request_type: str, received_at: datetime, tz: ZoneInfo, calendar: BusinessCalendar
) -> Deadlines:
    received = receipt_date(received_at, tz)
    confirm = respond = comply = None
    if request_type in RESPONSE_TYPES:
        confirm = confirm_by(received, calendar)
        respond = respond_by(received)
    elif request_type in COMPLY_TYPES:
        comply = comply_by(received, calendar)
    elif request_type not in _NO_DEADLINE_TYPES:
        raise ValueError(f"Unknown request type {request_type!r}")
    return Deadlines(received, calendar.name, confirm, respond, comply)


class ExtensionRefused(ValueError):
    """An extension the law does not allow; ``message`` is meant for staff."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_extension(
    *,
    received: date,
    current_respond_by: date,
    already_extended: bool,
    today: date,
    new_respond_by: date | None = None,
) -> date:
    """The new respond-by date of a permitted extension (§7021(b); A-6).

    Without ``new_respond_by`` the extension runs to the maximum, D + 90.
    Raises ``ExtensionRefused`` otherwise.
    """
    latest = max_respond_by(received)
    if already_extended:
        raise ExtensionRefused(
            "already_extended",
            "This request was already extended once; the law allows one extension (§7021(b)).",
        )
    if today > respond_by(received):
        raise ExtensionRefused(
            "too_late",
            f"The 45-day period ended on {respond_by(received).isoformat()}. An extension "
            "must be decided and the consumer told within the first 45 days "
            "(Civ. Code §1798.130(a)(2)).",
        )
    new = latest if new_respond_by is None else new_respond_by
    if new <= current_respond_by:
        raise ExtensionRefused(
            "not_later",
            f"The new due date must be after the current one, {current_respond_by.isoformat()}.",
        )
    if new > latest:
        raise ExtensionRefused(
            "beyond_maximum",
            f"The new due date can be {latest.isoformat()} at the latest: 90 days after the "
            "request was received (§7021(b)).",
        )
    return new


def days_left(due: date, today: date) -> int:
    """Days until ``due``: 0 on the due date itself, negative once it has passed."""
    return (due - today).days


def deadline_state(due: date, today: date) -> str:
    """One of "overdue", "due_today", "due_soon" (1..DUE_SOON_DAYS days left), "on_track".

    A deadline runs to the end of its local day, so pass ``today`` as the tenant-local date.
    """
    left = days_left(due, today)
    if left < 0:
        return "overdue"
    if left == 0:
        return "due_today"
    if left <= DUE_SOON_DAYS:
        return "due_soon"
    return "on_track"
