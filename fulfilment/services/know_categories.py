"""The answer to a request to know categories (§7024(j)-(l)): assembled from the business's
data inventory and what its data systems found, narrowed by staff to the categories that apply
to this consumer, previewed, sent.

* ``know_categories_checklist``: the inventory's categories for staff's checklist, and which are
  ticked at first (``categories_rules.categories_checklist``): those held or found by the
  systems that answered done (a task's ``categories_found`` if it said, else its system's
  ``categories``); per category, which systems found it and which holding it have not answered.
  When no answer names a category, every category starts ticked, and the page says so;
* ``know_categories_preview``: the message, word for word, without sending it;
* ``know_categories_send``: sends it (a ``Communication``, template ``know_categories``, in the
  consumer's language, §7003), on the timeline and in the audit trail.

Refused for a request that is not a request to know categories (scope "categories" or "both"),
for one not verified (§7024(b): categories are disclosed only to a verified requester; deny it
as unverifiable instead), for a closed one, and for a choice that names no category or one
outside the inventory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext_noop

from core import clock
from core.refusals import Refused
from notices import categories as statute
from notices.models import InventoryCategory
from requests_app import vocabulary as words
from requests_app.limits import add_months
from requests_app.models import Communication, EventKind, PrivacyRequest
from requests_app.selectors import privacy_request_for_update
from requests_app.services.consumer_messages import (
    RenderedMessage,
    consumer_email_send,
    consumer_message_render,
)
from requests_app.services.timeline import timeline_add
from tenants.models import Tenant

from .. import categories_rules as rules
from ..selectors import inventory_codes, request_system_tasks

TEMPLATE = "fulfilment/know_categories"
SUBJECT = gettext_noop("The personal information we collected about you: %(reference)s")
CATEGORY_SCOPES = frozenset({words.KNOW_CATEGORIES, words.KNOW_BOTH})


@dataclass(frozen=True)
class CategoryChoice:
    """One box of staff's checklist."""

    code: str
    label: str
    ticked: bool
    found_by: tuple[str, ...] = ()  # the systems that answered done and hold or found it
    awaiting: tuple[str, ...] = ()  # the systems holding it that have not answered yet


@dataclass(frozen=True)
class CategoryChecklist:
    """Staff's checklist and why it is ticked as it is (``categories_rules`` names the bases)."""

    choices: list[CategoryChoice]
    basis: str
    open_systems: tuple[str, ...]
    silent_systems: tuple[str, ...]

    @property
    def from_answers(self) -> bool:
        return self.basis == rules.FROM_ANSWERS

    @property
    def nothing_found(self) -> bool:
        return self.basis == rules.NOTHING_FOUND

    @property
    def fallback(self) -> bool:
        return self.basis == rules.FALLBACK


def inventory_rows(tenant: Tenant) -> list[rules.InventoryRow]:
    """The business's inventory in the statute's order, as the answer reads it."""
    rows = sorted(
        InventoryCategory.objects.for_tenant(tenant),
        key=lambda row: statute.statute_order(row.category),
    )
    return [
        rules.InventoryRow(
            code=row.category,
            name=statute.category(row.category).name,
            examples=row.examples.strip(),
            sources=tuple(row.sources or ()),
            purposes=tuple(row.purposes or ()),
            sold=row.sold,
            shared=row.shared,
            third_parties=tuple(row.third_parties or ()),
            disclosed_to=tuple(row.disclosed_to or ()),
        )
        for row in rows
    ]


def know_categories_checklist(privacy_request: PrivacyRequest) -> CategoryChecklist:
    """Staff's checklist: the inventory's categories, ticked from the systems' answers."""
    answers = [
        rules.SystemAnswer(
            system=task.system.name,
            state=task.state,
            outcome=task.outcome,
            holds=tuple(task.system.categories or ()),
            found=tuple(task.categories_found or ()),
        )
        for task in request_system_tasks(privacy_request)
    ]
    checklist = rules.categories_checklist(inventory_codes(privacy_request.tenant), answers)
    return CategoryChecklist(
        choices=[
            CategoryChoice(
                box.code,
                statute.category(box.code).label,
                ticked=box.ticked,
                found_by=box.found_by,
                awaiting=box.awaiting,
            )
            for box in checklist.boxes
        ],
        basis=checklist.basis,
        open_systems=checklist.open_systems,
        silent_systems=checklist.silent_systems,
    )


def _check(privacy_request: PrivacyRequest, chosen: Sequence[str]) -> list[rules.InventoryRow]:
    if privacy_request.request_type != words.KNOW or (
        privacy_request.know_scope not in CATEGORY_SCOPES
    ):
        raise Refused(
            "not_a_categories_request",
            "Only a request to know the categories of personal information (or categories and "
            "specific pieces) gets a categories answer (§7024(k)).",
            conflict=True,
        )
    if privacy_request.verified_at is None:
        raise Refused(
            "not_verified",
            "Verify the requester's identity before disclosing the categories of personal "
            "information collected about them (§7024(b), §7061). If it cannot be verified, "
            "close the request as denied (could not verify identity): the answer then points "
            "to the privacy policy's general practices.",
            conflict=True,
        )
    if not privacy_request.is_open:
        raise Refused(
            "closed",
            "This request is closed: send the categories answer before closing it.",
            conflict=True,
        )
    rows = inventory_rows(privacy_request.tenant)
    if not rows:
        raise Refused(
            "no_inventory",
            "The business's data inventory is empty: record the categories of personal "
            "information it collects (Data inventory, in the notices) first.",
            conflict=True,
        )
    if not chosen:
        raise Refused(
            "categories_required",
            "Tick at least one category of personal information collected about this consumer. "
            "If none was collected, close the request and say so.",
            "categories",
        )
    unknown = rules.unknown_codes(rows, chosen)
    if unknown:
        raise Refused(
            "unknown_category",
            f"Not in the business's data inventory: {', '.join(unknown)}.",
            "categories",
        )
    return rows


def _period(privacy_request: PrivacyRequest) -> tuple[date, date]:
    """§7024(k)(1): the 12 months before the request was received."""
    received = privacy_request.received_date
    return add_months(received, -12), received


def _message(
    privacy_request: PrivacyRequest, rows: Sequence[rules.InventoryRow], chosen: Iterable[str]
) -> dict[str, Any]:
    answer = rules.categories_answer(rows, chosen)
    since, until = _period(privacy_request)
    return {"answer": answer, "since": since, "until": until}


def know_categories_preview(
    *, privacy_request: PrivacyRequest, categories: Sequence[str]
) -> RenderedMessage:
    """The answer as ``know_categories_send`` would send it; refused as it would be."""
    rows = _check(privacy_request, categories)
    return consumer_message_render(
        privacy_request,
        template=TEMPLATE,
        subject=SUBJECT,
        additions=_message(privacy_request, rows, categories),
    )


@transaction.atomic
def know_categories_send(
    *,
    privacy_request: PrivacyRequest,
    categories: Sequence[str],
    actor: AbstractBaseUser | None,
) -> Communication:
    """Send the categories answer (§7024(j)-(l)) for the categories staff chose, record it as a
    Communication, put it on the timeline and in the audit trail."""
    privacy_request = privacy_request_for_update(privacy_request)
    rows = _check(privacy_request, categories)
    now = clock.now()
    communication = consumer_email_send(
        privacy_request,
        template=TEMPLATE,
        subject=SUBJECT,
        now=now,
        additions=_message(privacy_request, rows, categories),
    )
    if communication is None:
        raise Refused(
            "no_email_address",
            "There is no email address on file for this request: send the answer by letter "
            "(use the preview's text) and record it on the request.",
            conflict=True,
        )
    chosen = [row.code for row in rows if row.code in set(categories)]
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        actor=actor,
        message=f"Categories answer sent by email to {communication.recipient} (§7024(k)): "
        f"{len(chosen)} categories of personal information ({', '.join(chosen)}).",
        data={"categories": chosen, "communication": communication.pk},
        audit_summary=f"Sent the categories answer: {privacy_request.reference}",
    )
    return communication
