"""The period a request to know covers (amended §7020 and §7024(h)). Pure: no Django.

A consumer asks either for everything the business holds about them since January 1, 2022
(the default: no dates), or for a period they choose. A chosen period starts on or after
January 1, 2022, ends on or after its start, and does not end after the business's today (the
caller gives it, in the business's time zone).
"""

from __future__ import annotations

from datetime import date

# §7024(h): "all the personal information it has collected ... on or after January 1, 2022".
EARLIEST = date(2022, 1, 1)

# The problems ``period_problem`` finds, each with the field it is about.
BOTH_OR_NEITHER = "both_or_neither"
START_TOO_EARLY = "start_too_early"
END_BEFORE_START = "end_before_start"
END_IN_FUTURE = "end_in_future"
NOT_A_KNOW = "not_a_know"

PROBLEM_FIELDS = {
    BOTH_OR_NEITHER: "know_period_start",
    START_TOO_EARLY: "know_period_start",
    END_BEFORE_START: "know_period_end",
    END_IN_FUTURE: "know_period_end",
    NOT_A_KNOW: "know_period_start",
}


def period_problem(
    start: date | None, end: date | None, today: date, *, is_know: bool = True
) -> str | None:
    """The first thing wrong with a chosen period (one of the codes above), or None.

    No dates at all is the default period (everything since January 1, 2022): never a problem.
    """
    if start is None and end is None:
        return None
    if not is_know:
        return NOT_A_KNOW  # §7024(h): only a request to know covers a period
    if start is None or end is None:
        return BOTH_OR_NEITHER
    if start < EARLIEST:
        return START_TOO_EARLY
    if end < start:
        return END_BEFORE_START
    if end > today:
        return END_IN_FUTURE
    return None


def is_everything(start: date | None, end: date | None) -> bool:
    """True for the default period: everything since January 1, 2022, up to the answer."""
    return start is None and end is None
