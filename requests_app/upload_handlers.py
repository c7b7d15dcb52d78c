"""Upload handling: a consumer's document stops being stored once it passes the size limit.

Django's own handlers keep every byte of an upload (in memory, then in a temporary file) and the
form learns its size only at the end, so a 1 GB file would fill the disk before the consumer is
told "10 MB or less". This handler goes first: it passes each file's bytes on to Django's
handlers up to ``DOCUMENT_MAX_BYTES``, then only counts the rest. The form then receives an
``OversizeUpload`` that carries the file's real size and no content, and refuses it with the
usual message, while every other field the consumer typed is kept (no JavaScript needed).
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from .models import DOCUMENT_MAX_BYTES


class OversizeUpload(UploadedFile):
    """A file that was too large to keep: its name and real size, no content."""

    def __init__(self, name: str, size: int, content_type: str | None) -> None:
        super().__init__(file=None, name=name, content_type=content_type, size=size)

    def open(self, mode: str | None = None) -> OversizeUpload:
        raise ValueError("An oversize upload has no content.")

    def chunks(self, chunk_size: int | None = None) -> Any:
        raise ValueError("An oversize upload has no content.")


class DocumentSizeLimitHandler(FileUploadHandler):
    """First in ``FILE_UPLOAD_HANDLERS``: the handlers after it never get more than the limit."""

    limit = DOCUMENT_MAX_BYTES

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        # Past the limit, the chunk goes no further: nothing more is kept in memory or on disk.
        return raw_data if self.received <= self.limit else None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.received <= self.limit:
            return None  # the next handler completes the file as usual
        return OversizeUpload(self.file_name, self.received, self.content_type)
