"""``manage.py create_staff <slug> <username> --role staff|compliance|compliance_staff|admin``
(prints a password)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.models import Role, Tenant
from tenants.services import staff_create


class Command(BaseCommand):
    help = "Give a user a role at a business, creating the user (and printing a password) if new."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("username")
        parser.add_argument("--role", choices=Role.values, default=Role.STAFF)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password", default=None, help="Use this password instead of a random one"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["slug"]).first()
        if tenant is None:
            raise CommandError(f"No business with the slug “{options['slug']}”.")
        try:
            user, password = staff_create(
                tenant=tenant,
                username=options["username"],
                role=options["role"],
                email=options["email"],
                password=options["password"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"{user.get_username()} is {options['role']} at {tenant.legal_name}.")
        if password:
            self.stdout.write(f"Password: {password}")
