"""Large files stored encrypted, written and read a chunk at a time.

``core.encryption`` encrypts a whole content in one Fernet token: fine for a 10 MB document,
not for a 50 MB response package (the content, its token and its base64 all in memory). Here a
file is a sequence of lines, each the Fernet token (``core.encryption.encrypt``: the first of
``settings.DOCUMENT_KEYS``, every key decrypts) of at most ``CHUNK_BYTES`` of content. Tokens
are URL-safe base64, so a newline never occurs inside one; each chunk is authenticated on its
own, and the chunk count and order are bound by a final token holding the total length, so a
file cut short or reordered reads as ``Unreadable``.

* ``EncryptingWriter``: a binary file object to write to (``zipfile`` writes into it);
  ``close()`` writes the final token. It is not seekable: ``zipfile`` then writes in streaming
  mode (data descriptors).
* ``encrypted_chunks`` / ``EncryptedReader``: the content back, a chunk at a time, or as a
  read-only file object.
* ``encrypted_file_save``: spool a writer's output to a temporary file, then into a
  ``FileField``'s storage (copied a chunk at a time).
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from django.core.files import File
from django.db.models.fields.files import FieldFile

from . import encryption

CHUNK_BYTES = 1024 * 1024
_END = b"end:"


class EncryptingWriter(io.RawIOBase):
    """Write plaintext; what reaches ``sink`` is one token line per ``CHUNK_BYTES``."""

    def __init__(self, sink: IO[bytes]) -> None:
        self._sink = sink
        self._buffer = bytearray()
        self.plain_bytes = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data: Any) -> int:
        view = bytes(data)
        self._buffer += view
        self.plain_bytes += len(view)
        while len(self._buffer) >= CHUNK_BYTES:
            self._emit(bytes(self._buffer[:CHUNK_BYTES]))
            del self._buffer[:CHUNK_BYTES]
        return len(view)

    def _emit(self, chunk: bytes) -> None:
        self._sink.write(encryption.encrypt(chunk) + b"\n")

    def close(self) -> None:
        if not self.closed:
            if self._buffer:
                self._emit(bytes(self._buffer))
                self._buffer.clear()
            self._emit(_END + str(self.plain_bytes).encode())
        super().close()


def encrypted_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    """The content of a file ``EncryptingWriter`` wrote, a chunk at a time;
    ``encryption.Unreadable`` if a token does not open or the file was cut short."""
    total = 0
    ended = False
    for line in handle:
        token = line.rstrip(b"\n")
        if not token:
            continue
        if ended:
            raise encryption.Unreadable
        chunk = encryption.decrypt(token)
        if chunk.startswith(_END):
            if int(chunk[len(_END) :] or b"-1") != total:
                raise encryption.Unreadable
            ended = True
            continue
        total += len(chunk)
        yield chunk
    if not ended:
        raise encryption.Unreadable


class EncryptedReader(io.RawIOBase):
    """A read-only file object over ``encrypted_chunks`` (for ``io.TextIOWrapper``, csv...)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._chunks = encrypted_chunks(handle)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._pending))
        target[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def encrypted_file_save(
    field_file: FieldFile, name: str, write: Callable[[IO[bytes]], None]
) -> int:
    """Store what ``write(writer)`` writes, encrypted, as ``field_file``'s file (the caller
    saves the row); returns the plaintext size. Memory stays at about one chunk: the tokens go
    to a temporary file first, then into storage a chunk at a time."""
    with tempfile.TemporaryFile() as spool:
        writer = EncryptingWriter(spool)
        write(writer)  # type: ignore[arg-type]
        writer.close()
        spool.seek(0)
        field_file.save(name, File(spool, name=name), save=False)
        return writer.plain_bytes


def encrypted_file_open(field_file: FieldFile) -> IO[bytes]:
    """``field_file``'s content as a buffered read-only file object, decrypted as it is read.
    The caller closes it."""
    handle = field_file.storage.open(field_file.name, "rb")
    return io.BufferedReader(_Closing(handle), buffer_size=64 * 1024)


class _Closing(EncryptedReader):
    def __init__(self, handle: IO[bytes]) -> None:
        super().__init__(handle)
        self._handle = handle

    def close(self) -> None:
        if not self.closed:
            self._handle.close()
        super().close()
