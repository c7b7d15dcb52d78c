"""Consumers under 16 (§7070-§7072, Civ. Code §1798.120(c)-(d)): what the business knows of
their age, and the opt-in without which their personal information is not sold or shared.

The business tells the portal (``POST /api/v1/consent/minors/``) that it has actual knowledge
that a subject is under 13 or 13 to 15; from then on the consent lookup answers "may not sell
or share" for that subject until it holds an opt-in (``selectors.consent_answer_body``):

* at 13 to 15, the consumer's own, through the two-step process (§7071(a), §7028(a)): the
  portal's opt-in pages (``opt_in_services``), or the business's own two-step flow, recorded
  through the API with method ``two_step_opt_in``;
* under 13, a parent's or guardian's consent, confirmed by one of the §7070(a)(2) methods and
  recorded through the API with the method used (the portal stores no ID or form: §7070(a)(2)(F)
  has the business delete a parent's ID promptly after the check).

Each opt-in so recorded is a request of type opt-in (§7101, R-7028-P-1), closed as complied.
A later opt-out of sale or sharing withdraws it (``services._change``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from core import clock
from core.refusals import Refused
from requests_app import vocabulary as words
from requests_app.models import EventKind
from requests_app.services.intake import Requester, privacy_request_create
from requests_app.services.timeline import timeline_add
from requests_app.services.transitions import privacy_request_close
from tenants.models import Tenant

from . import opt_in_rules
from .models import ConsentRight, ConsentSource, ConsentState, MinorOptInMethod
from .services import Subject, _locked_state, _publish_after_commit, consent_allow

_BAND_WORDS = {
    opt_in_rules.UNDER_13: "under 13",
    opt_in_rules.AGE_13_TO_15: "13 to 15",
    "": "not known to be under 16",
}


def minor_opt_in_set(state: ConsentState, *, method: str, at: datetime) -> None:
    """Record a minor's opt-in on a state the caller has locked, and publish the new answer."""
    state.minor_opt_in_method = method
    state.minor_opted_in_at = at
    state.version += 1
    state.save()
    _publish_after_commit(state)


def _check(age_band: str, opt_in_method: str) -> str:
    """The band to store ("" for 16 or over); ``Refused`` for an unknown band or a method that
    cannot give this consumer's opt-in."""
    if age_band == opt_in_rules.NOT_A_MINOR:
        band = ""
    elif age_band in opt_in_rules.AGE_BANDS:
        band = age_band
    else:
        raise Refused(
            "invalid_age_band",
            "Give the age band: under_13, 13_to_15, or 16_or_over.",
            "age_band",
        )
    if opt_in_method:
        if opt_in_method not in MinorOptInMethod.values:
            raise Refused("invalid_method", f"Unknown opt-in method {opt_in_method!r}.", "method")
        problem = opt_in_rules.method_problem(band, opt_in_method)
        if problem is not None:
            raise Refused("method_not_allowed", problem, "method")
    return band


@transaction.atomic
def minor_record(
    *,
    tenant: Tenant,
    subject: Subject,
    age_band: str,
    opt_in_method: str = "",
    actor: Any = None,
    actor_label: str = "",
) -> ConsentState:
    """Record what the business knows of the subject's age and, with ``opt_in_method``, the
    opt-in it obtained (§7070(a), §7071(a)). Recording the same facts again changes nothing."""
    band = _check(age_band, opt_in_method)
    state = _locked_state(tenant, subject)
    now = clock.now()
    if state.age_band != band:
        state.age_band = band
        state.age_band_changed_at = now
        if band == opt_in_rules.UNDER_13 and (
            state.minor_opt_in_method == opt_in_rules.TWO_STEP_OPT_IN
        ):
            # A child under 13 cannot opt in alone: only a parent's consent counts (§7070(a)).
            state.minor_opt_in_method = ""
            state.minor_opted_in_at = None
        state.version += 1
        state.save()
        _publish_after_commit(state)
    if not opt_in_method:
        return state
    privacy_request = privacy_request_create(
        tenant=tenant,
        request_type=words.OPT_IN,
        channel=words.API,
        requester=Requester(),
        actor=actor,
        actor_label=actor_label,
    )
    method_label = MinorOptInMethod(opt_in_method).label
    timeline_add(
        privacy_request,
        kind=EventKind.CONSUMER_CONFIRMED,
        at=now,
        actor=actor,
        label=actor_label,
        message="The business recorded an opt-in to the sale and sharing of the personal "
        f"information of a consumer {_BAND_WORDS[band]}: {method_label}.",
        data={"age_band": band, "method": opt_in_method, "subject": subject.kind.value},
    )
    state = consent_allow(
        tenant=tenant,
        subject=subject,
        right=ConsentRight.SALE_SHARING,
        source=ConsentSource.API,
        privacy_request=privacy_request,
        actor=actor,
        actor_label=actor_label,
    )
    minor_opt_in_set(state, method=opt_in_method, at=now)
    privacy_request_close(
        privacy_request=privacy_request,
        actor=actor,
        actor_label=actor_label or None,
        outcome=words.COMPLIED,
    )
    return state
