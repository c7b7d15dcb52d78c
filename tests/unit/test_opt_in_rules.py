"""Opt-in rules (pure): the 12 months before asking again (§7026(k), §7027(l)), the
consumer-initiated exception (§7028(b)-(c)), and minors' opt-ins (§7070, §7071)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optout.opt_in_rules import (
    AGE_13_TO_15,
    CONSUMER_INITIATED,
    NOT_RESTRICTED,
    PARENT_METHODS,
    TOO_SOON,
    TWELVE_MONTHS_PASSED,
    TWO_STEP_OPT_IN,
    UNDER_13,
    may_ask_from,
    method_problem,
    minor_may_be_sold,
    prompt_answer,
)


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (date(2026, 1, 15), date(2027, 1, 15)),
        (date(2026, 1, 31), date(2027, 1, 31)),
        (date(2026, 12, 31), date(2027, 12, 31)),
        (date(2027, 2, 28), date(2028, 2, 28)),  # 2028 is a leap year: 28 February exists
        (date(2028, 2, 29), date(2029, 3, 1)),  # no 29 February in 2029: 12 full months end later
        (date(2028, 3, 1), date(2029, 3, 1)),
    ],
)
def test_may_ask_from_is_12_calendar_months_later_7026k(received, expected):
    assert may_ask_from(received) == expected


def test_11_months_30_days_is_too_soon_and_12_months_is_not_7026k():
    received = date(2026, 1, 15)
    eleven_months_thirty_days = date(2026, 12, 15) + timedelta(days=30)
    assert (
        prompt_answer(
            restricted_on=received, today=eleven_months_thirty_days, consumer_initiated=False
        ).basis
        == TOO_SOON
    )
    answer = prompt_answer(
        restricted_on=received, today=date(2027, 1, 15), consumer_initiated=False
    )
    assert (answer.allowed, answer.basis) == (True, TWELVE_MONTHS_PASSED)


def test_a_refusal_says_from_when_asking_is_allowed():
    answer = prompt_answer(
        restricted_on=date(2026, 5, 5), today=date(2026, 6, 1), consumer_initiated=False
    )
    assert (answer.allowed, answer.may_ask_from) == (False, date(2027, 5, 5))


def test_a_consumer_initiated_prompt_is_allowed_within_the_12_months_7028b():
    answer = prompt_answer(
        restricted_on=date(2026, 5, 5), today=date(2026, 5, 6), consumer_initiated=True
    )
    assert (answer.allowed, answer.basis) == (True, CONSUMER_INITIATED)


def test_without_a_restriction_there_is_nothing_to_wait_for():
    answer = prompt_answer(restricted_on=None, today=date(2026, 5, 6), consumer_initiated=False)
    assert (answer.allowed, answer.basis, answer.may_ask_from) == (True, NOT_RESTRICTED, None)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_never_less_than_12_full_months(received):
    earliest = may_ask_from(received)
    # At least 365 days (366 across a 29 February), at most 12 months and a day.
    assert earliest - received >= timedelta(days=365)
    assert earliest - received <= timedelta(days=367)
    day_before = earliest - timedelta(days=1)
    assert not prompt_answer(
        restricted_on=received, today=day_before, consumer_initiated=False
    ).allowed
    assert prompt_answer(restricted_on=received, today=earliest, consumer_initiated=False).allowed


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2080, 12, 31)),
    st.integers(min_value=0, max_value=800),
)
def test_the_answer_is_monotone_in_time(received, days):
    """Once asking is allowed, it stays allowed as the days pass."""
    today = received + timedelta(days=days)
    now = prompt_answer(restricted_on=received, today=today, consumer_initiated=False)
    later = prompt_answer(
        restricted_on=received, today=today + timedelta(days=1), consumer_initiated=False
    )
    assert later.allowed or not now.allowed


@pytest.mark.parametrize(
    ("age_band", "opted_in", "expected"),
    [
        ("", False, True),  # not known to be under 16: an opt-out right only
        (AGE_13_TO_15, False, False),
        (AGE_13_TO_15, True, True),
        (UNDER_13, False, False),
        (UNDER_13, True, True),
    ],
)
def test_a_known_minor_is_sold_only_after_an_opt_in_1798_120c(age_band, opted_in, expected):
    assert minor_may_be_sold(age_band, opted_in) is expected


def test_a_child_under_13_needs_a_parents_method_of_7070a2():
    assert method_problem(UNDER_13, TWO_STEP_OPT_IN) is not None
    assert all(method_problem(UNDER_13, method) is None for method in PARENT_METHODS)
    assert len(PARENT_METHODS) == 6  # §7070(a)(2)(A)-(F)


def test_a_consumer_of_13_to_15_opts_in_themselves_7071a():
    assert method_problem(AGE_13_TO_15, TWO_STEP_OPT_IN) is None
    assert all(method_problem(AGE_13_TO_15, method) is not None for method in PARENT_METHODS)
    assert method_problem("", TWO_STEP_OPT_IN) is not None
