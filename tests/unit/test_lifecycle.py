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


# --- The record never says what did not happen (issue: defects found by reading the rules) -----

REAL = "We found no account with the details you gave us."
FRAUD_FILE = "Three requests from one IP address in a minute, each with a different name."


@pytest.mark.parametrize("request_type", ["opt_out", "limit"])
@pytest.mark.parametrize("reason", ["unverifiable", "exempt", "other", "not_a_consumer"])
def test_an_opt_out_or_limit_is_denied_only_for_fraud_or_a_missing_agent_permission_7026e_j(
    request_type, reason
):
    with pytest.raises(Refused) as refused:
        check_close(
            request_type=request_type,
            current=IN_PROGRESS,
            verified=False,
            outcome="denied",
            denial_reason=reason,
            explanation=REAL,
            legal_basis="Civ. Code §1798.145(a)",
        )
    assert refused.value.code == "denial_reason_not_allowed"
    assert "§7060(b)" in refused.value.message


@pytest.mark.parametrize("request_type", ["opt_out", "limit"])
def test_an_opt_out_may_be_denied_for_documented_fraud_or_an_agent_without_permission(
    request_type,
):
    check_close(
        request_type=request_type,
        current=IN_PROGRESS,
        verified=False,
        outcome="denied",
        denial_reason="fraudulent",
        explanation=REAL,
        fraud_documentation=FRAUD_FILE,
    )
    check_close(
        request_type=request_type,
        current=IN_PROGRESS,
        verified=False,
        outcome="denied",
        denial_reason="agent_without_permission",
        explanation="Your agent did not send us your signed permission to act for you.",
    )


@pytest.mark.parametrize("documentation", ["", "Suspicious.", "looks like fraud to me"])
@pytest.mark.parametrize("request_type", ["know", "delete", "correct", "opt_out", "limit"])
def test_a_fraud_denial_needs_its_documented_belief_7023h_7026e_7027f(request_type, documentation):
    with pytest.raises(Refused) as refused:
        check_close(
            request_type=request_type,
            current=IN_PROGRESS if request_type in {"opt_out", "limit"} else VERIFIED,
            verified=True,
            outcome="denied",
            denial_reason="fraudulent",
            explanation=REAL,
            fraud_documentation=documentation,
        )
    assert refused.value.code == "fraud_documentation_required"
    assert refused.value.field == "fraud_documentation"


@pytest.mark.parametrize(
    "explanation",
    [
        "",
        "x",
        "Denied.",
        "Request denied",
        "per policy",
        "n/a",
        "See our privacy policy.",
        "No way",
    ],
)
@pytest.mark.parametrize("outcome", ["denied", "complied_in_part"])
def test_a_denial_needs_a_real_explanation_not_a_word_or_boilerplate_7022f1_7023f2(
    explanation, outcome
):
    with pytest.raises(Refused) as refused:
        check_close(
            request_type="delete",
            current=VERIFIED,
            verified=True,
            outcome=outcome,
            denial_reason="other",
            explanation=explanation,
        )
    assert refused.value.code == "explanation_required"
    assert lifecycle.explanation_problem(explanation) is not None


def test_a_plain_sentence_is_an_explanation():
    assert lifecycle.explanation_problem(REAL) is None


@pytest.mark.parametrize("outcome", ["complied", "complied_in_part"])
def test_a_two_step_delete_is_not_carried_out_before_the_consumer_confirms_7020d(outcome):
    with pytest.raises(Refused) as refused:
        check_close(
            request_type="delete",
            current=VERIFIED,
            verified=True,
            outcome=outcome,
            denial_reason="exempt" if outcome == "complied_in_part" else "",
            explanation=REAL,
            legal_basis="Civ. Code §1798.105(d)(8)",
            awaiting_consumer_confirmation=True,
        )
    assert refused.value.code == "awaiting_consumer_confirmation"
    assert refused.value.conflict


def test_an_unconfirmed_two_step_delete_may_still_be_denied_or_withdrawn_a18():
    for outcome, reason in (("denied", "other"), ("withdrawn", "")):
        check_close(
            request_type="delete",
            current=AWAITING_VERIFICATION,
            verified=False,
            outcome=outcome,
            denial_reason=reason,
            explanation=REAL if reason else "",
            awaiting_consumer_confirmation=True,
        )


# --- available_actions: what the admin's buttons and the API's available_actions show ----------


def _facts(**changes) -> lifecycle.RequestFacts:
    facts = {
        "request_type": "delete",
        "status": AWAITING_VERIFICATION,
        "respond_by_set": True,
        "extended": False,
        "confirm_by_set": True,
        "confirmed": False,
    }
    return lifecycle.RequestFacts(**(facts | changes))


def test_a_new_phone_request_offers_assign_verify_extend_close_and_record_confirmation():
    assert lifecycle.available_actions(_facts()) == (
        "assign",
        "mark_verified",
        "extend",
        "close",
        "record_confirmation",
    )


def test_a_verified_request_offers_start_work_and_no_second_verification():
    actions = lifecycle.available_actions(_facts(status=VERIFIED, confirmed=True))
    assert actions == ("assign", "start_work", "extend", "close")


def test_an_extended_request_offers_no_second_extension_7021b():
    assert "extend" not in lifecycle.available_actions(_facts(extended=True))


@pytest.mark.parametrize("request_type", NOT_VERIFIED_TYPES)
def test_an_opt_out_offers_start_work_but_never_verification_or_extension(request_type):
    facts = _facts(
        request_type=request_type, status=RECEIVED, respond_by_set=False, confirm_by_set=False
    )
    assert lifecycle.available_actions(facts) == ("assign", "start_work", "close")


def test_a_closed_request_offers_nothing():
    assert lifecycle.available_actions(_facts(status=CLOSED)) == ()


@pytest.mark.parametrize("status", ALL_STATUSES)
@pytest.mark.parametrize("request_type", VERIFIABLE + NOT_VERIFIED_TYPES)
def test_every_offered_transition_is_one_the_table_allows(status, request_type):
    actions = lifecycle.available_actions(_facts(request_type=request_type, status=status))
    targets = {"mark_verified": VERIFIED, "start_work": IN_PROGRESS}
    for action, target in targets.items():
        if action in actions:
            check_transition(request_type=request_type, current=status, target=target)
