"""Opt-out and limit requests (§7026, §7027): each is recorded as a request with its comply-by
date (§7101), carried out on the consent state at once, and closed as complied, in one
transaction; an agent's waits for staff (§7026(j))."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.refusals import Refused
from optout.choice_services import choice_apply, choice_submit
from optout.models import ConsentRight, ConsentState
from optout.selectors import consent_answer, consent_history
from optout.services import consent_subject
from optout.subjects import SubjectKind
from requests_app.models import EventKind, PrivacyRequest
from requests_app.services.intake import Agent, Requester
from tests.factories import DEVICE_ID

pytestmark = pytest.mark.django_db

SALE = ConsentRight.SALE_SHARING
SENSITIVE = ConsentRight.SENSITIVE_USE


def test_a_form_opt_out_is_a_complied_request_with_its_deadline_and_changes_the_state(
    tenant_a, freeze
):
    freeze(datetime(2026, 12, 7, 18, 0, tzinfo=UTC))  # a Monday
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    [made] = choice_submit(
        tenant=tenant_a,
        rights=[SALE],
        channel="webform",
        subjects=[device],
        requester=Requester(email="Ana@Example.com"),
    )
    privacy_request = PrivacyRequest.objects.for_tenant(tenant_a).get(pk=made.privacy_request.pk)
    assert privacy_request.request_type == "opt_out"
    assert privacy_request.outcome == "complied"
    # §7026(f)(1): 15 business days from receipt, Christmas Day not counted.
    assert privacy_request.comply_by == date(2026, 12, 29)
    email = consent_subject(tenant_a, SubjectKind.EMAIL, "ana@example.com")
    for subject in (device, email):
        assert b'"may_sell_or_share":false' in consent_answer(tenant_a, subject.hash).body
        [change] = consent_history(tenant_a, subject.hash)
        assert change.privacy_request_id == privacy_request.pk
    kinds = list(privacy_request.events.values_list("kind", flat=True))
    assert EventKind.CONSENT_CHANGED in kinds
    assert kinds[-1] == EventKind.CLOSED


def test_an_anonymous_form_limit_applies_to_the_browser_alone(tenant_a):
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    [made] = choice_submit(
        tenant=tenant_a, rights=[SENSITIVE], channel="webform", subjects=[device]
    )
    assert made.privacy_request.request_type == "limit"
    [state] = made.states
    assert state.sensitive_use_limited
    assert not state.sale_sharing_opted_out


def test_both_rights_make_two_requests(tenant_a):
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    made = choice_submit(
        tenant=tenant_a, rights=[SALE, SENSITIVE], channel="webform", subjects=[device]
    )
    assert sorted(m.privacy_request.request_type for m in made) == ["limit", "opt_out"]
    assert (
        PrivacyRequest.objects.for_tenant(tenant_a)
        .filter(tenant=tenant_a, outcome="complied")
        .count()
        == 2
    )


def test_a_request_naming_nobody_is_refused_and_leaves_nothing(tenant_a):
    with pytest.raises(Refused) as refused:
        choice_submit(tenant=tenant_a, rights=[SALE], channel="webform")
    assert refused.value.code == "no_subject"
    assert not PrivacyRequest.objects.for_tenant(tenant_a).filter(tenant=tenant_a).exists()
    assert not ConsentState.objects.for_tenant(tenant_a).exists()


def test_an_agents_request_waits_for_staff_then_applies_to_the_consumer(tenant_a, staff_a):
    [made] = choice_submit(
        tenant=tenant_a,
        rights=[SALE],
        channel="agent",
        requester=Requester(name="Ana", email="ana@example.com"),
        agent=Agent(name="Privacy Helpers LLC"),
        apply=False,
    )
    assert made.states == ()
    assert not ConsentState.objects.for_tenant(tenant_a).exists()
    states = choice_apply(privacy_request=made.privacy_request, actor=staff_a)
    assert states[0].sale_sharing_opted_out
    assert states[0].sale_sharing_source == "agent"
    made.privacy_request.refresh_from_db()
    assert made.privacy_request.outcome == "complied"


def test_a_signal_is_never_an_agents_request(tenant_a):
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    with pytest.raises(Refused):
        choice_submit(
            tenant=tenant_a, rights=[SALE], channel="gpc", subjects=[device], agent=Agent(name="X")
        )


# --- Closed as complied some other way (the API, the queue's "Close with outcome") ---------------


def _open_opt_out(tenant, **requester):
    from requests_app.services.intake import privacy_request_create

    return privacy_request_create(
        tenant=tenant, request_type="opt_out", channel="webform", requester=Requester(**requester)
    )


def test_an_opt_out_closed_as_complied_elsewhere_is_applied_to_its_consumer(tenant_a, staff_a):
    """The record never says an opt-out was complied with while the lookup says "may sell"."""
    from requests_app.services.transitions import privacy_request_close

    privacy_request = _open_opt_out(tenant_a, email="ana@example.com")
    privacy_request_close(privacy_request=privacy_request, actor=staff_a, outcome="complied")
    email = consent_subject(tenant_a, SubjectKind.EMAIL, "ana@example.com")
    [change] = consent_history(tenant_a, email.hash)
    assert change.restricted
    assert change.privacy_request_id == privacy_request.pk
    kinds = list(privacy_request.events.values_list("kind", flat=True))
    assert kinds.count(EventKind.CONSENT_CHANGED) == 1


def test_an_opt_out_naming_nobody_cannot_be_closed_as_complied(tenant_a, staff_a):
    from requests_app.services.transitions import privacy_request_close

    privacy_request = _open_opt_out(tenant_a)
    with pytest.raises(Refused) as refused:
        privacy_request_close(privacy_request=privacy_request, actor=staff_a, outcome="complied")
    assert refused.value.code == "no_subject"
    privacy_request.refresh_from_db()
    assert privacy_request.status != "closed"


def test_choice_apply_records_its_change_once(tenant_a):
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    [made] = choice_submit(
        tenant=tenant_a,
        rights=[SALE],
        channel="webform",
        subjects=[device],
        requester=Requester(email="ana@example.com"),
    )
    kinds = list(made.privacy_request.events.values_list("kind", flat=True))
    assert kinds.count(EventKind.CONSENT_CHANGED) == 1
