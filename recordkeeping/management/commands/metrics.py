"""``manage.py metrics <tenant-slug> <year> [--population consumers] [--json]``: the §7102
annual metrics of one business, as a table with its basis, population and conventions, or as
JSON (R-7102-P-2)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recordkeeping import metric_rules as rules
from recordkeeping.metrics import AnnualMetrics, annual_metrics
from tenants.models import Tenant


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


class Command(BaseCommand):
    help = "Print the §7102 annual metrics of one business for one calendar year."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tenant", help="The business's slug.")
        parser.add_argument("year", type=int, help="The calendar year (of receipt).")
        parser.add_argument(
            "--population",
            choices=rules.POPULATIONS,
            default=rules.POPULATION_ALL,
            help="all individuals (default) or consumers only (§7102(b)).",
        )
        parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No business with the slug “{options['tenant']}”.")
        if not 1900 <= options["year"] <= 9999:
            raise CommandError("The year must be a calendar year such as 2025.")
        metrics = annual_metrics(
            tenant=tenant, year=options["year"], population=options["population"]
        )
        if options["json"]:
            self.stdout.write(json.dumps(metrics.as_dict(), indent=2, ensure_ascii=False))
            return
        self.stdout.write(self._table(metrics))

    def _table(self, metrics: AnnualMetrics) -> str:
        head = (
            "Request type",
            "Received",
            "Complied (whole/part)",
            "Denied",
            "Withdrawn",
            "Pending",
            "Not verifiable",
            "Not a consumer",
            "Exempt",
            "Other",
            "Median days",
            "Mean days",
        )
        body = [
            (
                row.label,
                row.received,
                row.complied,
                row.denied,
                row.withdrawn,
                row.pending,
                *(row.denial_breakdown[b] for b in rules.DENIAL_BUCKETS),
                _days(row.median_days),
                _days(row.mean_days),
            )
            for row in metrics.rows
        ]
        widths = [max(len(str(line[i])) for line in (head, *body)) for i in range(len(head))]
        lines = [
            f"§7102 metrics for {metrics.tenant_slug}, {metrics.year}",
            metrics.basis,
            metrics.population_text,
            "",
        ]
        for line in (head, *body):
            lines.append(
                "  ".join(
                    str(cell).ljust(w) if i == 0 else str(cell).rjust(w)
                    for i, (cell, w) in enumerate(zip(line, widths, strict=True))
                )
            )
        lines += ["", "How we count:"] + [f"- {text}" for text in metrics.conventions]
        lines.append(f"- Median: {metrics.median_method}.")
        return "\n".join(lines)
