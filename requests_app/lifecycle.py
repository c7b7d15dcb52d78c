"""The request lifecycle as a pure transition table (no Django imports).

``received → awaiting_verification → verified → in_progress → closed``. Requests to opt out,
limit and opt in skip verification (§7060(b), §7026(d)): ``received → in_progress → closed``.
Every refusal carries a code and a message a staff member understands.
"""

from __future__ import annotations

from core.refusals import Refused

RECEIVED = "received"
AWAITING_VERIFICATION = "awaiting_verification"
VERIFIED = "verified"
IN_PROGRESS = "in_progress"
CLOSED = "closed"
OPEN_STATUSES = frozenset({RECEIVED, AWAITING_VERIFICATION, VERIFIED, IN_PROGRESS})

VERIFIABLE_TYPES = frozenset({"know", "delete", "correct"})

WITHDRAWN = "withdrawn"
OUTCOMES = frozenset({"complied", "complied_in_part", "denied", WITHDRAWN})

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
    if target not in TRANSITIONS.get(current, frozenset()):
        raise Refused(
            "illegal_transition",
            f"A request that is {STATUS_LABELS.get(current, current)} cannot become "
            f"{STATUS_LABELS.get(target, target)}.",
            conflict=True,
        )
    if target in {AWAITING_VERIFICATION, VERIFIED} and not needs_verification(request_type):
        raise Refused(
            "no_verification",
            "Requests to opt out, limit or opt in are not verified (§7060(b), §7026(d)).",
            conflict=True,
        )


def check_close(
    *,
    request_type: str,
    current: str,
    verified: bool,
    outcome: str,
    denial_reason: str = "",
    explanation: str = "",
    legal_basis: str = "",
) -> None:
    """Refuse a closure the regulations do not allow.

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
        return
    if (
        outcome in {"complied", "complied_in_part"}
        and needs_verification(request_type)
        and not verified
    ):
        raise Refused(
            "not_verified",
            "This request cannot be closed as complied before the requester's identity is "
            "verified (§7060). Verify it, or deny it as unverifiable.",
            conflict=True,
        )
    if outcome in {"denied", "complied_in_part"}:
        if not denial_reason:
            raise Refused(
                "denial_reason_required",
                "Choose why the request was denied (in whole or in part); the reason goes in "
                "the request log (§7101(b)) and the yearly metrics (§7102).",
            )
        if denial_reason not in {"unverifiable", "not_a_consumer", "exempt", "fraudulent", "other"}:
            raise Refused("invalid_denial_reason", "That denial reason is not one we know.")
        if not explanation.strip():
            raise Refused(
                "explanation_required",
                "Explain the denial to the consumer in plain words (§7022(f), §7023(f), §7024(e)).",
            )
        if denial_reason == "exempt" and not legal_basis.strip():
            raise Refused(
                "legal_basis_required",
                "Name the legal basis of the exemption (the law or CCPA exception relied on).",
            )
    elif denial_reason:
        raise Refused(
            "unexpected_denial_reason", "A request complied with in full has no denial reason."
        )
