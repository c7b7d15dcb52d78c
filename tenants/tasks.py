"""``TenantTask``: the base of every Celery task that touches one business's data.

Such a task takes the business's id as its first argument. The base loads the business and runs
the task's body with the ``Tenant`` in that place, so the body reaches rows only through
``Model.objects.for_tenant(tenant)`` (pretix's ``EventTask``, PostHog's ``with_team_scope``). A
business that no longer exists is logged and skipped, never replaced by another.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from .models import Tenant

logger = logging.getLogger(__name__)


class TenantTask(Task):
    """Call with ``(tenant_id, *args)``; the body receives ``(tenant, *args)``."""

    def __call__(self, tenant_id: int, *args: Any, **kwargs: Any) -> Any:
        tenant = Tenant.objects.filter(pk=tenant_id).first()
        if tenant is None:
            logger.warning("%s skipped: business %s no longer exists", self.name, tenant_id)
            return None
        return super().__call__(tenant, *args, **kwargs)
