"""``manage.py directory_import <slug> <file.csv> [--partial]``: import a business's consumer
directory (``verification.services.directory``); prints what was imported and each refused row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.models import Tenant
from verification.services.directory import directory_import


class Command(BaseCommand):
    help = (
        "Import a CSV of consumers into a business's verification directory (keyed hashes "
        "only). All or nothing unless --partial."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--partial",
            action="store_true",
            help="Import the good rows and report the refused ones (default: a refused row "
            "means nothing is imported).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["slug"]).first()
        if tenant is None:
            raise CommandError(f"No business with the slug “{options['slug']}”.")
        path: Path = options["file"]
        try:
            handle = path.open("rb")
        except OSError as error:
            raise CommandError(f"Cannot open {path}: {error.strerror}.") from error
        with handle:
            result = directory_import(
                tenant=tenant,
                rows_or_file=handle,
                actor_label="manage.py directory_import",
                all_or_nothing=not options["partial"],
                file_name=path.name,
            )
        self.stdout.write(
            f"{result.rows_read} rows read: {result.rows_imported} imported, "
            f"{result.rows_refused} refused."
        )
        for refusal in result.refusals:
            where = f"line {refusal['line']}" + (
                f", {refusal['field']}" if refusal["field"] else ""
            )
            self.stdout.write(f"  {where}: {refusal['why']}")
        if result.rows_refused > len(result.refusals):
            self.stdout.write(f"  (and more: only the first {len(result.refusals)} are listed)")
        if not result.succeeded:
            raise CommandError("Nothing was imported.")
