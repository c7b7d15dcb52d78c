"""What a response to a request to know never discloses (§7024(d)), as pure rules.

§7024(d): a business shall not disclose in response to a request to know a consumer's Social
Security number, driver's license number or other government-issued identification number,
financial account number, any health insurance or medical identification number, an account
password, security questions and answers, or unique biometric data generated from
measurements or technical analysis of human characteristics. It shall, however, inform the
consumer with sufficient particularity that it has collected that type of information
(its example: "the business collects the consumer's Social Security number" without
disclosing the number).

Two ways a piece is withheld, both by the same walk over a record (nested objects and lists
included):

* **by its field's name** (``field_kind``): names are split into words (``driversLicense``,
  ``Drivers-License``, ``drivers_license_no`` alike), and a kind's word sequence found in them
  withholds the whole value, whatever it looks like (a password is not recognisable by shape);
* **by its value's shape** (``value_kind``), whatever its field is called: a Social Security
  number written ###-##-#### (or with spaces) obeying the SSA's area, group and serial rules
  anywhere in a text; a bare nine-digit value that obeys them, unless its field's name says it
  is something else (an order, a phone, a ZIP code...); a payment card number of 13 to 19
  digits with a known issuer prefix that passes the Luhn check; an IBAN passing its mod-97
  check.

Phone numbers (###-###-####), dates (2024-05-01), ZIP codes (5 or 9 digits written 12345-6789)
and order numbers do not match: see ``tests/unit/test_withholding.py``.

No Django here: the package assembly (``fulfilment.services.packages``) calls ``withhold``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

# --- The kinds of information -----------------------------------------------------------------

SSN: Final = "ssn"
GOVERNMENT_ID: Final = "government_id"
FINANCIAL_ACCOUNT: Final = "financial_account"
HEALTH_ID: Final = "health_id"
PASSWORD: Final = "password"  # noqa: S105 - the kind's name, not a password
SECURITY_QA: Final = "security_qa"
BIOMETRIC: Final = "biometric"

KINDS: Final = (SSN, GOVERNMENT_ID, FINANCIAL_ACCOUNT, HEALTH_ID, PASSWORD, SECURITY_QA, BIOMETRIC)

# What replaces a withheld value in every file of the package.
WITHHELD: Final = "[withheld]"


@dataclass(frozen=True)
class KindText:
    """How the package names a kind (staff's preview and the consumer's page)."""

    label: str
    statement: str


# The particularity statement per kind and language (§7024(d): "with sufficient
# particularity"). English and Spanish: the pure module carries both, the page picks one.
TEXTS: Final[dict[str, dict[str, KindText]]] = {
    "en": {
        SSN: KindText(
            "Social Security number",
            "We collected your Social Security number. The law does not let us show it to you.",
        ),
        GOVERNMENT_ID: KindText(
            "Driver's license or other government ID number",
            "We collected a driver's license number or another government ID number of yours "
            "(such as a passport or state ID number). The law does not let us show it to you.",
        ),
        FINANCIAL_ACCOUNT: KindText(
            "Financial account or payment card number",
            "We collected a financial account number of yours (such as a bank account or "
            "payment card number). The law does not let us show it to you.",
        ),
        HEALTH_ID: KindText(
            "Health insurance or medical ID number",
            "We collected a health insurance or medical identification number of yours. The "
            "law does not let us show it to you.",
        ),
        PASSWORD: KindText(
            "Account password",
            "We collected an account password of yours. The law does not let us show it to you.",
        ),
        SECURITY_QA: KindText(
            "Security questions and answers",
            "We collected security questions and answers of yours. The law does not let us "
            "show them to you.",
        ),
        BIOMETRIC: KindText(
            "Biometric data",
            "We collected biometric data about you (such as a fingerprint or face template). "
            "The law does not let us show it to you.",
        ),
    },
    "es": {
        SSN: KindText(
            "Número de Seguro Social",
            "Recopilamos su número de Seguro Social. La ley no nos permite mostrárselo.",
        ),
        GOVERNMENT_ID: KindText(
            "Número de licencia de conducir u otra identificación oficial",
            "Recopilamos un número de licencia de conducir u otro número de identificación "
            "oficial suyo (como un número de pasaporte o de identificación estatal). La ley no "
            "nos permite mostrárselo.",
        ),
        FINANCIAL_ACCOUNT: KindText(
            "Número de cuenta financiera o de tarjeta de pago",
            "Recopilamos un número de cuenta financiera suyo (como un número de cuenta bancaria "
            "o de tarjeta de pago). La ley no nos permite mostrárselo.",
        ),
        HEALTH_ID: KindText(
            "Número de seguro médico o de identificación médica",
            "Recopilamos un número de seguro médico o de identificación médica suyo. La ley no "
            "nos permite mostrárselo.",
        ),
        PASSWORD: KindText(
            "Contraseña de cuenta",
            "Recopilamos una contraseña de cuenta suya. La ley no nos permite mostrársela.",
        ),
        SECURITY_QA: KindText(
            "Preguntas y respuestas de seguridad",
            "Recopilamos preguntas y respuestas de seguridad suyas. La ley no nos permite "
            "mostrárselas.",
        ),
        BIOMETRIC: KindText(
            "Datos biométricos",
            "Recopilamos datos biométricos sobre usted (como una huella digital o una plantilla "
            "facial). La ley no nos permite mostrárselos.",
        ),
    },
}


def kind_text(kind: str, language: str = "en") -> KindText:
    return TEXTS.get(language, TEXTS["en"])[kind]


# --- By the field's name ------------------------------------------------------------------------

# Word sequences per kind. A name matches when one sequence appears in its words, in order and
# next to each other; a sequence of 8 letters or more also matches written as one word
# ("socialsecuritynumber", "creditcardnumber"). Short words ("ssn", "pan", "mrn") match only as
# whole words, so "company" or "span" never do.
_FIELD_WORDS: Final[dict[str, tuple[str, ...]]] = {
    SSN: (
        "ssn",
        "ssns",
        "social security",
        "social sec",
        "soc sec",
        "itin",
        "taxpayer id",
        "tax id",
        "tin",
    ),
    GOVERNMENT_ID: (
        "drivers license",
        "driver license",
        "drivers licence",
        "driver licence",
        "driving licence",
        "driving license",
        "dl number",
        "dl no",
        "passport",
        "national id",
        "government id",
        "gov id",
        "state id",
        "id card number",
        "alien registration",
        "a number",
        "military id",
        "tribal id",
        "visa number",
    ),
    FINANCIAL_ACCOUNT: (
        "account number",
        "acct number",
        "acct no",
        "account no",
        "bank account",
        "routing number",
        "card number",
        "credit card",
        "debit card",
        "cc number",
        "pan",
        "cvv",
        "cvc",
        "card security code",
        "iban",
        "swift account",
    ),
    HEALTH_ID: (
        "health insurance",
        "insurance id",
        "insurance number",
        "insurance member id",
        "health plan id",
        "medical record number",
        "medical record no",
        "medical record id",
        "medical id",
        "mrn",
        "medicare number",
        "medicare id",
        "medicaid number",
        "medicaid id",
        "health id",
        "patient id",
    ),
    PASSWORD: (
        "password",
        "passwd",
        "pwd",
        "passcode",
        "passphrase",
        "pin",
        "pin code",
    ),
    SECURITY_QA: (
        "security question",
        "security answer",
        "secret question",
        "secret answer",
        "challenge question",
        "challenge answer",
        "recovery question",
        "recovery answer",
    ),
    BIOMETRIC: (
        "biometric",
        "biometrics",
        "fingerprint",
        "fingerprints",
        "faceprint",
        "face template",
        "face geometry",
        "facial template",
        "voiceprint",
        "voice print",
        "retina",
        "iris scan",
        "iris template",
        "palm print",
        "palmprint",
        "hand geometry",
    ),
}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[^a-z0-9]+")


@functools.lru_cache(maxsize=4096)
def field_words(name: str) -> tuple[str, ...]:
    """A field's name as lower-case words: ``driversLicense_No`` -> ("drivers", "license", "no").
    An apostrophe joins ("driver's" -> "drivers")."""
    spaced = _CAMEL.sub(" ", name.replace("'", "").replace("’", ""))
    return tuple(word for word in _SEPARATORS.split(spaced.lower()) if word)


def _contains(words: tuple[str, ...], sequence: tuple[str, ...]) -> bool:
    size = len(sequence)
    return any(words[i : i + size] == sequence for i in range(len(words) - size + 1))


_PATTERNS: Final = tuple(
    (kind, tuple(phrase.split()), phrase.replace(" ", ""))
    for kind, phrases in _FIELD_WORDS.items()
    for phrase in phrases
)


@functools.lru_cache(maxsize=4096)
def field_kind(name: str) -> str | None:
    """The kind a field's name says it holds, or None."""
    words = field_words(name)
    if not words:
        return None
    joined = "".join(words)
    for kind, sequence, glued in _PATTERNS:
        if _contains(words, sequence):
            return kind
        if len(glued) >= 8 and glued in joined:
            return kind
    return None


# --- By the value's shape -------------------------------------------------------------------------

# ###-##-#### or ### ## ####, not inside a longer run of digits or dashes (a phone number
# 555-123-4567 has three digits in its middle group, a date 2024-05-01 four in its first).
_SSN_FORMATTED = re.compile(r"(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])")
_NINE_DIGITS = re.compile(r"\d{9}")
# 13-19 digits, optionally in groups separated by one space or dash.
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")

# A bare nine-digit value is not taken for an SSN when its field's name says what it is.
_NOT_SSN_WORDS: Final = frozenset(
    {
        "order",
        "invoice",
        "phone",
        "tel",
        "telephone",
        "mobile",
        "fax",
        "zip",
        "zipcode",
        "postal",
        "postcode",
        "tracking",
        "sku",
        "product",
        "item",
        "ticket",
        "transaction",
        "confirmation",
        "reference",
        "ref",
        "shipment",
        "customer",
        "loyalty",
        "member",
        "case",
        "quantity",
        "amount",
        "price",
        "total",
        "count",
        "id",
    }
)


def ssn_plausible(area: str, group: str, serial: str) -> bool:
    """The SSA's rules: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    return (
        area != "000"
        and area != "666"
        and not area.startswith("9")
        and group != "00"
        and serial != "0000"
    )


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card_issuer(digits: str) -> bool:
    """A prefix of a card network (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay)
    with that network's lengths: random Luhn-valid numbers (1 in 10) mostly fail it."""
    size = len(digits)
    two, four = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":
        return size in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return size == 16
    if two in (34, 37):
        return size == 15
    if digits.startswith("6011") or two == 65 or 644 <= int(digits[:3]) <= 649:
        return 16 <= size <= 19
    if 3528 <= four <= 3589:
        return 16 <= size <= 19
    if two in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:
        return 14 <= size <= 19
    if two == 62:
        return 16 <= size <= 19
    return False


def card_number(text: str) -> bool:
    """``text`` holds a payment card number (known prefix and length, Luhn-valid)."""
    for match in _CARD.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if len(set(digits)) > 1 and _card_issuer(digits) and luhn_valid(digits):
            return True
    return False


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in moved)
    return int(number) % 97 == 1


def iban(text: str) -> bool:
    return any(iban_valid(match.group()) for match in _IBAN.finditer(text))


def ssn_in_text(text: str) -> bool:
    return any(
        ssn_plausible(match.group(1), match.group(3), match.group(4))
        for match in _SSN_FORMATTED.finditer(text)
    )


def value_kind(value: Any, field: str = "") -> str | None:
    """The kind ``value`` looks like (in a field named ``field``), or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    if len(text) < 9:
        return None
    if ssn_in_text(text):
        return SSN
    if (
        _NINE_DIGITS.fullmatch(text)
        and ssn_plausible(text[:3], text[3:5], text[5:])
        and not _NOT_SSN_WORDS.intersection(field_words(field))
    ):
        return SSN
    if card_number(text):
        return FINANCIAL_ACCOUNT
    if iban(text):
        return FINANCIAL_ACCOUNT
    return None


# --- The walk -----------------------------------------------------------------------------------


def withhold(value: Any, field: str = "", found: set[str] | None = None) -> tuple[Any, set[str]]:
    """``value`` with every piece §7024(d) forbids replaced by ``WITHHELD``, and the kinds found.

    Objects are walked key by key (a tagged key withholds its whole value, an object or list
    included), lists item by item (the items take their list's field name)."""
    kinds = found if found is not None else set()
    if isinstance(value, Mapping):
        clean: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key)
            tagged = field_kind(name)
            if tagged is not None and item not in (None, ""):
                kinds.add(tagged)
                clean[name] = WITHHELD
            else:
                clean[name] = withhold(item, name, kinds)[0]
        return clean, kinds
    if isinstance(value, list | tuple):
        return [withhold(item, field, kinds)[0] for item in value], kinds
    kind = value_kind(value, field)
    if kind is not None:
        kinds.add(kind)
        return WITHHELD, kinds
    return value, kinds


def in_order(kinds: Iterable[str]) -> list[str]:
    """The kinds in the order the package lists them."""
    present = set(kinds)
    return [kind for kind in KINDS if kind in present]
