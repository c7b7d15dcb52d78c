"""Celery tasks of verification: ids in (none here), one service each, idempotent.

The sweep serves every business (like the deadline sweep, requests_app.tasks) and scopes each
row to its own business itself, so it takes no ``tenant_id`` and needs no ``TenantTask``.
"""

from __future__ import annotations

import logging

from celery import shared_task

from .services.outcomes import verification_sweep

logger = logging.getLogger(__name__)


@shared_task(name="verification.tasks.verification_sweep", acks_late=True)
def verification_sweep_task() -> dict[str, int]:
    """Reminders to consumers who have not finished verifying, and, at the end of the response
    period, denial as unverifiable or the categories-only answer (§7024(a)). Safe to run twice
    or twice at once: each row is locked and re-checked as due (``outcomes``)."""
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
