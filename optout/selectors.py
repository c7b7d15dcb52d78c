"""Reads of consent state: the lookup (cached, ``optout.consent_cache``) and the history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from tenants.models import Tenant

from . import consent_cache
from .models import ConsentChange, ConsentState
from .opt_in_rules import minor_may_be_sold


@dataclass(frozen=True)
class ConsentAnswer:
    """What the lookup answers: the state's version (0: no state) and the JSON body."""

    version: int
    body: bytes

    @property
    def etag(self) -> str:
        return f'"consent-{self.version}"'


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _minor_answer(state: ConsentState | None) -> dict[str, Any] | None:
    """The lookup's ``minor`` part: None unless the business said the subject is under 16."""
    if state is None or not state.age_band:
        return None
    opted_in = bool(state.minor_opt_in_method)
    return {
        "age_band": state.age_band,
        "opted_in": opted_in,
        "opt_in_method": state.minor_opt_in_method or None,
        "opted_in_at": _iso(state.minor_opted_in_at) if opted_in else None,
    }


def consent_answer_body(state: ConsentState | None) -> bytes:
    """The lookup's JSON for a state, or for a subject with none (nothing chosen: allowed)."""
    opted_out = bool(state and state.sale_sharing_opted_out)
    limited = bool(state and state.sensitive_use_limited)
    minor = _minor_answer(state)
    data = {
        # A known minor's information only after their (or a parent's) opt-in (§7070, §7071).
        "may_sell_or_share": not opted_out
        and (minor is None or minor_may_be_sold(minor["age_band"], minor["opted_in"])),
        "may_use_sensitive_information": not limited,
        "sale_sharing": {
            "opted_out": opted_out,
            "changed_at": _iso(state.sale_sharing_changed_at) if state else None,
            "source": (state.sale_sharing_source or None) if state else None,
        },
        "sensitive_use": {
            "limited": limited,
            "changed_at": _iso(state.sensitive_use_changed_at) if state else None,
            "source": (state.sensitive_use_source or None) if state else None,
        },
        "minor": minor,
    }
    return json.dumps(data, separators=(",", ":")).encode()


def consent_answer(tenant: Tenant, subject_hash: str) -> ConsentAnswer:
    """The lookup's answer for this subject: from the cache (no SQL), else from the database,
    then cached. A change publishes its own answer after it commits (``optout.services``)."""
    cached = consent_cache.entry_get(tenant.pk, subject_hash)
    if cached is not None:
        return ConsentAnswer(*cached)
    state = ConsentState.objects.for_tenant(tenant).filter(subject_hash=subject_hash).first()
    answer = ConsentAnswer(state.version if state else 0, consent_answer_body(state))
    consent_cache.entry_set(tenant.pk, subject_hash, answer.version, answer.body)
    return answer


def consent_state_get(tenant: Tenant, subject_hash: str) -> ConsentState | None:
    return ConsentState.objects.for_tenant(tenant).filter(subject_hash=subject_hash).first()


def consent_history(tenant: Tenant, subject_hash: str) -> QuerySet[ConsentChange]:
    """Every change of the subject's state, oldest first."""
    return (
        ConsentChange.objects.for_tenant(tenant)
        .filter(state__subject_hash=subject_hash)
        .select_related("privacy_request")
        .order_by("at", "id")
    )
