"""``manage.py corrections_rekey``: hash the recorded corrections (§7023(c) as amended) again
with the current ``SECRET_KEY``, the second half of a key rotation.

Rotation: put the new key in ``DJANGO_SECRET_KEY`` and the old one in
``DJANGO_SECRET_KEY_FALLBACKS`` (the corrections check keeps matching records of the old key),
run this, then remove the old key. Idempotent: a second run rewrites nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from requests_app.services.corrections import correction_records_rekey
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Hash the recorded corrections again with the current DJANGO_SECRET_KEY."

    def handle(self, *args: Any, **options: Any) -> None:
        rewritten = left = 0
        # Business by business, through the scoped path.
        for tenant in Tenant.objects.order_by("pk"):
            done, kept = correction_records_rekey(tenant=tenant)
            rewritten += done
            left += kept
        self.stdout.write(
            f"Recorded corrections hashed with the current key: {rewritten} rewritten."
        )
        if left:
            self.stdout.write(
                f"{left} record(s) kept their hashes: their request no longer holds the email "
                "address or the corrected value. Keep the old key in DJANGO_SECRET_KEY_FALLBACKS "
                "while they matter."
            )
