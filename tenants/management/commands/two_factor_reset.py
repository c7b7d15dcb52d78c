"""``manage.py two_factor_reset <username>``: clear a user's second factor (a lost phone and lost
recovery codes). At the next sign-in the password lets them set up a new authenticator app (where
two-factor sign-in is required), so check who is asking before running it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.two_factor import two_factor_reset


class Command(BaseCommand):
    help = "Remove a user's authenticator apps and recovery codes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model()._default_manager.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user “{options['username']}”.")
        removed = two_factor_reset(user=user)
        self.stdout.write(
            f"{user.get_username()}: {removed} device(s) removed; they set up a new app at their "
            "next sign-in."
        )
