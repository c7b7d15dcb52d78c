"""The record-keeping downloads.

The §7101(b) request log: the one place the admin page and the API turn a range and a format
into a streamed file (``request_log_download``), and parse what a person typed
(``parse_export``) into the refusal they can read, never a 500. The §7102 metrics of a year as
CSV or JSON (``metrics_csv_download``, ``metrics_json_download``; the printable report is the
dashboard's ``metrics_report_page``), each one plain function the admin page calls.

Records are used for nothing but compliance (§7101(d); R-7101-d-1): every request log export
states its purpose, and the export, with that purpose, is written to the audit trail before the
first byte (§7101(a); R-7101-a-2).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse

from audit.models import AuditAction
from audit.services import audit_record
from tenants.models import Tenant

from . import metric_rules
from .dashboard import dashboard_as_dict, year_dashboard
from .metrics import AnnualMetrics, annual_metrics
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


# --- The §7102 metrics of a year (issue 14 items 6 and 8) ------------------------------------------


class MetricsQueryRefused(ValueError):
    """A year or population that cannot be reported, in words for the person who asked."""


@dataclass(frozen=True)
class MetricsAsked:
    year: int
    population: str


def parse_metrics_query(*, year: str | None, population: str | None) -> MetricsAsked:
    """The calendar year and population asked for; ``MetricsQueryRefused`` with a plain message
    when the year is missing or not a year from 2020 (the CCPA regulations' first) to 9999, or the
    population is not ``all`` or ``consumers`` (§7102(b))."""
    text = (year or "").strip()
    if not text.isdigit() or len(text) != 4 or not 2020 <= int(text) <= 9999:
        shown = f" {text[:20]!r}" if text else ""
        raise MetricsQueryRefused(
            f"Give the calendar year as four digits, 2020 or later, like 2025; the year{shown} "
            "is not one."
            if text
            else "Give the calendar year as four digits, like 2025."
        )
    chosen = (population or metric_rules.POPULATION_ALL).strip().lower()
    if chosen not in metric_rules.POPULATIONS:
        raise MetricsQueryRefused(
            f"The population must be all or consumers (§7102(b)), not {chosen[:20]!r}."
        )
    return MetricsAsked(year=int(text), population=chosen)


CSV_COLUMNS = (
    "request_type",
    "label",
    "received",
    "complied_in_whole_or_in_part",
    "denied",
    "withdrawn",
    "pending",
    "responses_timed",
    "median_days",
    "mean_days",
    *(f"denied_{bucket}" for bucket in metric_rules.DENIAL_BUCKETS),
)


def metrics_filename(*, tenant: Tenant, asked: MetricsAsked, extension: str) -> str:
    return f"{tenant.slug}-request-metrics-{asked.year}-{asked.population}.{extension}"


def metrics_csv(metrics: AnnualMetrics) -> str:
    """The §7102 table, one row per type, then the notes (population, basis, each counting
    convention) as ``note,<text>`` rows so the file is never read without them."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in metrics.as_dict()["rows"]:
        writer.writerow(
            [
                *(row[column] if row[column] is not None else "" for column in CSV_COLUMNS[:10]),
                *(row["denial_breakdown"][bucket] for bucket in metric_rules.DENIAL_BUCKETS),
            ]
        )
    writer.writerow([])
    writer.writerow(["note", f"Calendar year {metrics.year}"])
    writer.writerow(["note", metrics.population_text])
    writer.writerow(["note", metrics.basis])
    for convention in metrics.conventions:
        writer.writerow(["note", convention])
    return out.getvalue()


def metrics_csv_download(*, tenant: Tenant, asked: MetricsAsked) -> HttpResponse:
    """The year's §7102 figures of ``tenant`` (only its own requests) as a CSV file."""
    metrics = annual_metrics(tenant=tenant, year=asked.year, population=asked.population)
    response = HttpResponse(metrics_csv(metrics), content_type="text/csv; charset=utf-8")
    filename = metrics_filename(tenant=tenant, asked=asked, extension="csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def metrics_json_download(*, tenant: Tenant, asked: MetricsAsked, today: date) -> HttpResponse:
    """The year's §7102 figures and every dashboard chart's data as a JSON file."""
    dashboard = year_dashboard(
        tenant=tenant, year=asked.year, population=asked.population, today=today
    )
    response = HttpResponse(
        json.dumps(dashboard_as_dict(dashboard), indent=1, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    filename = metrics_filename(tenant=tenant, asked=asked, extension="json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
