"""Statutory deadlines for privacy requests (§7021, §7026(f), §7027(g)).

Pure rules: only the standard library and ``core``'s pure calendar are imported, and nothing
here reads the clock. Every "now", "today", time zone and calendar is an argument.

Conventions (requirements.md A-2, A-4, A-5, A-6):

* The day of receipt *D* is the local date, in the tenant's time zone, of the instant the
  request arrived. Night and weekend arrivals are not moved to the next business day.
* Business days are counted from the first business day *after* D: "10 business days" is the
  10th business day in (D, ...]. Which days are business days is the business's calendar's
  answer (``core.calendar``: California state office closures, or weekends only).
* "45 calendar days" is D + 45 (Civil Code §10: exclude the first day, include the last), with
  no roll-forward when that date is a weekend or holiday. The extension limit is D + 90.
* A deadline ends at the end of its local day (23:59:59.999999 in the tenant's time zone):
  ``core.calendar.end_of_day`` gives that instant in UTC.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.calendar import BusinessCalendar, local_date
from core.refusals import Refused

CONFIRM_BUSINESS_DAYS = 10  # §7021(a)
RESPOND_CALENDAR_DAYS = 45  # §7021(b)
MAX_EXTENDED_CALENDAR_DAYS = 90  # §7021(b), Civ. Code §1798.130(a)(2)
COMPLY_BUSINESS_DAYS = 15  # §7026(f)(1), §7027(g)(1)

RESPONSE_TYPES = frozenset({"know", "delete", "correct"})  # confirm (§7021(a)) + respond (b)
COMPLY_TYPES = frozenset({"opt_out", "limit"})  # comply by (§7026(f)(1), §7027(g)(1))
_NO_DEADLINE_TYPES = frozenset({"opt_in"})  # no statutory deadline

DUE_SOON_DAYS = 3


def receipt_date(received_at: datetime, tz: ZoneInfo) -> date:
    """D: the local date in ``tz`` of the arrival instant (A-4)."""
    return local_date(received_at, tz)


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
    return _deadlines_on(request_type, receipt_date(received_at, tz), calendar)


# Cached: the dates depend only on the type, the day of receipt and the calendar, and intake
# asks for the same few all day (counting business days walks the calendar day by day).
@functools.lru_cache(maxsize=1024)
def _deadlines_on(request_type: str, received: date, calendar: BusinessCalendar) -> Deadlines:
    confirm = respond = comply = None
    if request_type in RESPONSE_TYPES:
        confirm = confirm_by(received, calendar)
        respond = respond_by(received)
    elif request_type in COMPLY_TYPES:
        comply = comply_by(received, calendar)
    elif request_type not in _NO_DEADLINE_TYPES:
        raise ValueError(f"Unknown request type {request_type!r}")
    return Deadlines(received, calendar.name, confirm, respond, comply)


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
    Raises ``Refused`` otherwise (a conflict when the request can no longer be extended).
    """
    latest = max_respond_by(received)
    if already_extended:
        raise Refused(
            "already_extended",
            "This request was already extended once; the law allows one extension (§7021(b)).",
            conflict=True,
        )
    if today > respond_by(received):
        raise Refused(
            "too_late",
            f"The 45-day period ended on {respond_by(received).isoformat()}. An extension "
            "must be decided and the consumer told within the first 45 days "
            "(Civ. Code §1798.130(a)(2)).",
            conflict=True,
        )
    new = latest if new_respond_by is None else new_respond_by
    if new <= current_respond_by:
        raise Refused(
            "not_later",
            f"The new due date must be after the current one, {current_respond_by.isoformat()}.",
        )
    if new > latest:
        raise Refused(
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
