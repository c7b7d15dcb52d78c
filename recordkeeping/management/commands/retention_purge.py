"""``manage.py retention_purge <tenant-slug> [--dry-run]``: remove the personal information of
one business's requests answered more than its retention period ago (§7101(a), (e);
``recordkeeping.retention``), or, with ``--dry-run``, only say what would be removed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import clock
from recordkeeping.retention import retention_purge
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Purge the personal information of one business's requests past its retention."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tenant", help="The business's slug.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be removed; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No business with the slug “{options['tenant']}”.")
        report = retention_purge(tenant=tenant, now=clock.now(), dry_run=options["dry_run"])
        verb = "Would remove" if report.dry_run else "Removed"
        self.stdout.write(
            f"{verb} the personal information of {report.requests} requests answered before "
            f"{report.cutoff:%Y-%m-%d %H:%M %Z} ({report.months} months): "
            f"{report.communications} communications, {report.documents} documents, "
            f"{report.status_links} status links, {report.events} timeline events."
        )
