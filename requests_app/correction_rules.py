"""Rules of requests to correct and to delete beyond the lifecycle (pure: no Django, no clock).

* §7023(b): a correction is decided on the totality of the circumstances; staff write down that
  assessment and the documentation they considered before closing it on the merits.
* §7023(f)(4): a consumer whose correction of health information was denied may send a written
  statement of at most 250 words per item.
* §7023(c) as amended: a correction stays corrected; recorded corrections are compared by a
  normalized value (case, spacing), so "Main St" and "main  st" are the same value.
* §7022(b)(3), (c)(4): a claim that deleting or notifying is impossible or would involve
  disproportionate effort carries a detailed explanation with enough facts to give the consumer
  a meaningful understanding; a stock phrase is not one.
"""

from __future__ import annotations

import re

from . import vocabulary as words

STATEMENT_MAX_WORDS = 250  # §7023(f)(4)
STATEMENT_ITEM_LENGTH = 200
MIN_ASSESSMENT_WORDS = 8
MIN_IMPOSSIBILITY_WORDS = 12
# Denials that are not decisions on the information's accuracy: no assessment to record.
NOT_ON_THE_MERITS = frozenset(
    {words.UNVERIFIABLE, words.NOT_A_CONSUMER, words.FRAUDULENT, words.AGENT_WITHOUT_PERMISSION}
)
IMPOSSIBILITY_STOCK_PHRASES = frozenset(
    {
        "impossible",
        "not possible",
        "it is impossible",
        "deletion is impossible",
        "disproportionate effort",
        "would involve disproportionate effort",
        "it would involve disproportionate effort",
        "notifying all third parties is impossible",
        "technical reasons",
        "for technical reasons",
    }
)


def word_count(text: str) -> int:
    """Words as a reader counts them: runs of letters or digits, apostrophes and hyphens kept."""
    return len(re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", text))


def statement_problem(item: str, text: str) -> str | None:
    """Why a §7023(f)(4) statement cannot be taken (None when it can)."""
    if not item.strip():
        return "item"
    if len(item.strip()) > STATEMENT_ITEM_LENGTH:
        return "item_too_long"
    count = word_count(text)
    if count == 0:
        return "empty"
    if count > STATEMENT_MAX_WORDS:
        return "too_long"
    return None


def assessment_needed(*, request_type: str, outcome: str, denial_reason: str) -> bool:
    """§7023(b): a correction complied with, in part, or denied on the merits (the information
    was found more likely than not accurate, or an exemption) needs the recorded assessment."""
    if request_type != words.CORRECT or outcome == words.WITHDRAWN:
        return False
    return not (outcome == words.DENIED and denial_reason in NOT_ON_THE_MERITS)


def assessment_problem(assessment: str, documentation: str) -> str | None:
    """Why a recorded assessment is not one (None when it is)."""
    if word_count(assessment) < MIN_ASSESSMENT_WORDS:
        return (
            "Record your assessment of the totality of the circumstances (§7023(b)): the nature "
            "of the information, how the business obtained it, and what the documentation "
            f"shows (at least {MIN_ASSESSMENT_WORDS} words)."
        )
    if not documentation.strip():
        return (
            "List the documentation you considered (§7023(b)(1)(C), §7023(d)): the consumer's, "
            "the business's own, or another source's; write “none” if there was none."
        )
    return None


def impossibility_problem(explanation: str) -> str | None:
    """Why an explanation of impossibility or disproportionate effort is not a detailed one
    (§7022(b)(3), (c)(4)); None when it is."""
    text = " ".join(explanation.split())
    if text.lower().strip(" .!") in IMPOSSIBILITY_STOCK_PHRASES or (
        word_count(text) < MIN_IMPOSSIBILITY_WORDS
    ):
        return (
            "Explain in detail why it cannot be done, with enough facts to give the consumer a "
            "meaningful understanding (at least "
            f"{MIN_IMPOSSIBILITY_WORDS} words; saying it is impossible or would involve "
            "disproportionate effort is not enough, §7022(b)(3), §7022(c)(4))."
        )
    return None


def normalized_value(value: str) -> str:
    """A corrected value as it is compared: case-folded, spaces collapsed."""
    return " ".join(value.casefold().split())
