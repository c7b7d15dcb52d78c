"""Keyed hashes of many values at once, for the directory import (pure: no Django).

``verification.normalize`` is the definition; this gives *the same* hashes faster, where a
million rows make its general paths the import's bottleneck (figures in benchmarks/README.md):

* a US phone number written the usual ways (``(415) 555-0100``, ``415.555.0100``,
  ``+1 415 555 0100``) is put in E.164 directly rather than through ``phonenumbers``;
* a name or an address in plain ASCII skips the Unicode decomposition (it changes nothing);
* dates and amounts repeat (birthdays, purchase dates, prices): each distinct text is
  normalized and hashed once per import, in a bounded cache (memory stays flat).

Anything else goes through ``normalize.normalize`` itself. ``tests/unit`` checks that each
fast path gives what ``normalize`` gives, over the formats it takes and those it must not.
"""

from __future__ import annotations

import hmac
import re
from functools import lru_cache

from . import degrees
from .normalize import _STREET_WORDS, HASH_HEX_LENGTH, Unreadable, normalize

# NANP: an area code and an exchange start with 2-9; "1" first would be the trunk prefix, left
# to phonenumbers (it strips it, and the number may then be too short).
_US_PHONE = re.compile(r"(?:\+1[ .-]?)?\(?([2-9]\d\d)\)?[ .-]?([2-9]\d\d)[ .-]?(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)")
_US_DATE = re.compile(r"(\d\d)/(\d\d)/(\d{4})")
# normalize._plain_words on ASCII: what is neither a word character nor a space becomes a space.
_ASCII_NOT_WORD = {
    code: " "
    for code in range(128)
    if not (chr(code).isalnum() or chr(code) == "_" or chr(code).isspace())
}
CACHE_SIZE = 65_536
_CACHED_KINDS = frozenset(
    {degrees.DATE_OF_BIRTH, degrees.LAST_PURCHASE_DATE, degrees.LAST_PURCHASE_AMOUNT}
)


def fast_phone(text: str) -> str | None:
    """E.164 of a US number in a usual format, or None (then ``normalize_phone`` decides)."""
    found = _US_PHONE.fullmatch(text.strip())
    if found is None:
        return None
    return "+1" + "".join(found.groups())


def fast_words(text: str, *, address: bool) -> str | None:
    """``normalize_name``/``normalize_address`` of an ASCII text, or None (not ASCII, empty)."""
    if not text.isascii():
        return None
    if address:
        text = text.replace("#", " apt ")
    words = text.lower().translate(_ASCII_NOT_WORD).split()
    if not words:
        return None
    if address:
        return " ".join([_STREET_WORDS.get(word, word) for word in words])
    return " ".join(words)


def fast_date(text: str) -> str | None:
    """``normalize_date`` of 2026-03-31 or 03/31/2026, or None."""
    text = text.strip()
    found = _ISO_DATE.fullmatch(text)
    if found is not None:
        year, month, day = found.groups()
    else:
        found = _US_DATE.fullmatch(text)
        if found is None:
            return None
        month, day, year = found.groups()
    if not ("01" <= month <= "12" and "01" <= day <= "31") or year < "1000":
        return None
    # strptime checks the day against the month (30 February is no date): let it decide.
    if int(day) > 28:
        return None
    return f"{year}-{month}-{day}"


class RowHasher:
    """``hash(kind, text)`` == ``normalize.point_hash(key, kind, normalize(kind, text))``;
    raises ``Unreadable`` where ``normalize`` would."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._cached = lru_cache(maxsize=CACHE_SIZE)(self._hash_slow)

    def point_hash(self, kind: str, normalized: str) -> str:
        digest = hmac.digest(self._key, f"{kind}:{normalized}".encode(), "sha256")
        return digest.hex()[:HASH_HEX_LENGTH]

    def _hash_slow(self, kind: str, text: str) -> str | Unreadable:
        try:
            return self.point_hash(kind, normalize(kind, text))
        except Unreadable as error:
            return error  # cached too: the same bad text is refused the same way

    def hash(self, kind: str, text: str) -> str:
        normalized: str | None = None
        if kind == degrees.EMAIL or kind == degrees.ACCOUNT:
            normalized = normalize(kind, text)  # already cheap
        elif kind == degrees.PHONE:
            normalized = fast_phone(text)
        elif kind == degrees.NAME:
            normalized = fast_words(text, address=False)
        elif kind == degrees.POSTAL_ADDRESS:
            normalized = fast_words(text, address=True)
        elif kind in _CACHED_KINDS:
            if kind != degrees.LAST_PURCHASE_AMOUNT:
                quick = fast_date(text)
                if quick is not None:
                    return self.point_hash(kind, quick)
            result = self._cached(kind, text)
            if isinstance(result, Unreadable):
                raise Unreadable(str(result))
            return result
        if normalized is None:
            normalized = normalize(kind, text)
        return self.point_hash(kind, normalized)
