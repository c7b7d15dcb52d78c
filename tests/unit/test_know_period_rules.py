"""The period a request to know covers (amended §7020, §7024(h)): pure rules."""

from __future__ import annotations

from datetime import date

import pytest

from requests_app import know_period as rules

TODAY = date(2025, 7, 10)


@pytest.mark.parametrize(
    ("start", "end", "problem"),
    [
        (None, None, None),  # everything since January 1, 2022
        (date(2022, 1, 1), TODAY, None),  # the widest period allowed
        (date(2024, 3, 3), date(2024, 3, 3), None),  # one day
        (date(2021, 12, 31), TODAY, rules.START_TOO_EARLY),
        (date(2024, 3, 3), date(2024, 3, 2), rules.END_BEFORE_START),
        (date(2024, 3, 3), date(2025, 7, 11), rules.END_IN_FUTURE),
        (date(2024, 3, 3), None, rules.BOTH_OR_NEITHER),
        (None, date(2024, 3, 3), rules.BOTH_OR_NEITHER),
    ],
)
def test_period_problem_7024h(start, end, problem):
    assert rules.period_problem(start, end, TODAY) == problem


def test_only_a_request_to_know_covers_a_period():
    assert rules.period_problem(date(2024, 1, 1), date(2024, 2, 1), TODAY, is_know=False) == (
        rules.NOT_A_KNOW
    )
    assert rules.period_problem(None, None, TODAY, is_know=False) is None


def test_every_problem_names_its_field():
    codes = {rules.BOTH_OR_NEITHER, rules.START_TOO_EARLY, rules.END_BEFORE_START}
    assert codes | {rules.END_IN_FUTURE, rules.NOT_A_KNOW} == set(rules.PROBLEM_FIELDS)
