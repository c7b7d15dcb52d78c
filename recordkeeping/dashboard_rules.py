"""The compliance dashboard's rules (pure: no Django, no clock): how days to respond and open
requests are bucketed, the on-time rate, the statistic a business publishes, and when the
§7102(a)(2) disclosure is due.

``recordkeeping.dashboard`` asks the database for the groups; these functions turn groups into
what the charts and tables show, so each rule is named once and tested without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from .metric_rules import POPULATION_ALL, POPULATION_CONSUMERS

# --- Distribution of days to a substantive response ----------------------------------------------

# (label, first day, last day or None for "and more"): the 45-day deadline of §7021(a) and the
# 90 days of an extension (§7021(b)) fall on bucket edges, so a bar past 45 means an extension.
DAYS_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0–5 days", 0, 5),
    ("6–10 days", 6, 10),
    ("11–15 days", 11, 15),
    ("16–30 days", 16, 30),
    ("31–45 days", 31, 45),
    ("46–60 days", 46, 60),
    ("61–90 days", 61, 90),
    ("More than 90 days", 91, None),
)


def days_bucket(days: int) -> str:
    """The bucket label of a number of days (a negative number, a response dated before the
    request by a data-entry slip, falls in the first bucket rather than vanishing)."""
    for label, _first, last in DAYS_BUCKETS:
        if last is None or days <= last:
            return label
    raise AssertionError("the last bucket has no end")  # pragma: no cover


def days_distribution(histogram: Mapping[int, int]) -> dict[str, int]:
    """{bucket label: requests} in DAYS_BUCKETS order, from {days: requests}."""
    counts = {label: 0 for label, _, _ in DAYS_BUCKETS}
    for days, requests in histogram.items():
        counts[days_bucket(days)] += requests
    return counts


# --- Open requests by deadline ---------------------------------------------------------------------

# The queue's own notions (requests_app.deadlines.deadline_state, DUE_SOON_DAYS = 3, and the
# queue filter "due within 7 days"), one bucket per open request.
OVERDUE = "overdue"
DUE_TODAY = "due_today"
DUE_SOON = "due_soon"
DUE_THIS_WEEK = "due_this_week"
DUE_LATER = "due_later"
NO_DEADLINE = "no_deadline"
DEADLINE_BUCKETS: tuple[str, ...] = (
    OVERDUE,
    DUE_TODAY,
    DUE_SOON,
    DUE_THIS_WEEK,
    DUE_LATER,
    NO_DEADLINE,
)


def deadline_bucket_labels(due_soon_days: int) -> dict[str, str]:
    return {
        OVERDUE: "Overdue",
        DUE_TODAY: "Due today",
        DUE_SOON: f"Due in 1–{due_soon_days} days",
        DUE_THIS_WEEK: f"Due in {due_soon_days + 1}–7 days",
        DUE_LATER: "Due in more than 7 days",
        NO_DEADLINE: "No response deadline recorded",
    }


# --- On time ----------------------------------------------------------------------------------------

ON_TIME = "on_time"
LATE = "late"
UNDATED = "no_deadline"  # answered, but no respond-by or comply-by date was recorded


def rate(part: int, whole: int) -> float | None:
    """A percentage to 1 decimal, rounding half up; None when there is nothing to divide."""
    if whole <= 0:
        return None
    return int(part * 1000 / whole + 0.5) / 10


# --- Publishing -------------------------------------------------------------------------------------

# §7102(a)(1)(F): the median or the mean number of days; the business chooses (R-7102-a1F-1).
STATISTIC_MEDIAN = "median"
STATISTIC_MEAN = "mean"
STATISTICS: tuple[str, ...] = (STATISTIC_MEDIAN, STATISTIC_MEAN)
STATISTIC_LABELS: dict[str, str] = {
    STATISTIC_MEDIAN: "Median number of days to a substantive response",
    STATISTIC_MEAN: "Mean number of days to a substantive response",
}
POPULATION_LABELS: dict[str, str] = {
    POPULATION_ALL: "All individuals",
    POPULATION_CONSUMERS: "Consumers only (California residents)",
}
STATISTIC_FIELDS: dict[str, str] = {STATISTIC_MEDIAN: "median_days", STATISTIC_MEAN: "mean_days"}

DISCLOSURE_MONTH, DISCLOSURE_DAY = 7, 1  # §7102(a)(2): by July 1 of every calendar year
REMINDER_MONTH, REMINDER_DAY = 6, 1  # R-7102-a2-1: the portal reminds the business from June 1


MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def full_date(day: date) -> str:
    """A date written in full: "July 1, 2027"."""
    return f"{MONTH_NAMES[day.month - 1]} {day.day}, {day.year}"


@dataclass(frozen=True)
class DisclosureReminder:
    """What the dashboard says about the §7102(a)(2) disclosure due this year."""

    kind: str  # "reminder" (June 1 to July 1) or "overdue" (from July 2)
    year: int  # the calendar year whose metrics are due
    due: date
    message: str


def disclosure_reminder(
    *, today: date, subject: bool, published_years: frozenset[int] | set[int]
) -> DisclosureReminder | None:
    """R-7102-a2-1: for a business subject to §7102(a) (``subject``), from June 1 a reminder that
    the previous year's metrics must be published by July 1, and from July 2 an overdue alert,
    until that year is published. ``today`` is the business's local date."""
    if not subject:
        return None
    year = today.year - 1
    if year in published_years:
        return None
    due = date(today.year, DISCLOSURE_MONTH, DISCLOSURE_DAY)
    if today < date(today.year, REMINDER_MONTH, REMINDER_DAY):
        return None
    if today <= due:
        return DisclosureReminder(
            "reminder",
            year,
            due,
            f"The metrics for {year} must be published by {full_date(due)} (§7102(a)(2)).",
        )
    return DisclosureReminder(
        "overdue",
        year,
        due,
        f"Overdue: the metrics for {year} had to be published by {full_date(due)} "
        "(§7102(a)(2)), and they are not published yet.",
    )


def publishable(year: int, today: date) -> bool:
    """Only a calendar year that has ended can be published (§7102(a): "the previous calendar
    year"); earlier years may be published late."""
    return year < today.year
