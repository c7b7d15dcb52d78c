"""Business days and local days (pure: only the standard library and ``holidays``; no clock).

A business day is a Monday-Friday that is not a holiday of the chosen calendar
(requirements.md A-2). Calendars:

* ``CA_STATE`` (the default): the days California state offices close (CalHR): New Year's Day,
  Martin Luther King Jr. Day, Presidents' Day, Cesar Chavez Day, Memorial Day, Independence Day,
  Labor Day, Veterans Day, Thanksgiving and the day after, Christmas. A Sunday holiday is
  observed the Monday; a Saturday holiday gets no weekday in its place. Everything else
  ``holidays`` lists for California (Susan B. Anthony Day, Juneteenth, Diwali, Friday
  substitutes) is a business day: every extra holiday would move a statutory deadline later.
* ``WEEKENDS_ONLY`` (the strictest reading) skips only Saturdays and Sundays.

Local days: ``local_date`` is the date of an instant in a time zone, ``start_of_day`` and
``end_of_day`` the first and last instants of a local day, in UTC. The statutory counts built
on these are in ``requests_app.deadlines``.
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
            "cannot be built. Check the holiday names in core/calendar.py."
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


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The local date in ``tz`` of an aware instant."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("The instant must be timezone-aware")
    return instant.astimezone(tz).date()


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
