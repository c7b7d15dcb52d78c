"""The response package's pure rules: what a part may be, and the period it covers.

* ``json_records`` / ``csv_records``: a part sent as JSON (a list of objects, or one object) or
  CSV (a header line, then rows of exactly as many cells) becomes an iterator of records, read
  from the file a list item or a line at a time (ijson's C parser for JSON: a 100 MB part is
  never held whole); anything else is refused with a ``PartInvalid`` saying what is wrong and where
  (issue 16 item 9). Zip files are refused outright (``looks_like_zip``): a part is one JSON or
  CSV document, so an archive (and a zip bomb) never reaches a decompressor.
* ``period`` / ``record_in_period`` (§7024(h) as amended): the package covers personal
  information collected from January 1, 2022 on, beyond the 12 months, unless the consumer named
  a period: then exactly that period. A record's date is read from a field whose name says it is
  one (``created_at``, ``date``, ``timestamp``...); a record without one is kept (nothing shows
  it falls outside).

No Django here.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import accumulate
from typing import IO, Any, Final

import ijson

JSON: Final = "json"
CSV: Final = "csv"
FORMATS: Final = (JSON, CSV)

# §7024(h) as amended: no earlier than January 1, 2022.
EARLIEST: Final = date(2022, 1, 1)

# A CSV header with more columns than this is refused; a part's column list keeps this many.
MAX_CELLS_PER_ROW: Final = 500


class PartInvalid(Exception):
    """A part that cannot be accepted; ``message`` says why in plain words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def looks_like_zip(head: bytes) -> bool:
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"))


def looks_compressed(head: bytes) -> bool:
    """A zip, gzip, bzip2, xz, 7z or zstd archive."""
    return looks_like_zip(head) or head.startswith(
        (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"7z\xbc\xaf\x27\x1c", b"\x28\xb5\x2f\xfd")
    )


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PartInvalid(
            "encoding",
            f"The file is not UTF-8 text (byte {error.start + 1} cannot be read). Send JSON "
            "or CSV encoded in UTF-8.",
        ) from error


# --- JSON, read a record at a time ------------------------------------------------------------------

# A record nested deeper than this is refused: nothing downstream needs more, and depth is what
# costs ijson memory (its path prefixes grow with the square of the depth: 200 kB of "[" would
# take tens of GB), so it is checked on the bytes before ijson reads them.
MAX_DEPTH: Final = 64
_READ_BYTES: Final = 64 * 1024
_BOM: Final = b"\xef\xbb\xbf"
_WHITESPACE: Final = b" \t\r\n"
# A complete JSON string, and the rest of one already open (possessive: linear, no backtracking).
_STRING: Final = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_STRING_BODY: Final = re.compile(rb'(?:[^"\\]++|\\.)*+', re.DOTALL)
_NOT_BRACKETS: Final = bytes(range(256)).translate(None, b"[]{}")
_DEPTH_STEP: Final = tuple(1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256))
_SCALARS: Final = {
    ord('"'): "text (a string)",
    ord("t"): "true or false",
    ord("f"): "true or false",
    ord("n"): "null",
    **{ord(c): "a number" for c in "-0123456789"},
}
# yajl's reasons (the first line of its message: the lines after it quote the data, which
# a refusal never repeats), in plainer words.
_REASONS: Final = {
    "premature EOF": "the file ends before the JSON does",
    "trailing garbage": "there is more after the end of the JSON (one list or one object only)",
    "numeric (floating point) overflow": "a number is too large (like 1e400)",
    "invalid char in json text.": "a character JSON does not allow there (NaN and Infinity "
    "are not JSON values)",
}


class _JsonBytes:
    """The part's bytes as ijson reads them, a chunk at a time: the byte-order mark dropped,
    checked as UTF-8 and for nesting (``MAX_DEPTH``) before ijson sees them; ``offset`` counts
    the bytes handed on (for messages)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._pending = b""
        self._started = False
        self._ended = False
        self.offset = 0
        # Nesting, outside strings; whether a chunk ends inside a string, after a backslash.
        self._depth = 0
        self._in_string = False
        self._escaped = False

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        if self._pending:
            chunk, self._pending = self._pending, b""
            return chunk
        return self._next()

    def first(self) -> bytes:
        """The first byte that is not whitespace (it says what the document is); b"" if none."""
        while True:
            self._pending = self._pending.lstrip(_WHITESPACE)
            if self._pending or self._ended:
                return self._pending[:1]
            self._pending = self._next()

    def _next(self) -> bytes:
        chunk = self._stream.read(_READ_BYTES)
        if not self._started:
            self._started = True
            while len(chunk) < len(_BOM) and (more := self._stream.read(_READ_BYTES)):
                chunk += more
            if chunk.startswith(_BOM):
                chunk = chunk[len(_BOM) :]
                self.offset = len(_BOM)
        if not chunk:
            self._ended = True
        held = len(self._utf8.getstate()[0])  # the end of a character begun in the last chunk
        try:
            self._utf8.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            raise _not_utf8(self.offset - held + error.start) from error
        self._check_depth(chunk)
        self.offset += len(chunk)
        return chunk

    def _check_depth(self, chunk: bytes) -> None:
        start = 0
        if self._in_string:
            if self._escaped:  # the chunk's first byte is the escaped one
                start, self._escaped = 1, False
            body = _STRING_BODY.match(chunk, start)
            end = body.end() if body else start
            if end >= len(chunk):
                return
            if chunk[end] == ord("\\"):  # a backslash ends the chunk: it escapes the next byte
                self._escaped = True
                return
            start, self._in_string = end + 1, False
        outside = _STRING.sub(b"", chunk[start:])
        opened = outside.find(b'"')  # a string that goes on in the next chunk
        if opened >= 0:
            # Nothing after it was removed: it is that string's beginning.
            tail = outside[opened + 1 :]
            self._in_string = True
            self._escaped = (len(tail) - len(tail.rstrip(b"\\"))) % 2 == 1
            outside = outside[:opened]
        brackets = outside.translate(None, _NOT_BRACKETS)
        opens = brackets.count(b"[") + brackets.count(b"{")
        if self._depth + opens > MAX_DEPTH and (
            max(accumulate(map(_DEPTH_STEP.__getitem__, brackets), initial=self._depth)) > MAX_DEPTH
        ):
            raise PartInvalid(
                "json_depth",
                f"The JSON nests deeper than {MAX_DEPTH} levels (within the first "
                f"{self.offset + len(chunk):,} bytes). Send records with fewer levels. Nothing "
                "from it was kept.",
            )
        self._depth = max(self._depth + 2 * opens - len(brackets), 0)


def _not_utf8(at: int) -> PartInvalid:
    return PartInvalid(
        "encoding",
        f"The file is not UTF-8 text (byte {at + 1} cannot be read). Send JSON or CSV encoded "
        "in UTF-8.",
    )


def _json_invalid(error: Exception, source: _JsonBytes, records: int) -> PartInvalid:
    said = str(error)
    first_line = "" if said.startswith(("b'", 'b"')) else said.splitlines()[0] if said else ""
    reason = first_line.split(" error: ", 1)[-1].strip()
    plain = _REASONS.get(reason, reason or "it is not well-formed")
    where = f"after record {records:,}" if records else "before the first record"
    return PartInvalid(
        "invalid_json",
        f"The file is not valid JSON: {plain} ({where}, within the first {source.offset:,} "
        "bytes). Nothing from it was kept.",
    )


def _floats(value: Any, record: int) -> Any:
    """``value`` with its decimals as floats (as ``json`` reads them); a number beyond a float
    (1e400) is refused: written back it would be "Infinity", which no JSON reader takes."""
    if isinstance(value, Decimal):
        number = float(value)
        if not math.isfinite(number):
            raise PartInvalid(
                "invalid_json",
                f"The file is not valid JSON: {_REASONS['numeric (floating point) overflow']} "
                f"(in record {record:,}). Nothing from it was kept.",
            )
        return number
    if isinstance(value, dict):
        return {key: _floats(item, record) for key, item in value.items()}
    if isinstance(value, list):
        return [_floats(item, record) for item in value]
    return value


def json_records(stream: IO[bytes]) -> Iterator[dict[str, Any]]:
    """The records of a JSON part, one at a time: a list of objects (read an item at a time),
    or one object (one record, read whole). Anything else, invalid JSON, text that is not UTF-8
    or nesting beyond ``MAX_DEPTH`` raises ``PartInvalid`` when it is reached: the caller keeps
    nothing until the last record is read (trailing data after the list or object is refused
    then). Numbers are floats or ints (of any size), as ``json`` reads them; NaN, Infinity and a number
    beyond a float (1e400) are refused."""
    source = _JsonBytes(stream)
    first = source.first()
    records = 0
    if first == b"[":
        prefix = "item"
    elif first == b"{":
        prefix = ""
    elif first[:1] and first[0] in _SCALARS:
        raise PartInvalid(
            "json_shape",
            "The JSON must be a list of records (objects), or one record; this is "
            f"{_SCALARS[first[0]]}.",
        )
    else:
        raise PartInvalid(
            "invalid_json",
            "The file is not valid JSON: it must begin with [ (a list of records) or { (one "
            "record). Nothing from it was kept."
            if first
            else "The file is not valid JSON: it holds only blank space. Nothing from it was kept.",
        )
    try:
        # Decimals, not floats, from ijson: with floats its C parser refuses whole numbers
        # beyond 64 bits (a long account or card number), which json keeps as ints.
        for item in ijson.items(source, prefix, use_float=False):
            if not isinstance(item, dict):
                raise PartInvalid(
                    "json_shape",
                    f"Item {records + 1} of the list is not a record (an object with named "
                    "fields). Send a list of objects.",
                )
            records += 1
            yield _floats(item, records)
    except ijson.JSONError as error:
        raise _json_invalid(error, source, records) from error


def csv_records(lines: Iterable[str]) -> Iterator[dict[str, str]]:
    """The records of a CSV part, one at a time: the header names the fields; a row with more
    or fewer cells than the header is refused with its line number (a ragged file)."""
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise PartInvalid("csv_header", "The CSV file is empty: it needs a header line.")
        names = [cell.strip() for cell in header]
        if len(names) > MAX_CELLS_PER_ROW:
            raise PartInvalid(
                "csv_header", f"The CSV header has {len(names)} columns; at most 500."
            )
        if len(set(names)) != len(names) or "" in names:
            raise PartInvalid(
                "csv_header",
                "Every column of the CSV header needs its own, non-empty name.",
            )
        for row in reader:
            if not row:
                continue  # a blank line
            if len(row) != len(names):
                raise PartInvalid(
                    "csv_ragged",
                    f"Line {reader.line_num} of the CSV file has {len(row)} cells; the header "
                    f"has {len(names)}. Every row needs exactly one cell per column. Nothing "
                    "from the file was kept.",
                )
            yield dict(zip(names, row, strict=True))
    except csv.Error as error:
        raise PartInvalid(
            "csv_invalid",
            f"The CSV file cannot be read at line {reader.line_num}: {error}. Nothing from it "
            "was kept.",
        ) from error


def csv_text_lines(raw: bytes) -> Iterator[str]:
    """A CSV part's lines (UTF-8, a byte-order mark allowed), for ``csv_records``."""
    return iter(io.StringIO(_decode(raw), newline=""))


# --- The period -------------------------------------------------------------------------------------

# Field names that hold when a record was made or happened, most telling first.
DATE_FIELDS: Final = (
    "created_at",
    "createdat",
    "created",
    "created_on",
    "creation_date",
    "date",
    "timestamp",
    "time",
    "datetime",
    "occurred_at",
    "event_date",
    "event_time",
    "order_date",
    "ordered_at",
    "purchased_at",
    "purchase_date",
    "collected_at",
    "recorded_at",
    "received_at",
    "sent_at",
    "updated_at",
    "updatedat",
    "modified_at",
    "last_modified",
)
_DATE_PREFIX = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def _normal_name(name: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def parse_date(value: Any) -> date | None:
    """A date from an ISO date or date-time ("2024-05-01", "2024-05-01T10:00:00Z"), a US date
    ("5/1/2024") or a Unix time in seconds or milliseconds; None if it is none of them."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
        if seconds > 100_000_000_000:  # milliseconds
            seconds /= 1000
        if not 0 < seconds < 32_503_680_000:  # before the year 3000
            return None
        return datetime.fromtimestamp(seconds, tz=UTC).date()
    if not isinstance(value, str):
        return None
    text = value.strip()
    found = _DATE_PREFIX.match(text)
    try:
        if found:
            return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
        found = _US_DATE.fullmatch(text)
        if found:
            return date(int(found.group(3)), int(found.group(1)), int(found.group(2)))
    except ValueError:
        return None
    return None


def record_date(record: Mapping[str, Any]) -> date | None:
    """The record's date, from its most telling date field that holds one; None if none."""
    by_name = {_normal_name(str(key)): value for key, value in record.items()}
    for name in DATE_FIELDS:
        if name in by_name:
            found = parse_date(by_name[name])
            if found is not None:
                return found
    return None


def period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The period a package covers: the consumer's own (§7024(h): "exactly that period"),
    never before January 1, 2022 nor after today; by default all of it."""
    first = max(start or EARLIEST, EARLIEST)
    last = min(end or today, today)
    return first, last


def record_in_period(record: Mapping[str, Any], first: date, last: date) -> bool:
    found = record_date(record)
    return found is None or first <= found <= last
