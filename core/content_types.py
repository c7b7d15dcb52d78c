"""What an uploaded file really is, read from its first bytes (pure: no Django).

The file name and the browser's Content-Type are the sender's claims; the content alone decides
(a program renamed "scan.pdf" is refused, a photo saved without an extension is accepted and
stored under the right one). Only PDF, JPEG and PNG are accepted (§7023(d)(1) documentation;
requirements R-7023-d-1).
"""

from __future__ import annotations

# Signatures ("magic numbers") of the accepted types.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
# The extension each accepted type is stored and served under.
EXTENSIONS: dict[str, str] = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
SNIFF_BYTES = 16


def sniff(head: bytes) -> str | None:
    """The content type the first bytes show, or None if they are none of the accepted types."""
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None
