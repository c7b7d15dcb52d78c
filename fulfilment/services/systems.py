"""The business's data systems: registered, changed and turned off by its admins."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core import clock
from core.refusals import Refused
from outbox.services import (
    webhook_endpoint_create,
    webhook_url_check,
)
from tenants.models import Membership, Tenant

from .. import categories_rules
from ..models import DataSystem, SystemMethod
from ..selectors import inventory_codes

logger = logging.getLogger(__name__)


# --- Data systems ----------------------------------------------------------------------------


def _member_with_email(tenant: Tenant, user: Any, field: str, what: str) -> None:
    if not Membership.objects.filter(user=user, tenant=tenant).exists():
        raise ValidationError({field: f"Choose a member of this business as the {what}."})
    if not getattr(user, "email", ""):
        raise ValidationError(
            {
                field: f"{user.get_username()} has no email address: tasks and reminders could "
                "not reach them. Add one to their account first."
            }
        )


def _needs_new_endpoint(system: DataSystem, webhook_url: str, new_secret: bool) -> bool:
    current = system.endpoint.url if system.endpoint_id else ""
    return system.method == SystemMethod.WEBHOOK and (
        (bool(webhook_url) and webhook_url != current) or new_secret or not current
    )


def data_system_check(*, system: DataSystem, webhook_url: str = "") -> None:
    """Every rule ``data_system_save`` applies, without saving: raises ``ValidationError`` with
    the fields (the admin's form shows them before anything is made). The categories it holds
    must be in the business's data inventory; they are kept in the statute's order."""
    tenant = system.tenant
    now = clock.now()
    if system.created_at is None:
        system.created_at = now
    system.updated_at = now
    system.name = system.name.strip()
    system.owner_contact = system.owner_contact.strip()
    if not (system.handles_know or system.handles_delete or system.handles_correct):
        raise ValidationError(
            "Choose at least one type of request this system handles (know, delete, correct)."
        )
    if system.owner_id is None:
        raise ValidationError({"owner": "Choose the member who owns this system."})
    if not Membership.objects.filter(user_id=system.owner_id, tenant=tenant).exists():
        raise ValidationError({"owner": "Choose a member of this business as the owner."})
    if system.method == SystemMethod.PERSON:
        if system.assignee_id is None:
            raise ValidationError({"assignee": "Choose the member who is given the tasks."})
        _member_with_email(tenant, system.assignee, "assignee", "assignee")
    elif system.method == SystemMethod.WEBHOOK:
        url = webhook_url.strip()
        if not url and not system.endpoint_id:
            raise ValidationError({"webhook_url": "Enter the https address of the system."})
        if url:
            try:
                webhook_url_check(url)
            except Refused as refused:
                raise ValidationError({"webhook_url": refused.message}) from refused
    system.categories = _held_categories(tenant, system.categories)
    # The endpoint is made on saving: its constraint is checked then.
    system.full_clean(exclude=["endpoint"])


def _held_categories(tenant: Tenant, codes: Any) -> list[str]:
    """The categories a system holds: codes of the business's data inventory (a category from
    elsewhere, another business's included, is refused), once each, in the statute's order."""
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        raise ValidationError({"categories": "Give the categories as a list of statutory codes."})
    inventory = inventory_codes(tenant)
    unknown = categories_rules.codes_outside(inventory, codes)
    if unknown:
        raise ValidationError(
            {
                "categories": f"Not in the business's data inventory: {', '.join(unknown)}. "
                "Record the category there first (Data inventory, in the notices)."
            }
        )
    return list(categories_rules.in_inventory_order(inventory, codes))


@transaction.atomic
def data_system_save(
    *, system: DataSystem, webhook_url: str = "", new_secret: bool = False
) -> str | None:
    """Validate and save a new or changed system (the admin's form comes here too).

    A webhook system needs an https URL: the first time, when the URL changes, or when
    ``new_secret`` is asked, a new outbox endpoint is made for it and its signing secret is
    returned, to be shown this once (stored encrypted, ``outbox.services``); the old endpoint
    stays, for the messages already signed for it. Otherwise None.
    """
    webhook_url = webhook_url.strip()
    data_system_check(system=system, webhook_url=webhook_url)
    secret = None
    if system.method == SystemMethod.PERSON:
        system.endpoint = None
    else:
        system.assignee = None
        if _needs_new_endpoint(system, webhook_url, new_secret):
            endpoint, secret = webhook_endpoint_create(
                tenant=system.tenant,
                name=f"{system.name} (data system)"[:100],
                url=webhook_url or system.endpoint.url,
            )
            system.endpoint = endpoint
    system.full_clean()
    system.save()
    return secret


@transaction.atomic
def data_system_deactivate(*, system: DataSystem) -> DataSystem:
    """Turn a system off: it gets no new tasks; the tasks it already has stay as they are."""
    system.active = False
    system.updated_at = clock.now()
    system.save(update_fields=["active", "updated_at"])
    return system
