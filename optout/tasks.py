"""Celery tasks of the opt-out app: ids in (none here), one service each, idempotent."""

from __future__ import annotations

import logging

from celery import shared_task

from .opt_in_services import opt_in_expire_unconfirmed

logger = logging.getLogger(__name__)


@shared_task(name="optout.tasks.opt_in_expire", acks_late=True)
def opt_in_expire_task() -> dict[str, int]:
    """Close as withdrawn the opt-in requests whose confirmation expired (§7028(a)). Safe to
    run twice: each is claimed by a compare-and-set on its token."""
    closed = opt_in_expire_unconfirmed()
    logger.info("Opt-in expiry: %s unconfirmed opt-in requests closed", closed)
    return {"closed": closed}
