"""The response package's pure rules: what a part may be, and the period it covers.

* ``json_records`` / ``csv_records``: a part sent as JSON (a list of objects, or one object) or
  CSV (a header line, then rows of exactly as many cells) becomes a list or an iterator of
  records; anything else is refused with a ``PartInvalid`` saying what is wrong and where
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

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any, Final

JSON: Final = "json"
CSV: Final = "csv"
FORMATS: Final = (JSON, CSV)

# §7024(h) as amended: no earlier than January 1, 2022.
EARLIEST: Final = date(2022, 1, 1)

# Nesting deeper than this is refused (json's own recursion limit would raise anyway).
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


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PartInvalid(
            "encoding",
            f"The file is not UTF-8 text (byte {error.start + 1} cannot be read). Send JSON "
            "or CSV encoded in UTF-8.",
        ) from error


def json_records(raw: bytes) -> list[dict[str, Any]]:
    """The records of a JSON part: a list of objects, or one object (one record)."""
    text = _decode(raw)
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise PartInvalid(
            "invalid_json",
            f"The file is not valid JSON: {error.msg} at line {error.lineno}, column "
            f"{error.colno}. Nothing from it was kept.",
        ) from error
    except (ValueError, RecursionError) as error:
        raise PartInvalid(
            "invalid_json", f"The file is not valid JSON: {error}. Nothing from it was kept."
        ) from error
    if isinstance(data, Mapping):
        return [dict(data)]
    if not isinstance(data, list):
        raise PartInvalid(
            "json_shape",
            "The JSON must be a list of records (objects), or one record; this is a "
            f"{type(data).__name__}.",
        )
    for index, item in enumerate(data):
        if not isinstance(item, Mapping):
            raise PartInvalid(
                "json_shape",
                f"Item {index + 1} of the list is not a record (an object with named fields). "
                "Send a list of objects.",
            )
    return data


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
