"""The relay: ids in, one service call per message (``outbox.services.outbox_message_send``).

Both tasks are idempotent (each message is claimed exclusively before it is sent), so
``acks_late`` redelivery after a worker crash is safe.
"""

from __future__ import annotations

import time

from celery import shared_task

from core import clock
from tenants.models import Tenant
from tenants.tasks import TenantTask

from .services import outbox_due_ids, outbox_message_send

# One relay run drains a backlog batch after batch, but gives the worker back after this long;
# the next poke or periodic run goes on where it stopped.
RELAY_RUN_SECONDS = 20.0


@shared_task(name="outbox.send_message", base=TenantTask, acks_late=True)
def send_outbox_message(tenant: Tenant, message_id: int) -> bool:
    """Send one message of ``tenant`` (called with its id first)."""
    return outbox_message_send(tenant=tenant, message_id=message_id)


@shared_task(name="outbox.relay", acks_late=True)
def relay_outbox() -> int:
    """Send every message that is due, across businesses: after commit (a poke) and periodically
    (for whatever a broker outage or a worker crash left behind). Returns how many were sent."""
    sent = 0
    started = time.monotonic()
    tenants: dict[int, Tenant] = {}
    while time.monotonic() - started < RELAY_RUN_SECONDS:
        due = outbox_due_ids(now=clock.now())
        if not due:
            break
        for tenant_id, message_id in due:
            tenant = tenants.get(tenant_id)
            if tenant is None:
                tenant = tenants[tenant_id] = Tenant.objects.get(pk=tenant_id)
            sent += outbox_message_send(tenant=tenant, message_id=message_id)
    return sent
