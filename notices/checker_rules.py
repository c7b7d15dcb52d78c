"""The completeness checker's rules (issue 15 item 3): from plain facts about a business, the
required elements its notices are missing, each with its section. Pure: no Django, no clock
(``NoticeFacts.today`` is an argument); ``notices.checker`` gathers the facts.

Each rule returns findings for one document (``privacy_policy``, ``notice_at_collection``,
``financial_incentive:<slug>``) or for the business as a whole (``business``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

PRIVACY_POLICY = "privacy_policy"
NOTICE_AT_COLLECTION = "notice_at_collection"


@dataclass(frozen=True)
class Finding:
    """One missing required element: ``code`` is stable (tests and the API use it), ``section``
    the rule's citation, ``message`` tells the business what to do, in plain words."""

    code: str
    document: str
    section: str
    message: str


@dataclass(frozen=True)
class NoticeFacts:
    """What the checker needs to know about one business, gathered by ``notices.checker``."""

    today: date
    languages: tuple[str, ...]
    # The business's own text per language and field (NoticeText), stripped ("" when missing).
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # When the privacy policy was last published (its "last updated" date), or None.
    policy_last_updated: date | None = None


Rule = Callable[[NoticeFacts], list[Finding]]


def policy_not_reviewed_in_12_months(facts: NoticeFacts) -> list[Finding]:
    """Civil Code §1798.130(a)(5): the policy is updated at least once every 12 months."""
    last = facts.policy_last_updated
    if last is None or _add_months(last, 12) > facts.today:
        return []
    return [
        Finding(
            "policy_older_than_12_months",
            PRIVACY_POLICY,
            "Civil Code §1798.130(a)(5)",
            f"The privacy policy was last updated on {last.isoformat()}, more than 12 months "
            "ago. Review it and publish it again.",
        )
    ]


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last_day in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


RULES: tuple[Rule, ...] = (policy_not_reviewed_in_12_months,)


def findings(facts: NoticeFacts, document: str | None = None) -> list[Finding]:
    """Every finding, or only those of ``document`` (and of the business as a whole)."""
    found = [finding for rule in RULES for finding in rule(facts)]
    if document is None:
        return found
    return [f for f in found if f.document in (document, "business")]
