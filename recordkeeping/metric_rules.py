"""How the §7102 annual metrics count (pure: no Django).

The counting conventions of requirements A-7, A-16, A-17 and A-18 as data and small functions,
so the selector (``recordkeeping.metrics``), the management command and the tests name each
rule once and the conventions printed beside the figures are the ones the code applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from requests_app import vocabulary as words

# §7102(a)(1)(A)-(E): the five request types reported, in the regulation's order of the table.
# Opt-in requests are not counted: §7102 does not ask for them.
METRIC_TYPES: tuple[str, ...] = (
    words.KNOW,
    words.DELETE,
    words.CORRECT,
    words.OPT_OUT,
    words.LIMIT,
)

# "complied with in whole or in part" includes partial denials; "denied" means in full.
COMPLIED_OUTCOMES: frozenset[str] = frozenset({words.COMPLIED, words.COMPLIED_IN_PART})
DENIED_OUTCOMES: frozenset[str] = frozenset({words.DENIED})
# A-7 (R-7102-a2A-1): the optional denial-reason breakdown counts denials in whole or in part.
BREAKDOWN_OUTCOMES: frozenset[str] = frozenset({words.DENIED, words.COMPLIED_IN_PART})
# The portal's written convention: a withdrawn request is received, neither complied nor denied.
WITHDRAWN_OUTCOMES: frozenset[str] = frozenset({words.WITHDRAWN})

# §7102(a)(2)(A) buckets, in the regulation's order, and which internal reason maps to which.
DENIAL_BUCKETS: tuple[str, ...] = (
    words.METRIC_UNVERIFIABLE,
    words.METRIC_NOT_A_CONSUMER,
    words.METRIC_EXEMPT,
    words.METRIC_OTHER,
)
DENIAL_BUCKET_LABELS: dict[str, str] = {
    words.METRIC_UNVERIFIABLE: "Request not verifiable",
    words.METRIC_NOT_A_CONSUMER: "Not made by a consumer",
    words.METRIC_EXEMPT: "Information exempt from disclosure",
    words.METRIC_OTHER: "Other grounds",
}
TYPE_LABELS: dict[str, str] = {
    words.KNOW: "Requests to know",
    words.DELETE: "Requests to delete",
    words.CORRECT: "Requests to correct",
    words.OPT_OUT: "Requests to opt out of sale/sharing",
    words.LIMIT: "Requests to limit use of sensitive personal information",
}

# §7102(b), A-16: the two populations.
POPULATION_ALL = "all"
POPULATION_CONSUMERS = "consumers"
POPULATIONS: tuple[str, ...] = (POPULATION_ALL, POPULATION_CONSUMERS)
POPULATION_TEXT: dict[str, str] = {
    POPULATION_ALL: "Includes requests from all individuals (§7102(b)), California residents or not.",
    POPULATION_CONSUMERS: (
        "Consumers only (§7102(b)): requests whose requester is a California resident. "
        "Requests whose residency is unknown are excluded (only a known California resident "
        "is counted as a consumer, Civ. Code §1798.140(i))."
    ),
}


def denial_bucket(reason: str) -> str:
    """The §7102(a)(2)(A) bucket of an internal denial reason; an unknown or blank reason is
    "other grounds", so the breakdown always sums to the denials in whole or in part."""
    return words.DENIAL_REASON_METRIC.get(reason, words.METRIC_OTHER)


def reasons_in_bucket(bucket: str) -> tuple[str, ...]:
    """The internal denial reasons that fall in a bucket (for the database's filters)."""
    return tuple(reason for reason, b in words.DENIAL_REASON_METRIC.items() if b == bucket)


def basis_text(zone: str) -> str:
    """A-7 (R-7102-P-1): the counting basis, stated on every output."""
    place = "Pacific time" if zone == "America/Los_Angeles" else zone
    return f"Counted in the calendar year the request was received ({place})."


def round_days(value: float | None) -> float | None:
    """Days are shown to 1 decimal (A-7), rounding half away from zero (25.25 -> 25.3), not
    Python's banker's rounding."""
    if value is None:
        return None
    scaled = abs(value) * 10 + 0.5
    rounded = int(scaled + 1e-9) / 10
    return rounded if value >= 0 else -rounded


def median(values: Sequence[float]) -> float | None:
    """The standard median (A-7): the middle value, or with an even count the mean of the two
    middle values; ``None`` for no values. Rounded to 1 decimal."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    middle = n // 2
    value = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return round_days(float(value))


def mean(values: Sequence[float]) -> float | None:
    """The arithmetic mean, rounded to 1 decimal; ``None`` for no values."""
    if not values:
        return None
    return round_days(sum(values) / len(values))


def _value_at(counts: Sequence[tuple[int, int]], position: int) -> int:
    seen = 0
    for value, count in counts:
        seen += count
        if position < seen:
            return value
    raise IndexError(position)


def median_of_counts(counts: Mapping[int, int]) -> float | None:
    """The standard median (A-7) of a histogram {days: number of requests}, as the database
    returns it (one row per distinct number of days, never one per request); 1 decimal."""
    ordered = sorted((value, count) for value, count in counts.items() if count > 0)
    n = sum(count for _, count in ordered)
    if n == 0:
        return None
    if n % 2:
        return round_days(float(_value_at(ordered, n // 2)))
    return round_days((_value_at(ordered, n // 2 - 1) + _value_at(ordered, n // 2)) / 2)


def mean_of_counts(counts: Mapping[int, int]) -> float | None:
    """The mean of a histogram {days: number of requests}; 1 decimal."""
    n = sum(counts.values())
    if n == 0:
        return None
    return round_days(sum(value * count for value, count in counts.items()) / n)


@dataclass
class Tally:
    """One request type's counts, added up from the database's groups."""

    received: int = 0
    complied: int = 0
    denied: int = 0
    withdrawn: int = 0
    pending: int = 0
    breakdown: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DENIAL_BUCKETS, 0))
    days: dict[int, int] = field(default_factory=dict)  # {days to respond: requests}

    @property
    def timed(self) -> int:
        return sum(self.days.values())


def is_timed(outcome: str) -> bool:
    """Days to a substantive response are taken over requests complied with or denied (A-7)."""
    return outcome in COMPLIED_OUTCOMES or outcome in DENIED_OUTCOMES


def tally(groups: Iterable[tuple[str, str, str, str, int | None, int]]) -> dict[str, Tally]:
    """Apply the conventions to the database's groups (request type, status, outcome, denial
    reason, days to respond or None, number of requests): a few thousand rows at most,
    whatever the number of requests. Types outside METRIC_TYPES (opt-in) are left out."""
    tallies = {request_type: Tally() for request_type in METRIC_TYPES}
    for request_type, status, outcome, reason, days, count in groups:
        if request_type not in tallies:
            continue
        row = tallies[request_type]
        row.received += count
        if status != words.CLOSED:
            row.pending += count
        elif outcome in COMPLIED_OUTCOMES:
            row.complied += count
        elif outcome in DENIED_OUTCOMES:
            row.denied += count
        elif outcome in WITHDRAWN_OUTCOMES:
            row.withdrawn += count
        if status == words.CLOSED and outcome in BREAKDOWN_OUTCOMES:
            row.breakdown[denial_bucket(reason)] += count
        if status == words.CLOSED and is_timed(outcome) and days is not None:
            row.days[days] = row.days.get(days, 0) + count
    return tallies


CONVENTIONS: tuple[str, ...] = (
    "Each request counts in the calendar year of its date of receipt (A-7), whenever it was "
    "answered: a request received in December and answered in January counts in December's year.",
    "Complied with in whole or in part includes requests complied with in part and denied in "
    "part; denied means denied in full (A-7).",
    "The denial breakdown (§7102(a)(2)(A)) counts denials in whole or in part, so it sums to "
    "denied plus complied in part; every internal reason maps to one of the four grounds.",
    "A withdrawn request is counted as received, and as neither complied with nor denied; "
    "the number withdrawn is shown beside the figures.",
    "Requests still open at the time of the report are counted as received and shown as pending.",
    "Received = complied in whole or in part + denied + withdrawn + pending.",
    "A two-step request to delete the consumer never confirmed is closed as denied (other "
    "grounds) (A-18).",
    "Days to respond = the date of the substantive response (the grant or denial, not the "
    "receipt confirmation; for opt-out and limit, the date compliance was completed) in the "
    "business's time zone minus the date of receipt. Only requests complied with or denied "
    "count; withdrawn and pending requests do not.",
    "Median uses the standard definition (with an even count, the mean of the two middle "
    "values). Mean and median are shown to 1 decimal.",
    "Requests to opt in are not counted (§7102 does not ask for them).",
)
