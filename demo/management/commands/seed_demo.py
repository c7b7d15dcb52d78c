"""``manage.py seed_demo [--json]``: the embedded demo's businesses, logins, API keys and requests.

Idempotent: run it again and nothing is duplicated (see ``demo.seed``). Prints the demo
logins, or with ``--json`` the same as JSON for ``scripts/run_demo.py``. The passwords are
public, so it refuses to run unless DEBUG is on (the embedded default).
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import clock
from demo import seed as demo


class Command(BaseCommand):
    help = (
        "Seed the demo businesses (Leads Library, Bravo Outdoor Supply) with logins and requests."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the logins as JSON")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (the demo passwords are public: never in production)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates logins with public demo passwords; it runs only with "
                "DJANGO_DEBUG=true (the embedded demo). Use --force for a throwaway database."
            )
        # --force is for DEBUG off, where the clock may not move: the seed still replays each
        # request's history at its own times, in this process only (core.clock.replay_allowed).
        with clock.replay_allowed() if options["force"] else nullcontext():
            seeded = demo.seed()
        if options["json"]:
            self.stdout.write(json.dumps([asdict(t) for t in seeded], indent=2))
            return
        for tenant in seeded:
            state = "created" if tenant.created else "already there"
            self.stdout.write(
                f"{tenant.legal_name} (/{tenant.slug}/, {state}): {tenant.requests_created} new "
                f"requests, {tenant.requests_total} in all"
            )
            for login in tenant.logins:
                self.stdout.write(
                    f"  {login.role:<11} {login.username:<17} password {login.password}"
                )
            self.stdout.write(f"  API key     {tenant.api_key}")
