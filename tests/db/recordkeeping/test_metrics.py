"""The §7102 annual metrics over a year of requests with known answers (requirements A-7,
A-16, A-17; R-7102-a1A-1 … R-7102-P-1): every number of the table, for all individuals and for
consumers only, at the edges (December received / January answered, the year's last Pacific
evening, open, withdrawn, complied in part), and never another business's requests."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from recordkeeping.metrics import annual_metrics
from requests_app.services import privacy_request_close, privacy_request_mark_verified
from tests.factories import ASSESSMENT, make_request

pytestmark = pytest.mark.django_db

EXPLANATION = "We could not do all of what you asked, and this message explains why in full."


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def received(freeze, tenant, request_type, at, *, state="CA"):
    """A request from a different person each time (no two-per-year limit on requests to know)."""
    freeze(utc(at))
    email = f"{request_type}.{at[:13]}@example.com"
    return make_request(
        tenant, request_type=request_type, received_at=utc(at), state=state, email=email
    )


def close(freeze, request, staff, at, outcome, reason=""):
    freeze(utc(at))
    if outcome in ("complied", "complied_in_part") and request.request_type in (
        "know",
        "delete",
        "correct",
    ):
        request = privacy_request_mark_verified(
            privacy_request=request, actor=staff, method="Email link and two data points."
        )
    return privacy_request_close(
        privacy_request=request,
        actor=staff,
        outcome=outcome,
        denial_reason=reason,
        explanation=EXPLANATION if reason else "",
        done_explanation="We did the rest of what you asked."
        if outcome == "complied_in_part"
        else "",
        legal_basis="Civ. Code §1798.145(a)(1)(B)" if reason == "exempt" else "",
        fraud_documentation=(
            "The same device sent 400 requests in one minute with made-up names."
            if reason == "fraudulent"
            else ""
        ),
        # §7023(b): a correction decided on the merits records the assessment.
        assessment=ASSESSMENT if request.request_type == "correct" else "",
        documentation_considered="None." if request.request_type == "correct" else "",
    )


@pytest.fixture
def year(freeze, tenant_a, tenant_b, staff_a, staff_b):
    """Tenant A's 2025 (America/Los_Angeles); times are UTC, mostly 18:00 = 10:00 or 11:00 PT."""
    f, a = freeze, tenant_a
    # Requests to know: days 11, 20, 30, 45 (median 25.0, mean 26.5; R-7102-a1F-1).
    close(f, received(f, a, "know", "2025-03-03T18:00"), staff_a, "2025-03-14T18:00", "complied")
    k2 = received(f, a, "know", "2025-04-01T18:00")
    close(f, k2, staff_a, "2025-04-21T18:00", "complied_in_part", "exempt")
    # Received in December, answered in January: counts in 2025, 30 days.
    close(f, received(f, a, "know", "2025-12-21T18:00"), staff_a, "2026-01-20T18:00", "complied")
    received(f, a, "know", "2025-05-01T18:00", state="NV")  # open: pending
    k5 = received(f, a, "know", "2025-06-02T18:00", state="NV")
    close(f, k5, staff_a, "2025-07-17T18:00", "denied", "unverifiable")  # 45 days
    # 23:30 Pacific on December 31 (07:30 UTC on January 1): still 2025; then withdrawn.
    close(f, received(f, a, "know", "2026-01-01T07:30"), staff_a, "2026-01-05T18:00", "withdrawn")
    # 00:30 Pacific on January 1, 2026: not 2025.
    close(f, received(f, a, "know", "2026-01-01T08:30"), staff_a, "2026-01-02T18:00", "complied")
    close(f, received(f, a, "know", "2024-12-10T18:00"), staff_a, "2025-01-04T18:00", "complied")

    # Requests to delete: days 3, 10, 7. The first is answered at 20:00 Pacific on February 13
    # (04:00 UTC on the 14th): the response's date is the local one, so 3 days, not 4.
    close(f, received(f, a, "delete", "2025-02-10T18:00"), staff_a, "2025-02-14T04:00", "complied")
    d2 = received(f, a, "delete", "2025-03-10T18:00", state="NV")
    close(f, d2, staff_a, "2025-03-20T18:00", "denied", "not_a_consumer")
    d3 = received(f, a, "delete", "2025-09-01T18:00", state="")  # residency unknown
    close(f, d3, staff_a, "2025-09-08T18:00", "complied_in_part", "other")

    # Requests to correct: one answered in 1 day, one verified but still open.
    close(f, received(f, a, "correct", "2025-07-01T18:00"), staff_a, "2025-07-02T18:00", "complied")
    c2 = received(f, a, "correct", "2025-11-15T18:00")
    f(utc("2025-11-20T18:00"))
    privacy_request_mark_verified(
        privacy_request=c2, actor=staff_a, method="Email link and two data points."
    )

    # Opt-out: 7 days complied, 4 days denied for fraud; an opt-in is never counted.
    close(f, received(f, a, "opt_out", "2025-01-15T18:00"), staff_a, "2025-01-22T18:00", "complied")
    o2 = received(f, a, "opt_out", "2025-01-16T18:00")
    close(f, o2, staff_a, "2025-01-20T18:00", "denied", "fraudulent")
    close(f, received(f, a, "opt_in", "2025-03-01T18:00"), staff_a, "2025-03-02T18:00", "complied")

    # Tenant B: the same kinds of requests in the same year, never counted for A.
    for request_type in ("know", "delete", "opt_out", "limit"):
        b = received(f, tenant_b, request_type, "2025-05-05T18:00")
        close(f, b, staff_b, "2025-05-06T18:00", "complied")
    return a


def numbers(metrics, request_type):
    row = metrics.row(request_type)
    return (
        row.received,
        row.complied,
        row.denied,
        row.withdrawn,
        row.pending,
        row.responses_timed,
        row.median_days,
        row.mean_days,
    )


def breakdown(metrics, request_type):
    b = metrics.row(request_type).denial_breakdown
    return (b["unverifiable"], b["not_a_consumer"], b["exempt"], b["other"])


def test_every_number_for_all_individuals(year):
    metrics = annual_metrics(tenant=year, year=2025)
    # received, complied (whole or part), denied (in full), withdrawn, pending, timed, median, mean
    assert numbers(metrics, "know") == (6, 3, 1, 1, 1, 4, 25.0, 26.5)
    assert breakdown(metrics, "know") == (1, 0, 1, 0)  # complied in part counts in the breakdown
    assert numbers(metrics, "delete") == (3, 2, 1, 0, 0, 3, 7.0, 6.7)
    assert breakdown(metrics, "delete") == (0, 1, 0, 1)
    assert numbers(metrics, "correct") == (2, 1, 0, 0, 1, 1, 1.0, 1.0)
    assert breakdown(metrics, "correct") == (0, 0, 0, 0)
    assert numbers(metrics, "opt_out") == (2, 1, 1, 0, 0, 2, 5.5, 5.5)
    assert breakdown(metrics, "opt_out") == (0, 0, 0, 1)  # fraud is "other grounds"
    assert numbers(metrics, "limit") == (0, 0, 0, 0, 0, 0, None, None)
    assert [row.request_type for row in metrics.rows] == [
        "know",
        "delete",
        "correct",
        "opt_out",
        "limit",
    ]  # no opt-in row: §7102 does not ask
    for row in metrics.rows:  # received = complied + denied + withdrawn + pending
        assert row.received == row.complied + row.denied + row.withdrawn + row.pending
    assert metrics.basis == "Counted in the calendar year the request was received (Pacific time)."
    assert "all individuals" in metrics.population_text
    assert any("withdrawn request" in text for text in metrics.conventions)


def test_every_number_for_consumers_only(year):
    # §7102(b), A-16, A-17: only known California residents; NV and unknown residency left out.
    metrics = annual_metrics(tenant=year, year=2025, population="consumers")
    assert numbers(metrics, "know") == (4, 3, 0, 1, 0, 3, 20.0, 20.3)
    assert breakdown(metrics, "know") == (0, 0, 1, 0)
    assert numbers(metrics, "delete") == (1, 1, 0, 0, 0, 1, 3.0, 3.0)
    assert breakdown(metrics, "delete") == (0, 0, 0, 0)
    assert numbers(metrics, "correct") == (2, 1, 0, 0, 1, 1, 1.0, 1.0)
    assert numbers(metrics, "opt_out") == (2, 1, 1, 0, 0, 2, 5.5, 5.5)
    assert numbers(metrics, "limit") == (0, 0, 0, 0, 0, 0, None, None)
    assert "Consumers only" in metrics.population_text
    assert "unknown are excluded" in metrics.population_text


def test_the_neighbouring_years_get_their_own_requests(year):
    # The request received 00:30 Pacific on 1 January 2026 counts in 2026 …
    assert numbers(annual_metrics(tenant=year, year=2026), "know") == (1, 1, 0, 0, 0, 1, 1.0, 1.0)
    # … and the one received in December 2024, answered in January 2025, in 2024 (25 days).
    assert numbers(annual_metrics(tenant=year, year=2024), "know") == (
        1,
        1,
        0,
        0,
        0,
        1,
        25.0,
        25.0,
    )


def test_another_business_requests_are_never_counted(year, tenant_b):
    assert annual_metrics(tenant=year, year=2025).row("limit").received == 0
    other = annual_metrics(tenant=tenant_b, year=2025)
    assert [row.received for row in other.rows] == [1, 1, 0, 1, 1]
    assert [row.complied for row in other.rows] == [1, 1, 0, 1, 1]


def test_the_command_prints_the_table_and_json(year, capsys):
    call_command("metrics", "acme", "2025")
    out = capsys.readouterr().out
    assert "Requests to know" in out
    assert "Pacific time" in out
    assert "all individuals" in out
    call_command("metrics", "acme", "2025", "--population", "consumers", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["population"] == "consumers"
    assert data["rows"][0]["received"] == 4
