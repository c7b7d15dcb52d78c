"""Fulfilment's tasks: the reminders of the system tasks (``fulfilment.services``)."""

from __future__ import annotations

import logging

from celery import shared_task

from tenants.models import Tenant
from tenants.tasks import TenantTask

from .services import system_task_remind, system_task_reminder_sweep

logger = logging.getLogger(__name__)


@shared_task(name="fulfilment.system_task_remind", base=TenantTask, acks_late=True)
def system_task_remind_task(tenant: Tenant, system_task_id: int) -> bool:
    """Remind the owner of one of ``tenant``'s open system tasks, unless reminded today
    already (idempotent: the claim in ``services._remind``)."""
    return system_task_remind(tenant=tenant, system_task_id=system_task_id)


@shared_task(name="fulfilment.tasks.system_task_reminder_sweep", acks_late=True)
def system_task_reminder_sweep_task() -> dict[str, int]:
    """Reminders of every business's system tasks due soon or overdue, once a local day each.
    It serves every business (like the deadline sweep): one indexed read of the due tasks, each
    claimed and emailed through its own business's scope, so it takes no tenant. Safe to run
    twice, or twice at once."""
    result = system_task_reminder_sweep()
    logger.info("System task sweep: %s examined, %s reminded", result.examined, result.reminded)
    return {"examined": result.examined, "reminded": result.reminded}


@shared_task(name="fulfilment.response_package_release", base=TenantTask, acks_late=True)
def response_package_release_task(
    tenant: Tenant, package_part_id: int, actor_id: int | None = None, attempt: str = ""
) -> int:
    """Assemble and release a large response package (``response_package_release_later``)
    away from the staff member's request: the package of the request to know that part
    ``package_part_id`` of ``tenant`` belongs to (any of its parts names it). Idempotent: a
    package already released is returned as it is, so a redelivered task releases nothing
    twice. Returns the package's id; 0 if the part is not ``tenant``'s (or is gone) or the
    release was refused (the request's timeline says so: the package page shows it is still
    not released)."""
    from django.contrib.auth import get_user_model

    from .models import PackagePart
    from .services import response_package_release_later

    part = (
        PackagePart.objects.for_tenant(tenant)
        .select_related("privacy_request__tenant")
        .filter(pk=package_part_id)
        .first()
    )
    if part is None:
        logger.warning("Package part %s of business %s not found", package_part_id, tenant.pk)
        return 0
    # The staff member who asked, if they are still one of this business's members.
    members = get_user_model().objects.filter(memberships__tenant=tenant)
    actor = members.filter(pk=actor_id).first() if actor_id else None
    package = response_package_release_later(
        privacy_request=part.privacy_request, actor=actor, attempt=attempt
    )
    if package is None:
        logger.warning("Package of part %s not released (see the request's timeline)", part.pk)
        return 0
    return package.pk
