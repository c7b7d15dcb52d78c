"""``manage.py clock set <ISO 8601> | advance <days> | reset | show``.

Moves "now" for every process of the demo or a test run at once (web server, worker, beat).
Refused unless the settings allow a movable clock; production never does.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from core import clock


class Command(BaseCommand):
    help = "Move the portal's clock (demo and tests only)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        set_parser = sub.add_parser("set", help="Set now to an ISO 8601 time with offset")
        set_parser.add_argument("when")
        advance = sub.add_parser("advance", help="Move now forward by a number of days")
        advance.add_argument("days", type=float)
        sub.add_parser("reset", help="Go back to the real time")
        sub.add_parser("show", help="Print the portal's now")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "set":
                when = parse_datetime(options["when"])
                if when is None:
                    raise CommandError("Give the time as ISO 8601, e.g. 2026-12-01T09:00:00-08:00.")
                try:
                    now = clock.set_now(when)
                except ValueError as error:
                    raise CommandError(str(error)) from error
            elif action == "advance":
                now = clock.advance(options["days"])
            elif action == "reset":
                now = clock.reset()
            else:
                now = clock.now()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Portal clock: {now.isoformat()} (offset {clock.offset()})")
