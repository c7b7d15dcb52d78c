"""Normalization: two spellings of one value give one keyed hash; another key, another hash."""

from __future__ import annotations

import pytest

from verification import degrees
from verification.normalize import Unreadable, hash_value, normalize

KEY = b"k" * 32


@pytest.mark.parametrize(
    ("kind", "a", "b"),
    [
        (degrees.EMAIL, " Ana@Example.COM ", "ana@example.com"),
        (degrees.PHONE, "(415) 555-0100", "+1 415 555 0100"),
        (degrees.PHONE, "415.555.0100", "+14155550100"),
        (degrees.NAME, "Ana María  López", "ana maria lopez"),
        (degrees.NAME, "O'Brien, Seán", "o brien sean"),
        (degrees.POSTAL_ADDRESS, "12 Oak Street, Apt. 4", "12 oak st apt 4"),
        (degrees.POSTAL_ADDRESS, "12 Oak St #4", "12 OAK STREET APARTMENT 4"),
        (degrees.DATE_OF_BIRTH, "03/31/1990", "1990-03-31"),
        (degrees.LAST_PURCHASE_DATE, "3/1/2026", "2026-03-01"),
        (degrees.LAST_PURCHASE_AMOUNT, "$1,042.5", "1042.50"),
        (degrees.ACCOUNT, " AB-123 ", "ab-123"),
    ],
)
def test_spellings_of_one_value_hash_alike(kind, a, b):
    assert normalize(kind, a) == normalize(kind, b)
    assert hash_value(KEY, kind, a) == hash_value(KEY, kind, b)


def test_different_values_kinds_and_keys_hash_apart():
    assert hash_value(KEY, degrees.PHONE, "4155550100") != hash_value(
        KEY, degrees.PHONE, "4155550101"
    )
    assert hash_value(KEY, degrees.ACCOUNT, "12") != hash_value(
        KEY, degrees.LAST_PURCHASE_AMOUNT, "12"
    )
    assert hash_value(KEY, degrees.EMAIL, "a@b.co") != hash_value(
        b"x" * 32, degrees.EMAIL, "a@b.co"
    )


def test_the_hash_does_not_contain_the_value():
    digest = hash_value(KEY, degrees.EMAIL, "ana@example.com")
    assert "ana" not in digest
    assert len(digest) == 32


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (degrees.EMAIL, "not an email"),
        (degrees.PHONE, "12"),
        (degrees.NAME, "  ,. "),
        (degrees.DATE_OF_BIRTH, "31st of never"),
        (degrees.LAST_PURCHASE_AMOUNT, "forty"),
        (degrees.LAST_PURCHASE_AMOUNT, "-3"),
        ("ssn", "123-45-6789"),
    ],
)
def test_unreadable_values_are_refused_in_plain_words(kind, value):
    with pytest.raises(Unreadable) as refused:
        normalize(kind, value)
    assert str(refused.value)
