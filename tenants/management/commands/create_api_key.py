"""``manage.py create_api_key <slug> [--scope requests:read ...]``: prints a new API key for that
business (shown once).

Standard output is the key alone, as before scopes, so ``KEY=$(manage.py create_api_key acme)``
keeps working; the key's scopes are reported on standard error.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.models import ApiScope, Tenant
from tenants.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a business and print it (only a hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", default="API key")
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            metavar="SCOPE",
            help=f"What the key may do; repeat for several ({', '.join(ApiScope.values)}). "
            "Default: requests:read and requests:write, what keys could do before scopes.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["slug"]).first()
        if tenant is None:
            raise CommandError(f"No business with the slug “{options['slug']}”.")
        try:
            api_key, raw_key = api_key_create(
                tenant=tenant, name=options["name"], scopes=options["scopes"]
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(raw_key)
        default = " (the default; choose others with --scope)" if options["scopes"] is None else ""
        # Plain text, not the error style standard error gets by default: nothing went wrong.
        self.stderr.write(f"Scopes: {', '.join(api_key.scopes)}{default}", style_func=str)
