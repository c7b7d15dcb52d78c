"""What the opt-out, limit and "Your Privacy Choices" pages show: which rights the business must
offer, and the browser's current choices with the request that made each.

The state is the browser's own (its device cookie, ``optout.devices``): a later visit from the
same browser shows the choice again (§7025(c)(6), §7026(g), §7027(h)). Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from requests_app.models import PrivacyRequest
from tenants.models import Tenant

from .choice_services import REQUEST_TYPE_FOR_RIGHT
from .models import ConsentChange, ConsentRight, ConsentState
from .selectors import consent_state_get
from .services import consent_subject
from .subjects import SubjectKind


def rights_offered(tenant: Tenant) -> list[str]:
    """The rights this business must offer: opting out of sale and sharing when it sells or
    shares (§7013, §7026), limiting when it uses sensitive personal information beyond the
    §7027(m) purposes (§7014, §7027). Neither: the pages say why there is nothing to choose
    (§7013(g), §7014(g))."""
    rights: list[str] = []
    if tenant.sells_or_shares:
        rights.append(ConsentRight.SALE_SHARING)
    if tenant.uses_sensitive_beyond_7027m:
        rights.append(ConsentRight.SENSITIVE_USE)
    return rights


def rights_in_order(rights: Sequence[str]) -> list[str]:
    """Sale and sharing first, then sensitive use: the same order on every page (§7004(a)(3)(C))."""
    return [right for right in ConsentRight.values if right in rights]


@dataclass(frozen=True)
class RightStatus:
    """One right as this browser chose it: restricted or not, since when, by which request."""

    right: str
    restricted: bool
    privacy_request: PrivacyRequest | None = None
    changed_at: datetime | None = None

    @property
    def is_sale_sharing(self) -> bool:
        return self.right == ConsentRight.SALE_SHARING

    @property
    def chosen_on(self) -> datetime | None:
        """When the consumer made the choice: the request's receipt, else the change itself."""
        if self.privacy_request is not None:
            return self.privacy_request.received_at
        return self.changed_at


_RESTRICTED = {
    ConsentRight.SALE_SHARING: ("sale_sharing_opted_out", "sale_sharing_changed_at"),
    ConsentRight.SENSITIVE_USE: ("sensitive_use_limited", "sensitive_use_changed_at"),
}


def _latest_request(tenant: Tenant, state: ConsentState, right: str) -> PrivacyRequest | None:
    change = (
        ConsentChange.objects.for_tenant(tenant)
        .filter(state=state, right=right, restricted=True, privacy_request__isnull=False)
        .select_related("privacy_request")
        .order_by("-at", "-id")
        .first()
    )
    return change.privacy_request if change is not None else None


def choice_statuses(
    tenant: Tenant,
    *,
    device_id: str | None,
    rights: Sequence[str],
    just_made: Mapping[str, int] | None = None,
) -> list[RightStatus]:
    """The browser's state for each of ``rights``, in the pages' order.

    ``just_made`` maps a right to the request this browser has just submitted for it (kept in
    its session): the confirmation then names that request, even when the state was already
    restricted (by a signal, say) and so did not change. Otherwise the request named is the
    one whose change restricted the state last.
    """
    state = (
        consent_state_get(tenant, consent_subject(tenant, SubjectKind.DEVICE, device_id).hash)
        if device_id
        else None
    )
    statuses = []
    for right in rights_in_order(rights):
        flag, changed = _RESTRICTED[ConsentRight(right)]
        if state is None or not getattr(state, flag):
            statuses.append(RightStatus(right, restricted=False))
            continue
        privacy_request = None
        made = (just_made or {}).get(right)
        if made is not None:
            privacy_request = (
                PrivacyRequest.objects.for_tenant(tenant)
                .filter(pk=made, request_type=REQUEST_TYPE_FOR_RIGHT[ConsentRight(right)])
                .first()
            )
        if privacy_request is None:
            privacy_request = _latest_request(tenant, state, right)
        statuses.append(
            RightStatus(
                right,
                restricted=True,
                privacy_request=privacy_request,
                changed_at=getattr(state, changed),
            )
        )
    return statuses
