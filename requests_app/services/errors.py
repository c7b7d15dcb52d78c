"""The error the write paths raise when a domain rule refuses an operation."""

from __future__ import annotations


class RequestRefused(Exception):
    """A domain rule refused the operation; ``code`` and ``message`` go to the user as they are."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
