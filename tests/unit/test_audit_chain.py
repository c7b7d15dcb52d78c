"""The audit trail's hash chain (audit.chain): encoding, hashing, and the first broken link.

§7101(a) asks that records be secured; issue 14 item 3 that the trail be tamper-evident: any
changed, removed or reordered entry is found, at its number.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from audit import chain

TENANT = 7
T0 = datetime(2026, 12, 7, 12, 0, 0, 123456, tzinfo=UTC)


def fields(number: int, **changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "tenant_id": TENANT,
        "seq": number,
        "occurred_at": T0 + timedelta(seconds=number),
        "actor_id": 3,
        "actor_label": "alice",
        "actor_kind": "staff",
        "action": "read",
        "target": f"privacy_request:LL-000{number}-AAAA",
        "summary": "Opened the request",
        "detail": "{}",
        "ip_address": "203.0.113.9",
        "user_agent": "Mozilla/5.0",
    }
    base.update(changes)
    return base


def build(count: int, tenant_id: int = TENANT) -> list[tuple[object, ...]]:
    """A well-formed chain of ``count`` rows in the verifier's shape."""
    rows = []
    previous = chain.genesis_hash(tenant_id)
    for seq in range(1, count + 1):
        values = fields(seq, tenant_id=tenant_id)
        digest = chain.entry_hash(previous, chain.encode(values))
        rows.append((*(values[name] for name in chain.FIELDS), previous, digest))
        previous = digest
    return rows


def replace(row: tuple[object, ...], name: str, value: object) -> tuple[object, ...]:
    index = chain.FIELDS.index(name)
    return (*row[:index], value, *row[index + 1 :])


# --- encoding and hashing -------------------------------------------------------------------


def test_entry_hash_is_sha256_of_prev_hash_followed_by_the_encoding():
    encoding = chain.encode(fields(1))
    expected = hashlib.sha256((chain.genesis_hash(TENANT) + encoding).encode()).hexdigest()
    assert chain.entry_hash(chain.genesis_hash(TENANT), encoding) == expected
    assert len(expected) == chain.HASH_LENGTH


def test_every_field_changes_the_encoding():
    original = chain.encode(fields(1))
    changed = {
        "tenant_id": 8,
        "seq": 2,
        "occurred_at": T0 + timedelta(microseconds=1),
        "actor_id": None,
        "actor_label": "alicf",
        "actor_kind": "api_key",
        "action": "change",
        "target": "request_log",
        "summary": "Opened the request.",
        "detail": '{"a":1}',
        "ip_address": "203.0.113.10",
        "user_agent": "Mozilla/5.1",
    }
    assert set(changed) == set(chain.FIELDS)
    for name, value in changed.items():
        assert chain.encode(fields(1, **{name: value})) != original, name


def test_encoding_cannot_be_forged_by_moving_text_between_fields():
    # Length prefixes: "ab" + "c" never encodes like "a" + "bc", separators in values included.
    one = chain.encode(fields(1, actor_label="ab", target="c"))
    two = chain.encode(fields(1, actor_label="a", target="bc"))
    three = chain.encode(fields(1, actor_label="a|5:x", target=""))
    assert len({one, two, three}) == 3


def test_none_and_empty_actor_encode_alike_but_an_id_does_not():
    assert chain.encode(fields(1, actor_id=None)) == chain.encode(fields(1, actor_id=""))
    assert chain.encode(fields(1, actor_id=None)) != chain.encode(fields(1, actor_id=0))


def test_the_instant_is_encoded_in_utc_whatever_zone_it_is_read_in():
    pacific = timezone(timedelta(hours=-8))
    assert chain.encode(fields(1, occurred_at=T0)) == chain.encode(
        fields(1, occurred_at=T0.astimezone(pacific))
    )
    assert chain.timestamp_text(T0) == "2026-12-07T12:00:00.123456Z"


def test_a_naive_instant_is_refused():
    with pytest.raises(ValueError, match="aware"):
        chain.timestamp_text(datetime(2026, 1, 1))


def test_encode_row_matches_encode():
    values = fields(4)
    assert chain.encode_row(tuple(values[name] for name in chain.FIELDS)) == chain.encode(values)


def test_unicode_is_encoded_by_characters_and_hashed_as_utf8():
    encoding = chain.encode(fields(1, actor_label="José"))
    assert "4:José" in encoding
    assert chain.entry_hash("", encoding) == hashlib.sha256(encoding.encode()).hexdigest()


def test_detail_is_canonical_json_with_sorted_keys_and_no_spaces():
    assert chain.canonical_detail({"b": 1, "a": [1, "x"]}) == '{"a":[1,"x"],"b":1}'
    assert chain.canonical_detail({"purpose": "Audit by the CPPA"}) == (
        '{"purpose":"Audit by the CPPA"}'
    )
    assert chain.canonical_detail(None) == "{}"
    assert chain.canonical_detail({}) == "{}"
    assert chain.canonical_detail({"n": "ñ"}) == '{"n":"ñ"}'


def test_each_business_has_its_own_genesis_hash():
    assert chain.genesis_hash(1) != chain.genesis_hash(2)
    assert chain.genesis_hash(1) == chain.genesis_hash(1)
    assert len(chain.genesis_hash(1)) == chain.HASH_LENGTH


# --- verification ---------------------------------------------------------------------------


def test_an_empty_chain_is_intact():
    report = chain.verify(TENANT, [])
    assert report.intact
    assert report.entries == 0
    assert report.describe() == "intact (0 entries)"


@pytest.mark.parametrize("count", [1, 2, 50])
def test_a_well_formed_chain_is_intact_with_its_count(count):
    rows = build(count)
    report = chain.verify(TENANT, rows, last_seq=count, last_hash=rows[-1][-1])
    assert report.intact
    assert report.describe() == f"intact ({count} entries)"


@pytest.mark.parametrize("name", [n for n in chain.FIELDS if n not in {"seq", "tenant_id"}])
def test_a_changed_field_is_a_hash_mismatch_at_exactly_that_entry(name):
    rows = build(10)
    value = rows[5][chain.FIELDS.index(name)]
    rows[5] = replace(rows[5], name, f"{value}x" if value is not None else "x")
    report = chain.verify(TENANT, rows)
    assert report.broken == chain.BrokenLink(6, chain.HASH_MISMATCH)
    assert report.entries == 5
    assert report.describe().startswith("broken at entry 6: its contents do not match")


def test_a_changed_entry_whose_hash_was_recomputed_breaks_the_next_link():
    rows = build(10)
    forged = replace(rows[3], "summary", "nothing to see")
    digest = chain.entry_hash(str(forged[-2]), chain.encode_row(forged[: len(chain.FIELDS)]))
    rows[3] = (*forged[:-1], digest)
    report = chain.verify(TENANT, rows)
    assert report.broken == chain.BrokenLink(5, chain.PREV_HASH_MISMATCH)


def test_a_deleted_entry_is_a_gap_at_its_number():
    rows = build(10)
    del rows[6]  # entry 7
    report = chain.verify(TENANT, rows)
    assert report.broken == chain.BrokenLink(7, chain.GAP)
    assert "missing" in report.describe()


def test_a_deleted_first_entry_is_a_gap_at_one():
    rows = build(3)[1:]
    assert chain.verify(TENANT, rows).broken == chain.BrokenLink(1, chain.GAP)


def test_deleted_last_entries_are_found_through_the_head():
    rows = build(10)
    report = chain.verify(TENANT, rows[:8], last_seq=10, last_hash=rows[-1][-1])
    assert report.broken == chain.BrokenLink(9, chain.TRUNCATED)
    # Without the head, what is left is a valid (shorter) chain: hence the head.
    assert chain.verify(TENANT, rows[:8]).intact


def test_a_last_entry_rewritten_with_its_hash_is_found_through_the_head():
    rows = build(4)
    forged = replace(rows[3], "action", "read")
    forged = replace(forged, "summary", "rewritten")
    digest = chain.entry_hash(str(forged[-2]), chain.encode_row(forged[: len(chain.FIELDS)]))
    rows_forged = [*rows[:3], (*forged[:-1], digest)]
    report = chain.verify(TENANT, rows_forged, last_seq=4, last_hash=rows[3][-1])
    assert report.broken == chain.BrokenLink(4, chain.HASH_MISMATCH)


def test_a_repeated_number_is_out_of_order():
    rows = build(5)
    rows.insert(3, rows[2])
    assert chain.verify(TENANT, rows).broken == chain.BrokenLink(3, chain.OUT_OF_ORDER)


def test_swapped_entries_are_found():
    rows = build(5)
    rows[1], rows[2] = rows[2], rows[1]
    assert chain.verify(TENANT, rows).broken == chain.BrokenLink(2, chain.GAP)


def test_an_entry_moved_from_another_business_is_refused():
    # Same fields, same seq, but chained from business 8's genesis.
    theirs = build(1, tenant_id=8)
    assert chain.verify(TENANT, theirs).broken == chain.BrokenLink(1, chain.PREV_HASH_MISMATCH)


def test_a_chain_built_for_one_business_does_not_verify_as_another():
    rows = build(3)
    assert not chain.verify(TENANT + 1, rows).intact


def test_a_first_entry_not_starting_at_genesis_is_refused():
    rows = build(2)
    rows[0] = (*rows[0][:-2], "0" * 64, rows[0][-1])
    assert chain.verify(TENANT, rows).broken == chain.BrokenLink(1, chain.PREV_HASH_MISMATCH)


def test_a_seq_that_is_not_an_integer_is_a_type_error():
    rows = build(1)
    with pytest.raises(TypeError):
        chain.verify(TENANT, [replace(rows[0], "seq", "1")])


def test_only_the_first_broken_link_is_reported():
    rows = build(10)
    rows[2] = replace(rows[2], "summary", "changed")
    del rows[7]
    assert chain.verify(TENANT, rows).broken == chain.BrokenLink(3, chain.HASH_MISMATCH)


def test_every_problem_has_a_description():
    for problem in (
        chain.HASH_MISMATCH,
        chain.PREV_HASH_MISMATCH,
        chain.GAP,
        chain.OUT_OF_ORDER,
        chain.TRUNCATED,
    ):
        assert chain.BrokenLink(1, problem).describe().startswith("entry 1: ")
