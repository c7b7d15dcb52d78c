"""Request limits (pure): two requests to know in 12 months, repeat corrections within 6 months."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from requests_app.limits import (
    add_months,
    is_repeat_correction,
    know_limit_next_date,
    within_months,
)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 15), 6, date(2025, 7, 15)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2025, 12, 31), 1, date(2026, 1, 31)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_last_day_of_the_month(day, months, expected):
    assert add_months(day, months) == expected


def test_one_or_two_earlier_requests_leave_the_third_within_limits_1798_130b():
    assert know_limit_next_date([], date(2025, 6, 1)) is None
    assert know_limit_next_date([date(2025, 1, 10)], date(2025, 6, 1)) is None


def test_a_third_request_within_12_months_gets_the_date_the_second_earliest_leaves_1798_130b():
    earlier = [date(2025, 1, 10), date(2025, 3, 5)]
    # The window of 2025-01-10 closes on 2026-01-10: from then on, only one counts.
    assert know_limit_next_date(earlier, date(2025, 6, 1)) == date(2026, 1, 10)
    assert know_limit_next_date(earlier, date(2026, 1, 9)) == date(2026, 1, 10)
    assert know_limit_next_date(earlier, date(2026, 1, 10)) is None


def test_with_three_earlier_requests_the_second_most_recent_decides():
    earlier = [date(2025, 1, 10), date(2025, 3, 5), date(2025, 5, 20)]
    assert know_limit_next_date(earlier, date(2025, 6, 1)) == date(2026, 3, 5)


def test_requests_older_than_12_months_do_not_count():
    assert know_limit_next_date([date(2024, 5, 31), date(2025, 5, 1)], date(2025, 6, 1)) is None


def test_the_repeat_correction_window_is_six_months_from_the_denial_7023g():
    denied = [date(2025, 1, 15)]
    assert is_repeat_correction(denied, date(2025, 4, 1))
    assert is_repeat_correction(denied, date(2025, 7, 14))
    assert not is_repeat_correction(denied, date(2025, 7, 15))
    assert not is_repeat_correction(denied, date(2025, 8, 1))
    assert not is_repeat_correction([], date(2025, 4, 1))


@given(
    st.lists(st.dates(date(2020, 1, 1), date(2030, 12, 31)), max_size=6),
    st.dates(date(2020, 1, 1), date(2030, 12, 31)),
)
def test_on_the_date_given_the_consumer_is_within_limits_again(earlier, received):
    earlier = [day for day in earlier if day <= received]
    next_date = know_limit_next_date(earlier, received)
    if next_date is None:
        return
    assert next_date > received
    assert know_limit_next_date(earlier, next_date) is None
    # ...and not a day earlier.
    assert know_limit_next_date(earlier, next_date - timedelta(days=1)) is not None


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(1, 24))
def test_a_window_contains_its_first_day_and_not_its_end(day, months):
    assert within_months(day, day, months)
    assert not within_months(day, add_months(day, months), months)
