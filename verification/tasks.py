"""Verification's tasks: ids in, one service call each (``verification.services``).

``webhook_match`` is idempotent: each try is claimed by a compare-and-set on the verification's
``matcher_attempts`` (``services.webhook.webhook_match_send``), so a redelivery after a worker
crash (``acks_late``) or a duplicate asks nothing twice.
"""

from __future__ import annotations

import logging

from celery import shared_task

from tenants.models import Tenant
from tenants.tasks import TenantTask

from .services.outcomes import verification_sweep
from .services.webhook import webhook_match_catch_up, webhook_match_send

logger = logging.getLogger(__name__)


@shared_task(name="verification.webhook_match", base=TenantTask, acks_late=True)
def webhook_match(tenant: Tenant, verification_id: int, attempt: int) -> bool:
    """Ask ``tenant``'s own system which data points of one verification match (called with
    the business's id first, and the count of tries already made)."""
    return webhook_match_send(tenant=tenant, verification_id=verification_id, attempt=attempt)


@shared_task(name="verification.tasks.verification_sweep", acks_late=True)
def verification_sweep_task() -> dict[str, int]:
    """Reminders to consumers who have not finished verifying, and, at the end of the response
    period, denial as unverifiable or the categories-only answer (§7024(a)). It serves every
    business (like the deadline sweep) and scopes each row to its own business itself, so it
    takes no tenant and needs no ``TenantTask``. Safe to run twice, or twice at once: each row
    is locked and re-checked as due (``services.outcomes``)."""
    result = verification_sweep()
    logger.info(
        "Verification sweep: %s examined, %s reminders, %s denied, %s categories only, "
        "%s left to staff",
        result.examined,
        result.reminders_sent,
        result.denied,
        result.categories_only,
        result.left_to_staff,
    )
    return {
        "examined": result.examined,
        "reminders_sent": result.reminders_sent,
        "denied": result.denied,
        "categories_only": result.categories_only,
        "left_to_staff": result.left_to_staff,
    }


@shared_task(name="verification.tasks.webhook_match_catch_up", acks_late=True)
def webhook_match_catch_up_task() -> int:
    """Ask again every business's system whose question was lost (``services.webhook``)."""
    return webhook_match_catch_up()
