"""Opt-out preference signals (Global Privacy Control, §7025): recorded as opt-out requests, and
shown on every portal page.

* ``signal_received`` processes one signal for a browser and, when the business knows them, the
  consumer (§7025(c)(1)). The first signal from a subject, and a signal after an opt-in made
  without it, creates ONE opt-out request on the record (channel "opt-out preference signal",
  so the §7102 metrics count it) through ``choice_services.choice_submit``, applied and closed
  at once; a subject already opted out gets nothing new, however many pages the browser opens.
  An opt-in confirmed while the browser sent the signal is consent the business may honour
  (§7025(c)(3)): the signal is then not processed again for that subject, and the page shows
  the consumer's choice with its date. The rules are ``signal_rules``'s.
* ``portal_page_hook`` (``settings.PORTAL_PAGE_HOOKS``) runs around every portal page: with
  ``Sec-GPC: 1`` it issues or reads the device cookie, records the signal and puts the status
  region on the page ("Opt-Out Request Honored", and radio buttons showing the state: the
  amended §7025(c)(6)); without it the region shows the browser's state if it has a device
  cookie (a cached lookup), and costs nothing (no query) if it has none. The region is the only
  difference a signal makes to a page (§7025(f)(2)-(3)): no dialog, no overlay, no redirect.

Concurrency: the first page views of a browser may arrive together (a page and its prefetches,
several tabs). They queue on a per-subject lock (a PostgreSQL advisory lock, taken in hash
order; SQLite runs write transactions one at a time) and each re-reads the state under it, so
exactly one of them creates the request.

A business that neither sells nor shares personal information need not process signals
(§7025(c)(1), last sentence): nothing is recorded for it, and its pages show no region.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from core.refusals import Refused
from requests_app import vocabulary as words
from requests_app.models import PrivacyRequest
from requests_app.portal_selectors import status_signed_in_request
from tenants import ratelimit
from tenants.models import Tenant
from tenants.portal import PageRegion, page_region_add

from .choice_services import choice_submit
from .devices import device_cookie_set, device_id_for, device_id_from_request
from .models import ConsentChange, ConsentRight
from .selectors import consent_answer, consent_state_get
from .services import Subject, consent_subject
from .signal_rules import SignalAction, is_signal, signal_action
from .subjects import SubjectKind

SIGNAL_META_KEY = "HTTP_SEC_GPC"
STATUS_TEMPLATE = "optout/_signal_status.html"
# PostgreSQL advisory locks of this module: (this namespace, 32 bits of the subject hash). Two
# subjects sharing 32 bits only wait for each other, which is harmless.
_LOCK_NAMESPACE = 0x47504300  # "GPC\0"


@dataclass(frozen=True)
class SignalOutcome:
    """What a signal did. ``processed``: the business sells or shares, so the signal applies."""

    processed: bool
    # Every subject the signal applies to is opted out of sale/sharing (now or already).
    opted_out: bool = False
    # The opt-out request this signal created; None when every subject already was opted out.
    privacy_request: PrivacyRequest | None = None
    # Since when the browser (or the first subject named) is opted out.
    opted_out_since: datetime | None = None
    # §7025(c)(3): the consumer's consent given despite the signal, honoured; when they gave it.
    consent_given_at: datetime | None = None


def _iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _cached_sale_sharing(tenant: Tenant, subject: Subject) -> tuple[bool, datetime | None]:
    """(opted out, since when) from the consent lookup: the cache, no SQL when it has it."""
    sale = json.loads(consent_answer(tenant, subject.hash).body)["sale_sharing"]
    return bool(sale["opted_out"]), _iso(sale["changed_at"])


def _lock(subjects: Sequence[Subject]) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite: write transactions run one at a time (BEGIN IMMEDIATE)
    keys = sorted({int(subject.hash[:8], 16) - 2**31 for subject in subjects})
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, key])


def _latest_sale_sharing_change(tenant: Tenant, state: Any) -> ConsentChange | None:
    return (
        ConsentChange.objects.for_tenant(tenant)
        .filter(state=state, right=ConsentRight.SALE_SHARING)
        .order_by("-at", "-id")
        .first()
    )


def signal_received(
    *,
    tenant: Tenant,
    device_subject: Subject | None,
    consumer_subjects: Sequence[Subject] = (),
    language: str = "en",
) -> SignalOutcome:
    """Process one opt-out preference signal from a browser (``device_subject``) and for the
    consumers the business knows it comes from (§7025(c)(1)). Always the consumer's own
    request, never an agent's (§7026(j)); never an opt-in (§7025(c)(5)).

    The common case, a browser already opted out, answers from the consent lookup's cache.
    """
    subjects = list(dict.fromkeys([*filter(None, [device_subject]), *consumer_subjects]))
    if not subjects:
        raise Refused("no_subject", "A signal comes from a browser or a known consumer.")
    if not tenant.sells_or_shares:
        return SignalOutcome(processed=False)
    answers = [_cached_sale_sharing(tenant, subject) for subject in subjects]
    if all(opted_out for opted_out, _ in answers):
        return SignalOutcome(processed=True, opted_out=True, opted_out_since=answers[0][1])
    return _signal_process(tenant, subjects, language)


@transaction.atomic
def _signal_process(tenant: Tenant, subjects: list[Subject], language: str) -> SignalOutcome:
    _lock(subjects)
    actions: dict[Subject, SignalAction] = {}
    consent_given_at: datetime | None = None
    for subject in subjects:
        state = consent_state_get(tenant, subject.hash)
        opted_out = bool(state and state.sale_sharing_opted_out)
        latest = _latest_sale_sharing_change(tenant, state) if state and not opted_out else None
        consented = bool(latest and not latest.restricted and latest.signal_present)
        actions[subject] = signal_action(opted_out=opted_out, consented_despite_signal=consented)
        if actions[subject] == SignalAction.CONSENT_HONOURED and latest is not None:
            consent_given_at = max(filter(None, [consent_given_at, latest.at]))
    created = None
    if SignalAction.OPT_OUT in actions.values():
        # Subjects whose consent is honoured are left out: naming them would opt them out, and
        # linking them to the browser would carry the browser's opt-out over to them.
        named = [s for s, action in actions.items() if action != SignalAction.CONSENT_HONOURED]
        [made] = choice_submit(
            tenant=tenant,
            rights=[ConsentRight.SALE_SHARING],
            channel=words.GPC,
            subjects=named,
            language=language,
        )
        created = made.privacy_request
    first = consent_state_get(tenant, subjects[0].hash)
    return SignalOutcome(
        processed=True,
        opted_out=SignalAction.CONSENT_HONOURED not in actions.values(),
        privacy_request=created,
        opted_out_since=first.sale_sharing_changed_at
        if first is not None and first.sale_sharing_opted_out
        else None,
        consent_given_at=consent_given_at,
    )


# --- Portal pages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignalStatus:
    """What the page's status region says: ``honoured`` (opted out), ``consent`` (§7025(c)(3):
    the consumer's choice to allow, honoured), or ``""`` (nothing to show)."""

    kind: str
    signal: bool  # the browser sent the signal with this page view
    since: date | None

    def region(self) -> PageRegion:
        return PageRegion(STATUS_TEMPLATE, {"status": self})


def _local_date(tenant: Tenant, value: datetime | None) -> date | None:
    return value.astimezone(tenant.zone).date() if value is not None else None


def signal_status(tenant: Tenant, outcome: SignalOutcome) -> SignalStatus:
    if outcome.consent_given_at is not None:
        return SignalStatus("consent", True, _local_date(tenant, outcome.consent_given_at))
    if outcome.opted_out:
        return SignalStatus("honoured", True, _local_date(tenant, outcome.opted_out_since))
    return SignalStatus("", True, None)


def known_consumer_subjects(request: HttpRequest, tenant: Tenant) -> list[Subject]:
    """The consumer the portal can name from this browser: the one signed in to follow their
    request with the emailed link (they received it at the request's email address). Not when
    an authorized agent made that request: the person signed in may be the agent, and a signal
    is never an agent's request (§7026(j))."""
    if not request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        return []  # no session: nothing to read (and no query)
    privacy_request = status_signed_in_request(tenant, request.session)
    if privacy_request is None or privacy_request.submitted_by_agent:
        return []
    subjects = []
    if privacy_request.requester_email:
        subjects.append(consent_subject(tenant, SubjectKind.EMAIL, privacy_request.requester_email))
    if privacy_request.requester_phone:
        phone = str(privacy_request.requester_phone)
        subjects.append(consent_subject(tenant, SubjectKind.PHONE, phone))
    return subjects


def _new_devices_allowed(request: HttpRequest, tenant: Tenant) -> bool:
    """A client that keeps no cookies is a new browser on every page view. Each such view
    would record a request; one address gets as many as it may POST forms (tenants.ratelimit),
    so a crawler sending the header cannot fill the record."""
    address = ratelimit.client_ip(request)
    return ratelimit.hit(tenant_id=tenant.pk, kind="ip", value=f"signal:{address}") is None


def portal_page_hook(
    request: HttpRequest, tenant: Tenant, view: Callable[[], HttpResponse]
) -> HttpResponse:
    """``settings.PORTAL_PAGE_HOOKS``: process ``Sec-GPC: 1`` on every portal page, and show
    the status region (always on, A-12; frictionless or not, §7025(e)-(f))."""
    if not tenant.sells_or_shares:
        return view()
    if not is_signal(request.META.get(SIGNAL_META_KEY)):
        device_id = device_id_from_request(request)
        status = SignalStatus("", False, None)
        if device_id is not None:  # a returning browser: its state, from the lookup's cache
            device = consent_subject(tenant, SubjectKind.DEVICE, device_id)
            opted_out, since = _cached_sale_sharing(tenant, device)
            if opted_out:
                status = SignalStatus("honoured", False, _local_date(tenant, since))
        page_region_add(request, status.region())
        return view()
    device_id, new = device_id_for(request)
    if new and not _new_devices_allowed(request, tenant):
        page_region_add(request, SignalStatus("", True, None).region())
        return view()
    outcome = signal_received(
        tenant=tenant,
        device_subject=consent_subject(tenant, SubjectKind.DEVICE, device_id),
        consumer_subjects=known_consumer_subjects(request, tenant),
        language=translation.get_language() or "en",
    )
    page_region_add(request, signal_status(tenant, outcome).region())
    response = view()
    if new:
        device_cookie_set(response, device_id)
    return response
