"""The audit trail's hash chain: the canonical encoding of an entry, its hash, and the walk that
finds the first broken link. Pure: no Django, no clock; the caller reads the entries.

Each business has its own chain. Entry ``n`` (``seq`` 1, 2, 3, … with no gap) carries the hash of
entry ``n - 1`` as ``prev_hash`` (the first carries the chain's genesis hash, derived from the
business's id so that no entry can be moved into another business's chain) and its own
``entry_hash = sha256(prev_hash + encoding)``, where ``encoding`` is the canonical text of every
field that says who did what, when and from where. Changing any of them, removing an entry or
reordering entries breaks the chain at that entry, and ``verify`` reports it (§7101(a): records
are secured; issue 14 item 3: tamper-evident).

The encoding is a sequence of length-prefixed fields (``<length>:<text>``, lengths in characters),
so no choice of values can make two different entries encode alike, and it is cheap enough to
verify a million entries in seconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_LABEL = "privacy-portal audit chain v1 / business "
HASH_LENGTH = 64  # hex digits of a SHA-256

# The order of the fields in the encoding; the verifier reads them in this order too.
FIELDS = (
    "tenant_id",
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "actor_kind",
    "action",
    "target",
    "summary",
    "detail",
    "ip_address",
    "user_agent",
)

HASH_MISMATCH = "hash_mismatch"
PREV_HASH_MISMATCH = "prev_hash_mismatch"
GAP = "gap"
OUT_OF_ORDER = "out_of_order"
TRUNCATED = "truncated"

PROBLEM_TEXT = {
    HASH_MISMATCH: "its contents do not match its hash (changed after it was written)",
    PREV_HASH_MISMATCH: "it does not point at the entry before it (that entry was changed, "
    "or entries were reordered)",
    GAP: "the entry with this number is missing (deleted)",
    OUT_OF_ORDER: "its number repeats or goes backwards",
    TRUNCATED: "this entry and every later one the chain head counts are missing (deleted)",
}


def genesis_hash(tenant_id: int) -> str:
    """The ``prev_hash`` of a business's first entry: a constant of its chain."""
    return hashlib.sha256(f"{GENESIS_LABEL}{tenant_id}".encode()).hexdigest()


def canonical_detail(detail: Mapping[str, Any] | None) -> str:
    """``detail`` as canonical JSON text (sorted keys, no spaces), stored as it is hashed."""
    if not detail:
        return "{}"
    return json.dumps(
        detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def timestamp_text(moment: datetime) -> str:
    """An aware instant as UTC text with microseconds, the same however it was read back."""
    if moment.tzinfo is None:
        raise ValueError("audit entries carry aware datetimes")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timestamp_text(value)
    return str(value)


def encode(fields: Mapping[str, object]) -> str:
    """The canonical encoding of one entry's fields (every name in ``FIELDS``)."""
    parts = []
    for name in FIELDS:
        text = _text(fields[name])
        parts.append(f"{len(text)}:{text}")
    return "|".join(parts)


def encode_row(row: tuple[object, ...]) -> str:
    """``encode`` for a tuple of values in ``FIELDS`` order (the verifier's fast path)."""
    parts = []
    for value in row:
        text = _text(value)
        parts.append(f"{len(text)}:{text}")
    return "|".join(parts)


def entry_hash(prev_hash: str, encoding: str) -> str:
    return hashlib.sha256((prev_hash + encoding).encode()).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    """The first place the chain does not hold: the entry number and what is wrong there."""

    seq: int
    problem: str

    def describe(self) -> str:
        return f"entry {self.seq}: {PROBLEM_TEXT[self.problem]}"


@dataclass(frozen=True)
class ChainReport:
    """What ``verify`` found: how many entries it checked and the first broken link, if any."""

    entries: int
    broken: BrokenLink | None

    @property
    def intact(self) -> bool:
        return self.broken is None

    def describe(self) -> str:
        if self.broken is None:
            return f"intact ({self.entries} entries)"
        return f"broken at {self.broken.describe()}"


def verify(
    tenant_id: int,
    rows: Iterable[tuple[object, ...]],
    *,
    last_seq: int | None = None,
    last_hash: str | None = None,
) -> ChainReport:
    """Walk a business's entries in ``seq`` order and return the first broken link.

    Each row is the entry's fields in ``FIELDS`` order followed by its ``prev_hash`` and
    ``entry_hash``. ``last_seq``/``last_hash``, when given, are the chain head's: entries removed
    from the end of the chain leave no gap between the rest, so only the head shows them.
    """
    seq_index = FIELDS.index("seq")
    field_count = len(FIELDS)
    encoded = (
        (row[seq_index], encode_row(row[:field_count]), row[field_count], row[field_count + 1])
        for row in rows
    )
    return verify_encoded(tenant_id, encoded, last_seq=last_seq, last_hash=last_hash)


def verify_encoded(
    tenant_id: int,
    rows: Iterable[tuple[object, str, object, object]],
    *,
    last_seq: int | None = None,
    last_hash: str | None = None,
) -> ChainReport:
    """``verify`` for rows already encoded: (seq, encoding, prev_hash, entry_hash), in ``seq``
    order. A database that can compute ``encode`` itself hands its rows here (much faster than
    building every field as a Python object: recordkeeping.audit_trail)."""
    expected_seq = 1
    previous = genesis_hash(tenant_id)
    count = 0
    sha256 = hashlib.sha256
    for seq, encoding, prev_hash, stored_hash in rows:
        if not isinstance(seq, int):
            raise TypeError(f"seq must be an int, not {type(seq).__name__}")
        if seq > expected_seq:
            return ChainReport(count, BrokenLink(expected_seq, GAP))
        if seq < expected_seq:
            return ChainReport(count, BrokenLink(seq, OUT_OF_ORDER))
        if prev_hash != previous:
            return ChainReport(count, BrokenLink(seq, PREV_HASH_MISMATCH))
        if sha256((previous + encoding).encode()).hexdigest() != stored_hash:
            return ChainReport(count, BrokenLink(seq, HASH_MISMATCH))
        previous = stored_hash
        count += 1
        expected_seq += 1
    if last_seq is not None and last_seq > count:
        return ChainReport(count, BrokenLink(count + 1, TRUNCATED))
    if last_hash is not None and count and last_hash != previous:
        return ChainReport(count, BrokenLink(count, HASH_MISMATCH))
    return ChainReport(count, None)
