"""The lifecycle transition table (pure): what may happen to a request, and what is refused."""

from __future__ import annotations

import itertools

import pytest

from core.refusals import Refused
from requests_app import lifecycle
from requests_app.lifecycle import (
    AWAITING_VERIFICATION,
    CLOSED,
    IN_PROGRESS,
    RECEIVED,
    VERIFIED,
    check_close,
    check_transition,
)

ALL_STATUSES = [RECEIVED, AWAITING_VERIFICATION, VERIFIED, IN_PROGRESS, CLOSED]
VERIFIABLE = ["know", "delete", "correct"]
NOT_VERIFIED_TYPES = ["opt_out", "limit", "opt_in"]


@pytest.mark.parametrize("request_type", VERIFIABLE)
def test_know_delete_correct_start_awaiting_verification_7060(request_type):
    assert lifecycle.initial_status(request_type) == AWAITING_VERIFICATION


@pytest.mark.parametrize("request_type", NOT_VERIFIED_TYPES)
def test_opt_out_limit_opt_in_skip_verification_7060b(request_type):
    assert lifecycle.initial_status(request_type) == IN_PROGRESS


@pytest.mark.parametrize(
    ("current", "target"),
    [(s, t) for s, t in itertools.product(ALL_STATUSES, ALL_STATUSES) if s == CLOSED],
)
def test_a_closed_request_never_changes_again(current, target):
    with pytest.raises(Refused) as refused:
        check_transition(request_type="delete", current=current, target=target)
    assert refused.value.code == "closed"


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (AWAITING_VERIFICATION, RECEIVED),
        (VERIFIED, AWAITING_VERIFICATION),
        (IN_PROGRESS, VERIFIED),
        (IN_PROGRESS, RECEIVED),
    ],
)
def test_backward_or_skipping_transitions_are_refused_with_a_message(current, target):
    with pytest.raises(Refused) as refused:
        check_transition(request_type="know", current=current, target=target)
    assert refused.value.message
    assert "cannot" in refused.value.message or "Verify" in refused.value.message


@pytest.mark.parametrize("current", [RECEIVED, AWAITING_VERIFICATION])
def test_work_cannot_start_on_a_verifiable_request_before_verification_7060(current):
    with pytest.raises(Refused) as refused:
        check_transition(request_type="delete", current=current, target=IN_PROGRESS)
    assert refused.value.code == "not_verified"
    assert refused.value.message.startswith("Verify the requester's identity")


@pytest.mark.parametrize("request_type", NOT_VERIFIED_TYPES)
def test_opt_outs_cannot_be_sent_to_verification_7026d(request_type):
    with pytest.raises(Refused) as refused:
        check_transition(request_type=request_type, current=RECEIVED, target=VERIFIED)
    assert refused.value.code == "no_verification"


@pytest.mark.parametrize("request_type", VERIFIABLE)
@pytest.mark.parametrize("outcome", ["complied", "complied_in_part"])
def test_closing_as_complied_before_verification_is_refused_7060(request_type, outcome):
    with pytest.raises(Refused) as refused:
        check_close(
            request_type=request_type,
            current=AWAITING_VERIFICATION,
            verified=False,
            outcome=outcome,
            denial_reason="exempt",
            explanation="We must keep these records for tax law.",
            legal_basis="y",
        )
    assert refused.value.code == "not_verified"


@pytest.mark.parametrize("request_type", NOT_VERIFIED_TYPES)
def test_an_opt_out_may_be_closed_as_complied_without_verification(request_type):
    check_close(request_type=request_type, current=IN_PROGRESS, verified=False, outcome="complied")


def test_an_unverified_request_may_be_denied_as_unverifiable_7021b():
    check_close(
        request_type="know",
        current=AWAITING_VERIFICATION,
        verified=False,
        outcome="denied",
        denial_reason="unverifiable",
        explanation="We could not match the details you gave.",
    )


@pytest.mark.parametrize(
    ("denial_reason", "explanation", "legal_basis", "code"),
    [
        ("", "because", "", "denial_reason_required"),
        ("other", "   ", "", "explanation_required"),
        ("exempt", "Kept for a legal claim.", "", "legal_basis_required"),
        ("made_up", "because", "", "invalid_denial_reason"),
    ],
)
@pytest.mark.parametrize("outcome", ["denied", "complied_in_part"])
def test_a_denial_needs_a_reason_category_and_an_explanation_7101b(
    outcome, denial_reason, explanation, legal_basis, code
):
    with pytest.raises(Refused) as refused:
        check_close(
            request_type="delete",
            current=VERIFIED,
            verified=True,
            outcome=outcome,
            denial_reason=denial_reason,
            explanation=explanation,
            legal_basis=legal_basis,
        )
    assert refused.value.code == code


def test_an_exempt_denial_with_its_legal_basis_is_accepted_7022f():
    check_close(
        request_type="delete",
        current=VERIFIED,
        verified=True,
        outcome="denied",
        denial_reason="exempt",
        explanation="We must keep your invoices.",
        legal_basis="Civ. Code §1798.105(d)(8): compliance with a legal obligation",
    )


def test_a_full_compliance_carries_no_denial_reason():
    with pytest.raises(Refused) as refused:
        check_close(
            request_type="delete",
            current=VERIFIED,
            verified=True,
            outcome="complied",
            denial_reason="other",
        )
    assert refused.value.code == "unexpected_denial_reason"


def test_an_unknown_outcome_is_refused():
    with pytest.raises(Refused) as refused:
        check_close(request_type="delete", current=VERIFIED, verified=True, outcome="done")
    assert refused.value.code == "invalid_outcome"


@pytest.mark.parametrize("request_type", VERIFIABLE + NOT_VERIFIED_TYPES)
@pytest.mark.parametrize("current", [RECEIVED, AWAITING_VERIFICATION, VERIFIED, IN_PROGRESS])
def test_a_consumer_may_withdraw_an_open_request_without_verification_or_reason(
    request_type, current
):
    check_close(request_type=request_type, current=current, verified=False, outcome="withdrawn")


def test_a_withdrawn_request_takes_no_denial_reason():
    with pytest.raises(Refused) as refused:
        check_close(
            request_type="delete",
            current=AWAITING_VERIFICATION,
            verified=False,
            outcome="withdrawn",
            denial_reason="other",
            explanation="We must keep these records for tax law.",
        )
    assert refused.value.code == "unexpected_denial_reason"


def test_a_closed_request_cannot_be_withdrawn():
    with pytest.raises(Refused) as refused:
        check_close(request_type="know", current=CLOSED, verified=True, outcome="withdrawn")
    assert refused.value.code == "closed"


def test_an_unknown_outcome_is_refused_with_the_choices_listed():
    with pytest.raises(Refused) as refused:
        check_close(request_type="know", current=VERIFIED, verified=True, outcome="ignored")
    assert refused.value.code == "invalid_outcome"
    assert "withdrawn" in refused.value.message
