"""Reads for the 12-month rule (§7026(k), §7027(l)): since when a restriction has been in place."""

from __future__ import annotations

from datetime import date

from core.calendar import local_date
from tenants.models import Tenant

from .models import ConsentChange, ConsentRight, ConsentState

_FLAG = {
    ConsentRight.SALE_SHARING: "sale_sharing_opted_out",
    ConsentRight.SENSITIVE_USE: "sensitive_use_limited",
}


def restriction_received_on(tenant: Tenant, subject_hash: str, right: str) -> date | None:
    """The local date on which the opt-out or limit now in place for this subject and right was
    received, or None when none is in place.

    The restriction in place began with its latest restricting change (every opt-in in between
    is a change back). Its date is its request's receipt (staff log a phone call with the real
    time it came in), or the change's own time when no request carries it (a link carried it).
    """
    state = ConsentState.objects.for_tenant(tenant).filter(subject_hash=subject_hash).first()
    if state is None or not getattr(state, _FLAG[ConsentRight(right)]):
        return None
    change = (
        ConsentChange.objects.for_tenant(tenant)
        .filter(state=state, right=right, restricted=True)
        .select_related("privacy_request")
        .order_by("-at", "-id")
        .first()
    )
    if change is None:  # restricted with no history: only the state's own time is known
        changed_at = (
            state.sale_sharing_changed_at
            if right == ConsentRight.SALE_SHARING
            else state.sensitive_use_changed_at
        )
        return local_date(changed_at, tenant.zone) if changed_at else None
    received = change.privacy_request.received_at if change.privacy_request else change.at
    return local_date(received, tenant.zone)
