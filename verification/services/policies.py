"""A business's verification policy and its keys (``VerificationPolicy``).

The policy is made with its defaults the first time it is needed, with a fresh directory key:
32 random bytes, stored encrypted (``core.encryption``), never shown. Without the key the
directory's hashes cannot be tested against a list of addresses or numbers.
"""

from __future__ import annotations

import base64
import secrets

from django.db import IntegrityError, transaction

from core import encryption
from tenants.models import Tenant

from ..models import VerificationPolicy

KEY_BYTES = 32


def _new_key_encrypted() -> str:
    return encryption.encrypt(base64.b64encode(secrets.token_bytes(KEY_BYTES))).decode()


def verification_policy(tenant: Tenant) -> VerificationPolicy:
    """The business's policy, made with the defaults (and a new directory key) if it has none."""
    policy = VerificationPolicy.objects.for_tenant(tenant).first()
    if policy is not None:
        return policy
    try:
        with transaction.atomic():
            return VerificationPolicy.objects.for_tenant(tenant).create(
                tenant=tenant, directory_key_encrypted=_new_key_encrypted()
            )
    except IntegrityError:  # made meanwhile by another request
        return VerificationPolicy.objects.for_tenant(tenant).get()


def directory_key(policy: VerificationPolicy) -> bytes:
    """The key of the directory's hashes (``verification.normalize.point_hash``)."""
    return base64.b64decode(encryption.decrypt(policy.directory_key_encrypted.encode()))
