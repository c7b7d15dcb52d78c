"""Reads of the data systems and their tasks, business first."""

from __future__ import annotations

from django.db.models import QuerySet

from notices import categories as statute
from notices.models import InventoryCategory
from requests_app.models import PrivacyRequest
from tenants.models import Tenant

from .models import SystemTask


def system_tasks(tenant: Tenant, *, state: str | None = None) -> QuerySet[SystemTask]:
    """The business's tasks, newest first (the API's list; ``system_task_by_state``)."""
    tasks = SystemTask.objects.for_tenant(tenant).select_related("system", "privacy_request")
    if state:
        tasks = tasks.filter(state=state)
    return tasks.order_by("-pk")


def system_task_get(tenant: Tenant, system_task_id: int) -> SystemTask | None:
    """One of the business's tasks; None for another business's id, like a missing one."""
    return (
        SystemTask.objects.for_tenant(tenant)
        .select_related("tenant", "system", "privacy_request")
        .filter(pk=system_task_id)
        .first()
    )


def request_system_tasks(privacy_request: PrivacyRequest) -> QuerySet[SystemTask]:
    """A request's tasks, by system name (its admin page)."""
    return (
        SystemTask.objects.for_tenant(privacy_request.tenant)
        .filter(privacy_request=privacy_request)
        .select_related("system", "answered_by")
        .order_by("system__name", "pk")
    )


def inventory_codes(tenant: Tenant) -> list[str]:
    """The statutory codes of the business's data inventory, in the statute's order: the
    categories its systems may hold and find (``categories_rules``)."""
    codes = InventoryCategory.objects.for_tenant(tenant).values_list("category", flat=True)
    return sorted(set(codes), key=statute.statute_order)
