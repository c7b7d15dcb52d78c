"""``manage.py demo_code``: the current two-factor code of the demo logins.

Every demo login's authenticator app holds the demo's public TOTP secret
(``demo.seed.DEMO_TOTP_SECRET``); this prints the code such an app shows now, for the admin's
"Two-factor code" field. A code signs in once: wait for the next one (every 30 seconds) to sign
in again. Demo only: it refuses to run unless DEBUG is on.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from demo.seed import DEMO_TOTP_KEY_HEX


class Command(BaseCommand):
    help = "Print the demo logins' current two-factor code (demo only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_code is for the embedded demo (DJANGO_DEBUG=true) only.")
        totp = TOTP(bytes.fromhex(DEMO_TOTP_KEY_HEX))
        seconds_left = 30 - int(totp.time) % 30
        self.stdout.write(f"{totp.token():06d}")
        self.stderr.write(f"(valid for about {seconds_left} more seconds)")
