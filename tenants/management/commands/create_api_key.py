"""``manage.py create_api_key <slug>``: prints a new API key for that business (shown once)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.models import Tenant
from tenants.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a business and print it (only a hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", default="API key")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["slug"]).first()
        if tenant is None:
            raise CommandError(f"No business with the slug “{options['slug']}”.")
        _, raw_key = api_key_create(tenant=tenant, name=options["name"])
        self.stdout.write(raw_key)
