"""Normalized data points and their keyed hashes (pure: no Django).

The consumer directory keeps no identifier in the clear: each is stored as
``HMAC-SHA256(tenant key, "kind:normalized value")``, cut to 128 bits (``point_hash``). Two
spellings of one value must give one hash, so each kind has its normalization: an email in lower
case; a phone number in E.164; a name or a postal address in lower case, without accents,
punctuation or repeated spaces, with the usual street abbreviations; a date in ISO form; an
amount in cents. A value that cannot be read (a date that is no date) is refused with a message
a person understands (``Unreadable``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import phonenumbers

from . import degrees

HASH_HEX_LENGTH = 32  # 128 bits: no collision among a tenant's millions of values


class Unreadable(ValueError):
    """A value that cannot be normalized; the message says why, in plain words."""


_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w\s]")
_STREET_WORDS = {
    "street": "st",
    "avenue": "ave",
    "boulevard": "blvd",
    "road": "rd",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "suite": "ste",
    "apartment": "apt",
    "highway": "hwy",
    "parkway": "pkwy",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "unit": "apt",
    "#": "apt",
}
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%d.%m.%Y")


def _plain_words(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", without_accents)).strip()


def normalize_email(value: str) -> str:
    text = value.strip().lower()
    if text.count("@") != 1 or " " in text or "." not in text.split("@")[1]:
        raise Unreadable("This is not an email address.")
    return text


def normalize_phone(value: str, region: str = "US") -> str:
    try:
        number = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException as error:
        raise Unreadable("This is not a phone number.") from error
    if not phonenumbers.is_possible_number(number):
        raise Unreadable("This is not a phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_name(value: str) -> str:
    text = _plain_words(value)
    if not text:
        raise Unreadable("The name is empty.")
    return text


def normalize_address(value: str) -> str:
    text = _plain_words(value.replace("#", " apt "))
    if not text:
        raise Unreadable("The address is empty.")
    return " ".join(_STREET_WORDS.get(word, word) for word in text.split())


def normalize_date(value: str | date) -> str:
    if isinstance(value, date):
        return value.isoformat()
    text = value.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()  # noqa: DTZ007 - a date only
        except ValueError:
            continue
    raise Unreadable("This is not a date; write it like 2026-03-31 or 03/31/2026.")


def normalize_amount(value: str | Decimal) -> str:
    text = str(value).strip().replace("$", "").replace(",", "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation as error:
        raise Unreadable("This is not an amount; write it like 42.50.") from error
    if not amount.is_finite() or amount < 0:
        raise Unreadable("This is not an amount; write it like 42.50.")
    return str(int((amount * 100).quantize(Decimal(1))))


def normalize_account(value: str) -> str:
    text = value.strip()
    if not text:
        raise Unreadable("The account number is empty.")
    return text.casefold()


_NORMALIZERS = {
    degrees.EMAIL: normalize_email,
    degrees.PHONE: normalize_phone,
    degrees.NAME: normalize_name,
    degrees.POSTAL_ADDRESS: normalize_address,
    degrees.ACCOUNT: normalize_account,
    degrees.DATE_OF_BIRTH: normalize_date,
    degrees.LAST_PURCHASE_DATE: normalize_date,
    degrees.LAST_PURCHASE_AMOUNT: normalize_amount,
}


def normalize(kind: str, value: str) -> str:
    """The normalized form of a data point of ``kind`` (one of ``degrees.DATA_POINTS``)."""
    try:
        normalizer = _NORMALIZERS[kind]
    except KeyError:
        raise Unreadable(f"Unknown kind of data point: {kind}.") from None
    return normalizer(value)


def point_hash(key: bytes, kind: str, normalized: str) -> str:
    """The keyed hash the directory stores for a normalized value (hex, 128 bits)."""
    digest = hmac.new(key, f"{kind}:{normalized}".encode(), hashlib.sha256).hexdigest()
    return digest[:HASH_HEX_LENGTH]


def hash_value(key: bytes, kind: str, value: str) -> str:
    """Normalize, then hash; raises ``Unreadable`` for a value that cannot be read."""
    return point_hash(key, kind, normalize(kind, value))
