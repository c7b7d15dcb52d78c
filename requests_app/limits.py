"""Date rules for request limits (pure: no Django, no clock; dates are arguments).

* Requests to know: a business need not answer more than two per consumer in 12 months
  (Civ. Code §1798.130(b), referenced in §7023(j); requirements.md A-10).
* Requests to correct: one may be denied if the same alleged inaccuracy was denied within the
  past six months (§7023(g)).

Both windows are counted in calendar months from the earlier date: an earlier request received
on D' counts against a new one received on D when D' <= D < D' + 12 months. So the day the
consumer can ask again is exactly "second most recent counted request + 12 months", and a window
from 29 February ends on 28 February (months are clamped to the month's last day).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date

KNOW_LIMIT = 2  # Civ. Code §1798.130(b): "more than twice in a 12-month period"
KNOW_WINDOW_MONTHS = 12
CORRECT_REPEAT_MONTHS = 6  # §7023(g)


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the last day of the target month."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def within_months(earlier: date, later: date, months: int) -> bool:
    """Whether ``later`` falls in the ``months``-month window that starts on ``earlier``."""
    return earlier <= later < add_months(earlier, months)


def know_limit_next_date(counted: Iterable[date], received: date) -> date | None:
    """The date a consumer may next make a request to know, or None if this one is within limits.

    ``counted`` are the receipt dates of the consumer's earlier requests to know that count
    (the caller decides which: see ``requests_app.services.portal``); ``received`` is the new
    request's receipt date. With two or more counted requests inside the 12 months, the answer is
    the day the second most recent of them leaves the window.
    """
    in_window = sorted(
        (day for day in counted if within_months(day, received, KNOW_WINDOW_MONTHS)),
        reverse=True,
    )
    if len(in_window) < KNOW_LIMIT:
        return None
    return add_months(in_window[KNOW_LIMIT - 1], KNOW_WINDOW_MONTHS)


def is_repeat_correction(denied_on: Iterable[date], received: date) -> bool:
    """§7023(g): a denial of the same correction within the six months before ``received``."""
    return any(within_months(day, received, CORRECT_REPEAT_MONTHS) for day in denied_on)
