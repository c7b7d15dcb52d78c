"""The §7101(b) request log as a download: the one place the admin page and the API turn a
range and a format into a streamed file (``request_log_download``), and parse what a person typed
(``parse_export``) into the refusal they can read, never a 500.

Records are used for nothing but compliance (§7101(d); R-7101-d-1): every export states its
purpose, and the export, with that purpose, is written to the audit trail before the first byte
(§7101(a); R-7101-a-2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.http import StreamingHttpResponse

from audit.models import AuditAction
from audit.services import audit_record
from tenants.models import Tenant

from .request_log import RangeRefused, request_log_csv, request_log_json, request_log_range_check

FORMATS = {
    "csv": ("text/csv; charset=utf-8", request_log_csv),
    "json": ("application/json; charset=utf-8", request_log_json),
}


PURPOSE_MAX_LENGTH = 300
PURPOSE_MISSING = (
    "State the purpose of this export (at most 300 characters), e.g. “Annual compliance "
    "review” or “Response to the CPPA's inquiry of March 3”: the request log may be used only "
    "to comply with the CCPA (§7101(d))."
)


@dataclass(frozen=True)
class ExportAsked:
    since: date
    until: date
    file_format: str
    purpose: str


def parse_purpose(purpose: str | None) -> str:
    """The stated purpose, trimmed; ``RangeRefused`` when it is missing or too long."""
    stated = " ".join((purpose or "").split())
    if not stated:
        raise RangeRefused(PURPOSE_MISSING)
    if len(stated) > PURPOSE_MAX_LENGTH:
        raise RangeRefused(
            f"The purpose is {len(stated)} characters long; state it in at most "
            f"{PURPOSE_MAX_LENGTH}."
        )
    return stated


def _date(value: str | None, name: str) -> date:
    if not value:
        raise RangeRefused(f"Give the {name} date as YYYY-MM-DD.")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise RangeRefused(
            f"The {name} date {value[:40]!r} is not a date like 2026-01-31."
        ) from None


def parse_export(
    *, since: str | None, until: str | None, file_format: str | None, purpose: str | None
) -> ExportAsked:
    """The range, format and purpose asked for; ``RangeRefused`` with a plain message when they
    are missing, not dates, inverted or longer than the log allows in one file, or when no
    purpose is stated (§7101(d))."""
    start, end = _date(since, "start"), _date(until, "end")
    request_log_range_check(since=start, until=end)
    chosen = (file_format or "csv").strip().lower()
    if chosen not in FORMATS:
        raise RangeRefused(f"The format must be csv or json, not {chosen[:20]!r}.")
    return ExportAsked(since=start, until=end, file_format=chosen, purpose=parse_purpose(purpose))


def request_log_export_record(
    *, tenant: Tenant, asked: ExportAsked, request: Any = None, channel: str
) -> None:
    """The export's audit entry: who exported which range, how, and for what purpose."""
    audit_record(
        tenant,
        action=AuditAction.EXPORT,
        target="request_log",
        summary=f"Exported the request log {asked.since.isoformat()} to "
        f"{asked.until.isoformat()} as {asked.file_format.upper()} ({channel})",
        request=request,
        detail={
            "since": asked.since.isoformat(),
            "until": asked.until.isoformat(),
            "format": asked.file_format,
            "purpose": asked.purpose,
            "channel": channel,
        },
    )


def request_log_filename(*, tenant: Tenant, asked: ExportAsked) -> str:
    return (
        f"{tenant.slug}-request-log-{asked.since.isoformat()}-{asked.until.isoformat()}"
        f".{asked.file_format}"
    )


def request_log_download(
    *, tenant: Tenant, asked: ExportAsked, request: Any, channel: str
) -> StreamingHttpResponse:
    """The log of ``tenant`` (only its own requests: ``for_tenant``), streamed as a file; the
    export is on the audit trail before the first line is read."""
    content_type, lines = FORMATS[asked.file_format]
    chunks = lines(tenant=tenant, since=asked.since, until=asked.until)
    request_log_export_record(tenant=tenant, asked=asked, request=request, channel=channel)
    response = StreamingHttpResponse(chunks, content_type=content_type)
    filename = request_log_filename(tenant=tenant, asked=asked)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
