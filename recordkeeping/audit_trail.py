"""Reading, verifying and exporting a business's audit trail (issue 14 item 3).

The trail is written by ``audit.services.audit_record`` from every app; reading it is the
compliance role's alone (``tenants.selectors.ROLE_ABILITIES`` "audit"), and reading, verifying
and exporting it are themselves audited. Everything here starts from ``for_tenant``: one
business's officer never reaches another's entries.

* ``audit_entries``: the filtered entries, newest first, for the admin page (keyset pages by
  ``seq``, served by the (tenant, …, seq) indexes);
* ``audit_chain_verify``: walks the whole chain in ``seq`` order over a server-side cursor
  (memory stays flat) and reports the first broken link (``audit.chain``);
* ``audit_export_csv`` / ``audit_export_json``: the filtered entries, streamed.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, models, transaction
from django.db.models.expressions import RawSQL

from audit import chain
from audit.models import AuditChainHead, AuditEntry
from core.calendar import start_of_day
from tenants.models import Tenant

# Rows the verification reads per round trip of its server-side cursor.
VERIFY_CHUNK = 10_000
EXPORT_CHUNK = 2_000
FILTER_TEXT_LENGTH = 200

# Every field the hash covers but the business's id (the file is the business's), and the
# hashes: a file can be verified again on its own (``audit.chain.verify``).
EXPORT_COLUMNS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "actor_kind",
    "action",
    "target",
    "summary",
    "detail",
    "ip_address",
    "user_agent",
    "prev_hash",
    "entry_hash",
)


class TrailFilterRefused(ValueError):
    """A filter the trail cannot apply (a date range ending before it starts)."""


@dataclass(frozen=True)
class TrailFilter:
    """What the officer narrowed the trail to; every part optional."""

    since: date | None = None
    until: date | None = None
    actor: str = ""
    action: str = ""
    target: str = ""

    def as_detail(self) -> dict[str, str]:
        return {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in vars(self).items()
            if value
        }


def audit_entries(tenant: Tenant, trail_filter: TrailFilter) -> models.QuerySet:
    """The business's entries matching ``trail_filter``, newest first.

    Dates are the business's local days (``until`` included). Actor, action and target are
    exact (an index each leads with tenant and ends with seq, so a page is an index range scan);
    a target may end with ``*`` to match a prefix ("privacy_request:*").
    """
    if trail_filter.since and trail_filter.until and trail_filter.until < trail_filter.since:
        raise TrailFilterRefused("The end date is before the start date.")
    entries = AuditEntry.objects.for_tenant(tenant)
    zone = tenant.zone
    if trail_filter.since:
        entries = entries.filter(occurred_at__gte=start_of_day(trail_filter.since, zone))
    if trail_filter.until:
        next_day = trail_filter.until + timedelta(days=1)
        entries = entries.filter(occurred_at__lt=start_of_day(next_day, zone))
    if trail_filter.actor:
        entries = entries.filter(actor_label=trail_filter.actor)
    if trail_filter.action:
        entries = entries.filter(action=trail_filter.action)
    if trail_filter.target:
        if trail_filter.target.endswith("*"):
            entries = entries.filter(target__startswith=trail_filter.target[:-1])
        else:
            entries = entries.filter(target=trail_filter.target)
    return entries.order_by("-seq")


def audit_actor_labels(tenant: Tenant) -> list[str]:
    """The actors the business's trail names, for the filter's choices."""
    return list(
        AuditEntry.objects.for_tenant(tenant)
        .order_by("actor_label")
        .values_list("actor_label", flat=True)
        .distinct()
    )


def audit_chain_verify(tenant: Tenant) -> chain.ChainReport:
    """Walk the business's whole chain and report the first broken link (or "intact: N").

    The head is read first and the walk stops at its number: entries written while the walk
    runs are left for the next one, and entries removed from the end show as missing. Rows come
    over a server-side cursor, a chunk at a time, so memory stays flat whatever the length.
    """
    head = AuditChainHead.objects.for_tenant(tenant).values_list("last_seq", "last_hash").first()
    entries = AuditEntry.objects.for_tenant(tenant)
    if head is not None:
        entries = entries.filter(seq__lte=head[0])
    entries = entries.order_by("seq")
    last_seq, last_hash = head if head is not None else (None, None)
    if connection.vendor == "postgresql":
        # PostgreSQL writes each entry's canonical encoding itself (encoding_sql): four columns
        # a row instead of fourteen Python objects, about three times faster on a million.
        rows = entries.annotate(encoding=RawSQL(encoding_sql(), ())).values_list(  # noqa: S611 - no input in it
            "seq", "encoding", "prev_hash", "entry_hash"
        )
        with transaction.atomic():  # a cursor that streams (no WITH HOLD copy of the result)
            return chain.verify_encoded(
                tenant.pk,
                rows.iterator(chunk_size=VERIFY_CHUNK),
                last_seq=last_seq,
                last_hash=last_hash,
            )
    rows = entries.values_list(*chain.FIELDS, "prev_hash", "entry_hash")
    return chain.verify(
        tenant.pk, rows.iterator(chunk_size=VERIFY_CHUNK), last_seq=last_seq, last_hash=last_hash
    )


def encoding_sql() -> str:
    """``audit.chain.encode`` as a PostgreSQL expression over an audit entry's columns.

    Each field as the text ``chain._text`` gives it (integers in decimal, NULL as "", the
    instant in UTC with microseconds and a Z), prefixed with its length in characters
    (``char_length``, like Python's ``len``), joined with "|". The tests compare it with
    ``audit.chain.encode`` on awkward values (tests/db/audit/test_audit_writer.py).
    """
    quote = connection.ops.quote_name
    table = quote(AuditEntry._meta.db_table)
    parts = []
    for name in chain.FIELDS:
        column = f"{table}.{quote(AuditEntry._meta.get_field(name.removesuffix('_id')).column)}"
        if name == "occurred_at":
            text = f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        elif name in {"tenant_id", "seq", "actor_id"}:
            text = f"COALESCE({column}::text, '')"
        else:
            text = column
        parts.append(f"char_length({text})::text || ':' || {text}")
    return " || '|' || ".join(parts)


class _Line:
    def write(self, value: str) -> str:
        return value


def _export_value(value: Any) -> Any:
    return chain.timestamp_text(value) if isinstance(value, datetime) else value


def _export_rows(entries: models.QuerySet) -> Iterator[tuple[Any, ...]]:
    # Oldest first in a file: it reads as the chain does, and can be re-verified from it.
    return entries.order_by("seq").values_list(*EXPORT_COLUMNS).iterator(chunk_size=EXPORT_CHUNK)


def audit_export_csv(entries: models.QuerySet) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(EXPORT_COLUMNS)
    for row in _export_rows(entries):
        yield writer.writerow([_export_value(value) for value in row])


def audit_export_json(entries: models.QuerySet, rows_per_chunk: int = 500) -> Iterator[str]:
    encode = json.JSONEncoder(ensure_ascii=False).encode
    yield "["
    first = True
    chunk: list[str] = []
    for row in _export_rows(entries):
        chunk.append(encode(dict(zip(EXPORT_COLUMNS, map(_export_value, row), strict=True))))
        if len(chunk) >= rows_per_chunk:
            yield ("" if first else ",") + ",".join(chunk)
            first, chunk = False, []
    if chunk:
        yield ("" if first else ",") + ",".join(chunk)
    yield "]\n"
