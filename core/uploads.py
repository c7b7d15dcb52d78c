"""Uploads: a size cap enforced while the bytes arrive, the content check, and encrypted storage.

* ``SizeLimitHandler`` goes first in ``FILE_UPLOAD_HANDLERS``. Django's own handlers keep every
  byte of an upload (in memory, then in a temporary file) and a form learns its size only at
  the end, so a 1 GB file would fill the disk before the consumer is told "10 MB or less". This
  handler passes each file's bytes on up to ``UPLOAD_MAX_BYTES``, then only counts the rest; the
  form receives an ``OversizeUpload`` that carries the real size and no content, and refuses it
  with the usual message while every other field the consumer typed is kept.
* ``upload_check`` accepts a PDF, JPEG or PNG of at most ``UPLOAD_MAX_BYTES``, judged by its
  content (``core.content_types``), and refuses anything else in plain words.
* ``encrypted_save`` and ``encrypted_read`` store a file field's content encrypted
  (``core.encryption``) and read it back.
"""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext

from . import content_types, encryption
from .refusals import Refused

UPLOAD_MAX_BYTES = 10 * 1024 * 1024


class OversizeUpload(UploadedFile):
    """A file that was too large to keep: its name and real size, no content."""

    def __init__(self, name: str, size: int, content_type: str | None) -> None:
        super().__init__(file=None, name=name, content_type=content_type, size=size)

    def open(self, mode: str | None = None) -> OversizeUpload:
        raise ValueError("An oversize upload has no content.")

    def chunks(self, chunk_size: int | None = None) -> Any:
        raise ValueError("An oversize upload has no content.")


class SizeLimitHandler(FileUploadHandler):
    """First in ``FILE_UPLOAD_HANDLERS``: the handlers after it never get more than the limit."""

    limit = UPLOAD_MAX_BYTES

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


def upload_check(upload: UploadedFile, *, field: str = "document") -> str:
    """The content type of an acceptable upload; refuses anything else with a plain message."""
    if not upload.size:
        raise Refused("document_empty", gettext("The file is empty."), field)
    if upload.size > UPLOAD_MAX_BYTES:
        raise Refused(
            "document_too_large",
            gettext("The file is too large (%(size)s MB). Send a file of 10 MB or less.")
            % {"size": f"{upload.size / (1024 * 1024):.1f}"},
            field,
        )
    upload.seek(0)
    head = upload.read(content_types.SNIFF_BYTES)
    upload.seek(0)
    content_type = content_types.sniff(head)
    if content_type is None:
        raise Refused(
            "document_type",
            gettext(
                "We can only accept PDF, JPEG or PNG files, and this file is none of them "
                "(whatever its name says). Send a PDF, JPEG or PNG file."
            ),
            field,
        )
    return content_type


class StoredFileMissing(Exception):
    """The file a row names is not in storage."""


def encrypted_save(field_file: FieldFile, content: bytes, name: str) -> None:
    """Store ``content`` encrypted as ``field_file``'s file (the caller saves the row)."""
    field_file.save(name or "file", ContentFile(encryption.encrypt(content)), save=False)


def stored_bytes(field_file: FieldFile) -> bytes:
    """What is in storage for ``field_file``, as it is (``StoredFileMissing`` if nothing is)."""
    try:
        with field_file.open("rb") as handle:
            return handle.read()
    except FileNotFoundError as error:
        raise StoredFileMissing(field_file.name) from error


def encrypted_read(field_file: FieldFile) -> bytes:
    """``field_file``'s content, decrypted: ``StoredFileMissing`` or ``encryption.Unreadable``."""
    return encryption.decrypt(stored_bytes(field_file))
