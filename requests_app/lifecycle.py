"""The request lifecycle as a pure transition table (no Django imports).

``received → awaiting_verification → verified → in_progress → closed``. Requests to opt out,
limit and opt in skip verification (§7060(b), §7026(d)): ``received → in_progress → closed``.
Every refusal is a ``core.refusals.Refused`` with a code and a message a staff member
understands; a refusal caused by the request's state is a conflict.

``available_actions`` answers, from the same rules, which staff actions a request offers: the
admin's buttons and the API's ``available_actions`` both ask it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.refusals import Refused

from .vocabulary import (
    ANSWERED,
    AWAITING_VERIFICATION,
    CLOSED,
    COMPLIED_IN_PART,
    COMPLY_TYPE_DENIAL_REASONS,
    COMPLY_TYPES,
    DENIAL_REASONS,
    EXEMPT,
    FRAUDULENT,
    IN_PROGRESS,
    OUTCOMES,
    RECEIVED,
    VERIFIABLE_TYPES,
    VERIFIED,
    WITH_DENIAL,
    WITHDRAWN,
)

# status -> statuses it may move to (closing is checked separately by check_close).
TRANSITIONS: dict[str, frozenset[str]] = {
    RECEIVED: frozenset({AWAITING_VERIFICATION, VERIFIED, IN_PROGRESS, CLOSED}),
    AWAITING_VERIFICATION: frozenset({VERIFIED, CLOSED}),
    VERIFIED: frozenset({IN_PROGRESS, CLOSED}),
    IN_PROGRESS: frozenset({CLOSED}),
    CLOSED: frozenset(),
}

STATUS_LABELS = {
    RECEIVED: "received",
    AWAITING_VERIFICATION: "awaiting verification",
    VERIFIED: "verified",
    IN_PROGRESS: "in progress",
    CLOSED: "closed",
}

# A denial is explained in the business's own words (§7022(f)(1), §7023(f)(2), §7024(e)): a
# word or two, or a stock phrase that could answer any request, is not an explanation.
MIN_EXPLANATION_WORDS = 5
# What was done, for a request complied with in part (issue 16 item 8): a real sentence.
MIN_DONE_WORDS = 3
BOILERPLATE = frozenset(
    {
        "denied",
        "request denied",
        "your request is denied",
        "your request has been denied",
        "see our privacy policy",
        "per our policy",
        "per policy",
        "not applicable",
        "n/a",
        "other",
        "exempt",
        "fraud",
        "fraudulent",
        "unverifiable",
    }
)
# A fraud denial rests on a documented, good-faith, reasonable belief (§7023(h), §7026(e),
# §7027(f)): what was seen, written down for the record.
MIN_FRAUD_DOCUMENTATION_WORDS = 8


def needs_verification(request_type: str) -> bool:
    """Requests to know, delete and correct are verifiable requests (§7060); the others are not."""
    return request_type in VERIFIABLE_TYPES


def initial_status(request_type: str) -> str:
    """Where a new request starts once received and acknowledged."""
    return AWAITING_VERIFICATION if needs_verification(request_type) else IN_PROGRESS


def check_transition(*, request_type: str, current: str, target: str) -> None:
    if current == CLOSED:
        raise Refused(
            "closed", "This request is already closed; it cannot change any more.", conflict=True
        )
    # The most helpful refusal first: "verify first" says what to do, the table only what not.
    if target == IN_PROGRESS and needs_verification(request_type) and current != VERIFIED:
        raise Refused(
            "not_verified",
            "Verify the requester's identity before working on this request (§7060).",
            conflict=True,
        )
    if target in {AWAITING_VERIFICATION, VERIFIED} and not needs_verification(request_type):
        raise Refused(
            "no_verification",
            "Requests to opt out, limit or opt in are not verified (§7060(b), §7026(d)).",
            conflict=True,
        )
    if target not in TRANSITIONS.get(current, frozenset()):
        raise Refused(
            "illegal_transition",
            f"A request that is {STATUS_LABELS.get(current, current)} cannot become "
            f"{STATUS_LABELS.get(target, target)}.",
            conflict=True,
        )


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text)


def explanation_problem(explanation: str) -> str | None:
    """Why an explanation of a denial is not one (None when it is)."""
    text = " ".join(explanation.split())
    if not text:
        return "Explain the denial to the consumer in plain words (§7022(f), §7023(f), §7024(e))."
    if text.lower().strip(" .!") in BOILERPLATE or len(_words(text)) < MIN_EXPLANATION_WORDS:
        return (
            "Explain the denial in a sentence or two the consumer can act on: why this request "
            "was denied and what they can do (at least "
            f"{MIN_EXPLANATION_WORDS} words; a stock phrase is not an explanation, "
            "§7022(f)(1), §7023(f)(2))."
        )
    return None


def done_explanation_problem(outcome: str, done_explanation: str) -> str | None:
    """Why "what we did" does not fit the outcome (None when it does): required, in words, for
    a request complied with in part; given for no other outcome."""
    text = " ".join(done_explanation.split())
    if outcome == COMPLIED_IN_PART:
        if not text:
            return (
                "Say what you did for the consumer, in plain words (for example “We deleted "
                "your account and your order history.”): a request complied with in part tells "
                "them what was done as well as what was not and why."
            )
        if len(_words(text)) < MIN_DONE_WORDS:
            return (
                "Describe what you did in a sentence the consumer understands (at least "
                f"{MIN_DONE_WORDS} words), for example “We deleted your account and your order "
                "history.”"
            )
        return None
    if text:
        return (
            "Only a request complied with in part takes “what we did”: clear it, or choose "
            "“complied in part”."
        )
    return None


def check_close(
    *,
    request_type: str,
    current: str,
    verified: bool,
    outcome: str,
    denial_reason: str = "",
    explanation: str = "",
    legal_basis: str = "",
    fraud_documentation: str = "",
    awaiting_consumer_confirmation: bool = False,
    done_explanation: str = "",
) -> None:
    """Refuse a closure the regulations do not allow.

    A request complied with in part says what was done (``done_explanation``) as well as what
    was not and why (issue 16 item 8; §7022(f)(3)-(4), §7024(e)): only that outcome takes it.

    ``withdrawn`` (the consumer withdrew the request) is not an answer on the merits: it needs
    no verification and takes no denial reason.
    """
    check_transition(request_type=request_type, current=current, target=CLOSED)
    if outcome not in OUTCOMES:
        raise Refused(
            "invalid_outcome",
            "Choose an outcome: complied, complied in part, denied, or withdrawn by the consumer.",
        )
    if outcome == WITHDRAWN:
        if denial_reason:
            raise Refused(
                "unexpected_denial_reason",
                "A request the consumer withdrew has no denial reason.",
            )
        _check_done(outcome, done_explanation)
        return
    if outcome in ANSWERED and needs_verification(request_type) and not verified:
        raise Refused(
            "not_verified",
            "This request cannot be closed as complied before the requester's identity is "
            "verified (§7060). Verify it, or deny it as unverifiable.",
            conflict=True,
        )
    if outcome in ANSWERED and awaiting_consumer_confirmation:
        # §7020(d): with the two-step delete, nothing is deleted before the consumer confirms.
        raise Refused(
            "awaiting_consumer_confirmation",
            "The consumer has not confirmed this request to delete yet (second step, "
            "§7020(d)): it cannot be carried out before they do. Wait for the confirmation, "
            "or deny it.",
            conflict=True,
        )
    if outcome in WITH_DENIAL:
        _check_denial(
            request_type=request_type,
            denial_reason=denial_reason,
            explanation=explanation,
            legal_basis=legal_basis,
            fraud_documentation=fraud_documentation,
        )
    elif denial_reason:
        raise Refused(
            "unexpected_denial_reason", "A request complied with in full has no denial reason."
        )
    _check_done(outcome, done_explanation)


def _check_done(outcome: str, done_explanation: str) -> None:
    problem = done_explanation_problem(outcome, done_explanation)
    if problem is not None:
        raise Refused("done_explanation_required", problem, "done_explanation")


def _check_denial(
    *,
    request_type: str,
    denial_reason: str,
    explanation: str,
    legal_basis: str,
    fraud_documentation: str,
) -> None:
    if not denial_reason:
        raise Refused(
            "denial_reason_required",
            "Choose why the request was denied (in whole or in part); the reason goes in "
            "the request log (§7101(b)) and the yearly metrics (§7102).",
            "denial_reason",
        )
    if denial_reason not in DENIAL_REASONS:
        raise Refused(
            "invalid_denial_reason", "That denial reason is not one we know.", "denial_reason"
        )
    if request_type in COMPLY_TYPES and denial_reason not in COMPLY_TYPE_DENIAL_REASONS:
        raise Refused(
            "denial_reason_not_allowed",
            "A request to opt out or to limit may be denied only for a documented, good-faith "
            "belief that it is fraudulent, or when an authorized agent did not provide the "
            "consumer's signed permission (§7026(e), (j); §7027(f), (j)). It is never denied "
            "for lack of verification (§7060(b)): comply with it.",
            "denial_reason",
        )
    problem = explanation_problem(explanation)
    if problem is not None:
        raise Refused("explanation_required", problem, "explanation")
    if denial_reason == EXEMPT and not legal_basis.strip():
        raise Refused(
            "legal_basis_required",
            "Name the legal basis of the exemption (the law or CCPA exception relied on).",
            "legal_basis",
        )
    if denial_reason == FRAUDULENT and len(_words(fraud_documentation)) < (
        MIN_FRAUD_DOCUMENTATION_WORDS
    ):
        raise Refused(
            "fraud_documentation_required",
            "Document the good-faith, reasonable belief that the request is fraudulent: what "
            "you found and why it shows fraud (§7023(h), §7026(e), §7027(f)). It is kept "
            "with the request's record.",
            "fraud_documentation",
        )


# --- What staff can do next --------------------------------------------------------------------

ASSIGN = "assign"
MARK_VERIFIED = "mark_verified"
START_WORK = "start_work"
EXTEND = "extend"
CLOSE = "close"
RECORD_CONFIRMATION = "record_confirmation"
ACTIONS = (ASSIGN, MARK_VERIFIED, START_WORK, EXTEND, CLOSE, RECORD_CONFIRMATION)


@dataclass(frozen=True)
class RequestFacts:
    """What the available actions depend on (a ``PrivacyRequest`` has all of these)."""

    request_type: str
    status: str
    respond_by_set: bool
    extended: bool
    confirm_by_set: bool
    confirmed: bool


def available_actions(facts: RequestFacts) -> tuple[str, ...]:
    """The staff actions this request offers now, in ``ACTIONS`` order.

    An action offered here may still be refused by its service for a reason only it can see
    (the 45 days are over, documents not yet opened); one not offered would always be refused.
    """
    if facts.status == CLOSED:
        return ()
    offered = {ASSIGN, CLOSE}
    if needs_verification(facts.request_type) and facts.status in {
        RECEIVED,
        AWAITING_VERIFICATION,
    }:
        offered.add(MARK_VERIFIED)
    if facts.status == VERIFIED or (
        facts.status == RECEIVED and not needs_verification(facts.request_type)
    ):
        offered.add(START_WORK)
    if facts.respond_by_set and not facts.extended:
        offered.add(EXTEND)
    if facts.confirm_by_set and not facts.confirmed:
        offered.add(RECORD_CONFIRMATION)
    return tuple(action for action in ACTIONS if action in offered)
