"""Verification's tasks: ids in, one service call each (``verification.services``).

``webhook_match`` is idempotent: each try is claimed by a compare-and-set on the verification's
``matcher_attempts`` (``services.webhook.webhook_match_send``), so a redelivery after a worker
crash (``acks_late``) or a duplicate asks nothing twice.
"""

from __future__ import annotations

from celery import shared_task

from tenants.models import Tenant
from tenants.tasks import TenantTask

from .services.webhook import webhook_match_send


@shared_task(name="verification.webhook_match", base=TenantTask, acks_late=True)
def webhook_match(tenant: Tenant, verification_id: int, attempt: int) -> bool:
    """Ask ``tenant``'s own system which data points of one verification match (called with
    the business's id first, and the count of tries already made)."""
    return webhook_match_send(tenant=tenant, verification_id=verification_id, attempt=attempt)
