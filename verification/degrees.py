"""How sure a business must be of who is asking, and whether the evidence gets there (pure: no
Django, no clock).

§7062: a request to know categories, and a low-risk request to delete or correct, needs a
*reasonable* degree of certainty (at least two reliable data points matched against what the
business holds, §7062(b)); a request to know specific pieces, and a sensitive request to delete
or correct, a *reasonably high* degree (at least three, plus a declaration signed under penalty
of perjury, §7062(c)). Which delete and correct requests are sensitive the business decides from
the type, sensitivity and value of the information (§7062(d)); ``required_degree`` takes its
choices as arguments. A request to correct never verifies with the information it contests
(§7060(h)): a match on that data point is shown as "not used".
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

# --- Degrees (§7062) ---------------------------------------------------------------------------
NONE = ""
REASONABLE = "reasonable"
REASONABLY_HIGH = "reasonably_high"
DEGREES = (REASONABLE, REASONABLY_HIGH)
_RANK = {NONE: 0, REASONABLE: 1, REASONABLY_HIGH: 2}

# Matched data points each degree needs (§7062(b)-(c)).
POINTS_NEEDED = {REASONABLE: 2, REASONABLY_HIGH: 3}

# --- Data points: what a consumer can be matched on -------------------------------------------
EMAIL = "email"
PHONE = "phone"
NAME = "name"
POSTAL_ADDRESS = "postal_address"
ACCOUNT = "account"
DATE_OF_BIRTH = "date_of_birth"
LAST_PURCHASE_DATE = "last_purchase_date"
LAST_PURCHASE_AMOUNT = "last_purchase_amount"
DATA_POINTS = (
    EMAIL,
    PHONE,
    NAME,
    POSTAL_ADDRESS,
    ACCOUNT,
    DATE_OF_BIRTH,
    LAST_PURCHASE_DATE,
    LAST_PURCHASE_AMOUNT,
)
# What a consumer may be found by in the directory: the other points are checked against the
# record found (never counted on their own: a name alone matches many people).
ANCHORS = (EMAIL, PHONE, ACCOUNT)

# The correction field of a request to correct (requests_app CorrectionField values) -> the data
# point it contests (§7060(h)). "account" covers account and purchase details.
CONTESTED_BY_CORRECTION = {
    "name": (NAME,),
    "email": (EMAIL,),
    "phone": (PHONE,),
    "postal_address": (POSTAL_ADDRESS,),
    "date_of_birth": (DATE_OF_BIRTH,),
    "account": (ACCOUNT, LAST_PURCHASE_DATE, LAST_PURCHASE_AMOUNT),
}

# --- Results of one data point ----------------------------------------------------------------
MATCHED = "matched"
NOT_MATCHED = "not_matched"
NOT_USED_CONTESTED = "contested"  # matched or not, it is the information being corrected
NOT_HELD = "not_held"  # the business holds nothing to compare it with

# Request types and what a request to know asks for (requests_app.vocabulary values).
KNOW = "know"
DELETE = "delete"
CORRECT = "correct"
KNOW_CATEGORIES = "categories"
KNOW_SPECIFIC = "specific"
KNOW_BOTH = "both"


def required_degree(
    *,
    request_type: str,
    know_scope: str = "",
    delete_degree: str = REASONABLE,
    correct_degree: str = REASONABLE,
    delete_categories: Collection[str] = (),
    high_degree_delete_categories: Collection[str] = (),
    correction_field: str = "",
    high_degree_correct_fields: Collection[str] = (),
) -> str:
    """The degree a request needs (§7062(b)-(d)), or NONE for a request that is not verified
    (opt-out, limit and opt-in: §7060(b))."""
    if request_type == KNOW:
        return REASONABLE if know_scope == KNOW_CATEGORIES else REASONABLY_HIGH
    if request_type == DELETE:
        if set(delete_categories) & set(high_degree_delete_categories):
            return REASONABLY_HIGH
        return delete_degree
    if request_type == CORRECT:
        if correction_field and correction_field in high_degree_correct_fields:
            return REASONABLY_HIGH
        return correct_degree
    return NONE


def contested_points(request_type: str, correction_field: str) -> tuple[str, ...]:
    """The data points a request to correct contests: never used to verify it (§7060(h))."""
    if request_type != CORRECT:
        return ()
    return CONTESTED_BY_CORRECTION.get(correction_field, ())


@dataclass(frozen=True)
class Assessment:
    """Where the evidence stands against the degree required."""

    required: str
    reached: str
    matched: tuple[str, ...]  # the data points that count, in DATA_POINTS order
    points_missing: int  # more matches the required degree needs
    declaration_missing: bool  # reasonably high needs a signed declaration (§7062(c))

    @property
    def verified(self) -> bool:
        return at_least(self.reached, self.required)


def at_least(reached: str, required: str) -> bool:
    return _RANK[reached] >= _RANK[required]


def assess(
    *,
    required: str,
    matched: Iterable[str],
    declaration_signed: bool,
    contested: Collection[str] = (),
) -> Assessment:
    """The degree reached by the data points matched (contested ones left out, §7060(h)) and a
    signed declaration, and what is still missing for the required degree."""
    counted = tuple(point for point in DATA_POINTS if point in set(matched) - set(contested))
    reached = NONE
    if len(counted) >= POINTS_NEEDED[REASONABLE]:
        reached = REASONABLE
    if len(counted) >= POINTS_NEEDED[REASONABLY_HIGH] and declaration_signed:
        reached = REASONABLY_HIGH
    points_missing = max(0, POINTS_NEEDED.get(required, 0) - len(counted)) if required else 0
    return Assessment(
        required=required,
        reached=reached,
        matched=counted,
        points_missing=points_missing,
        declaration_missing=required == REASONABLY_HIGH and not declaration_signed,
    )


def points_to_ask(
    *,
    offered: Iterable[str],
    matched: Collection[str],
    contested: Collection[str] = (),
) -> tuple[str, ...]:
    """The data points to ask the consumer for: those the business can check, not yet matched,
    and not contested (§7060(h)), in DATA_POINTS order. The email is proven by its link, never
    typed in again."""
    wanted = set(offered) - set(matched) - set(contested) - {EMAIL}
    return tuple(point for point in DATA_POINTS if point in wanted)


def categories_fallback(*, request_type: str, know_scope: str, reached: str) -> bool:
    """A request to know specific pieces verified only to a reasonable degree is answered as a
    request for categories (§7024(a), §7062(f)): no specific piece is disclosed."""
    return (
        request_type == KNOW and know_scope in {KNOW_SPECIFIC, KNOW_BOTH} and reached == REASONABLE
    )
