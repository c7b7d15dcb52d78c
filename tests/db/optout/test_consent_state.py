"""Consent state (§7025–§7027): its history and sources, device carry-over, idempotence, and
that the absence of a signal never opts anyone in (§7025(c)(5))."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.refusals import Refused
from optout.models import ConsentChange, ConsentRight, ConsentSource, ConsentState
from optout.selectors import consent_history, consent_state_get
from optout.services import consent_allow, consent_restrict, consent_subject, device_link
from optout.subjects import SubjectKind
from tests.factories import DEVICE_ID, correction

pytestmark = pytest.mark.django_db

SALE = ConsentRight.SALE_SHARING
SENSITIVE = ConsentRight.SENSITIVE_USE


def _email(tenant, email="ana@example.com"):
    return consent_subject(tenant, SubjectKind.EMAIL, email)


def _device(tenant, device_id=DEVICE_ID):
    return consent_subject(tenant, SubjectKind.DEVICE, device_id)


def test_an_opt_out_records_its_source_time_and_request(tenant_a, freeze, staff_a):
    freeze(datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
    privacy_request = correction(tenant_a)
    subject = _email(tenant_a)
    state = consent_restrict(
        tenant=tenant_a,
        subject=subject,
        right=SALE,
        source=ConsentSource.PHONE,
        privacy_request=privacy_request,
        actor=staff_a,
        actor_label="staff_a",
    )
    assert state.sale_sharing_opted_out
    assert not state.sensitive_use_limited
    assert state.sale_sharing_source == ConsentSource.PHONE
    [change] = consent_history(tenant_a, subject.hash)
    assert (change.right, change.restricted, change.source) == (SALE, True, ConsentSource.PHONE)
    assert change.at.isoformat() == "2026-03-02T17:00:00+00:00"
    assert change.privacy_request == privacy_request
    assert change.actor == staff_a


def test_the_history_keeps_every_change_of_each_right_in_order(tenant_a):
    subject = _email(tenant_a)
    consent_restrict(tenant=tenant_a, subject=subject, right=SALE, source=ConsentSource.SIGNAL)
    consent_restrict(tenant=tenant_a, subject=subject, right=SENSITIVE, source=ConsentSource.FORM)
    consent_allow(tenant=tenant_a, subject=subject, right=SALE, source=ConsentSource.FORM)
    consent_restrict(tenant=tenant_a, subject=subject, right=SALE, source=ConsentSource.AGENT)
    history = [(c.right, c.restricted, c.source) for c in consent_history(tenant_a, subject.hash)]
    assert history == [
        (SALE, True, ConsentSource.SIGNAL),
        (SENSITIVE, True, ConsentSource.FORM),
        (SALE, False, ConsentSource.FORM),
        (SALE, True, ConsentSource.AGENT),
    ]
    state = consent_state_get(tenant_a, subject.hash)
    assert state.sale_sharing_opted_out
    assert state.sensitive_use_limited


def test_the_same_opt_out_twice_adds_no_second_change(tenant_a):
    subject = _email(tenant_a)
    for _ in range(3):  # e.g. a signal on every page view
        consent_restrict(tenant=tenant_a, subject=subject, right=SALE, source=ConsentSource.SIGNAL)
    assert consent_history(tenant_a, subject.hash).count() == 1
    assert consent_state_get(tenant_a, subject.hash).version == 2


def test_only_the_hash_of_the_identifier_is_stored(tenant_a):
    consent_restrict(
        tenant=tenant_a, subject=_email(tenant_a), right=SALE, source=ConsentSource.FORM
    )
    state = ConsentState.objects.for_tenant(tenant_a).get()
    assert "ana" not in str(vars(state))


def test_a_signal_never_opts_a_subject_in(tenant_a):
    subject = _email(tenant_a)
    consent_restrict(tenant=tenant_a, subject=subject, right=SALE, source=ConsentSource.SIGNAL)
    with pytest.raises(Refused, match="7025"):
        consent_allow(tenant=tenant_a, subject=subject, right=SALE, source=ConsentSource.SIGNAL)
    assert consent_state_get(tenant_a, subject.hash).sale_sharing_opted_out


def test_a_later_visit_without_the_signal_from_a_new_browser_leaves_the_consumer_opted_out(
    tenant_a,
):
    """R-7025-c5-1: the consumer opted out with a signal, then signs in from a browser without
    one; linking that browser never turns sale back on, for the consumer or the browser."""
    consumer = _email(tenant_a)
    consent_restrict(tenant=tenant_a, subject=consumer, right=SALE, source=ConsentSource.SIGNAL)
    new_browser = _device(tenant_a, "n" * 43)
    device_link(tenant=tenant_a, device=new_browser, consumer=consumer)
    assert consent_state_get(tenant_a, consumer.hash).sale_sharing_opted_out
    assert consent_state_get(tenant_a, new_browser.hash).sale_sharing_opted_out


def test_linking_a_device_carries_its_opt_out_to_the_consumer(tenant_a):
    device, consumer = _device(tenant_a), _email(tenant_a)
    consent_restrict(tenant=tenant_a, subject=device, right=SALE, source=ConsentSource.SIGNAL)
    device_link(tenant=tenant_a, device=device, consumer=consumer)
    state = consent_state_get(tenant_a, consumer.hash)
    assert state.sale_sharing_opted_out
    assert not state.sensitive_use_limited
    [change] = consent_history(tenant_a, consumer.hash)
    assert change.source == ConsentSource.SIGNAL
    assert change.carried_from == device.hash


def test_an_opt_out_of_a_linked_device_reaches_the_consumer_and_back(tenant_a):
    device, consumer = _device(tenant_a), _email(tenant_a)
    device_link(tenant=tenant_a, device=device, consumer=consumer)
    consent_restrict(tenant=tenant_a, subject=device, right=SALE, source=ConsentSource.SIGNAL)
    assert consent_state_get(tenant_a, consumer.hash).sale_sharing_opted_out
    consent_restrict(tenant=tenant_a, subject=consumer, right=SENSITIVE, source=ConsentSource.FORM)
    assert consent_state_get(tenant_a, device.hash).sensitive_use_limited


def test_linking_twice_adds_nothing(tenant_a):
    device, consumer = _device(tenant_a), _email(tenant_a)
    consent_restrict(tenant=tenant_a, subject=device, right=SALE, source=ConsentSource.SIGNAL)
    first = device_link(tenant=tenant_a, device=device, consumer=consumer)
    again = device_link(tenant=tenant_a, device=device, consumer=consumer)
    assert first.pk == again.pk
    assert ConsentChange.objects.for_tenant(tenant_a).count() == 2  # device's, and its carry-over


def test_an_opt_in_is_not_carried_along_a_link(tenant_a):
    device, consumer = _device(tenant_a), _email(tenant_a)
    consent_restrict(tenant=tenant_a, subject=device, right=SALE, source=ConsentSource.SIGNAL)
    device_link(tenant=tenant_a, device=device, consumer=consumer)
    consent_allow(tenant=tenant_a, subject=consumer, right=SALE, source=ConsentSource.FORM)
    assert not consent_state_get(tenant_a, consumer.hash).sale_sharing_opted_out
    assert consent_state_get(tenant_a, device.hash).sale_sharing_opted_out


def test_a_link_must_join_a_device_to_a_consumer(tenant_a):
    with pytest.raises(Refused):
        device_link(tenant=tenant_a, device=_email(tenant_a), consumer=_device(tenant_a))


def test_another_business_s_request_cannot_be_named(tenant_a, tenant_b):
    with pytest.raises(Refused):
        consent_restrict(
            tenant=tenant_a,
            subject=_email(tenant_a),
            right=SALE,
            source=ConsentSource.FORM,
            privacy_request=correction(tenant_b),
        )
    assert not ConsentState.objects.for_tenant(tenant_a).exists()


def test_the_same_consumer_at_two_businesses_has_separate_states(tenant_a, tenant_b):
    consent_restrict(
        tenant=tenant_a, subject=_email(tenant_a), right=SALE, source=ConsentSource.FORM
    )
    assert _email(tenant_a).hash != _email(tenant_b).hash
    assert consent_state_get(tenant_b, _email(tenant_b).hash) is None


def test_a_consumer_s_opt_out_reaches_their_browser_but_not_its_other_users(tenant_a):
    """One hop: a shared browser carries a consumer's opt-out, not to the others who use it."""
    device, ana, bo = _device(tenant_a), _email(tenant_a), _email(tenant_a, "bo@example.com")
    device_link(tenant=tenant_a, device=device, consumer=ana)
    device_link(tenant=tenant_a, device=device, consumer=bo)
    consent_restrict(tenant=tenant_a, subject=ana, right=SALE, source=ConsentSource.FORM)
    assert consent_state_get(tenant_a, device.hash).sale_sharing_opted_out
    assert not consent_state_get(tenant_a, bo.hash).sale_sharing_opted_out
    consent_restrict(tenant=tenant_a, subject=device, right=SENSITIVE, source=ConsentSource.SIGNAL)
    assert consent_state_get(tenant_a, bo.hash).sensitive_use_limited
