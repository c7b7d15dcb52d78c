"""The directory import's fast paths give exactly ``verification.normalize``'s hashes: a value
imported one way and typed in by the consumer another must still match (§7060(c)(1))."""

from __future__ import annotations

import pytest

from verification import degrees
from verification.bulk_hashing import RowHasher, fast_date, fast_phone, fast_words
from verification.normalize import Unreadable, hash_value, normalize

KEY = b"k" * 32
PHONES = [
    "(415) 555-0100",
    "415-555-0100",
    "415.555.0100",
    "4155550100",
    "+1 415 555 0100",
    "+14155550100",
    "+1-415-555-0100",
    "+1 (415) 555-0100",
    "(415 555-0100",
    "415) 555 0100",
    " (212) 999-1234 ",
    "1 415 555 0100",
    "(115) 555-0100",
    "415 155 0100",
    "555-0100",
    "+44 20 7946 0958",
    "415 555 01000",
    "phone",
    "",
]
WORDS = [
    "Ana María López",
    "ANA LOPEZ",
    "  Ben   O'Brien-Smith ",
    "Dr. J. R. R. Tolkien, Jr.",
    "snake_case_name",
    "tab\tand\x1cseparators",
    "12 Oak Street, Apt. #4",
    "12 oak st apt 4",
    "1 North Main Avenue, Suite 200",
    "PO Box 7 # 3",
    "....",
    "#",
    "Zoë Müller",
]
DATES = [
    "2026-03-31",
    "03/31/2026",
    "2026-02-29",
    "2024-02-29",
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "0999-01-01",
    "0000-01-01",
    "12/28/1999",
    "2026-3-5",
    "3/5/2026",
    "05.03.2026",
    " 2026-01-09 ",
    "not a date",
]
AMOUNTS = ["42.50", "$1,234.5", "0", "-3", "abc", "42.505", "1e3"]


def _same(kind: str, text: str) -> None:
    try:
        expected: str | type[Unreadable] = hash_value(KEY, kind, text)
    except Unreadable:
        expected = Unreadable
    hasher = RowHasher(KEY)
    for _ in range(2):  # the second time from the cache, where there is one
        try:
            got: str | type[Unreadable] = hasher.hash(kind, text)
        except Unreadable:
            got = Unreadable
        assert got == expected, (kind, text)


@pytest.mark.parametrize("text", PHONES)
def test_fast_phone_is_normalize_phone(text):
    fast = fast_phone(text)
    if fast is not None:
        assert fast == normalize(degrees.PHONE, text)
    _same(degrees.PHONE, text)


@pytest.mark.parametrize("text", WORDS)
def test_fast_words_are_normalize_name_and_address(text):
    for kind, address in ((degrees.NAME, False), (degrees.POSTAL_ADDRESS, True)):
        fast = fast_words(text, address=address)
        if fast is not None:
            assert fast == normalize(kind, text)
        _same(kind, text)


@pytest.mark.parametrize("text", DATES)
def test_fast_dates_are_normalize_date(text):
    fast = fast_date(text)
    if fast is not None:
        assert fast == normalize(degrees.DATE_OF_BIRTH, text)
    _same(degrees.DATE_OF_BIRTH, text)
    _same(degrees.LAST_PURCHASE_DATE, text)


@pytest.mark.parametrize("text", AMOUNTS)
def test_amounts_hash_as_normalize_does(text):
    _same(degrees.LAST_PURCHASE_AMOUNT, text)


@pytest.mark.parametrize("text", ["Ana@Example.COM", "a b@x.com", "ACCT-77", "  "])
def test_emails_and_accounts_hash_as_normalize_does(text):
    _same(degrees.EMAIL, text)
    _same(degrees.ACCOUNT, text)
