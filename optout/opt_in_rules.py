"""Rules of opting back in (pure: no Django, no clock; dates and facts are arguments).

* **The 12 months** (§7026(k), §7027(l), Civ. Code §1798.135(c)(4)): a business may not ask a
  consumer who opted out of sale/sharing, or limited the use of their sensitive personal
  information, to consent again for 12 months from the date their request was received. The
  date D is the local date, in the business's time zone, of the receipt (as for every other
  deadline, requirements A-4). Asking is allowed from D + 12 calendar months, counted like
  ``requests_app.limits.add_months``; where that day does not exist (an opt-out on 29 February)
  ``add_months`` clamps to 28 February, which would be a day short of 12 full months, so asking
  is allowed only from the day after (1 March): the consumer-safe reading of "at least 12 months".
  The business may ask earlier when the consumer started a transaction that needs it
  (§7028(b)-(c)).
* **Consumers under 16** (§7070-§7071, Civ. Code §1798.120(c)-(d)): where the business knows a
  consumer is under 16, their personal information may be sold or shared only after an opt-in:
  the consumer's own, through the two-step process, at 13 to 15 (§7071(a), §7028(a)); a parent's
  or guardian's, through one of the §7070(a)(2) methods, under 13 (§7070(a)(1)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from requests_app.limits import add_months

PROMPT_WAIT_MONTHS = 12  # §7026(k), §7027(l), Civ. Code §1798.135(c)(4)

# What the business knows of a consumer's age (§7070, §7071). "" : nothing, or 16 or over.
UNDER_13 = "under_13"
AGE_13_TO_15 = "13_to_15"
AGE_BANDS = (UNDER_13, AGE_13_TO_15)
NOT_A_MINOR = "16_or_over"  # the API's word for "no longer, or never, under 16"

# How an opt-in to the sale or sharing of a minor's personal information was given.
# 13 to 15: the consumer's own two-step opt-in (§7071(a), §7028(a)).
TWO_STEP_OPT_IN = "two_step_opt_in"
# Under 13: a parent's or guardian's consent, by one of the §7070(a)(2)(A)-(F) methods.
SIGNED_FORM = "signed_form"  # (A) consent form signed under penalty of perjury
PAYMENT_CARD = "payment_card"  # (B) card or payment system notifying each transaction
TOLL_FREE_CALL = "toll_free_call"  # (C) toll-free number staffed by trained personnel
VIDEO_CONFERENCE = "video_conference"  # (D)
IN_PERSON = "in_person"  # (E)
GOVERNMENT_ID = "government_id"  # (F) ID checked, then deleted promptly
PARENT_METHODS = (
    SIGNED_FORM,
    PAYMENT_CARD,
    TOLL_FREE_CALL,
    VIDEO_CONFERENCE,
    IN_PERSON,
    GOVERNMENT_ID,
)
METHODS_FOR_BAND = {AGE_13_TO_15: (TWO_STEP_OPT_IN,), UNDER_13: PARENT_METHODS}


def may_ask_from(received: date) -> date:
    """The first local date on which a consumer whose opt-out or limit was received on
    ``received`` may be asked to opt in again (§7026(k), §7027(l))."""
    anniversary = add_months(received, PROMPT_WAIT_MONTHS)
    if anniversary.day != received.day:  # clamped (29 February): 12 full months end later
        return anniversary + timedelta(days=1)
    return anniversary


@dataclass(frozen=True)
class PromptAnswer:
    """Whether the business may ask now, why, and from when it could (when it may not)."""

    allowed: bool
    basis: str
    may_ask_from: date | None


# Why a prompt is allowed or not.
NOT_RESTRICTED = "not_restricted"  # nothing to opt back into: no opt-out or limit in place
TWELVE_MONTHS_PASSED = "twelve_months_passed"
CONSUMER_INITIATED = "consumer_initiated"  # §7028(b)-(c)
TOO_SOON = "too_soon"


def prompt_answer(
    *, restricted_on: date | None, today: date, consumer_initiated: bool
) -> PromptAnswer:
    """May the business ask the consumer to opt in today? ``restricted_on``: the local date the
    opt-out or limit now in place was received (None: none is in place)."""
    if restricted_on is None:
        return PromptAnswer(True, NOT_RESTRICTED, None)
    earliest = may_ask_from(restricted_on)
    if today >= earliest:
        return PromptAnswer(True, TWELVE_MONTHS_PASSED, earliest)
    if consumer_initiated:
        return PromptAnswer(True, CONSUMER_INITIATED, earliest)
    return PromptAnswer(False, TOO_SOON, earliest)


def minor_may_be_sold(age_band: str, opted_in: bool) -> bool:
    """§1798.120(c), §7070, §7071: a known minor's information only after an opt-in."""
    return age_band not in AGE_BANDS or opted_in


def method_problem(age_band: str, method: str) -> str | None:
    """Why ``method`` cannot record an opt-in for a consumer in ``age_band`` (None: it can)."""
    if age_band not in AGE_BANDS:
        return "An opt-in is recorded here only for a consumer known to be under 16."
    if method in METHODS_FOR_BAND[age_band]:
        return None
    if age_band == UNDER_13:
        return (
            "Under 13, the opt-in is a parent's or guardian's consent, confirmed by one of the "
            "§7070(a)(2) methods: " + ", ".join(PARENT_METHODS) + "."
        )
    return (
        "At 13 to 15, the consumer opts in themselves, with a request and a separate "
        f"confirmation (§7071(a), §7028(a)): method {TWO_STEP_OPT_IN}."
    )
