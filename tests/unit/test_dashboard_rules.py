"""The compliance dashboard's pure rules and charts: the §7102(a)(2) reminder's dates
(R-7102-a2-1), day buckets, rates, and SVG charts that escape what they are given."""

from __future__ import annotations

from datetime import date

import pytest

from recordkeeping import charts
from recordkeeping import dashboard_rules as rules


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 5, 31), None),
        (date(2027, 6, 1), ("reminder", 2026, "must be published by July 1, 2027")),
        (date(2027, 7, 1), ("reminder", 2026, "must be published by July 1, 2027")),
        (date(2027, 7, 2), ("overdue", 2026, "had to be published by July 1, 2027")),
        (date(2027, 12, 31), ("overdue", 2026, "had to be published by July 1, 2027")),
        (date(2028, 1, 1), None),  # a new year: 2027's are due by July 1, 2028
    ],
)
def test_the_7102_a2_reminder_runs_from_june_1_and_is_overdue_after_july_1(today, expected):
    found = rules.disclosure_reminder(today=today, subject=True, published_years=set())
    if expected is None:
        assert found is None
    else:
        assert (found.kind, found.year) == expected[:2]
        assert expected[2] in found.message
        assert found.due == date(today.year, 7, 1)


def test_no_reminder_when_not_subject_or_already_published():
    july = date(2027, 7, 15)
    assert rules.disclosure_reminder(today=july, subject=False, published_years=set()) is None
    assert rules.disclosure_reminder(today=july, subject=True, published_years={2026}) is None
    assert rules.disclosure_reminder(today=july, subject=True, published_years={2025}) is not None


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-1, "0–5 days"),
        (0, "0–5 days"),
        (5, "0–5 days"),
        (6, "6–10 days"),
        (45, "31–45 days"),
        (46, "46–60 days"),
        (90, "61–90 days"),
        (91, "More than 90 days"),
    ],
)
def test_days_buckets_have_the_45_and_90_day_deadlines_on_their_edges(days, bucket):
    assert rules.days_bucket(days) == bucket


def test_the_distribution_keeps_every_request():
    histogram = {3: 2, 10: 1, 45: 4, 46: 1, 200: 1}
    counts = rules.days_distribution(histogram)
    assert sum(counts.values()) == 9
    assert list(counts) == [label for label, _, _ in rules.DAYS_BUCKETS]


def test_rates_round_half_up_and_nothing_is_no_rate():
    assert rules.rate(2, 3) == 66.7
    assert rules.rate(7, 9) == 77.8
    assert rules.rate(1, 8) == 12.5
    assert rules.rate(0, 0) is None


def test_dates_are_written_in_full():
    assert rules.full_date(date(2027, 7, 1)) == "July 1, 2027"


def test_only_an_ended_year_is_publishable():
    assert rules.publishable(2026, date(2027, 1, 1))
    assert not rules.publishable(2027, date(2027, 12, 31))


def test_charts_are_labelled_images_and_escape_their_text():
    svg = charts.bar_chart(
        chart_id="c1",
        title="A <b>title</b>",
        description='Bars & "quotes"',
        bars=[("<script>", 3), ("two", 0)],
    )
    assert svg.startswith("<svg ")
    assert 'role="img"' in svg
    assert 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">A &lt;b&gt;title&lt;/b&gt;</title>' in svg
    assert "&lt;script&gt;" in svg
    assert "<script>" not in svg
    stacked = charts.stacked_columns(
        chart_id="c2",
        title="Months",
        description="Stacked",
        categories=["Jan", "Feb"],
        series=[("know", [1, 0]), ("delete", [2, 0])],
    )
    assert ">3</text>" in stacked  # January's total above its column
    assert stacked.count("<rect") == 1 + 2 + 2  # background, two stacked bars, two legend keys


def test_an_empty_chart_draws_no_bar_and_does_not_divide_by_zero():
    svg = charts.bar_chart(chart_id="c3", title="t", description="d", bars=[("none", 0)])
    assert 'width="0.0"' in svg
