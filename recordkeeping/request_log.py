"""The §7101(b) request log: per request, the date of request, nature of request, manner in which
it was made, date of the response, nature of the response and the basis for any denial.

Derived from the request rows themselves (what intake and ``privacy_request_close`` wrote), never
typed a second time. Every kind of request is logged (§7101(a); R-7101-P-1), opt-ins included
(R-7028-P-1). Streamed: ``values()`` over a server-side cursor, one row formatted at a time, so
memory stays flat whatever the range (issue 14: a tenant-year of 1,000,000 requests).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from django.db.models.functions import TruncDate

from core.calendar import start_of_day
from requests_app import vocabulary as words
from requests_app.models import (
    Channel,
    DeleteScope,
    DenialReason,
    KnowScope,
    PrivacyRequest,
    RequestType,
)
from tenants.models import Tenant

# The export's columns, in order: the reference, the six §7101(b) fields, and whether the
# requester's identity was verified (R-7101-b-1: "exactly these columns, plus a reference").
COLUMNS = (
    "reference",
    "date_of_request",
    "nature_of_request",
    "manner_of_request",
    "date_of_response",
    "nature_of_response",
    "basis_for_denial",
    "verified",
)

# A longer range is almost surely a typo; §7101(a) asks for 24 months.
MAX_RANGE_DAYS = 3653  # ten years, leap days included

PENDING = "pending"
RESPONSE_NATURE = {
    words.COMPLIED: "complied",
    words.COMPLIED_IN_PART: "complied in part",
    words.DENIED: "denied",
    words.WITHDRAWN: "withdrawn",
}
BY_AGENT = "by an authorized agent"

_TYPE = dict(RequestType.choices)
_KNOW_SCOPE = dict(KnowScope.choices)
_DELETE_SCOPE = dict(DeleteScope.choices)
_CHANNEL = dict(Channel.choices)
_DENIAL_REASON = dict(DenialReason.choices)

_FIELDS = (
    "reference",
    "request_type",
    "know_scope",
    "delete_scope",
    "channel",
    "submitted_by_agent",
    "received_date",
    "response_date",
    "status",
    "outcome",
    "denial_reason",
    "denial_legal_basis",
    "denial_explanation",
    "verified_at",
)
CHUNK_SIZE = 2000


class RangeRefused(ValueError):
    """The date range asked for is inverted or too long; the message says so in plain words."""


def request_log_range_check(*, since: date, until: date) -> None:
    if until < since:
        raise RangeRefused(
            f"The range ends ({until.isoformat()}) before it starts ({since.isoformat()})."
        )
    if (until - since).days > MAX_RANGE_DAYS:
        raise RangeRefused(
            f"The range {since.isoformat()} to {until.isoformat()} is longer than 10 years; "
            "export it in parts."
        )


def _nature_of_request(row: dict[str, Any]) -> str:
    nature = _TYPE.get(row["request_type"], row["request_type"])
    if row["request_type"] == words.KNOW and row["know_scope"]:
        return f"{nature} ({_KNOW_SCOPE[row['know_scope']].lower()})"
    if row["request_type"] == words.DELETE:
        # A blank scope means all personal information (the field's help text, §7022(h)).
        return f"{nature} ({_DELETE_SCOPE[row['delete_scope'] or 'all'].lower()})"
    return nature


def _manner(row: dict[str, Any]) -> str:
    manner = _CHANNEL.get(row["channel"], row["channel"])
    if row["submitted_by_agent"] and row["channel"] != words.AGENT:
        return f"{manner}, {BY_AGENT}"
    if row["channel"] == words.AGENT:
        return f"{manner} ({BY_AGENT})"
    return manner


def _basis_for_denial(row: dict[str, Any]) -> str:
    """§7101(b): the basis, whenever the request was denied in whole or in part (R-7101-b-2)."""
    if not row["denial_reason"]:
        return ""
    parts = [_DENIAL_REASON.get(row["denial_reason"], row["denial_reason"])]
    if row["denial_legal_basis"]:
        parts.append(f"legal basis: {row['denial_legal_basis']}")
    if row["denial_explanation"]:
        parts.append(row["denial_explanation"])
    return "; ".join(parts)


def _log_row(row: dict[str, Any]) -> dict[str, Any]:
    is_open = row["status"] != words.CLOSED
    return {
        "reference": row["reference"],
        "date_of_request": row["received_date"],
        "nature_of_request": _nature_of_request(row),
        "manner_of_request": _manner(row),
        "date_of_response": None if is_open else row["response_date"],
        "nature_of_response": PENDING if is_open else RESPONSE_NATURE[row["outcome"]],
        "basis_for_denial": _basis_for_denial(row),
        "verified": row["verified_at"] is not None,
    }


def request_log_rows(*, tenant: Tenant, since: date, until: date) -> Iterator[dict[str, Any]]:
    """The log rows of the requests ``tenant`` received from ``since`` to ``until`` (local dates,
    both included), oldest first. One query, streamed in chunks of ``CHUNK_SIZE``.

    The range is checked here, before anything is streamed (``RangeRefused``)."""
    request_log_range_check(since=since, until=until)
    return _stream(tenant=tenant, since=since, until=until)


def _stream(*, tenant: Tenant, since: date, until: date) -> Iterator[dict[str, Any]]:
    rows = (
        PrivacyRequest.objects.for_tenant(tenant)
        .filter(received_date__gte=since, received_date__lte=until)
        # The same range in instants: the queue's index (tenant, -received_at) serves it, so an
        # export reads the range, not the business's whole history.
        .filter(
            received_at__gte=start_of_day(since, tenant.zone),
            received_at__lt=start_of_day(until + timedelta(days=1), tenant.zone),
        )
        # The date of the response in the business's time zone, like received_date.
        .annotate(response_date=TruncDate("responded_at", tzinfo=tenant.zone))
        .order_by("received_at", "id")
        .values(*_FIELDS)
    )
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        yield _log_row(row)


class _Line:
    """A file-like object whose ``write`` hands back the line (the csv module's streaming idiom)."""

    def write(self, value: str) -> str:
        return value


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return value


def request_log_csv(*, tenant: Tenant, since: date, until: date) -> Iterator[str]:
    """CSV lines, the header first, dates ISO 8601; usable by ``StreamingHttpResponse``.
    The range is checked on the call, before the first line."""
    rows = request_log_rows(tenant=tenant, since=since, until=until)
    return _csv_lines(rows)


def _csv_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    for row in rows:
        yield writer.writerow([_csv_value(row[column]) for column in COLUMNS])


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def request_log_json(
    *, tenant: Tenant, since: date, until: date, rows_per_chunk: int = 500
) -> Iterator[str]:
    """A JSON array of log rows (objects keyed by ``COLUMNS``), yielded in chunks.
    The range is checked on the call, before the first chunk."""
    rows = request_log_rows(tenant=tenant, since=since, until=until)
    return _json_chunks(rows, rows_per_chunk)


def _json_chunks(rows: Iterator[dict[str, Any]], rows_per_chunk: int) -> Iterator[str]:
    encode = json.JSONEncoder(ensure_ascii=False).encode
    yield "["
    chunk: list[str] = []
    first = True
    for row in rows:
        chunk.append(encode({column: _json_value(row[column]) for column in COLUMNS}))
        if len(chunk) >= rows_per_chunk:
            yield ("" if first else ",") + ",".join(chunk)
            first, chunk = False, []
    if chunk:
        yield ("" if first else ",") + ",".join(chunk)
    yield "]\n"
