"""The §7101(b) request log: every kind of request, made through intake and closed through the
services, appears with its six fields exactly; ranges are local dates; tenants never mix."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from django.core.management import CommandError, call_command

from recordkeeping.request_log import (
    COLUMNS,
    RangeRefused,
    request_log_csv,
    request_log_json,
    request_log_rows,
)
from requests_app.services.intake import Agent
from requests_app.services.transitions import privacy_request_close, privacy_request_mark_verified
from tests.factories import ASSESSMENT, make_request

METHOD = "Email link and two data points."
UNVERIFIABLE_WHY = "We could not match the two data points you gave."
OTHER_WHY = "Part of the record belongs to another household member."
EXEMPT_WHY = "We must keep these invoices for tax law."
LEGAL_BASIS = "Civ. Code §1798.105(d)(8): comply with a legal obligation"
YEAR_2026 = {"since": date(2026, 1, 1), "until": date(2026, 12, 31)}


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def year(tenant_a, tenant_b, staff_a, freeze):
    """Requests of every kind for ACME (Los Angeles time), received around New Year 2026, and
    answered on 2026-02-10 at 07:30 UTC, which is still February 9 in Los Angeles."""
    freeze(_utc(2026, 2, 10, 7, 30))

    def make(request_type, *, at, channel="webform", **kwargs):
        return make_request(
            tenant_a, request_type=request_type, channel=channel, received_at=at, **kwargs
        )

    made = {}
    # 23:30 on December 31 in Los Angeles: 2025 there, 2026 in UTC.
    made["new_years_eve"] = make("know", at=_utc(2026, 1, 1, 7, 30))
    # 00:10 on January 1 in Los Angeles.
    made["new_years_day"] = make("delete", channel="email", at=_utc(2026, 1, 1, 8, 10))
    made["know"] = make("know", know_scope="categories", at=_utc(2026, 1, 2, 18))
    made["denied"] = make("delete", channel="email", at=_utc(2026, 1, 3, 18))
    made["correct"] = make("correct", channel="phone", at=_utc(2026, 1, 4, 18))
    made["exempt"] = make("delete", channel="mail", at=_utc(2026, 1, 5, 18))
    made["opt_out"] = make("opt_out", channel="gpc", at=_utc(2026, 1, 6, 18))
    made["limit"] = make("limit", channel="in_person", at=_utc(2026, 1, 7, 18))
    made["opt_in"] = make("opt_in", at=_utc(2026, 1, 8, 18))
    made["by_agent"] = make(
        "know", channel="agent", agent=Agent(name="Alex Agent"), at=_utc(2026, 1, 9, 18)
    )
    made["phoned_by_agent"] = make(
        "opt_out", channel="phone", agent=Agent(name="Alex Agent"), at=_utc(2026, 1, 10, 18)
    )
    made["withdrawn"] = make("delete", at=_utc(2026, 1, 11, 18))

    def close(key, outcome, verify=False, **kwargs):
        privacy_request = made[key]
        if verify:
            privacy_request = privacy_request_mark_verified(
                privacy_request=privacy_request, actor=staff_a, method=METHOD
            )
        made[key] = privacy_request_close(
            privacy_request=privacy_request, actor=staff_a, outcome=outcome, **kwargs
        )

    close("know", "complied", verify=True)
    close("denied", "denied", denial_reason="unverifiable", explanation=UNVERIFIABLE_WHY)
    close(
        "correct",
        "complied_in_part",
        verify=True,
        denial_reason="other",
        explanation=OTHER_WHY,
        done_explanation="We corrected your postal address.",
        assessment=ASSESSMENT,  # §7023(b)
        documentation_considered="None.",
    )
    close(
        "exempt",
        "denied",
        denial_reason="exempt",
        explanation=EXEMPT_WHY,
        legal_basis=LEGAL_BASIS,
    )
    close("opt_out", "complied")
    close("withdrawn", "withdrawn")
    freeze(_utc(2027, 1, 2, 12))
    # December 31 in Los Angeles, received at 23:59:59 local: still in 2026's range.
    made["last_minute"] = make("limit", at=_utc(2027, 1, 1, 7, 59, 59))
    made["next_year"] = make("limit", at=_utc(2027, 1, 1, 8, 0))
    # Tenant B's request, same day: never in A's log.
    make_request(tenant_b, request_type="know", received_at=_utc(2026, 1, 2, 18))
    return made


def _by_reference(rows):
    return {row["reference"]: row for row in rows}


def _row(made, key, **six):
    return {"reference": made[key].reference, **six}


def test_each_row_has_the_six_7101b_fields_exactly(tenant_a, year):
    rows = _by_reference(request_log_rows(tenant=tenant_a, **YEAR_2026))
    answered_on = date(2026, 2, 9)  # 07:30 UTC on February 10 is February 9 in Los Angeles
    pending = {"date_of_response": None, "nature_of_response": "pending", "basis_for_denial": ""}
    expected = [
        _row(year, "new_years_day", date_of_request=date(2026, 1, 1),
             nature_of_request="Request to delete (all personal information)",
             manner_of_request="Email", verified=False, **pending),
        _row(year, "know", date_of_request=date(2026, 1, 2),
             nature_of_request="Request to know (categories of personal information)",
             manner_of_request="Online form", date_of_response=answered_on,
             nature_of_response="complied", basis_for_denial="", verified=True),
        _row(year, "denied", date_of_request=date(2026, 1, 3),
             nature_of_request="Request to delete (all personal information)",
             manner_of_request="Email", date_of_response=answered_on,
             nature_of_response="denied",
             basis_for_denial=f"Could not verify identity; {UNVERIFIABLE_WHY}", verified=False),
        _row(year, "correct", date_of_request=date(2026, 1, 4),
             nature_of_request="Request to correct", manner_of_request="Telephone",
             date_of_response=answered_on, nature_of_response="complied in part",
             basis_for_denial=f"Other grounds; {OTHER_WHY}", verified=True),
        _row(year, "exempt", date_of_request=date(2026, 1, 5),
             nature_of_request="Request to delete (all personal information)",
             manner_of_request="Mail", date_of_response=answered_on,
             nature_of_response="denied",
             basis_for_denial=f"Exempt (legal basis given); legal basis: {LEGAL_BASIS}; {EXEMPT_WHY}",
             verified=False),
        _row(year, "opt_out", date_of_request=date(2026, 1, 6),
             nature_of_request="Request to opt out of sale/sharing",
             manner_of_request="Opt-out preference signal", date_of_response=answered_on,
             nature_of_response="complied", basis_for_denial="", verified=False),
        _row(year, "limit", date_of_request=date(2026, 1, 7),
             nature_of_request="Request to limit use of sensitive personal information",
             manner_of_request="In person", verified=False, **pending),
        _row(year, "opt_in", date_of_request=date(2026, 1, 8),
             nature_of_request="Request to opt in to sale/sharing",
             manner_of_request="Online form", verified=False, **pending),
        _row(year, "by_agent", date_of_request=date(2026, 1, 9),
             nature_of_request="Request to know (categories and specific pieces)",
             manner_of_request="Authorized agent (by an authorized agent)", verified=False,
             **pending),
        _row(year, "phoned_by_agent", date_of_request=date(2026, 1, 10),
             nature_of_request="Request to opt out of sale/sharing",
             manner_of_request="Telephone, by an authorized agent", verified=False, **pending),
        _row(year, "withdrawn", date_of_request=date(2026, 1, 11),
             nature_of_request="Request to delete (all personal information)",
             manner_of_request="Online form", date_of_response=answered_on,
             nature_of_response="withdrawn", basis_for_denial="", verified=False),
        _row(year, "last_minute", date_of_request=date(2026, 12, 31),
             nature_of_request="Request to limit use of sensitive personal information",
             manner_of_request="Online form", verified=False, **pending),
    ]  # fmt: skip
    assert list(rows.values()) == expected  # oldest first, nothing else in 2026


def test_the_range_is_in_local_dates_7101b(tenant_a, year):
    new_years_eve = list(
        request_log_rows(tenant=tenant_a, since=date(2025, 12, 31), until=date(2025, 12, 31))
    )
    assert [row["reference"] for row in new_years_eve] == [year["new_years_eve"].reference]
    assert new_years_eve[0]["date_of_request"] == date(2025, 12, 31)
    refs_2026 = {row["reference"] for row in request_log_rows(tenant=tenant_a, **YEAR_2026)}
    assert year["new_years_eve"].reference not in refs_2026
    assert year["new_years_day"].reference in refs_2026
    assert year["last_minute"].reference in refs_2026
    assert year["next_year"].reference not in refs_2026
    next_year = request_log_rows(tenant=tenant_a, since=date(2027, 1, 1), until=date(2027, 1, 1))
    assert [row["reference"] for row in next_year] == [year["next_year"].reference]


def test_denials_in_whole_or_part_always_have_a_basis_7101b(tenant_a, year):
    rows = list(request_log_rows(tenant=tenant_a, **YEAR_2026))
    denied = [r for r in rows if r["nature_of_response"] in {"denied", "complied in part"}]
    assert len(denied) == 3
    assert all(row["basis_for_denial"] for row in denied)


def test_tenant_b_never_appears_in_tenant_a_log(tenant_a, tenant_b, year):
    refs_a = {row["reference"] for row in request_log_rows(tenant=tenant_a, **YEAR_2026)}
    refs_b = [row["reference"] for row in request_log_rows(tenant=tenant_b, **YEAR_2026)]
    assert len(refs_b) == 1
    assert refs_b[0] not in refs_a
    exported = "".join(request_log_csv(tenant=tenant_a, **YEAR_2026))
    assert refs_b[0] not in exported


def test_csv_has_the_header_and_iso_dates(tenant_a, year):
    lines = list(request_log_csv(tenant=tenant_a, **YEAR_2026))
    assert lines[0] == ",".join(COLUMNS) + "\r\n"
    rows = list(csv.DictReader(io.StringIO("".join(lines))))
    assert len(rows) == 12
    know = next(row for row in rows if row["reference"] == year["know"].reference)
    assert know == {
        "reference": year["know"].reference,
        "date_of_request": "2026-01-02",
        "nature_of_request": "Request to know (categories of personal information)",
        "manner_of_request": "Online form",
        "date_of_response": "2026-02-09",
        "nature_of_response": "complied",
        "basis_for_denial": "",
        "verified": "yes",
    }
    opt_in = next(row for row in rows if row["reference"] == year["opt_in"].reference)
    assert (opt_in["date_of_response"], opt_in["nature_of_response"]) == ("", "pending")


def test_json_export_parses_and_matches_the_rows(tenant_a, year):
    chunks = list(request_log_json(tenant=tenant_a, rows_per_chunk=5, **YEAR_2026))
    assert len(chunks) > 3  # streamed in pieces, not one string
    parsed = json.loads("".join(chunks))
    assert len(parsed) == 12
    assert list(parsed[0]) == list(COLUMNS)
    exempt = next(row for row in parsed if row["reference"] == year["exempt"].reference)
    assert exempt["date_of_response"] == "2026-02-09"
    assert exempt["basis_for_denial"].startswith("Exempt (legal basis given); legal basis: ")
    assert exempt["verified"] is False


def test_an_empty_range_is_an_empty_export(tenant_a, year):
    assert (
        json.loads(
            "".join(
                request_log_json(tenant=tenant_a, since=date(2024, 1, 1), until=date(2024, 1, 31))
            )
        )
        == []
    )
    assert list(request_log_csv(tenant=tenant_a, since=date(2024, 1, 1), until=date(2024, 1, 31))) == [",".join(COLUMNS) + "\r\n"]  # fmt: skip


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        (date(2026, 2, 1), date(2026, 1, 31), "before it starts"),
        (date(2016, 1, 1), date(2026, 1, 2), "longer than 10 years"),
    ],
)
def test_an_inverted_or_too_long_range_is_refused_before_anything_is_sent(
    tenant_a, since, until, message
):
    for export in (request_log_rows, request_log_csv, request_log_json):
        with pytest.raises(RangeRefused, match=message):
            export(tenant=tenant_a, since=since, until=until)
    with pytest.raises(CommandError, match=message):
        call_command(
            "request_log", "acme", f"--since={since}", f"--until={until}", "--purpose=Review"
        )


def test_the_command_writes_the_log_to_stdout(tenant_a, year):
    out = io.StringIO()
    call_command(
        "request_log",
        "acme",
        "--since=2026-01-01",
        "--until=2026-12-31",
        "--purpose=Annual compliance review",
        stdout=out,
    )
    assert out.getvalue() == "".join(request_log_csv(tenant=tenant_a, **YEAR_2026))
    out = io.StringIO()
    call_command(
        "request_log", "acme", "--since=2025-12-31", "--until=2025-12-31", "--format=json",
        "--purpose=Review", stdout=out,
    )  # fmt: skip
    assert [row["reference"] for row in json.loads(out.getvalue())] == [
        year["new_years_eve"].reference
    ]


def test_the_command_refuses_an_unknown_business_or_a_bad_date(tenant_a):
    with pytest.raises(CommandError, match="No business"):
        call_command(
            "request_log", "nobody", "--since=2026-01-01", "--until=2026-01-02", "--purpose=R"
        )
    with pytest.raises(CommandError, match="not a date"):
        call_command(
            "request_log", "acme", "--since=2026-13-01", "--until=2026-01-02", "--purpose=R"
        )
