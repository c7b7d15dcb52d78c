"""The only write path of consent state: opt-outs, limits, opt-ins and device links (§7025–§7027).

Each change locks the subject's state row, records one ``ConsentChange`` and, after the
transaction commits, publishes the new lookup answer to the cache (``optout.consent_cache``), so
the very next lookup sees it (R-7026-f1-2: an opt-out takes effect at once; only the downstream
notifications have until the 15-business-day date).

Rules kept here:
- Idempotent: asking for the state a subject already has records nothing.
- An opt-out or a limit of a device carries over to the consumers it is linked to, and a
  consumer's to their linked devices (§7025(c)(1): the signal applies to the browser and every
  profile linked to it; the browser's profile *is* the consumer's).
- Nothing here ever allows sale or use because a signal is absent (§7025(c)(5)): only
  ``consent_allow``, with a source other than a signal, lifts a restriction, and never along a
  link.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from core import clock
from core.refusals import Refused
from requests_app.models import PrivacyRequest
from tenants.models import Tenant

from . import consent_cache
from .models import ConsentChange, ConsentRight, ConsentSource, ConsentState, DeviceLink
from .selectors import consent_answer_body
from .subjects import SubjectKind, subject_hash


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind
    hash: str


@cache
def _subject_key(secret_key: str) -> bytes:
    # A key of its own, derived from SECRET_KEY, so a subject hash reveals nothing about other
    # uses of SECRET_KEY. Rotating SECRET_KEY renames every subject (their states stay, unfound).
    return hmac.new(secret_key.encode(), b"privacyportal.optout.subject", hashlib.sha256).digest()


def consent_subject(tenant: Tenant, kind: SubjectKind, raw: str) -> Subject:
    """The subject named by ``raw``; ``Refused`` (400) for a malformed value."""
    return Subject(kind, consent_subject_hash(tenant.pk, kind, raw))


def consent_subject_hash(tenant_id: int, kind: SubjectKind, raw: str) -> str:
    """``consent_subject(...).hash`` by the tenant's id (the consent lookup's hot path)."""
    return subject_hash(_subject_key(settings.SECRET_KEY), tenant_id, kind, raw)


_FIELDS = {
    ConsentRight.SALE_SHARING: (
        "sale_sharing_opted_out",
        "sale_sharing_changed_at",
        "sale_sharing_source",
    ),
    ConsentRight.SENSITIVE_USE: (
        "sensitive_use_limited",
        "sensitive_use_changed_at",
        "sensitive_use_source",
    ),
}


def _locked_state(tenant: Tenant, subject: Subject) -> ConsentState:
    """The subject's state row, locked until the transaction ends; made if there is none."""
    scoped = ConsentState.objects.for_tenant(tenant).select_for_update()
    state = scoped.filter(subject_hash=subject.hash).first()
    if state is not None:
        return state
    state = ConsentState(
        tenant=tenant, subject_hash=subject.hash, subject_kind=subject.kind, created_at=clock.now()
    )
    state.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            state.save(force_insert=True)
    except IntegrityError:  # made meanwhile by a concurrent change: take theirs
        return scoped.get(subject_hash=subject.hash)
    # Version 1 is "made, nothing chosen yet"; the change below makes it 2, above the cache's 0.
    return state


def _publish(state_id: int, tenant_id: int, subject: str, version: int, body: bytes) -> bool:
    """Write a committed state's answer to the lookup's cache and, once it is there, say so on
    the row (``published_version``); a failed write leaves the row for the repair task."""
    if not consent_cache.entry_set(tenant_id, subject, version, body):
        return False
    # Keyed by the row's primary key, which the caller read through its business.
    ConsentState.all_tenants.filter(pk=state_id, published_version__lt=version).update(
        published_version=version
    )
    return True


def _publish_after_commit(state: ConsentState) -> None:
    state_id, tenant_id, subject = state.pk, state.tenant_id, state.subject_hash
    version, body = state.version, consent_answer_body(state)
    transaction.on_commit(lambda: _publish(state_id, tenant_id, subject, version, body))


def consent_cache_repair(batch: int = 500) -> int:
    """Write again the answers whose write after commit failed (Redis was unreachable), so the
    lookup never keeps answering from an older entry (``optout.consent_cache``). Reads only the
    rows the partial index ``consent_state_unpublished`` holds. Returns how many it wrote."""
    repaired = 0
    # Across businesses on purpose: one indexed read of what is due, each write keyed by its row.
    due = ConsentState.all_tenants.filter(published_version__lt=F("version")).order_by("id")
    for state in due[:batch]:
        if _publish(
            state.pk, state.tenant_id, state.subject_hash, state.version, consent_answer_body(state)
        ):
            repaired += 1
        else:
            break  # the cache is still unreachable: the next run tries again
    return repaired


def _change(
    state: ConsentState,
    *,
    right: str,
    restricted: bool,
    source: str,
    privacy_request: PrivacyRequest | None,
    actor: Any,
    actor_label: str,
    carried_from: str = "",
    signal_present: bool = False,
) -> bool:
    """Set one right of a locked state; False (and nothing recorded) if it already is so."""
    flag, changed_at_field, source_field = _FIELDS[ConsentRight(right)]
    if getattr(state, flag) == restricted:
        return False
    at = clock.now()
    setattr(state, flag, restricted)
    setattr(state, changed_at_field, at)
    setattr(state, source_field, source)
    if restricted and right == ConsentRight.SALE_SHARING and state.minor_opt_in_method:
        # A minor's (or their parent's) opt-out withdraws their opt-in (§7070(b), §7071(b)).
        state.minor_opt_in_method = ""
        state.minor_opted_in_at = None
    state.version += 1
    state.save()
    change = ConsentChange(
        tenant_id=state.tenant_id,
        state=state,
        right=right,
        restricted=restricted,
        source=source,
        at=at,
        privacy_request=privacy_request,
        actor=actor,
        actor_label=actor_label,
        carried_from=carried_from,
        signal_present=signal_present,
    )
    change.full_clean()
    change.save()
    _publish_after_commit(state)
    return True


def _linked(tenant: Tenant, subject: Subject) -> list[Subject]:
    links = DeviceLink.objects.for_tenant(tenant)
    if subject.kind == SubjectKind.DEVICE:
        rows = links.filter(device_hash=subject.hash).values_list("consumer_hash", flat=True)
        states = ConsentState.objects.for_tenant(tenant).filter(subject_hash__in=list(rows))
        return [Subject(SubjectKind(s.subject_kind), s.subject_hash) for s in states]
    rows = links.filter(consumer_hash=subject.hash).values_list("device_hash", flat=True)
    return [Subject(SubjectKind.DEVICE, device_hash) for device_hash in rows]


def _check(right: str, source: str) -> None:
    if right not in ConsentRight.values:
        raise Refused("invalid_right", f"Unknown right {right!r}.", "right")
    if source not in ConsentSource.values:
        raise Refused("invalid_source", f"Unknown source {source!r}.", "source")


@transaction.atomic
def consent_restrict(
    *,
    tenant: Tenant,
    subject: Subject,
    right: str,
    source: str,
    privacy_request: PrivacyRequest | None = None,
    actor: Any = None,
    actor_label: str = "",
) -> ConsentState:
    """Opt the subject out of sale/sharing, or limit the use of their sensitive information
    (§7026, §7027), and carry it to their linked devices or consumers. No second change for an
    opt-out already in place (a page load with the signal on every visit records one)."""
    _check(right, source)
    if privacy_request is not None and privacy_request.tenant_id != tenant.pk:
        raise Refused("invalid_request", "This request belongs to another business.")
    linked = _linked(tenant, subject)
    # Lock every state it touches in hash order, as device_link does, so two changes of linked
    # subjects cannot deadlock.
    states = {
        each: _locked_state(tenant, each)
        for each in sorted([subject, *linked], key=lambda each: each.hash)
    }
    state = states[subject]
    _change(
        state,
        right=right,
        restricted=True,
        source=source,
        privacy_request=privacy_request,
        actor=actor,
        actor_label=actor_label,
    )
    # Carry over even when this subject already was restricted: a link made since may need it.
    # One hop only: a consumer's form opt-out reaches their browsers, not the other people who
    # use one of them; a browser's signal reaches everyone known to use it.
    for other in linked:
        _change(
            states[other],
            right=right,
            restricted=True,
            source=source,
            privacy_request=privacy_request,
            actor=actor,
            actor_label=actor_label,
            carried_from=subject.hash,
        )
    return state


@transaction.atomic
def consent_allow(
    *,
    tenant: Tenant,
    subject: Subject,
    right: str,
    source: str,
    privacy_request: PrivacyRequest | None = None,
    actor: Any = None,
    actor_label: str = "",
    signal_present: bool = False,
) -> ConsentState:
    """Opt the subject back in to sale/sharing, or lift their limit: only after the consumer
    confirmed it in a separate step (§7028(a): two steps), which is the caller's to have done.

    Never from a signal: an opt-out preference signal only ever opts out, and its absence on a
    later visit opts nobody in (§7025(c)(5)). Never carried along device links: consent given
    by a consumer is theirs, and a browser's opt-out stays until that browser's user opts in.
    ``signal_present``: the confirming browser sent an opt-out preference signal (§7025(c)(3)).
    """
    _check(right, source)
    if source == ConsentSource.SIGNAL:
        raise Refused(
            "signal_never_opts_in",
            "An opt-out preference signal, or its absence, never opts a consumer in (§7025(c)(5)).",
            "source",
        )
    state = _locked_state(tenant, subject)
    _change(
        state,
        right=right,
        restricted=False,
        source=source,
        privacy_request=privacy_request,
        actor=actor,
        actor_label=actor_label,
        signal_present=signal_present,
    )
    return state


@transaction.atomic
def device_link(*, tenant: Tenant, device: Subject, consumer: Subject) -> DeviceLink:
    """Record that this browser belongs to this consumer (e.g. they signed in, or gave their
    email with a signal), and carry each side's opt-out and limit to the other. Never lifts a
    restriction on either side. Linking twice records nothing new."""
    if device.kind != SubjectKind.DEVICE or consumer.kind == SubjectKind.DEVICE:
        raise Refused("invalid_link", "A link joins a device to a consumer's email, phone or id.")
    links = DeviceLink.objects.for_tenant(tenant)
    link = links.filter(device_hash=device.hash, consumer_hash=consumer.hash).first()
    if link is None:
        link = DeviceLink(
            tenant=tenant,
            device_hash=device.hash,
            consumer_hash=consumer.hash,
            linked_at=clock.now(),
        )
        link.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                link.save(force_insert=True)
        except IntegrityError:  # linked meanwhile by a concurrent call
            link = links.get(device_hash=device.hash, consumer_hash=consumer.hash)
    # Lock in hash order, so two links of the same pair in opposite roles cannot deadlock.
    first, second = sorted([device, consumer], key=lambda subject: subject.hash)
    states = {first: _locked_state(tenant, first), second: _locked_state(tenant, second)}
    for source_subject, target_subject in ((device, consumer), (consumer, device)):
        origin, target = states[source_subject], states[target_subject]
        for right, (flag, _, source_field) in _FIELDS.items():
            if getattr(origin, flag):
                _change(
                    target,
                    right=right,
                    restricted=True,
                    source=getattr(origin, source_field) or ConsentSource.FORM,
                    privacy_request=None,
                    actor=None,
                    actor_label="",
                    carried_from=source_subject.hash,
                )
    return link
