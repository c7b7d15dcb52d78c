"""Celery tasks: ids in, load through the tenant scope, call one service.

All are idempotent (compare-and-set claims and unique dedupe keys), so ``acks_late`` redelivery
after a worker crash is safe.
"""

from __future__ import annotations

import logging

from celery import shared_task

from core import clock
from tenants.models import Tenant

from .services import outbox_message_send, sweep_deadlines
from .services.outbox import outbox_due_ids
from .services.portal import close_unconfirmed_deletes

logger = logging.getLogger(__name__)


@shared_task(name="requests_app.tasks.sweep_deadlines", acks_late=True)
def sweep_deadlines_task() -> dict[str, int]:
    result = sweep_deadlines()
    unconfirmed = close_unconfirmed_deletes()
    logger.info(
        "Deadline sweep: %s examined, %s milestones, %s unconfirmed deletes closed",
        result.examined,
        result.milestones_recorded,
        unconfirmed,
    )
    return {
        "examined": result.examined,
        "milestones": result.milestones_recorded,
        "unconfirmed_deletes_closed": unconfirmed,
    }


@shared_task(name="requests_app.tasks.relay_outbox_message", acks_late=True)
def relay_outbox_message(tenant_id: int, message_id: int) -> bool:
    """Send one message. Kept for messages queued before pokes were coalesced (``relay_outbox``)."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return False
    return outbox_message_send(tenant=tenant, message_id=message_id)


@shared_task(name="requests_app.tasks.relay_outbox", acks_late=True)
def relay_outbox() -> int:
    """Catch up on anything the per-message tasks did not send (broker down, worker crash)."""
    sent = 0
    tenants: dict[int, Tenant] = {}
    for tenant_id, message_id in outbox_due_ids(now=clock.now()):
        tenant = tenants.get(tenant_id) or Tenant.objects.get(pk=tenant_id)
        tenants[tenant_id] = tenant
        sent += outbox_message_send(tenant=tenant, message_id=message_id)
    return sent
