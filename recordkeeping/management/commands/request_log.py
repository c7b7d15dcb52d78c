"""``manage.py request_log <slug> --since YYYY-MM-DD --until YYYY-MM-DD --purpose TEXT
[--format csv|json]``: a business's §7101(b) request log for the requests received in that
range, to stdout. The purpose is required (§7101(d)) and the export is written to the audit
trail."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recordkeeping.exports import ExportAsked, parse_purpose, request_log_export_record
from recordkeeping.request_log import (
    RangeRefused,
    request_log_csv,
    request_log_json,
)
from tenants.models import Tenant


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"“{value}” is not a date like 2026-01-31.") from error


class Command(BaseCommand):
    help = (
        "Export a business's §7101(b) request log (requests received from --since to --until, "
        "local dates, both included) as CSV or JSON on stdout."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--since", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--until", required=True, help="Last day, YYYY-MM-DD (included).")
        parser.add_argument("--format", choices=("csv", "json"), default="csv")
        parser.add_argument(
            "--purpose",
            required=True,
            help="Why the log is exported (§7101(d): records are used only to comply with the "
            "CCPA); written to the audit trail.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["slug"]).first()
        if tenant is None:
            raise CommandError(f"No business with the slug “{options['slug']}”.")
        since, until = _date(options["since"]), _date(options["until"])
        export = request_log_csv if options["format"] == "csv" else request_log_json
        try:
            purpose = parse_purpose(options["purpose"])
            chunks = export(tenant=tenant, since=since, until=until)
        except RangeRefused as error:
            raise CommandError(str(error)) from error
        asked = ExportAsked(
            since=since, until=until, file_format=options["format"], purpose=purpose
        )
        request_log_export_record(tenant=tenant, asked=asked, channel="command")
        for chunk in chunks:
            self.stdout.write(chunk, ending="")
