"""Bytes at rest, encrypted with the keys in ``settings.DOCUMENT_KEYS``.

§7023(d)(4) asks for reasonable security for the documentation sent with a request to correct
(requirements R-7023-d-3), and later a response package or a stored secret needs the same: what
is stored is a Fernet token (AES-128-CBC with an HMAC-SHA256, from ``cryptography``), never the
content itself. The first key encrypts, every key decrypts (``MultiFernet``), so a key can be
rotated without losing what was stored with an older one.

Files stored before encryption existed are plaintext PDF/JPEG/PNG. They are read as they are,
recognised by their signature: a Fernet token is URL-safe base64 and starts with "gAAAAA", never
with a PDF, JPEG or PNG signature, so the two cannot be confused.
"""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from . import content_types


class Unreadable(Exception):
    """The stored bytes are neither a plaintext document nor a token any configured key opens."""


@functools.lru_cache(maxsize=4)
def _ciphers(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    # Keyed on the keys themselves, so tests that change the setting get their own ciphers.
    fernets = [Fernet(key) for key in keys]
    return MultiFernet(fernets), fernets[0]


def _keys() -> tuple[str, ...]:
    return tuple(settings.DOCUMENT_KEYS)


def is_plaintext(stored: bytes) -> bool:
    """A document stored before encryption (its own PDF/JPEG/PNG signature shows)."""
    return content_types.sniff(stored[: content_types.SNIFF_BYTES]) is not None


def encrypt(content: bytes) -> bytes:
    """What to store for ``content``: a token of the first key."""
    cipher, _ = _ciphers(_keys())
    return cipher.encrypt(content)


def decrypt(stored: bytes) -> bytes:
    """The content from what is stored; ``Unreadable`` if no configured key opens it."""
    if is_plaintext(stored):
        return stored
    cipher, _ = _ciphers(_keys())
    try:
        return cipher.decrypt(stored)
    except InvalidToken as error:
        raise Unreadable from error


def needs_encryption(stored: bytes) -> bool:
    """Plaintext, or a token of a key other than the first (to rotate)."""
    if is_plaintext(stored):
        return True
    _, current = _ciphers(_keys())
    try:
        current.decrypt(stored)
    except InvalidToken:
        return True
    return False
