"""Matching what a consumer gives against what the business holds (§7060(c)(1)).

A matcher answers, for each data point given, ``matched``, ``not_matched`` or ``not_held``
(``degrees``). Backends:

* the consumer directory (``directory_match``): found by an anchor (email, phone or account
  number), then every point compared on that one record, hash to hash; nothing is ever
  compared in the clear, and a name alone never finds anyone;
* the business's own system, asked by a signed webhook (``verification.services.webhook``):
  it answers later, so a verification can wait for it;
* the business's own site asserting a signed-in account (``verification.services.account``).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Q

from tenants.models import Tenant

from .. import degrees
from ..models import DirectoryRecord, VerificationPolicy
from ..normalize import Unreadable, hash_value
from .policies import directory_key

HASH_FIELDS = {point: f"{point}_hash" for point in degrees.DATA_POINTS}
# Records an anchor can find: a shared phone number finds a household, never thousands.
MAX_CANDIDATES = 20


def point_hashes(policy: VerificationPolicy, values: Mapping[str, str]) -> dict[str, str]:
    """The keyed hash of each readable value given; an unreadable one cannot match (left out)."""
    key = directory_key(policy)
    hashes = {}
    for point, value in values.items():
        if point not in HASH_FIELDS or not str(value).strip():
            continue
        try:
            hashes[point] = hash_value(key, point, str(value))
        except Unreadable:
            continue
    return hashes


def _compare(record: DirectoryRecord | None, hashes: Mapping[str, str]) -> dict[str, str]:
    results = {}
    for point, digest in hashes.items():
        held = getattr(record, HASH_FIELDS[point]) if record is not None else ""
        if record is None:
            results[point] = degrees.NOT_MATCHED
        elif not held:
            results[point] = degrees.NOT_HELD
        else:
            results[point] = degrees.MATCHED if held == digest else degrees.NOT_MATCHED
    return results


def directory_match(
    *, tenant: Tenant, policy: VerificationPolicy, values: Mapping[str, str]
) -> dict[str, str]:
    """Each data point given -> its result against the directory record the anchors find.

    Found by no anchor, the consumer is unknown: every point is ``not_matched``. Of several
    records found, the one with the most matches counts (a consumer imported twice). A record
    that holds another email address than the one given is not this consumer's: someone who
    knows a consumer's phone number and name cannot borrow their record with their own email.
    """
    hashes = point_hashes(policy, values)
    anchors = Q()
    for anchor in degrees.ANCHORS:
        if anchor in hashes:
            anchors |= Q(**{HASH_FIELDS[anchor]: hashes[anchor]})
    if not anchors:
        return _compare(None, hashes)
    records = list(
        DirectoryRecord.objects.for_tenant(tenant)
        .filter(anchors)
        .only(*HASH_FIELDS.values())[:MAX_CANDIDATES]
    )
    best: dict[str, str] = _compare(None, hashes)
    for record in records:
        results = _compare(record, hashes)
        if results.get(degrees.EMAIL) == degrees.NOT_MATCHED:
            continue
        if _matches(results) > _matches(best):
            best = results
    return best


def _matches(results: Mapping[str, str]) -> int:
    return sum(1 for result in results.values() if result == degrees.MATCHED)
