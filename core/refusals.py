"""``Refused``: what every rule and write path raises when it says no (pure: no Django).

One shape for all of them: a stable ``code`` for machines, a ``message`` a person understands,
the ``field`` it is about (if any), and whether it is a *conflict*, a refusal caused by the
current state of the thing acted on (already closed, already extended, not verified yet) rather
than by what the caller sent. The API maps a conflict to 409 and anything else to 400
(``core.api_errors``); the admin and the portal show the message as it is. Whoever raises a
refusal decides whether it is a conflict, where the rule is written, so no list of codes has to
be kept in step elsewhere.
"""

from __future__ import annotations


class Refused(Exception):
    """A rule refused an operation; ``code`` and ``message`` go to the user as they are."""

    def __init__(
        self, code: str, message: str, field: str | None = None, *, conflict: bool = False
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.conflict = conflict

    def __repr__(self) -> str:
        return f"Refused({self.code!r}, {self.message!r})"


def conflict(code: str, message: str) -> Refused:
    """A refusal because of the current state of what is acted on (HTTP 409)."""
    return Refused(code, message, conflict=True)
