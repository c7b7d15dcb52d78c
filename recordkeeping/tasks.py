"""Record-keeping's tasks: the daily retention purge (``recordkeeping.retention``)."""

from __future__ import annotations

import logging

from celery import shared_task

from core import clock

from .retention import retention_purge_all

logger = logging.getLogger(__name__)


@shared_task(name="recordkeeping.tasks.retention_purge_all", acks_late=True)
def retention_purge_all_task() -> dict[str, int]:
    """Every business's retention purge (§7101(a), (e)). It serves every business, one after
    the other, each read and written through its own scope, so it takes no tenant and needs no
    ``TenantTask``. Safe to run twice, or twice at once: purged requests are marked and skipped,
    and each batch's rows are locked (``skip_locked``)."""
    results = retention_purge_all(now=clock.now())
    totals = {
        "businesses": sum(1 for _, report in results if report.requests),
        "requests": sum(report.requests for _, report in results),
    }
    logger.info(
        "Retention purge: %s requests purged across %s businesses",
        totals["requests"],
        totals["businesses"],
    )
    return totals
