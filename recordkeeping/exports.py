"""The §7101(b) request log as a download: the one place the admin page and the API turn a
range and a format into a streamed file (``request_log_download``), and parse what a person typed
(``parse_export``) into the refusal they can read, never a 500."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.http import StreamingHttpResponse

from tenants.models import Tenant

from .request_log import RangeRefused, request_log_csv, request_log_json, request_log_range_check

FORMATS = {
    "csv": ("text/csv; charset=utf-8", request_log_csv),
    "json": ("application/json; charset=utf-8", request_log_json),
}


@dataclass(frozen=True)
class ExportAsked:
    since: date
    until: date
    file_format: str


def _date(value: str | None, name: str) -> date:
    if not value:
        raise RangeRefused(f"Give the {name} date as YYYY-MM-DD.")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise RangeRefused(
            f"The {name} date {value[:40]!r} is not a date like 2026-01-31."
        ) from None


def parse_export(*, since: str | None, until: str | None, file_format: str | None) -> ExportAsked:
    """The range and format asked for; ``RangeRefused`` with a plain message when they are
    missing, not dates, inverted or longer than the log allows in one file."""
    start, end = _date(since, "start"), _date(until, "end")
    request_log_range_check(since=start, until=end)
    chosen = (file_format or "csv").strip().lower()
    if chosen not in FORMATS:
        raise RangeRefused(f"The format must be csv or json, not {chosen[:20]!r}.")
    return ExportAsked(since=start, until=end, file_format=chosen)


def request_log_filename(*, tenant: Tenant, asked: ExportAsked) -> str:
    return (
        f"{tenant.slug}-request-log-{asked.since.isoformat()}-{asked.until.isoformat()}"
        f".{asked.file_format}"
    )


def request_log_download(*, tenant: Tenant, asked: ExportAsked) -> StreamingHttpResponse:
    """The log of ``tenant`` (only its own requests: ``for_tenant``), streamed as a file."""
    content_type, lines = FORMATS[asked.file_format]
    response = StreamingHttpResponse(
        lines(tenant=tenant, since=asked.since, until=asked.until), content_type=content_type
    )
    filename = request_log_filename(tenant=tenant, asked=asked)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
