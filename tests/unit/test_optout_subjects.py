"""Consent subjects (pure): normalized identifiers, their keyed hash, device ids."""

from __future__ import annotations

import pytest

from core.refusals import Refused
from optout.subjects import (
    SubjectKind,
    new_device_id,
    normalize_account_id,
    normalize_device_id,
    normalize_email,
    normalize_phone,
    subject_hash,
)

KEY = b"k" * 32


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Ana@Example.COM ", "ana@example.com"),
        ("ana+news@example.com", "ana+news@example.com"),
    ],
)
def test_emails_are_compared_trimmed_and_lowercased(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "ana", "ana@", "@example.com", "a b@example.com", "a@b@c.d"])
def test_malformed_emails_are_refused_with_a_message(raw):
    with pytest.raises(Refused) as refused:
        normalize_email(raw)
    assert refused.value.code == "invalid_subject"
    assert refused.value.field == "email"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(415) 555-0100", "+14155550100"),
        ("415.555.0100", "+14155550100"),
        ("1 415 555 0100", "+14155550100"),
        ("+1 415-555-0100", "+14155550100"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_numbers_of_one_line_hash_alike_however_written(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "555-0100", "phone", "+1", "+1234567890123456", "４１５５５５０１００"]
)
def test_malformed_phone_numbers_are_refused(raw):
    with pytest.raises(Refused, match="phone"):
        normalize_phone(raw)


def test_account_ids_keep_their_case_and_refuse_empty_or_control_characters():
    assert normalize_account_id("  Cust-42 ") == "Cust-42"
    for raw in ["", "   ", "a\nb", "x" * 201]:
        with pytest.raises(Refused):
            normalize_account_id(raw)


def test_issued_device_ids_are_valid_and_distinct():
    first, second = new_device_id(), new_device_id()
    assert normalize_device_id(first) == first
    assert first != second


@pytest.mark.parametrize("raw", ["", "abc", "d" * 42, "d" * 44, "d" * 42 + "!", "d" * 42 + "="])
def test_anything_but_an_issued_device_id_is_refused(raw):
    with pytest.raises(Refused, match="device id"):
        normalize_device_id(raw)


def test_the_hash_is_keyed_per_business_and_kind_and_never_the_raw_value():
    value = subject_hash(KEY, 1, SubjectKind.EMAIL, "ana@example.com")
    assert len(value) == 64
    assert "ana" not in value
    assert value == subject_hash(KEY, 1, SubjectKind.EMAIL, " ANA@example.com")
    assert value != subject_hash(KEY, 2, SubjectKind.EMAIL, "ana@example.com")
    assert value != subject_hash(b"other-key", 1, SubjectKind.EMAIL, "ana@example.com")
    assert value != subject_hash(KEY, 1, SubjectKind.ACCOUNT, "ana@example.com")
