"""Who a consent state is about: normalized identifiers and their keyed hash (pure: no Django).

A subject is a known consumer (email, phone or account id at the business) or a browser (a device
id from the portal's first-party cookie). The portal never stores the identifier itself: an
opt-out needs no more information than is necessary (§7026(c)) and what comes with a signal is
kept only to process it (§7025(d)). It stores ``HMAC-SHA256(key, "tenant:kind:value")``: the same
consumer at two businesses gets two unrelated hashes, and without the key a hash cannot be
tested against a list of addresses. The key comes from the caller (``optout.services``).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets

from core.refusals import Refused


class SubjectKind(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    ACCOUNT = "account"
    DEVICE = "device"


# The device ids the portal issues: 32 random bytes, URL-safe base64 without padding (43 chars).
DEVICE_ID_BYTES = 32
_DEVICE_ID_RE = re.compile(r"[A-Za-z0-9_-]{43}")
# A pragmatic address check: one @, no spaces, a dot in the domain. Delivery is not our concern
# here (nothing is sent to it); a typo'd address simply names another subject.
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE_SEPARATORS_RE = re.compile(r"[\s().\-/]")
ACCOUNT_ID_MAX_LENGTH = 200


def new_device_id() -> str:
    """A fresh device id for the portal's first-party cookie."""
    return secrets.token_urlsafe(DEVICE_ID_BYTES)


def normalize_email(raw: str) -> str:
    value = raw.strip().lower()
    if len(value) > 254 or not _EMAIL_RE.fullmatch(value):
        raise Refused("invalid_subject", "This is not an email address.", "email")
    return value


def normalize_phone(raw: str) -> str:
    """E.164 digits. A 10-digit number is taken as a US number (+1), the businesses' market."""
    value = _PHONE_SEPARATORS_RE.sub("", raw.strip())
    international = value.startswith("+")
    digits = value.removeprefix("+")
    if not digits.isascii() or not digits.isdigit():
        raise Refused(
            "invalid_subject", "A phone number has only digits, spaces and +()-.", "phone"
        )
    if not international and len(digits) == 10:
        digits = "1" + digits
    elif not international and len(digits) == 11 and digits.startswith("1"):
        pass
    elif not international:
        raise Refused(
            "invalid_subject",
            "Give a 10-digit US phone number, or an international one starting with +.",
            "phone",
        )
    if not 8 <= len(digits) <= 15:
        raise Refused("invalid_subject", "This is not a phone number (8 to 15 digits).", "phone")
    return "+" + digits


def normalize_account_id(raw: str) -> str:
    """The business's own account id, compared exactly (ids are case-sensitive in general),
    without surrounding spaces."""
    value = raw.strip()
    if not value or len(value) > ACCOUNT_ID_MAX_LENGTH or not value.isprintable():
        raise Refused(
            "invalid_subject",
            f"An account id is 1 to {ACCOUNT_ID_MAX_LENGTH} printable characters.",
            "account_id",
        )
    return value


def normalize_device_id(raw: str) -> str:
    value = raw.strip()
    if not _DEVICE_ID_RE.fullmatch(value):
        raise Refused(
            "invalid_subject",
            "This is not a device id the portal issued (43 characters: letters, digits, - and _).",
            "device",
        )
    return value


_NORMALIZERS = {
    SubjectKind.EMAIL: normalize_email,
    SubjectKind.PHONE: normalize_phone,
    SubjectKind.ACCOUNT: normalize_account_id,
    SubjectKind.DEVICE: normalize_device_id,
}


def normalize(kind: SubjectKind, raw: str) -> str:
    return _NORMALIZERS[kind](raw)


def subject_hash(key: bytes, tenant_id: int, kind: SubjectKind, raw: str) -> str:
    """The stored name of a subject: 64 hex digits. Raises ``Refused`` for a malformed value."""
    message = f"{tenant_id}:{kind.value}:{normalize(kind, raw)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
