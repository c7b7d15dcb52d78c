"""Secrets in messages: parts only the recipient may read, e.g. a one-time sign-in link.

A message that carries one is stored twice: ``body`` with each secret replaced by a redaction
such as "[sign-in link: sent, not shown]" (what the outbox API, the admin and every other reader
see), and ``body_encrypted``, the body as it is sent, encrypted with ``core.encryption``. Only the
relay opens the second, to send it, and empties it once the message is sent or given up: staff
can see that a link was sent, never use it (issue 11: a stored link let any API key or staff
member sign in as the consumer).

A caller renders its message as usual, with the secret in it, and names the secret:
``outbox_email_add(..., secrets=[Secret("sign-in link", link)])``. A message that is also kept
as a record elsewhere (a request's ``Communication``) keeps ``redact``'s text there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core import encryption


@dataclass(frozen=True)
class Secret:
    """A part of a message only its recipient may read: ``value`` is sent, ``redaction`` shown."""

    what: str  # what it is, for staff: "sign-in link", "download link"
    value: str

    @property
    def redaction(self) -> str:
        return f"[{self.what}: sent, not shown]"


def redact(subject: str, body: str, secrets: Iterable[Secret]) -> str:
    """``body`` with each secret replaced by its redaction: what may be stored and shown.

    A secret that is empty, missing from the body or in the subject is a programming error
    (the recipient would not get it, or everyone would see it): ``ValueError``.
    """
    shown = body
    for secret in secrets:
        if not secret.value or secret.value not in body:
            raise ValueError(f"The {secret.what} to hide is not in the message's body.")
        if secret.value in subject:
            raise ValueError(f"The {secret.what} must not be in the subject, which is shown.")
        # A secret inside another (a token in its link) may be gone already: that is fine.
        shown = shown.replace(secret.value, secret.redaction)
    return shown


def seal(subject: str, body: str, secrets: Sequence[Secret]) -> tuple[str, str]:
    """The body to show (``redact``) and the body to send, encrypted ("" without secrets:
    nothing to hide, nothing to encrypt)."""
    if not secrets:
        return body, ""
    return redact(subject, body, secrets), encryption.encrypt(body.encode()).decode()


def unseal(body: str, body_encrypted: str) -> str:
    """The body to send: the encrypted one opened, or ``body`` when there was nothing to hide.

    ``encryption.Unreadable`` when no configured key opens it (a key removed too early).
    """
    if not body_encrypted:
        return body
    return encryption.decrypt(body_encrypted.encode()).decode()
