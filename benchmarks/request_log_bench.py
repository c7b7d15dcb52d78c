"""The §7101(b) request log of a large business's year (issue 14): 1,000,000 requests streamed
as CSV, with memory flat.

* a database ``pp_bench_requestlog`` (``BENCH_DB_PREFIX``), migrated on every run, with one
  business and ``--rows`` requests received in 2026 (every type and channel, a tenth by an
  agent, four fifths closed with every outcome and denial reason), built directly and loaded
  with COPY (intake's rules are not what is measured here);
* ``request_log_csv`` for 2026 written to ``/dev/null``: wall time, rows per second, and the
  process's peak RSS (``ru_maxrss``) before the export, after its first 100,000 rows and at
  the end: memory must stay flat, whatever the size.

Target: flat memory (< +50 MB from the first 100,000 rows to the end).
``.venv/bin/python benchmarks/request_log_bench.py [--rows 1000000] [--keep]``
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib

TARGET_GROWTH_MB = 50
BATCH = 50_000
SLUG = "requestlog-bench"
TYPES = ("know", "delete", "correct", "opt_out", "limit", "opt_in")
CHANNELS = ("webform", "email", "phone", "mail", "in_person", "api", "agent", "gpc")
# (outcome, denial reason, legal basis, explanation); "" outcome = still open.
ENDINGS = (
    ("complied", "", "", ""),
    ("complied", "", "", ""),
    ("complied_in_part", "other", "", "Part of the record belongs to another person."),
    ("denied", "unverifiable", "", "We could not match the data points you gave."),
    ("denied", "exempt", "Civ. Code §1798.105(d)(8)", "We must keep these records for tax law."),
    ("withdrawn", "", "", ""),
    ("complied", "", "", ""),
    ("", "", "", ""),
    ("", "", "", ""),
    ("complied", "", "", ""),
)


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _copy_value(value: Any) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def request_values(i: int, rows: int, tenant_id: int, start: datetime) -> dict[str, Any]:
    """The i-th of ``rows`` requests spread over the year: the same every run."""
    received_at = start + timedelta(seconds=(i * 31_535_000) // rows)
    request_type = TYPES[i % 6]
    channel = CHANNELS[i % 8] if request_type in {"opt_out", "limit"} else CHANNELS[i % 6]
    outcome, reason, basis, why = ENDINGS[(i // 6) % 10]
    if request_type in {"opt_out", "limit", "opt_in"} and reason:
        outcome, reason, basis, why = "complied", "", "", ""
    closed = bool(outcome)
    responded_at = received_at + timedelta(days=1 + i % 44) if closed else None
    verified = outcome in {"complied", "complied_in_part"} and request_type in TYPES[:3]
    return {
        "tenant_id": tenant_id,
        "reference": f"RL-{i:08d}",
        "request_type": request_type,
        "know_scope": ("categories", "specific", "both")[i % 3] if request_type == "know" else "",
        "channel": channel,
        "received_at": received_at,
        # Pacific standard time is enough for a benchmark's local date.
        "received_date": (received_at - timedelta(hours=8)).date(),
        "submitted_by_agent": channel == "agent" or i % 10 == 3,
        "delete_scope": "all" if request_type == "delete" else "",
        "status": "closed" if closed else "received",
        "outcome": outcome,
        "denial_reason": reason,
        "denial_legal_basis": basis,
        "denial_explanation": why,
        "calendar": "US-CA",
        "verified_at": received_at + timedelta(hours=5) if verified else None,
        "responded_at": responded_at,
        "created_at": received_at,
        "updated_at": responded_at or received_at,
    }


def insert(tenant: Any, rows: int) -> float:
    from django.db import connection, models

    from requests_app.models import PrivacyRequest

    fields = [f for f in PrivacyRequest._meta.concrete_fields if not f.primary_key]
    defaults: dict[str, Any] = {}
    for field in fields:
        if field.null:
            defaults[field.column] = None
        elif isinstance(field, models.JSONField):
            defaults[field.column] = "[]"
        elif isinstance(field, models.BooleanField):
            defaults[field.column] = False
        else:
            defaults[field.column] = ""
    defaults["language"] = "en"
    columns = [f.column for f in fields]
    start = datetime(2026, 1, 1, 8, tzinfo=UTC)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for first in range(0, rows, BATCH):
            buffer = io.StringIO()
            for i in range(first, min(first + BATCH, rows)):
                values = defaults | request_values(i, rows, tenant.pk, start)
                buffer.write("\t".join(_copy_value(values[c]) for c in columns) + "\n")
            buffer.seek(0)
            cursor.cursor.copy_expert(
                f"COPY requests_app_privacyrequest ({', '.join(columns)}) FROM STDIN", buffer
            )
        cursor.execute("ANALYZE requests_app_privacyrequest")
    return time.perf_counter() - started


def child(rows: int) -> None:
    import django

    django.setup()
    from recordkeeping.request_log import request_log_csv
    from requests_app.models import PrivacyRequest
    from tenants.models import Tenant
    from tenants.services import tenant_create

    tenant = Tenant.objects.filter(slug=SLUG).first() or tenant_create(
        slug=SLUG,
        legal_name="Request Log Bench Inc.",
        contact_email="privacy@example.com",
        toll_free_number="+18885550100",
    )
    insert_seconds = None
    if PrivacyRequest.objects.for_tenant(tenant).count() != rows:
        benchlib.log(f"inserting {rows:,} requests (COPY)")
        insert_seconds = round(insert(tenant, rows), 1)
    benchlib.log("streaming the 2026 log as CSV to /dev/null")
    before = max_rss_mb()
    lines = 0
    after_100k = None
    started = time.perf_counter()
    with open("/dev/null", "w", encoding="utf-8") as sink:
        for line in request_log_csv(
            tenant=tenant, since=date(2025, 12, 31), until=date(2026, 12, 31)
        ):
            sink.write(line)
            lines += 1
            if lines == 100_001:
                after_100k = max_rss_mb()
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "rows": lines - 1,
                "insert_s": insert_seconds,
                "seconds": round(seconds, 2),
                "rows_per_s": round((lines - 1) / seconds),
                "max_rss_before_mb": round(before, 1),
                "max_rss_100k_mb": after_100k and round(after_100k, 1),
                "max_rss_after_mb": round(max_rss_mb(), 1),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="Reuse the database if it is there.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.rows)
        return
    url = benchlib.db_url(f"{benchlib.DB_PREFIX}_requestlog")
    benchlib.create_database(url, drop=not args.keep)
    benchlib.migrate(url)
    out = benchlib.run_json(
        [benchlib.PYTHON, __file__, "--child", f"--rows={args.rows}"],
        env=benchlib.child_env(url),
    )
    growth = out["max_rss_after_mb"] - (out["max_rss_100k_mb"] or out["max_rss_before_mb"])
    print(f"insert {args.rows:,} requests (COPY): {out['insert_s']} s")
    print(f"export {out['rows']:,} rows as CSV: {out['seconds']} s ({out['rows_per_s']:,} rows/s)")
    print(
        f"peak RSS before → after 100,000 rows → end: {out['max_rss_before_mb']} → "
        f"{out['max_rss_100k_mb']} → {out['max_rss_after_mb']} MB "
        f"({'PASS' if growth < TARGET_GROWTH_MB else 'FAIL'}: +{growth:.1f} MB after the first "
        f"100,000; target flat, < +{TARGET_GROWTH_MB} MB)"
    )
    if growth >= TARGET_GROWTH_MB:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
