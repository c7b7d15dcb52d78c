"""``manage.py documents_encrypt``: encrypt the consumers' documents stored in plaintext, and move
documents encrypted with an older key to the first of ``PORTAL_DOCUMENT_KEYS`` (§7023(d)(4)).

Documents uploaded before encryption existed are still read as they are, so running this is not
needed for the portal to work; it is what removes plaintext copies from storage, and the second
half of a key rotation (put the new key first, run this, then remove the old key). Idempotent:
a second run rewrites nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from requests_app.services.documents import tenant_documents_encrypt
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Encrypt consumers' documents still stored in plaintext, and re-encrypt those of older "
        "keys with the first key of PORTAL_DOCUMENT_KEYS."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total, problems = 0, []
        # Business by business, through the scoped path (no cross-tenant query of documents).
        for tenant in Tenant.objects.order_by("pk"):
            rewritten, refused = tenant_documents_encrypt(tenant=tenant)
            total += rewritten
            problems += [f"{tenant.slug}: {message}" for message in refused]
        self.stdout.write(f"Documents encrypted with the current key: {total} rewritten.")
        if problems:
            raise CommandError(
                f"{len(problems)} document(s) could not be encrypted:\n" + "\n".join(problems)
            )
