"""Celery tasks of the opt-out app: ids in (none here), one service each, idempotent."""

from __future__ import annotations

import logging

from celery import shared_task

from .opt_in_services import opt_in_expire_unconfirmed
from .services import consent_cache_repair

logger = logging.getLogger(__name__)


@shared_task(name="optout.tasks.opt_in_expire", acks_late=True)
def opt_in_expire_task() -> dict[str, int]:
    """Close as withdrawn the opt-in requests whose confirmation expired (§7028(a)). Safe to
    run twice: each is claimed by a compare-and-set on its token."""
    closed = opt_in_expire_unconfirmed()
    logger.info("Opt-in expiry: %s unconfirmed opt-in requests closed", closed)
    return {"closed": closed}


@shared_task(name="optout.tasks.consent_cache_repair", acks_late=True)
def consent_cache_repair_task() -> dict[str, int]:
    """Write again the consent lookup answers whose write after commit failed. Idempotent: a
    written answer is never replaced by an older one (version-guarded)."""
    repaired = consent_cache_repair()
    if repaired:
        logger.info("Consent cache repair: %s answers written again", repaired)
    return {"repaired": repaired}
