"""The §7102 counting conventions (requirements A-7, A-16, A-17), as pure rules."""

from __future__ import annotations

from recordkeeping import metric_rules as rules
from requests_app import vocabulary as words


def test_median_of_an_odd_count_is_the_middle_value():
    assert rules.median([45, 11, 20]) == 20.0


def test_median_of_an_even_count_is_the_mean_of_the_two_middle_values():
    # A-7 / R-7102-a1F-1: 11/20/30/45 -> median 25.0, mean 26.5.
    assert rules.median([11, 20, 30, 45]) == 25.0
    assert rules.mean([11, 20, 30, 45]) == 26.5
    assert rules.median([1, 2]) == 1.5


def test_median_and_mean_of_nothing_are_none_not_zero():
    assert rules.median([]) is None
    assert rules.mean([]) is None


def test_days_are_shown_to_one_decimal_rounding_half_up():
    assert rules.round_days(26.75) == 26.8
    assert rules.round_days(20 / 3) == 6.7
    assert rules.round_days(61 / 3) == 20.3
    assert rules.round_days(0.05) == 0.1
    assert rules.mean([1, 2, 2]) == 1.7


def test_every_denial_reason_has_exactly_one_breakdown_bucket():
    # R-7102-a2A-1: the four §7102(a)(2)(A) grounds, every internal reason in one of them.
    for reason in words.DENIAL_REASONS:
        assert rules.denial_bucket(reason) in rules.DENIAL_BUCKETS
    found = [r for bucket in rules.DENIAL_BUCKETS for r in rules.reasons_in_bucket(bucket)]
    assert sorted(found) == sorted(words.DENIAL_REASONS)
    assert rules.denial_bucket("") == words.METRIC_OTHER


def test_partial_compliance_counts_as_complied_and_in_the_breakdown_withdrawn_in_neither():
    assert words.COMPLIED_IN_PART in rules.COMPLIED_OUTCOMES
    assert words.COMPLIED_IN_PART in rules.BREAKDOWN_OUTCOMES
    assert words.COMPLIED_IN_PART not in rules.DENIED_OUTCOMES
    assert words.WITHDRAWN not in rules.COMPLIED_OUTCOMES | rules.DENIED_OUTCOMES
    assert words.OPT_IN not in rules.METRIC_TYPES


def test_the_basis_and_population_are_stated():
    assert rules.basis_text("America/Los_Angeles") == (
        "Counted in the calendar year the request was received (Pacific time)."
    )
    assert "all individuals" in rules.POPULATION_TEXT[rules.POPULATION_ALL]
    assert "unknown are excluded" in rules.POPULATION_TEXT[rules.POPULATION_CONSUMERS]


def test_the_median_of_a_histogram_is_the_median_of_its_values():
    # The database returns {days: how many requests}; the median must be the standard one.
    assert rules.median_of_counts({11: 1, 20: 1, 30: 1, 45: 1}) == 25.0
    assert rules.median_of_counts({3: 2, 10: 1}) == 3.0
    assert rules.median_of_counts({3: 2, 10: 2}) == 6.5
    assert rules.median_of_counts({7: 0}) is None
    assert rules.median_of_counts({}) is None
    values = [1, 1, 2, 5, 5, 5, 9, 40]
    histogram = {v: values.count(v) for v in set(values)}
    assert rules.median_of_counts(histogram) == rules.median(values) == 5.0
    assert rules.mean_of_counts(histogram) == rules.mean(values) == 8.5
    assert rules.mean_of_counts({}) is None


def test_tally_applies_the_conventions_to_the_database_groups():
    groups = [
        ("know", "closed", "complied", "", 11, 2),
        ("know", "closed", "complied_in_part", "exempt", 20, 1),  # complied, and in the breakdown
        ("know", "closed", "denied", "fraudulent", 45, 1),  # fraud: "other grounds"
        ("know", "closed", "withdrawn", "", None, 1),  # received, neither complied nor denied
        ("know", "in_progress", "", "", None, 3),  # pending
        ("opt_in", "closed", "complied", "", 1, 9),  # §7102 does not ask: not counted
    ]
    tallies = rules.tally(groups)
    know = tallies["know"]
    assert (know.received, know.complied, know.denied, know.withdrawn, know.pending) == (
        8,
        3,
        1,
        1,
        3,
    )
    assert know.breakdown == {"unverifiable": 0, "not_a_consumer": 0, "exempt": 1, "other": 1}
    assert know.days == {11: 2, 20: 1, 45: 1}
    assert rules.median_of_counts(know.days) == 15.5
    assert "opt_in" not in tallies
    assert tallies["limit"].received == 0
