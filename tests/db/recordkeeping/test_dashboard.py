"""The compliance dashboard (issue 14 item 6; §7102, R-7102-a-1, R-7102-a2-1, R-7102-P-2) over a
year of requests with known answers: every number of every chart's table, the exports (CSV, JSON,
printable report), the §7102(a)(2) reminder and overdue alert, who may see it (compliance and
admin; staff get a 403 saying why), and never another business's figures."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from recordkeeping.dashboard import year_dashboard
from requests_app.services import (
    privacy_request_close,
    privacy_request_extend,
    privacy_request_mark_verified,
)
from tests.factories import make_request
from tests.helpers import login

pytestmark = pytest.mark.django_db

PAGE = reverse("admin:recordkeeping_dashboard")
EXPORT = reverse("admin:recordkeeping_metrics_export")
EXPLANATION = "We could not do all of what you asked, and this message explains why in full."
TODAY = datetime(2026, 1, 10, 20, tzinfo=UTC)  # January 10, 2026 in Los Angeles


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def received(freeze, tenant, request_type, at, *, state="CA"):
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
    )


@pytest.fixture
def year(freeze, tenant_a, tenant_b, staff_a, staff_b):
    """Tenant A's 2025 (America/Los_Angeles), looked at on January 10, 2026."""
    f, a = freeze, tenant_a
    # Requests to know.
    close(f, received(f, a, "know", "2025-03-03T18:00"), staff_a, "2025-03-14T18:00", "complied")
    k2 = received(f, a, "know", "2025-04-01T18:00")  # 60 days: late (due May 16)
    close(f, k2, staff_a, "2025-05-31T18:00", "complied_in_part", "exempt")
    received(f, a, "know", "2025-05-01T18:00", state="NV")  # open, due June 15, 2025: overdue
    # Received in December, answered in January (30 days, on time): counts in December 2025.
    close(f, received(f, a, "know", "2025-12-21T18:00"), staff_a, "2026-01-20T18:00", "complied")
    k5 = received(f, a, "know", "2025-08-01T18:00")  # withdrawn: not answered, not timed
    close(f, k5, staff_a, "2025-08-05T18:00", "withdrawn")
    # Extended on day 30 to December 1: answered on day 70, on time by the extended date.
    k6 = received(f, a, "know", "2025-09-22T18:00")
    f(utc("2025-10-22T18:00"))
    k6 = privacy_request_extend(
        privacy_request=k6, actor=staff_a, reason="We need to search three archived systems."
    )
    close(f, k6, staff_a, "2025-12-01T18:00", "complied")
    # Requests to delete: 3 days (answered 20:00 Pacific), 10 days denied, one open (due later).
    close(f, received(f, a, "delete", "2025-02-10T18:00"), staff_a, "2025-02-14T04:00", "complied")
    d2 = received(f, a, "delete", "2025-03-10T18:00", state="NV")
    close(f, d2, staff_a, "2025-03-20T18:00", "denied", "not_a_consumer")
    received(f, a, "delete", "2025-12-20T18:00")  # due February 3, 2026: more than 7 days
    # Requests to correct, both open: due January 15 (5 days left) and January 12 (2 days).
    received(f, a, "correct", "2025-12-01T18:00")
    received(f, a, "correct", "2025-11-28T18:00")
    # Opt-out: 7 and 4 days on time, 45 days late (15 business days allowed); the opt-in
    # is never counted.
    close(f, received(f, a, "opt_out", "2025-01-15T18:00"), staff_a, "2025-01-22T18:00", "complied")
    o2 = received(f, a, "opt_out", "2025-01-16T18:00")
    close(f, o2, staff_a, "2025-01-20T18:00", "denied", "fraudulent")
    close(f, received(f, a, "opt_out", "2025-06-02T18:00"), staff_a, "2025-07-17T18:00", "complied")
    close(f, received(f, a, "opt_in", "2025-03-01T18:00"), staff_a, "2025-03-02T18:00", "complied")
    # Tenant B: the same year, never counted for A.
    for request_type in ("know", "delete", "opt_out", "limit"):
        b = received(f, tenant_b, request_type, "2025-05-05T18:00")
        close(f, b, staff_b, "2025-05-06T18:00", "complied")
    received(f, tenant_b, "limit", "2025-10-05T18:00")
    f(TODAY)
    return a


def _table(page: str, table_id: str) -> list[list[str]]:
    """The rows of the table ``table_id`` (header row first), each cell's text."""
    found = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.S)
    assert found, f"no table {table_id}"
    rows = re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in rows
    ]


def _numbers(table: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in table[1:]}


def test_the_selector_counts_every_chart(year):
    dashboard = year_dashboard(tenant=year, year=2025, population="all", today=date(2026, 1, 10))
    assert dashboard.per_month["know"] == [0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1]
    assert dashboard.per_month["delete"] == [0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert dashboard.per_month["correct"] == [0] * 10 + [1, 1]
    assert dashboard.per_month["opt_out"] == [2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert dashboard.per_month["limit"] == [0] * 12
    on_time = {
        row.request_type: (row.answered, row.on_time, row.late, row.rate)
        for row in dashboard.on_time
    }
    # know: 11 days, 30 days and the extended 70 days on time; 60 days late.
    assert on_time["know"] == (4, 3, 1, 75.0)
    assert on_time["delete"] == (2, 2, 0, 100.0)
    assert on_time["correct"] == (0, 0, 0, None)
    assert on_time["opt_out"] == (3, 2, 1, 66.7)
    total = dashboard.on_time_total
    assert (total.answered, total.on_time, total.late, total.rate) == (9, 7, 2, 77.8)
    assert dashboard.days_by_type["know"] == {
        "0–5 days": 0,
        "6–10 days": 0,
        "11–15 days": 1,
        "16–30 days": 1,
        "31–45 days": 0,
        "46–60 days": 1,
        "61–90 days": 1,
        "More than 90 days": 0,
    }
    assert dashboard.days_all == {
        "0–5 days": 2,  # delete 3, opt-out 4
        "6–10 days": 2,  # delete 10, opt-out 7
        "11–15 days": 1,
        "16–30 days": 1,
        "31–45 days": 1,  # opt-out 45
        "46–60 days": 1,
        "61–90 days": 1,
        "More than 90 days": 0,
    }
    assert dashboard.open_all == {
        "overdue": 1,
        "due_today": 0,
        "due_soon": 1,
        "due_this_week": 1,
        "due_later": 1,
        "no_deadline": 0,
    }
    assert dashboard.open_by_type["correct"]["due_soon"] == 1
    assert dashboard.open_by_type["correct"]["due_this_week"] == 1
    assert dashboard.open_by_type["know"]["overdue"] == 1
    assert dashboard.open_by_type["delete"]["due_later"] == 1
    # Denials in whole or in part: exempt (know, in part), not a consumer (delete), fraud = other.
    assert dashboard.denials_all == {
        "unverifiable": 0,
        "not_a_consumer": 1,
        "exempt": 1,
        "other": 1,
    }


def test_consumers_only_leaves_out_non_residents(year):
    dashboard = year_dashboard(
        tenant=year, year=2025, population="consumers", today=date(2026, 1, 10)
    )
    assert dashboard.per_month["know"] == [0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1]  # NV in May gone
    assert dashboard.open_all["overdue"] == 0
    assert dashboard.denials_all["not_a_consumer"] == 0
    assert dashboard.metrics.population == "consumers"


def test_the_page_shows_both_statistics_the_population_and_every_chart_table(compliance_a, year):
    response = login(compliance_a).get(PAGE, {"year": "2025"})
    assert response.status_code == 200
    page = response.content.decode()
    # The §7102 table with both median and mean (know: 11, 30, 60, 70 days).
    row = re.search(r'<tr id="row-know">(.*?)</tr>', page, re.S).group(1)
    cells = [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
    ]
    assert cells == [
        "Requests to know",
        "6",
        "4",
        "0",
        "1",
        "1",
        "45.0",
        "42.8",
        "0",
        "0",
        "1",
        "0",
    ]
    assert "Median days to respond" in page
    assert "Mean days to respond" in page
    assert "Includes requests from all individuals" in page
    assert "Counted in the calendar year the request was received (Pacific time)." in page
    assert "A withdrawn request is counted as received" in page

    months = _numbers(_table(page, "per-month-table"))
    assert months["January"] == ["0", "0", "0", "2", "0", "2"]
    assert months["December"] == ["1", "1", "1", "0", "0", "3"]
    assert sum(int(row[-1]) for row in months.values()) == 14
    on_time = _numbers(_table(page, "on-time-table"))
    assert on_time["Requests to know"] == ["4", "3", "1", "0", "75 %"]
    assert on_time["Requests to opt out of sale/sharing"] == ["3", "2", "1", "0", "66.7 %"]
    assert on_time["Requests to correct"] == ["0", "0", "0", "0", "–"]
    assert on_time["All types"] == ["9", "7", "2", "0", "77.8 %"]
    days = _numbers(_table(page, "days-table"))
    assert days["0–5 days"] == ["0", "1", "0", "1", "0", "2"]
    assert days["61–90 days"] == ["1", "0", "0", "0", "0", "1"]
    open_ = _numbers(_table(page, "open-table"))
    assert open_["Overdue"] == ["1", "0", "0", "0", "0", "1"]
    assert open_["Due in 1–3 days"] == ["0", "0", "1", "0", "0", "1"]
    assert open_["Due in 4–7 days"] == ["0", "0", "1", "0", "0", "1"]
    assert open_["Due in more than 7 days"] == ["0", "1", "0", "0", "0", "1"]
    assert "As of January 10, 2026" in page
    denials = _numbers(_table(page, "denials-table"))
    assert denials["Information exempt from disclosure"] == ["1", "0", "0", "0", "0", "1"]
    assert denials["Not made by a consumer"] == ["0", "1", "0", "0", "0", "1"]
    assert denials["Other grounds"] == ["0", "0", "0", "1", "0", "1"]


def test_charts_are_inline_svg_with_a_text_alternative_and_nothing_from_another_host(
    compliance_a, year
):
    page = login(compliance_a).get(PAGE, {"year": "2025"}).content.decode()
    svgs = re.findall(r"<svg [^>]*class=\"chart\".*?</svg>", page, re.S)
    assert len(svgs) == 5
    for svg in svgs:
        assert 'role="img"' in svg
        labelled = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
        for element_id in labelled:
            assert f'id="{element_id}"' in svg
        assert re.search(r"<desc [^>]*>[^<]{20,}</desc>", svg)
    assert "<script" not in page.split('id="content-main"')[1]
    assert "<style" not in page  # the Content-Security-Policy allows no inline style
    assert not re.search(r'(src|href)="https?://', page.split('id="content-main"')[1])
    assert page.count('<th scope="col">') > 40
    assert page.count("<figcaption>") == 5


def test_the_default_year_is_the_business_s_current_year(compliance_a, year):
    page = login(compliance_a).get(PAGE).content.decode()
    assert "Request metrics for 2026" in page
    assert '<option value="2025">2025</option>' in page


def test_csv_export_has_the_table_and_the_conventions(compliance_a, year):
    response = login(compliance_a).get(EXPORT, {"year": "2025", "format": "csv"})
    assert response.status_code == 200
    assert 'filename="acme-request-metrics-2025-all.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header = rows[0]
    know = dict(zip(header, rows[1], strict=True))
    assert know["request_type"] == "know"
    assert (know["received"], know["complied_in_whole_or_in_part"], know["denied"]) == (
        "6",
        "4",
        "0",
    )
    assert (know["median_days"], know["mean_days"], know["denied_exempt"]) == ("45.0", "42.8", "1")
    opt_out = dict(zip(header, rows[4], strict=True))
    assert (opt_out["received"], opt_out["denied"], opt_out["denied_other"]) == ("3", "1", "1")
    notes = [row[1] for row in rows if row and row[0] == "note"]
    assert "Calendar year 2025" in notes
    assert any("all individuals" in note for note in notes)
    assert any("withdrawn request" in note for note in notes)


def test_consumers_only_csv_excludes_non_residents(compliance_a, year):
    # R-7102-b-2: the consumers-only version for the regulator.
    response = login(compliance_a).get(
        EXPORT, {"year": "2025", "population": "consumers", "format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][2] == "5"  # know: the NV request left out
    assert rows[2][2] == "2"  # delete: the NV request left out


def test_json_export_has_the_table_and_every_chart(compliance_a, year):
    response = login(compliance_a).get(EXPORT, {"year": "2025", "format": "json"})
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["year"] == 2025
    assert data["rows"][0]["median_days"] == 45.0
    assert data["rows"][0]["mean_days"] == 42.8
    assert data["requests_per_month"]["opt_out"]["January"] == 2
    assert data["on_time"][-1] == {
        "request_type": "all",
        "answered": 9,
        "on_time": 7,
        "late": 2,
        "no_deadline": 0,
        "on_time_rate_percent": 77.8,
    }
    assert data["open_requests_by_deadline"]["by_type"]["know"]["overdue"] == 1
    assert data["denial_reasons"]["exempt"] == 1
    assert data["conventions"]


def test_the_printable_report_has_print_css_and_the_figures(compliance_a, year):
    response = login(compliance_a).get(EXPORT, {"year": "2025", "format": "print"})
    assert response.status_code == 200
    page = response.content.decode()
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]*dashboard[^"]*\.css)">', page)
    assert stylesheet, "the report loads its print CSS from /static/ (no inline style, CSP)"
    assert "@media print" in Path(finders.find("recordkeeping/dashboard.css")).read_text()
    assert "<style" not in page
    assert "ACME Corp.: request metrics for 2025" in page
    assert "January 1, 2025 to December 31, 2025" in page
    assert '<tr id="row-know">' in page
    assert _numbers(_table(page, "on-time-table"))["All types"][-1] == "77.8 %"


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ({"year": "25"}, "four digits"),
        ({"year": "1999"}, "2020 or later"),
        ({"year": "2025", "population": "everyone"}, "all or consumers"),
        ({"year": "2025", "format": "xlsx"}, "csv, json or print"),
    ],
)
def test_bad_input_is_a_400_with_a_message(compliance_a, year, query, why):
    response = login(compliance_a).get(EXPORT, query)
    assert response.status_code == 400
    assert why in response.content.decode()


def test_staff_get_a_403_that_says_why(staff_a, year):
    client = login(staff_a)
    for response in (
        client.get(PAGE, {"year": "2025"}),
        client.get(EXPORT, {"year": "2025", "format": "csv"}),
        client.post(
            reverse("admin:recordkeeping_metrics_publish"),
            {"year": "2025", "statistic": "median", "population": "all"},
        ),
    ):
        assert response.status_code == 403
        body = response.content.decode()
        assert "Only the compliance and admin roles" in body
        assert "Requests to know" not in body


def test_the_admin_index_links_the_dashboard_for_compliance_only(compliance_a, staff_a):
    assert PAGE in login(compliance_a).get(reverse("admin:index")).content.decode()
    assert PAGE not in login(staff_a).get(reverse("admin:index")).content.decode()


def test_b_s_compliance_sees_and_exports_only_b_s_figures(compliance_b, year):
    client = login(compliance_b)
    page = client.get(PAGE, {"year": "2025"}).content.decode()
    assert _numbers(_table(page, "per-month-table"))["May"] == ["1", "1", "0", "1", "1", "4"]
    assert _numbers(_table(page, "per-month-table"))["March"][-1] == "0"  # A's March: 3
    data = json.loads(client.get(EXPORT, {"year": "2025", "format": "json"}).content)
    assert data["tenant"] == "bravo"
    assert [row["received"] for row in data["rows"]] == [1, 1, 0, 1, 2]
    rows = list(csv.reader(io.StringIO(client.get(EXPORT, {"year": "2025"}).content.decode())))
    assert [row[2] for row in rows[1:6]] == ["1", "1", "0", "1", "2"]


# --- The §7102(a)(2) reminder (R-7102-a-1, R-7102-a2-1) ---------------------------------------


def _reminder(user, freeze, when):
    freeze(when)
    page = login(user).get(PAGE).content.decode()  # signed in at that moment
    found = re.search(
        r'<div class="disclosure[^"]*" role="(\w+)">\s*<p><strong>([^<]+)</strong>\s*'
        r'<span class="disclosure-message">([^<]+)</span>',
        page,
    )
    return (found.group(1), found.group(2), found.group(3).strip()) if found else None


def test_the_reminder_from_june_1_and_the_overdue_alert_after_july_1(
    compliance_a, tenant_a, freeze
):
    tenant_a.discloses_request_metrics = True
    tenant_a.save()
    client = compliance_a
    # 23:00 Pacific on May 31 is already June 1 in UTC: the business's zone decides.
    assert _reminder(client, freeze, datetime(2027, 6, 1, 6, tzinfo=UTC)) is None
    assert _reminder(client, freeze, datetime(2027, 6, 1, 8, tzinfo=UTC)) == (
        "status",
        "Disclosure due:",
        "The metrics for 2026 must be published by July 1, 2027 (§7102(a)(2)).",
    )
    assert _reminder(client, freeze, datetime(2027, 7, 2, 6, tzinfo=UTC))[1] == "Disclosure due:"
    assert _reminder(client, freeze, datetime(2027, 7, 2, 8, tzinfo=UTC)) == (
        "alert",
        "Overdue disclosure:",
        "Overdue: the metrics for 2026 had to be published by July 1, 2027 (§7102(a)(2)), "
        "and they are not published yet.",
    )
    # Published: no reminder, no alert.
    response = login(compliance_a).post(
        reverse("admin:recordkeeping_metrics_publish"),
        {"year": "2026", "statistic": "mean", "population": "all"},
    )
    assert response.status_code == 302
    assert _reminder(client, freeze, datetime(2027, 7, 3, 8, tzinfo=UTC)) is None


def test_no_reminder_without_the_flag(compliance_a, tenant_a, freeze):
    client = compliance_a
    assert _reminder(client, freeze, datetime(2027, 6, 15, 18, tzinfo=UTC)) is None
    assert _reminder(client, freeze, datetime(2027, 8, 15, 18, tzinfo=UTC)) is None
    assert "10,000,000" not in login(compliance_a).get(PAGE).content.decode()
