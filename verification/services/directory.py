# ruff: noqa: S608 -- the SQL here names this module's own temporary table and the model's table;
# every value (the tenant id, the time) is a parameter.
"""Importing a business's consumer directory (§7060(c)(1): matching against data the business
already holds), keeping only keyed hashes (``verification.normalize``).

* ``directory_import``: a CSV file, streamed (a header row; the columns ``IMPORT_COLUMNS``, of
  which ``consumer_id``, the business's own id for the consumer, is required). Each value is
  normalized, then only its keyed hash is written: no raw identifier reaches the database, nor
  the import's report (a refused row is named by its line and column, never by its value).
  All or nothing: one refused row and nothing is imported. Otherwise the good rows are imported
  and every refused row is reported. Never half-imported silently: a file that cannot be read
  to its end (not UTF-8, broken quoting) imports nothing, in either mode.
* ``directory_records_add``: the API's list of consumers, the same rules, all or nothing.

Importing a ``consumer_id`` again replaces that consumer's record (the last row counts when a
file repeats one). Each import is recorded (``DirectoryImport``), refused ones included.

Memory stays flat however large the file: rows are read one at a time and written in batches.
On PostgreSQL each batch is copied (``COPY``) into a temporary table, then one
``INSERT … ON CONFLICT`` writes the directory; elsewhere (SQLite) batches are upserted.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from django.db import connection, transaction

from audit.models import AuditAction
from audit.services import audit_record
from core import clock
from core.refusals import Refused
from tenants.models import Tenant

from .. import degrees
from ..bulk_hashing import RowHasher
from ..models import DirectoryImport, DirectoryRecord
from ..normalize import HASH_HEX_LENGTH, Unreadable
from .matching import HASH_FIELDS
from .policies import directory_key, verification_policy

# The kind hashed with the business's own id into ``DirectoryRecord.record_key``: distinct from
# every data point's, so an id can never equal an account number's hash.
RECORD_KIND = "record"
CONSUMER_ID = "consumer_id"
IMPORT_COLUMNS = (CONSUMER_ID, *degrees.DATA_POINTS)
BATCH_ROWS = 10_000
# The report keeps the first refusals; the count covers them all.
REPORT_LIMIT = 1_000
MAX_VALUE_LENGTH = 1_000
MAX_CONSUMER_ID_LENGTH = 255
# The API takes a few consumers per call (its body is capped at 64 KB, core.api); the CSV is
# for the whole directory.
MAX_API_RECORDS = 200
WHOLE_FILE = ""  # the "field" of a refusal about the file rather than one column

_COLUMN_WORDS = {
    CONSUMER_ID: "the consumer id",
    degrees.EMAIL: "the email address",
    degrees.PHONE: "the phone number",
    degrees.NAME: "the name",
    degrees.POSTAL_ADDRESS: "the postal address",
    degrees.ACCOUNT: "the account number",
    degrees.DATE_OF_BIRTH: "the date of birth",
    degrees.LAST_PURCHASE_DATE: "the date of the last purchase",
    degrees.LAST_PURCHASE_AMOUNT: "the amount of the last purchase",
}
_HASH_COLUMNS = tuple(HASH_FIELDS[point] for point in degrees.DATA_POINTS)


_PROBLEMS = "__problems__"  # a row refused before its values are read: [(field, why)]


class DirectoryRowsRefused(Refused):
    """Rows were refused and nothing was imported; ``refusals`` says which and why."""

    def __init__(self, message: str, refusals: list[dict[str, Any]]) -> None:
        super().__init__("directory_rows_refused", message)
        self.refusals = refusals


@dataclass
class _Report:
    rows_read: int = 0
    rows_refused: int = 0
    refusals: list[dict[str, Any]] = field(default_factory=list)

    def refuse(self, line: int, problems: list[tuple[str, str]]) -> None:
        self.rows_refused += 1
        for column, why in problems:
            if len(self.refusals) < REPORT_LIMIT:
                self.refusals.append({"line": line, "field": column, "why": why})


class _FileUnreadable(Exception):
    def __init__(self, line: int, why: str) -> None:
        super().__init__(why)
        self.line = line
        self.why = why


# --- One row -> its hashes --------------------------------------------------------------------


def _row_hashes(hasher: RowHasher, row: Mapping[str, Any]) -> tuple[tuple[str, ...] | None, list]:
    """(record_key, one hash or "" per data point) for a good row, else (None, its problems)."""
    problems: list[tuple[str, str]] = []
    consumer_id = str(row.get(CONSUMER_ID) or "").strip()
    if not consumer_id:
        problems.append((CONSUMER_ID, "The consumer id is missing: every row needs one."))
    elif len(consumer_id) > MAX_CONSUMER_ID_LENGTH:
        problems.append(
            (CONSUMER_ID, f"The consumer id is longer than {MAX_CONSUMER_ID_LENGTH} characters.")
        )
    hashes = []
    for point in degrees.DATA_POINTS:
        value = row.get(point)
        text = "" if value is None else str(value)
        if not text.strip():
            hashes.append("")
            continue
        if len(text) > MAX_VALUE_LENGTH:
            problems.append((point, f"{_COLUMN_WORDS[point].capitalize()} is too long."))
            continue
        try:
            hashes.append(hasher.hash(point, text))
        except Unreadable as error:
            problems.append((point, str(error)))
    if not problems and not any(hashes[degrees.DATA_POINTS.index(a)] for a in degrees.ANCHORS):
        # matching.directory_match finds a consumer only by an anchor.
        problems.append(
            (
                WHOLE_FILE,
                "Give an email address, a phone number or an account number: without one "
                "the consumer can never be found.",
            )
        )
    if problems:
        return None, problems
    return (hasher.point_hash(RECORD_KIND, consumer_id), *hashes), []


# --- Reading -----------------------------------------------------------------------------------


def _text_stream(rows_or_file: Any) -> IO[str]:
    if isinstance(rows_or_file, io.TextIOBase):
        return rows_or_file
    if hasattr(rows_or_file, "read"):
        if hasattr(rows_or_file, "seek"):
            rows_or_file.seek(0)
        raw = getattr(rows_or_file, "file", rows_or_file)  # Django's UploadedFile
        return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    raise TypeError("directory_import takes a file")


def _csv_rows(stream: IO[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) for each data row; the header is checked first (``Refused``)."""
    reader = csv.reader(stream)
    try:
        header = next(reader, None)
        if header is None:
            raise Refused("directory_empty", "The file is empty: it needs a header row.")
        columns = [name.strip().lower() for name in header]
        unknown = [name for name in columns if name not in IMPORT_COLUMNS]
        if unknown:
            raise Refused(
                "directory_unknown_columns",
                f"The header names columns the directory does not take: "
                f"{', '.join(repr(name) for name in unknown)}. The columns are: "
                f"{', '.join(IMPORT_COLUMNS)} (only consumer_id is required).",
            )
        repeated = sorted({name for name in columns if columns.count(name) > 1})
        if repeated:
            raise Refused(
                "directory_repeated_columns",
                f"The header names a column twice: {', '.join(repeated)}.",
            )
        if CONSUMER_ID not in columns:
            raise Refused(
                "directory_no_consumer_id",
                "The header has no consumer_id column: each consumer needs the id your "
                "business knows them by.",
            )
        width = len(columns)
        for cells in reader:
            if not cells:
                continue  # a blank line
            if len(cells) != width:
                why = f"This row has {len(cells)} values; the header has {width}."
                yield reader.line_num, {_PROBLEMS: [(WHOLE_FILE, why)]}
                continue
            yield reader.line_num, dict(zip(columns, cells, strict=True))
    except UnicodeDecodeError as error:
        raise _FileUnreadable(
            reader.line_num + 1, "The file is not UTF-8 text; save it as CSV UTF-8."
        ) from error
    except csv.Error as error:
        raise _FileUnreadable(reader.line_num, f"The file is not valid CSV: {error}.") from error


def _checked(
    rows: Iterable[tuple[int, Mapping[str, Any]]], hasher: RowHasher, report: _Report
) -> Iterator[tuple]:
    for line, row in rows:
        report.rows_read += 1
        if _PROBLEMS in row:
            report.refuse(line, row[_PROBLEMS])
            continue
        hashes, problems = _row_hashes(hasher, row)
        if hashes is None:
            report.refuse(line, problems)
        else:
            yield (line, *hashes)


# --- Writing -----------------------------------------------------------------------------------


class _BatchWriter:
    """Batched upserts (SQLite, and any backend without COPY)."""

    def __init__(self, tenant: Tenant, now: datetime) -> None:
        self.tenant, self.now, self.written = tenant, now, 0

    def add(self, batch: list[tuple]) -> None:
        # A key repeated within the batch: the last row counts (a dict keeps the last).
        latest = {row[1]: row for row in batch}
        records = [
            DirectoryRecord(
                tenant=self.tenant,
                record_key=row[1],
                imported_at=self.now,
                **dict(zip(_HASH_COLUMNS, row[2:], strict=True)),
            )
            for row in latest.values()
        ]
        DirectoryRecord.objects.for_tenant(self.tenant).bulk_create(
            records,
            update_conflicts=True,
            unique_fields=["tenant", "record_key"],
            update_fields=[*_HASH_COLUMNS, "imported_at"],
        )

    def finish(self) -> int:
        return -1  # counted by the caller


class _PostgresWriter:
    """COPY each batch into a temporary table, then one INSERT … ON CONFLICT (PostgreSQL)."""

    def __init__(self, tenant: Tenant, now: datetime) -> None:
        self.tenant, self.now = tenant, now
        self.table = f"directory_import_{uuid.uuid4().hex[:12]}"
        columns = ", ".join(f"{name} varchar({HASH_HEX_LENGTH})" for name in _HASH_COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.table} (line integer, "
                f"record_key varchar({HASH_HEX_LENGTH}), {columns}) ON COMMIT DROP"
            )

    def add(self, batch: list[tuple]) -> None:
        buffer = io.StringIO()
        for row in batch:
            buffer.write("\t".join(map(str, row)))
            buffer.write("\n")
        buffer.seek(0)
        with connection.cursor() as cursor:
            # Hex digests and line numbers only: nothing to escape in COPY's text format.
            cursor.cursor.copy_expert(f"COPY {self.table} FROM STDIN", buffer)

    def finish(self) -> int:
        table = DirectoryRecord._meta.db_table
        hash_list = ", ".join(_HASH_COLUMNS)
        updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in (*_HASH_COLUMNS, "imported_at"))
        with connection.cursor() as cursor:
            # The sort below holds a million short rows in memory rather than on disk (for
            # this transaction only).
            cursor.execute("SET LOCAL work_mem = '256MB'")
            # DISTINCT ON: a file that repeats a consumer id writes its last row (one INSERT may
            # not update a row twice).
            cursor.execute(
                f"INSERT INTO {table} (tenant_id, record_key, {hash_list}, imported_at) "
                f"SELECT DISTINCT ON (record_key) %s, record_key, {hash_list}, %s "
                f"FROM {self.table} ORDER BY record_key, line DESC "
                f"ON CONFLICT (tenant_id, record_key) DO UPDATE SET {updates}",
                [self.tenant.pk, self.now],
            )
            written = cursor.rowcount
            cursor.execute(f"DROP TABLE {self.table}")
        return written


def _writer(tenant: Tenant, now: datetime) -> _BatchWriter | _PostgresWriter:
    if connection.vendor == "postgresql":
        return _PostgresWriter(tenant, now)
    return _BatchWriter(tenant, now)


# --- The services ------------------------------------------------------------------------------


def _run(
    *,
    tenant: Tenant,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    actor_label: str,
    file_name: str,
    all_or_nothing: bool,
) -> DirectoryImport:
    started = clock.now()
    hasher = RowHasher(directory_key(verification_policy(tenant)))
    report = _Report()
    good = 0
    whole_file_refusal: dict[str, Any] | None = None
    with transaction.atomic():
        try:
            with transaction.atomic():
                writer = _writer(tenant, started)
                batch: list[tuple] = []
                for row in _checked(rows, hasher, report):
                    good += 1
                    if all_or_nothing and report.rows_refused:
                        continue  # nothing will be written: only read on, to report every row
                    batch.append(row)
                    if len(batch) >= BATCH_ROWS:
                        writer.add(batch)
                        batch = []
                if all_or_nothing and report.rows_refused:
                    raise _RollBack
                if batch:
                    writer.add(batch)
                written = writer.finish()
                imported = good if written < 0 else written
        except _RollBack:
            imported = 0
        except Refused as refused:
            imported, whole_file_refusal = (
                0,
                {"line": 1, "field": WHOLE_FILE, "why": refused.message},
            )
        except _FileUnreadable as error:
            imported = 0
            whole_file_refusal = {"line": error.line, "field": WHOLE_FILE, "why": error.why}
        if whole_file_refusal is not None:
            report.refusals.insert(0, whole_file_refusal)
            del report.refusals[REPORT_LIMIT:]
        directory_import = DirectoryImport(
            tenant=tenant,
            started_at=started,
            finished_at=clock.now(),
            actor_label=actor_label[:150],
            file_name=file_name[:255],
            rows_read=report.rows_read,
            rows_imported=imported,
            rows_refused=report.rows_refused,
            all_or_nothing=all_or_nothing,
            refusals=report.refusals,
            succeeded=whole_file_refusal is None and (imported > 0 or not report.rows_refused),
        )
        directory_import.full_clean()
        directory_import.save()
        # The import on the audit trail (issue 14 item 3), in its transaction: who (the staff
        # member or API key of the HTTP request, or the portal for the command), what file.
        audit_record(
            tenant,
            action=AuditAction.IMPORT,
            target=f"verification.directoryimport:{directory_import.pk}",
            summary=f"Imported the verification directory from {file_name[:100] or 'a file'}: "
            f"{imported} consumers imported, {report.rows_refused} rows refused",
            detail={
                "file_name": file_name[:255],
                "rows_read": report.rows_read,
                "rows_imported": imported,
                "rows_refused": report.rows_refused,
                "all_or_nothing": all_or_nothing,
                "actor_label": actor_label[:150],
            },
        )
    return directory_import


class _RollBack(Exception):
    """All or nothing, and a row was refused: undo what was written."""


def directory_import(
    *,
    tenant: Tenant,
    rows_or_file: IO[Any],
    actor_label: str,
    all_or_nothing: bool,
    file_name: str = "",
) -> DirectoryImport:
    """Import a CSV of consumers into ``tenant``'s directory; the ``DirectoryImport`` says what
    happened (``succeeded``, counts, and each refused row: line, field, why).

    §7060(c)(1): the portal matches a consumer against what the business holds, and keeps of it
    only keyed hashes (§7060(d): no more personal information than verification needs).
    """
    name = file_name or str(getattr(rows_or_file, "name", "") or "")
    stream = _text_stream(rows_or_file)
    try:
        return _run(
            tenant=tenant,
            rows=_csv_rows(stream),
            actor_label=actor_label,
            file_name=name,
            all_or_nothing=all_or_nothing,
        )
    finally:
        if stream is not rows_or_file and isinstance(stream, io.TextIOWrapper):
            stream.detach()  # the caller's file stays open: closing it is theirs to do


def _api_record(record: Any) -> Mapping[str, Any]:
    """A consumer of the API's list, or its problems (``_PROBLEMS``)."""
    if not isinstance(record, Mapping):
        return {_PROBLEMS: [(WHOLE_FILE, "Give each consumer as an object.")]}
    fields = ", ".join(IMPORT_COLUMNS)
    problems = [
        (str(name), f"Unknown field; the fields are: {fields}.")
        for name in record
        if name not in IMPORT_COLUMNS
    ]
    problems += [
        (name, "Give a text value.")
        for name, value in record.items()
        if name in IMPORT_COLUMNS
        and value is not None
        and (isinstance(value, bool) or not isinstance(value, (str, int)))
    ]
    return {_PROBLEMS: problems} if problems else record


def directory_records_add(
    *, tenant: Tenant, records: list[Mapping[str, Any]], actor_label: str
) -> DirectoryImport:
    """The API's consumers (a list of objects with the CSV's columns): all or nothing.

    Raises ``DirectoryRowsRefused`` (each refusal's ``line`` is the consumer's index in the
    list) and imports nothing when any is refused; the refused attempt is recorded too.
    """
    if not isinstance(records, list) or not records:
        raise Refused("directory_no_records", "Send a list of one or more consumers.")
    if len(records) > MAX_API_RECORDS:
        raise Refused(
            "directory_too_many_records",
            f"Send at most {MAX_API_RECORDS} consumers per call; import a whole directory "
            "as a CSV file in the admin.",
        )
    rows: list[tuple[int, Mapping[str, Any]]] = []
    for index, record in enumerate(records):
        rows.append((index, _api_record(record)))
    directory_import = _run(
        tenant=tenant, rows=rows, actor_label=actor_label, file_name="API", all_or_nothing=True
    )
    if directory_import.rows_refused:
        raise DirectoryRowsRefused(
            f"{directory_import.rows_refused} of {len(records)} consumers were refused; "
            "nothing was imported.",
            directory_import.refusals,
        )
    return directory_import
