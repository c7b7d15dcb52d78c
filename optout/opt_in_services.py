"""Opting back in on the portal (§7028): a request, then a separate confirmation.

1. ``opt_in_request``: the consumer asks, in the browser their opt-out applies to, to opt back
   in to the sale and sharing of their personal information and/or the use of their sensitive
   personal information. This records a privacy request of type opt-in (channel webform, its
   ``received_at`` is the request time) and issues a one-time, expiring confirmation token
   (``core.tokens``) bound to that browser. Nothing changes yet.
2. ``opt_in_confirm``: the consumer confirms separately, posting the token back. Only now does
   the consent state change (``services.consent_allow``, source form, with whether the browser
   sent an opt-out preference signal, §7025(c)(3)); the timeline carries the confirmation time
   and the pages' version next to the request time (R-7028-P-1), and the request is closed as
   complied. ``opt_in_decline`` (the consumer's "no") closes it as withdrawn.

A request never confirmed is closed as withdrawn once its token has expired, by
``opt_in_expire_unconfirmed`` (the beat's ``optout.tasks.opt_in_expire``): recorded at step 1, so
the record is truthful about what the consumer asked for and when, and closed with the outcome
that says they did not go through with it.

Which browser: the portal's device cookie only. An email address or phone number typed into a
form proves nothing (an opt-out needs no verification, §7026(d), but an opt-in typed under
someone else's address would undo that person's choice), so consumers opted out under their
email or phone are told to opt back in with the business, which knows them.

Minors (§7070, §7071): a browser the business has said is a child's under 13 gets no form
(a parent or guardian consents through the business, §7070(a)); at 13 to 15 the confirmed
opt-in is also the consumer's own opt-in to sale and sharing (§7071(a)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from core import clock
from core.refusals import Refused
from core.tokens import token_hash, token_new, token_use
from requests_app import vocabulary as words
from requests_app.models import EventKind, PrivacyRequest
from requests_app.selectors import privacy_request_for_update
from requests_app.services.intake import Requester, privacy_request_create
from requests_app.services.timeline import SYSTEM_ACTOR, timeline_add
from requests_app.services.transitions import privacy_request_close
from tenants.models import Tenant

from . import opt_in_rules
from .minor_services import minor_opt_in_set
from .models import ConsentRight, ConsentSource, ConsentState, DeviceLink, OptInConfirmation
from .services import Subject, consent_allow
from .subjects import SubjectKind

# How long the confirmation waits for the consumer (the second step).
OPT_IN_CONFIRM_MINUTES = 30
# The version of the opt-in pages, recorded with each opt-in (R-7028-P-1). Change it whenever
# the wording or the steps of optout/templates/optout/opt_in*.html change.
OPT_IN_UI_VERSION = "opt-in-pages-2026-12-1"
CONSUMER = "Consumer"

_RIGHT_WORDS = {
    ConsentRight.SALE_SHARING: "the sale and sharing of their personal information",
    ConsentRight.SENSITIVE_USE: "the use of their sensitive personal information",
}

# Why a confirmation token is refused.
CONFIRMATION_USED = "opt_in_token_used"
CONFIRMATION_EXPIRED = "opt_in_token_expired"
CONFIRMATION_UNKNOWN = "opt_in_token_unknown"


@dataclass(frozen=True)
class OptInOffer:
    """What this browser may opt back in to, and whether a parent must consent instead."""

    rights: tuple[str, ...]
    age_band: str
    parent_needed: bool


def _rights_offered(state: ConsentState | None) -> tuple[str, ...]:
    if state is None:
        return ()
    rights = []
    minor_without_opt_in = (
        state.age_band == opt_in_rules.AGE_13_TO_15 and not state.minor_opt_in_method
    )
    if state.sale_sharing_opted_out or minor_without_opt_in:
        rights.append(ConsentRight.SALE_SHARING.value)
    if state.sensitive_use_limited:
        rights.append(ConsentRight.SENSITIVE_USE.value)
    return tuple(rights)


def opt_in_offer(tenant: Tenant, device: Subject | None) -> OptInOffer:
    """What the opt-in page offers this browser: the rights it has opted out of or limited
    (and, for a consumer of 13 to 15 without an opt-in, sale and sharing, §7071(a))."""
    if device is None:
        return OptInOffer((), "", parent_needed=False)
    scoped = ConsentState.objects.for_tenant(tenant)
    state = scoped.filter(subject_hash=device.hash).first()
    consumers = DeviceLink.objects.for_tenant(tenant).filter(device_hash=device.hash)
    # A browser linked to a consumer the business knows is under 13 is taken to be that
    # child's: only a parent or guardian may opt in for them (§7070(a)(1)).
    child = scoped.filter(
        subject_hash__in=consumers.values("consumer_hash"), age_band=opt_in_rules.UNDER_13
    ).exists()
    age_band = state.age_band if state else ""
    if child:
        age_band = opt_in_rules.UNDER_13
    if age_band == opt_in_rules.UNDER_13:
        return OptInOffer((), age_band, parent_needed=True)
    return OptInOffer(_rights_offered(state), age_band, parent_needed=False)


@transaction.atomic
def opt_in_request(
    *,
    tenant: Tenant,
    device: Subject,
    rights: list[str],
    language: str = "en",
    signal_present: bool = False,
) -> tuple[str, OptInConfirmation]:
    """The first step: record the request and issue its confirmation token (returned once,
    never stored). Refused for a right this browser has nothing to opt back into."""
    if device.kind != SubjectKind.DEVICE:
        raise Refused("not_a_browser", "An opt-in on the portal applies to the browser.")
    offer = opt_in_offer(tenant, device)
    if offer.parent_needed:
        raise Refused(
            "parent_consent_needed",
            "A parent or guardian must consent for a consumer under 13 (§7070(a)).",
            conflict=True,
        )
    wanted = list(dict.fromkeys(rights))
    if not wanted:
        raise Refused("right_required", "Choose what to opt back in to.", "rights")
    if any(right not in offer.rights for right in wanted):
        raise Refused(
            "nothing_to_opt_into",
            "This browser has not opted out of that, so there is nothing to opt back into.",
            "rights",
            conflict=True,
        )
    privacy_request = privacy_request_create(
        tenant=tenant,
        request_type=words.OPT_IN,
        channel=words.WEBFORM,
        requester=Requester(),
        actor_label=CONSUMER,
        language=language,
    )
    now = clock.now()
    raw, hashed = token_new()
    confirmation = OptInConfirmation(
        tenant=tenant,
        privacy_request=privacy_request,
        device_hash=device.hash,
        rights=wanted,
        ui_version=OPT_IN_UI_VERSION,
        token_hash=hashed,
        created_at=now,
        expires_at=now + timedelta(minutes=OPT_IN_CONFIRM_MINUTES),
    )
    confirmation.full_clean(validate_unique=False)
    confirmation.save()
    timeline_add(
        privacy_request,
        kind=EventKind.NOTE,
        at=now,
        label=CONSUMER,
        message="First step (§7028(a)): the consumer asked, in their browser, to opt back in to "
        + " and to ".join(_RIGHT_WORDS[ConsentRight(right)] for right in wanted)
        + f". Nothing changes until they confirm separately, by {_hhmm(tenant, confirmation)}.",
        data={
            "step": "requested",
            "rights": wanted,
            "requested_at": now.isoformat(),
            "ui_version": OPT_IN_UI_VERSION,
            "signal_present": signal_present,
        },
    )
    return raw, confirmation


def _hhmm(tenant: Tenant, confirmation: OptInConfirmation) -> str:
    return f"{confirmation.expires_at.astimezone(tenant.zone):%Y-%m-%d %H:%M %Z}"


def _refusal(tenant: Tenant, device: Subject, raw: str, now: datetime) -> Refused:
    """Why ``raw`` cannot be used now: used already, expired, or not this browser's."""
    row = (
        OptInConfirmation.objects.for_tenant(tenant)
        .filter(token_hash=token_hash(raw), device_hash=device.hash)
        .first()
        if raw
        else None
    )
    if row is None:
        return Refused(CONFIRMATION_UNKNOWN, "This confirmation is not valid in this browser.")
    # Used by the consumer (before it expired), or taken by the expiry sweep (once it had).
    if row.used_at is not None and row.used_at < row.expires_at:
        return Refused(CONFIRMATION_USED, "This confirmation was already used.", conflict=True)
    if row.used_at is not None or row.expires_at <= now:
        return Refused(CONFIRMATION_EXPIRED, "This confirmation has expired.", conflict=True)
    return Refused(CONFIRMATION_UNKNOWN, "This confirmation is not valid in this browser.")


def _use(tenant: Tenant, device: Subject, raw: str) -> OptInConfirmation:
    now = clock.now()
    scoped = OptInConfirmation.objects.for_tenant(tenant).filter(device_hash=device.hash)
    confirmation = token_use(scoped, raw, now)
    if confirmation is None:
        raise _refusal(tenant, device, raw, now)
    return confirmation


@dataclass(frozen=True)
class OptedIn:
    privacy_request: PrivacyRequest
    rights: tuple[str, ...]
    minor: bool


@transaction.atomic
def opt_in_confirm(
    *, tenant: Tenant, device: Subject, token: str, signal_present: bool = False
) -> OptedIn:
    """The second step: use the token once, opt the browser back in, close the request as
    complied. ``signal_present``: the confirming request carried ``Sec-GPC: 1``."""
    confirmation = _use(tenant, device, token)
    privacy_request = privacy_request_for_update(confirmation.privacy_request)
    if not privacy_request.is_open:  # closed by staff or the sweep meanwhile
        raise Refused(CONFIRMATION_EXPIRED, "This confirmation has expired.", conflict=True)
    now = confirmation.used_at or clock.now()
    timeline_add(
        privacy_request,
        kind=EventKind.CONSUMER_CONFIRMED,
        at=now,
        label=CONSUMER,
        message="Second step (§7028(a)): the consumer confirmed, separately, that they opt back "
        f"in. Requested {privacy_request.received_at.astimezone(tenant.zone):%Y-%m-%d %H:%M:%S}"
        f", confirmed {now.astimezone(tenant.zone):%Y-%m-%d %H:%M:%S %Z}.",
        data={
            "step": "confirmed",
            "rights": confirmation.rights,
            "requested_at": privacy_request.received_at.isoformat(),
            "confirmed_at": now.isoformat(),
            "ui_version": confirmation.ui_version,
            "signal_present": signal_present,
        },
    )
    minor = False
    for right in confirmation.rights:
        state = consent_allow(
            tenant=tenant,
            subject=device,
            right=right,
            source=ConsentSource.FORM,
            privacy_request=privacy_request,
            actor_label=CONSUMER,
            signal_present=signal_present,
        )
        if right == ConsentRight.SALE_SHARING and state.age_band == opt_in_rules.AGE_13_TO_15:
            # §7071(a): this two-step opt-in is the 13-to-15-year-old's own opt-in.
            minor_opt_in_set(state, method=opt_in_rules.TWO_STEP_OPT_IN, at=now)
            minor = True
    timeline_add(
        privacy_request,
        kind=EventKind.CONSENT_CHANGED,
        at=now,
        label=CONSUMER,
        message="Opted back in to "
        + " and to ".join(_RIGHT_WORDS[ConsentRight(right)] for right in confirmation.rights)
        + " for the browser"
        + (" (a consumer aged 13 to 15: their own opt-in, §7071(a))" if minor else "")
        + ". The consent lookup answers so from now on.",
        data={"rights": confirmation.rights, "subjects": [SubjectKind.DEVICE.value]},
    )
    confirmation.confirmed = True
    confirmation.save(update_fields=["confirmed"])
    closed = privacy_request_close(
        privacy_request=privacy_request,
        actor=None,
        actor_label=CONSUMER,
        outcome=words.COMPLIED,
    )
    return OptedIn(closed, tuple(confirmation.rights), minor)


@transaction.atomic
def opt_in_decline(*, tenant: Tenant, device: Subject, token: str) -> PrivacyRequest:
    """The consumer's "no" at the second step: nothing changes; the request is withdrawn."""
    confirmation = _use(tenant, device, token)
    privacy_request = privacy_request_for_update(confirmation.privacy_request)
    if not privacy_request.is_open:
        return privacy_request
    return privacy_request_close(
        privacy_request=privacy_request,
        actor=None,
        actor_label=CONSUMER,
        outcome=words.WITHDRAWN,
    )


OPT_IN_SWEEP_ACTOR = "Opt-in expiry"


def opt_in_expire_unconfirmed(*, now: datetime | None = None) -> int:
    """Close as withdrawn every opt-in request whose confirmation expired unused: the consumer
    did not confirm, so nothing changed (§7028(a)). Idempotent: a request closed meanwhile
    (confirmed a moment ago, or by staff) is left as it is."""
    now = now or clock.now()
    closed = 0
    for tenant in Tenant.objects.order_by("pk"):
        waiting = OptInConfirmation.objects.for_tenant(tenant).filter(
            used_at__isnull=True, expires_at__lte=now
        )
        for confirmation in waiting.select_related("privacy_request").iterator():
            with transaction.atomic():
                # The claim: only one sweep (or the consumer's own late click) takes the token.
                claimed = (
                    OptInConfirmation.objects.for_tenant(tenant)
                    .filter(pk=confirmation.pk, used_at__isnull=True)
                    .update(used_at=now)
                )
                if claimed != 1:
                    continue
                privacy_request = privacy_request_for_update(confirmation.privacy_request)
                if not privacy_request.is_open:
                    continue
                timeline_add(
                    privacy_request,
                    kind=EventKind.NOTE,
                    at=now,
                    label=SYSTEM_ACTOR,
                    message="Not confirmed within "
                    f"{OPT_IN_CONFIRM_MINUTES} minutes: nothing changed (§7028(a)).",
                    data={"step": "expired"},
                )
                privacy_request_close(
                    privacy_request=privacy_request,
                    actor=None,
                    actor_label=OPT_IN_SWEEP_ACTOR,
                    outcome=words.WITHDRAWN,
                )
                closed += 1
    return closed
