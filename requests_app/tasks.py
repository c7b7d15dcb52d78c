"""Celery tasks: ids in, load through the tenant scope, call one service.

All are idempotent (compare-and-set claims and unique dedupe keys), so ``acks_late`` redelivery
after a worker crash is safe.
"""

from __future__ import annotations

import logging

from celery import shared_task

from .services.sweep import close_unconfirmed_deletes, sweep_deadlines

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
