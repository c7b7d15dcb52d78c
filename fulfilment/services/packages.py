"""A request to know's response package: its parts, assembly, preview and release.

* ``package_part_attach``: a system (by API, on its task) or staff (in the admin) attach part of
  the consumer's data, JSON or CSV; it is checked whole before anything is kept (issue 16 item
  9), normalised to records (one JSON object a line) and stored encrypted
  (``core.encrypted_files``); a second attachment with the same idempotency key adds nothing;
* ``package_part_mark_exempt``: staff withhold a part as exempt, with its basis (§7024(e): the
  rest is still disclosed);
* ``package_preview``: what staff see before release: each part, what would be withheld and
  why (§7024(d)), and the consumer's page, rows capped;
* ``response_package_assemble``: the zip (per part a JSON and a CSV file, and the readable
  page), streamed a record at a time into encrypted storage, covering the request's period
  (§7024(h)) and withholding what §7024(d) forbids;
* ``response_package_release``: assembled from the current parts and released, once; refused
  while no part is attached or a part cannot be read. Delivery to the consumer (§7024(f))
  starts from a released package.

Timeline and audit entries name the request by reference, the parts by id and source, the
withheld kinds by name: never a value.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from core import clock, encryption
from core.encrypted_files import encrypted_file_open, encrypted_file_save
from core.refusals import Refused
from requests_app import vocabulary as words
from requests_app.models import EventKind, PrivacyRequest, RequestEvent
from requests_app.selectors import privacy_request_for_update
from requests_app.services.timeline import timeline_add
from tenants.selectors import tenant_today

from .. import package_rules, withholding
from ..models import (
    PackagePart,
    PackageState,
    PartFormat,
    ResponsePackage,
    SystemTask,
    TaskState,
)
from .delivery import package_delivery_start, package_page_url

PREVIEW_ROWS = 50
# What the release's timeline entry says about telling the consumer (§7024(f)): only what
# happened — an email queued in the outbox, or none.
RELEASE_EMAILED = (
    "{who} was emailed (queued in the outbox) the address of the page to download it after a "
    "fresh email sign-in (§7024(f))."
)
RELEASE_NOT_EMAILED = (
    "The consumer has no email address on file and was not told: deliver the data another way "
    "and record how (§7024(f))."
)
_COPY = 64 * 1024


def part_max_bytes() -> int:
    return int(getattr(settings, "PACKAGE_PART_MAX_BYTES", 100 * 1024 * 1024))


# --- Attaching a part -------------------------------------------------------------------------------


def _attach_check(privacy_request: PrivacyRequest, task: SystemTask | None) -> None:
    if privacy_request.request_type != words.KNOW:
        raise Refused(
            "not_know",
            "Only a request to know takes data: this request is of another type.",
            conflict=True,
        )
    if privacy_request.status == words.CLOSED:
        raise Refused(
            "request_closed",
            f"Request {privacy_request.reference} is closed: no more data can be attached.",
            conflict=True,
        )
    if task is not None and task.state == TaskState.CANCELLED:
        raise Refused(
            "cancelled",
            "This task was cancelled: the request was denied or withdrawn.",
            conflict=True,
        )
    if released_package(privacy_request) is not None:
        raise Refused(
            "package_released",
            f"The package of request {privacy_request.reference} was already released: "
            "no more data can be attached.",
            conflict=True,
        )


def _digest(content: IO[bytes]) -> tuple[str, int, bytes]:
    """sha256, size and first bytes of ``content`` (read a chunk at a time, then rewound)."""
    content.seek(0)
    digest = hashlib.sha256()
    size = 0
    head = b""
    while chunk := content.read(_COPY):
        if not head:
            head = chunk[:16]
        digest.update(chunk)
        size += len(chunk)
    content.seek(0)
    return digest.hexdigest(), size, head


def _records(content: IO[bytes], part_format: str) -> Iterator[dict[str, Any]]:
    # A JSON part is read a list item at a time, a CSV part a line at a time: memory stays at
    # a record or so whatever the part's size (a 100 MB JSON part read whole took ~6x that).
    if part_format == PartFormat.JSON:
        yield from package_rules.json_records(content)
        return
    text = io.TextIOWrapper(content, encoding="utf-8-sig", newline="", errors="strict")
    try:
        yield from package_rules.csv_records(text)
    except UnicodeDecodeError as error:
        raise package_rules.PartInvalid(
            "encoding", "The file is not UTF-8 text. Send JSON or CSV encoded in UTF-8."
        ) from error
    finally:
        text.detach()


def _refuse_invalid(error: package_rules.PartInvalid) -> Refused:
    return Refused(error.code, error.message, "file")


def part_content_check(content: IO[bytes], part_format: str) -> tuple[str, int]:
    """The sha256 and size of an attachment, refusing what can never be a part (empty, over
    the cap, an archive, an unknown format) before it is read."""
    if part_format not in package_rules.FORMATS:
        raise Refused("format", "Send the data as JSON or CSV.", "format")
    sha256, size, head = _digest(content)
    cap = part_max_bytes()
    if size > cap:
        raise Refused(
            "too_large",
            f"The file is too large ({size / 1048576:.1f} MB). A part may be at most "
            f"{cap // 1048576} MB: split the data into several parts.",
            "file",
        )
    if not size:
        raise Refused("empty", "The file is empty.", "file")
    if package_rules.looks_compressed(head):
        raise Refused(
            "archive",
            "Zip and other compressed files are not accepted: send each part as a JSON or CSV "
            "file.",
            "file",
        )
    return sha256, size


@dataclass
class Attached:
    part: PackagePart
    created: bool


def package_part_attach(
    *,
    privacy_request: PrivacyRequest,
    content: IO[bytes],
    part_format: str,
    idempotency_key: str = "",
    system_task: SystemTask | None = None,
    source: str = "",
    actor: AbstractBaseUser | None,
    actor_label: str | None = None,
) -> Attached:
    """Attach part of the consumer's data to a request to know.

    ``content`` is a seekable binary file (the API spools the body, the admin has the upload).
    Every record is read and checked before anything is kept: a refusal (``Refused``: invalid
    JSON, a ragged CSV, over the cap, an archive; a closed request or released package is a
    conflict) leaves the parts already attached as they were. The same ``idempotency_key``
    again (by default the content's sha256) returns the first part, ``created`` False.
    """
    sha256, size = part_content_check(content, part_format)
    key = (idempotency_key or "").strip()[:200] or f"sha256:{sha256}"
    with transaction.atomic():
        locked = privacy_request_for_update(privacy_request)
        existing = PackagePart.objects.for_tenant(locked.tenant).filter(
            privacy_request=locked, idempotency_key=key
        )
        first = existing.first()
        if first is not None:
            return Attached(first, False)
        _attach_check(locked, system_task)
        system = system_task.system if system_task is not None else None
        part = PackagePart(
            tenant=locked.tenant,
            privacy_request=locked,
            system=system,
            system_task=system_task,
            source=(source or (system.name if system else "Staff upload")).strip()[:100],
            format=part_format,
            size=size,
            sha256=sha256,
            idempotency_key=key,
            created_at=clock.now(),
            created_by=actor if actor is not None and actor.pk else None,
            created_by_label=(actor_label or (actor.get_username() if actor else ""))[:150],
            row_count=0,
        )
        columns: dict[str, None] = {}

        def write(sink: IO[bytes]) -> None:
            for record in _records(content, part_format):
                for name in record:
                    if len(columns) < package_rules.MAX_CELLS_PER_ROW:
                        columns.setdefault(str(name), None)
                sink.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
                part.row_count += 1

        try:
            encrypted_file_save(part.file, "part.jsonl.enc", write)
        except package_rules.PartInvalid as error:
            raise _refuse_invalid(error) from error
        part.columns = list(columns)
        part.full_clean(exclude=["file"])
        try:
            with transaction.atomic():
                part.save()
        except IntegrityError:  # the same key, attached at the same moment by another call
            part.file.delete(save=False)
            return Attached(existing.get(), False)
        timeline_add(
            locked,
            kind=EventKind.NOTE,
            at=part.created_at,
            actor=actor,
            label=actor_label,
            message=f"Data attached for the response: part {part.pk} from {part.source}, "
            f"{part.row_count} records ({part.get_format_display()}).",
            data={"package_part": part.pk},
            audit_summary=f"Attached package part {part.pk} ({part.source}) — {locked.reference}",
        )
        return Attached(part, True)


@transaction.atomic
def package_part_mark_exempt(
    *, part: PackagePart, basis: str, actor: AbstractBaseUser | None
) -> PackagePart:
    """Withhold a part as exempt (§7024(e)), with the basis the consumer is told; an empty
    basis puts it back into the package. Refused once the package is released."""
    locked = privacy_request_for_update(part.privacy_request)
    if released_package(locked) is not None:
        raise Refused(
            "package_released", "The package was already released: it cannot change.", conflict=True
        )
    basis = basis.strip()
    part = PackagePart.objects.for_tenant(locked.tenant).select_for_update().get(pk=part.pk)
    if part.exempt_basis == basis:
        return part
    part.exempt_basis = basis
    part.full_clean(exclude=["file"])
    part.save(update_fields=["exempt_basis"])
    said = "withheld as exempt" if basis else "put back into the package"
    timeline_add(
        locked,
        kind=EventKind.NOTE,
        at=clock.now(),
        actor=actor,
        message=f"Package part {part.pk} from {part.source} {said}.",
        reason=basis,
        data={"package_part": part.pk, "exempt": bool(basis)},
        audit_summary=f"Package part {part.pk} {said} — {locked.reference}",
    )
    return part


# --- Reading parts ----------------------------------------------------------------------------------


def request_parts(privacy_request: PrivacyRequest) -> list[PackagePart]:
    return list(
        PackagePart.objects.for_tenant(privacy_request.tenant)
        .filter(privacy_request=privacy_request)
        .order_by("created_at", "pk")
    )


def released_package(privacy_request: PrivacyRequest) -> ResponsePackage | None:
    return (
        ResponsePackage.objects.for_tenant(privacy_request.tenant)
        .filter(privacy_request=privacy_request, state=PackageState.RELEASED)
        .first()
    )


def part_records(part: PackagePart) -> Iterator[dict[str, Any]]:
    """A part's records, decrypted a chunk at a time; ``Refused`` if its file cannot be read."""
    try:
        handle = encrypted_file_open(part.file)
    except (FileNotFoundError, ValueError) as error:
        raise _unreadable(part) from error
    try:
        with handle:
            for line in handle:
                yield json.loads(line)
    except (encryption.Unreadable, ValueError) as error:
        raise _unreadable(part) from error


def _unreadable(part: PackagePart) -> Refused:
    return Refused(
        "part_unreadable",
        f"Part {part.pk} from {part.source} cannot be read back from storage: attach it again "
        "and remove this one from the package (mark it exempt with the reason).",
        conflict=True,
    )


def request_period(
    privacy_request: PrivacyRequest, start: date | None = None, end: date | None = None
) -> tuple[date, date]:
    """§7024(h): the consumer's period if the request names one (``know_period_start`` /
    ``know_period_end``, when the request form asks for it), else ``start``/``end`` if given,
    else everything from January 1, 2022 to today."""
    named_start = getattr(privacy_request, "know_period_start", None) or start
    named_end = getattr(privacy_request, "know_period_end", None) or end
    return package_rules.period(
        named_start, named_end, tenant_today(privacy_request.tenant, clock.now())
    )


# --- The page ---------------------------------------------------------------------------------------


@dataclass
class PartSummary:
    part: PackagePart
    number: int = 0
    disclosed: int = 0
    left_out: int = 0
    withheld: dict[str, int] = field(default_factory=dict)


@dataclass
class Summary:
    period: tuple[date, date]
    language: str
    parts: list[PartSummary]

    @property
    def withheld(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for part in self.parts:
            for kind, count in part.withheld.items():
                total[kind] = total.get(kind, 0) + count
        return {kind: total[kind] for kind in withholding.in_order(total)}

    @property
    def disclosed(self) -> int:
        return sum(part.disclosed for part in self.parts)

    @property
    def left_out(self) -> int:
        return sum(part.left_out for part in self.parts)


def _clean_records(
    part: PackagePart, summary: PartSummary, first: date, last: date
) -> Iterator[dict[str, Any]]:
    """A part's records in the period, with what §7024(d) forbids withheld; counts into
    ``summary``."""
    for record in part_records(part):
        if not package_rules.record_in_period(record, first, last):
            summary.left_out += 1
            continue
        kinds: set[str] = set()
        clean, _ = withholding.withhold(record, "", kinds)
        for kind in kinds:
            summary.withheld[kind] = summary.withheld.get(kind, 0) + 1
        summary.disclosed += 1
        yield clean


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _table_head(part: PackagePart, number: int, columns: list[str]) -> str:
    heads = "".join(f'<th scope="col">{html.escape(name)}</th>' for name in columns)
    return (
        f'<table id="part-{number}"><caption>{html.escape(part.source)}</caption>'
        f"<thead><tr>{heads}</tr></thead><tbody>\n"
    )


def _table_row(record: dict[str, Any], columns: list[str]) -> str:
    cells = "".join(f"<td>{html.escape(_cell(record.get(name)))}</td>" for name in columns)
    return f"<tr>{cells}</tr>\n"


def _page_frame(
    privacy_request: PrivacyRequest, summary: Summary, *, preview: bool
) -> tuple[str, str]:
    """The page before and after its tables, in the request's language."""
    language = summary.language
    kinds = [
        {"text": withholding.kind_text(kind, language), "count": count}
        for kind, count in summary.withheld.items()
    ]
    with translation.override(language):
        page = render_to_string(
            "fulfilment/package/page.html",
            {
                "privacy_request": privacy_request,
                "business": privacy_request.tenant,
                "summary": summary,
                "withheld": kinds,
                "period_start": summary.period[0],
                "period_end": summary.period[1],
                "disclosed": [p for p in summary.parts if not p.part.exempt_basis],
                "exempt": [p for p in summary.parts if p.part.exempt_basis],
                "preview": preview,
                "language": language,
                "tables_marker": _MARKER,
            },
        )
    before, _, after = page.partition(_MARKER)
    return before, after


_MARKER = "<!--package-tables-->"


def _language(privacy_request: PrivacyRequest) -> str:
    return "es" if (privacy_request.language or "").startswith("es") else "en"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "part"


# --- Preview ----------------------------------------------------------------------------------------


@dataclass
class Preview:
    summary: Summary
    page: str


def package_preview(
    privacy_request: PrivacyRequest, *, start: date | None = None, end: date | None = None
) -> Preview:
    """What staff review before release: the summary (every record read, so the withheld
    counts are exact) and the consumer's page with at most ``PREVIEW_ROWS`` rows a part."""
    first, last = request_period(privacy_request, start, end)
    parts = request_parts(privacy_request)
    summary = Summary(
        (first, last),
        _language(privacy_request),
        [PartSummary(p, n) for n, p in enumerate(parts, start=1)],
    )
    tables: list[str] = []
    for part_summary in summary.parts:
        part, number = part_summary.part, part_summary.number
        if part.exempt_basis:
            continue
        columns = list(part.columns)
        rows: list[str] = []
        for record in _clean_records(part, part_summary, first, last):
            if len(rows) < PREVIEW_ROWS:
                rows.append(_table_row(record, columns))
        tables.append(_table_head(part, number, columns) + "".join(rows) + "</tbody></table>\n")
        if part_summary.disclosed > PREVIEW_ROWS:
            tables.append(
                f"<p>(Preview: the first {PREVIEW_ROWS} of {part_summary.disclosed} records.)</p>"
            )
    before, after = _page_frame(privacy_request, summary, preview=True)
    return Preview(summary, before + "".join(tables) + after)


# --- Assembly ---------------------------------------------------------------------------------------


class _HashingSink(io.RawIOBase):
    """Counts and hashes what ``zipfile`` writes, passing it on; not seekable (zipfile then
    streams, with data descriptors)."""

    def __init__(self, target: IO[bytes]) -> None:
        self._target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.digest.update(chunk)
        self.size += len(chunk)
        self._target.write(chunk)
        return len(chunk)


def _write_part_files(
    archive: zipfile.ZipFile,
    part: PackagePart,
    number: int,
    part_summary: PartSummary,
    period: tuple[date, date],
    table: IO[bytes],
) -> None:
    """One pass over a part's records: its JSON and CSV files, and its HTML table into
    ``table`` (an encrypted spool, copied into the page once the summary is known)."""
    columns = list(part.columns)
    base = f"data/{number:02d}-{_slug(part.source)}"
    # The JSON and the CSV are written side by side, so each record is read and cleaned once:
    # the CSV is spooled (encrypted) and copied into the zip after the JSON.
    with encrypted_spool() as csv_spool:
        csv_text = io.TextIOWrapper(csv_spool.writer, encoding="utf-8", newline="")
        writer = csv.writer(csv_text)
        writer.writerow(columns)
        table.write(_table_head(part, number, columns).encode())
        with archive.open(f"{base}.json", "w", force_zip64=True) as out:
            pending = [b"["]
            separator = b"\n"
            held = 0
            for record in _clean_records(part, part_summary, *period):
                line = separator + json.dumps(record, ensure_ascii=False).encode()
                pending.append(line)
                held += len(line)
                separator = b",\n"
                writer.writerow([_cell(record.get(name)) for name in columns])
                table.write(_table_row(record, columns).encode())
                if held >= _COPY:  # the deflater takes 64 KB at a time, not a row
                    out.write(b"".join(pending))
                    pending, held = [], 0
            pending.append(b"\n]\n")
            out.write(b"".join(pending))
        table.write(b"</tbody></table>\n")
        csv_text.flush()
        csv_text.detach()
        with archive.open(f"{base}.csv", "w", force_zip64=True) as target:
            for chunk in csv_spool.chunks():
                target.write(chunk)


class encrypted_spool:
    """A temporary file written through ``EncryptingWriter`` and read back decrypted: what the
    assembly spools (a part's CSV, the page's tables) never sits on disk in the clear."""

    def __enter__(self) -> encrypted_spool:
        import tempfile

        from core.encrypted_files import EncryptingWriter

        self._file = tempfile.TemporaryFile()
        self.writer = EncryptingWriter(self._file)
        return self

    def chunks(self) -> Iterator[bytes]:
        from core.encrypted_files import encrypted_chunks

        self.writer.close()
        self._file.seek(0)
        return encrypted_chunks(self._file)

    def __exit__(self, *exc: object) -> None:
        self._file.close()


def _assemble_into(sink: IO[bytes], privacy_request: PrivacyRequest, summary: Summary) -> None:
    with (
        zipfile.ZipFile(
            sink, mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=6
        ) as archive,
        encrypted_spool() as tables,
    ):
        for part_summary in summary.parts:
            if part_summary.part.exempt_basis:
                continue
            _write_part_files(
                archive,
                part_summary.part,
                part_summary.number,
                part_summary,
                summary.period,
                tables.writer,
            )
        before, after = _page_frame(privacy_request, summary, preview=False)
        with archive.open("index.html", "w", force_zip64=True) as page:
            page.write(before.encode())
            for chunk in tables.chunks():
                page.write(chunk)
            page.write(after.encode())


def response_package_assemble(
    *, privacy_request: PrivacyRequest, start: date | None = None, end: date | None = None
) -> ResponsePackage:
    """Assemble the package from the request's current parts into encrypted storage, a record
    at a time (memory stays flat whatever the size), and record it as assembled; an earlier
    assembled, unreleased package of the request is replaced. ``Refused`` when no part is
    attached or one cannot be read."""
    parts = request_parts(privacy_request)
    if not parts:
        raise Refused(
            "no_parts",
            "No data is attached to this request yet: a package needs at least one part.",
            conflict=True,
        )
    period = request_period(privacy_request, start, end)
    summary = Summary(
        period,
        _language(privacy_request),
        [PartSummary(p, n) for n, p in enumerate(parts, start=1)],
    )
    package = ResponsePackage(
        tenant=privacy_request.tenant,
        privacy_request=privacy_request,
        state=PackageState.ASSEMBLED,
        period_start=period[0],
        period_end=period[1],
        language=summary.language,
        parts=[part.pk for part in parts],
        size=0,
        sha256="",
        row_count=0,
        left_out=0,
    )
    hashed: dict[str, _HashingSink] = {}

    def write(sink: IO[bytes]) -> None:
        hashed["sink"] = _HashingSink(sink)
        _assemble_into(hashed["sink"], privacy_request, summary)

    encrypted_file_save(package.file, "package.zip.enc", write)
    package.size = hashed["sink"].size
    package.sha256 = hashed["sink"].digest.hexdigest()
    package.row_count = summary.disclosed
    package.left_out = summary.left_out
    package.withheld = summary.withheld
    package.assembled_at = clock.now()
    try:
        with transaction.atomic():
            stale = list(
                ResponsePackage.objects.for_tenant(privacy_request.tenant).filter(
                    privacy_request=privacy_request, state=PackageState.ASSEMBLED
                )
            )
            package.full_clean(exclude=["file"])
            package.save()
            for old in stale:
                old.delete()
                transaction.on_commit(lambda old=old: old.file.delete(save=False))
    except Exception:
        package.file.delete(save=False)
        raise
    return package


def package_open(package: ResponsePackage) -> IO[bytes]:
    """The package's zip, decrypted as it is read (delivery, tests). The caller closes it."""
    return encrypted_file_open(package.file)


def _release_check(privacy_request: PrivacyRequest) -> None:
    if privacy_request.request_type != words.KNOW:
        raise Refused("not_know", "Only a request to know has a package.", conflict=True)
    if privacy_request.outcome in (words.DENIED, words.WITHDRAWN):
        raise Refused(
            "request_closed",
            f"Request {privacy_request.reference} was {privacy_request.get_outcome_display()}: "
            "nothing is released.",
            conflict=True,
        )


def _discard(package: ResponsePackage) -> None:
    """An assembled package that will never be released (another call released first)."""
    ResponsePackage.objects.for_tenant(package.tenant).filter(
        pk=package.pk, state=PackageState.ASSEMBLED
    ).delete()
    transaction.on_commit(lambda: package.file.delete(save=False))


def response_package_release(
    *,
    privacy_request: PrivacyRequest,
    actor: AbstractBaseUser | None,
    actor_label: str | None = None,
    page_url: str | None = None,
) -> ResponsePackage:
    """Assemble the package from the current parts and release it (once: releasing again
    returns the released package). Refused while no part is attached, when a part cannot be
    read, or when the request is not a request to know or was denied or withdrawn. The
    timeline entry and its audit entry name the package by id, its parts by count and the
    withheld kinds by name."""
    existing = released_package(privacy_request)
    if existing is not None:
        return existing
    _release_check(privacy_request)
    package = response_package_assemble(privacy_request=privacy_request)
    with transaction.atomic():
        locked = privacy_request_for_update(privacy_request)
        existing = released_package(locked)
        if existing is not None:  # released meanwhile by another call
            _discard(package)
            return existing
        # Assembling a large package takes minutes (on its task): the request may have been
        # denied or withdrawn meanwhile, so the check is made again on the locked row.
        _release_check(locked)
        if sorted(package.parts) != sorted(p.pk for p in request_parts(locked)):
            raise Refused(
                "parts_changed",
                "Data was attached while the package was being assembled: release it again.",
                conflict=True,
            )
        now = clock.now()
        package.state = PackageState.RELEASED
        package.released_at = now
        package.released_by = actor if actor is not None and actor.pk else None
        package.save(update_fields=["state", "released_at", "released_by"])
        # Secure delivery (§7024(f)): the consumer is told, in this transaction, where to
        # download it (``page_url``: the portal's page; by default the business's portal).
        # Without an email address on file nothing can be sent: the entry says so, and staff
        # deliver it by hand and record how (``package_hand_delivery_record``).
        package.tenant = locked.tenant
        package.privacy_request = locked
        emailed = package_delivery_start(
            package, page_url=page_url or package_page_url(package), now=now
        )
        withheld = (
            ", ".join(withholding.kind_text(kind).label for kind in package.withheld) or "nothing"
        )
        if emailed is None:
            told = RELEASE_NOT_EMAILED
        elif locked.agent_email and emailed.recipient == locked.agent_email:
            told = RELEASE_EMAILED.format(who="The consumer's authorized agent")
        else:
            told = RELEASE_EMAILED.format(who="The consumer")
        timeline_add(
            locked,
            kind=EventKind.NOTE,
            at=now,
            actor=actor,
            label=actor_label,
            message=f"Response package {package.pk} released: {len(package.parts)} part(s), "
            f"{package.row_count} records from {package.period_start.isoformat()} to "
            f"{package.period_end.isoformat()}; withheld (§7024(d)): {withheld}. {told}",
            data={
                "response_package": package.pk,
                "parts": package.parts,
                "withheld": package.withheld,
                "sha256": package.sha256,
                "emailed": emailed is not None,
                "communication": emailed.pk if emailed is not None else None,
            },
            audit_summary=f"Released response package {package.pk} — {locked.reference}",
        )
    return package


def response_package_release_later(
    *, privacy_request: PrivacyRequest, actor: AbstractBaseUser | None, attempt: str = ""
) -> ResponsePackage | None:
    """``response_package_release`` on its task, for a package too large to release while
    staff wait (``fulfilment.tasks.response_package_release_task``). Staff were told it is
    being assembled, so a refusal is not lost in a log: it is written on the request's timeline
    (nothing was released, and why) and None is returned. ``attempt`` names the staff member's
    one click: a redelivered task writes its refusal once."""
    try:
        return response_package_release(privacy_request=privacy_request, actor=actor)
    except Refused as refused:
        with transaction.atomic():
            locked = privacy_request_for_update(privacy_request)
            noted = (
                attempt
                and RequestEvent.objects.for_tenant(locked.tenant)
                .filter(privacy_request=locked, data__release_attempt=attempt)
                .exists()
            )
            if not noted:
                timeline_add(
                    locked,
                    kind=EventKind.NOTE,
                    at=clock.now(),
                    actor=actor,
                    message=f"The response package was not released: {refused.message}",
                    data={"response_package_refused": refused.code, "release_attempt": attempt},
                    audit_summary=f"Response package not released ({refused.code}) — "
                    f"{locked.reference}",
                )
        return None
