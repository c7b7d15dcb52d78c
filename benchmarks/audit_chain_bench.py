"""Verifying a business's audit chain of 1,000,000 entries (issue 14 item 3), with memory flat.

* a database ``pp_bench_auditchain`` (``BENCH_DB_PREFIX``), migrated on every run, with one
  business and ``--rows`` audit entries (reads, changes, exports and downloads by a few staff
  members and an API key over a year), chained in Python with ``audit.chain`` exactly as
  ``audit.services.audit_record`` chains them, and loaded with COPY, then the chain head set;
* ``recordkeeping.audit_trail.audit_chain_verify`` over the whole chain (a server-side cursor,
  ``iterator(chunk_size=…)``): wall time, entries per second, and the process's peak RSS
  (``ru_maxrss``) before the walk and at its end.

Targets: under 10 seconds, and flat memory (< +50 MB over the walk).
``.venv/bin/python benchmarks/audit_chain_bench.py [--rows 1000000] [--keep]``
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib

TARGET_SECONDS = 10.0
TARGET_GROWTH_MB = 50
BATCH = 50_000
SLUG = "auditchain-bench"
ACTORS = (
    ("staff", "dana"),
    ("staff", "eli"),
    ("staff", "fran"),
    ("api_key", "API key pp_1a2b… (CRM)"),
)
ACTIONS = ("read", "read", "read", "change", "change", "download", "export")


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _copy_text(value: Any) -> str:
    if value is None:
        return r"\N"
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def insert(tenant: Any, user_ids: dict[str, int], rows: int) -> tuple[float, str]:
    """COPY ``rows`` chained entries; returns the seconds taken and the last hash."""
    from django.db import connection

    from audit import chain
    from audit.models import AuditChainHead, AuditEntry

    fields = [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    names = [f.attname for f in fields]
    start = datetime(2026, 1, 1, 8, tzinfo=UTC)
    previous = chain.genesis_hash(tenant.pk)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for first in range(0, rows, BATCH):
            buffer = io.StringIO()
            for i in range(first, min(first + BATCH, rows)):
                kind, label = ACTORS[i % len(ACTORS)]
                action = ACTIONS[i % len(ACTIONS)]
                reference = f"AC-{i % 99991:04d}-{(i * 7) % 9973:04d}"
                entry = {
                    "tenant_id": tenant.pk,
                    "seq": i + 1,
                    "occurred_at": start + timedelta(microseconds=i * 31_000_000),
                    "actor_id": user_ids.get(label),
                    "actor_label": label,
                    "actor_kind": kind,
                    "action": action,
                    "target": "request_log"
                    if action == "export"
                    else f"privacy_request:{reference}",
                    "summary": f"{action} of {reference}",
                    "detail": chain.canonical_detail(
                        {"purpose": "Annual compliance review"} if action == "export" else None
                    ),
                    "ip_address": f"198.51.100.{i % 250 + 1}",
                    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
                }
                entry["prev_hash"] = previous
                previous = entry["entry_hash"] = chain.entry_hash(previous, chain.encode(entry))
                buffer.write("\t".join(_copy_text(entry[name]) for name in names) + "\n")
            buffer.seek(0)
            cursor.cursor.copy_expert(
                f"COPY {AuditEntry._meta.db_table} ({', '.join(columns)}) FROM STDIN", buffer
            )
        cursor.execute(f"ANALYZE {AuditEntry._meta.db_table}")
    AuditChainHead.all_tenants.update_or_create(
        tenant=tenant, defaults={"last_seq": rows, "last_hash": previous}
    )
    return time.perf_counter() - started, previous


def child(rows: int) -> None:
    import django

    django.setup()
    from audit.models import AuditEntry
    from recordkeeping.audit_trail import audit_chain_verify
    from tenants.models import Role, Tenant
    from tenants.services import staff_create, tenant_create

    tenant = Tenant.objects.filter(slug=SLUG).first() or tenant_create(
        slug=SLUG,
        legal_name="Audit Chain Bench Inc.",
        contact_email="privacy@example.com",
        toll_free_number="+18885550100",
    )
    user_ids = {
        label: staff_create(tenant=tenant, username=label, role=Role.STAFF)[0].pk
        for kind, label in ACTORS
        if kind == "staff"
    }
    insert_seconds = None
    if AuditEntry.objects.for_tenant(tenant).count() != rows:
        benchlib.log(f"chaining and inserting {rows:,} audit entries (COPY)")
        insert_seconds = round(insert(tenant, user_ids, rows)[0], 1)
    benchlib.log("verifying the whole chain")
    before = max_rss_mb()
    started = time.perf_counter()
    report = audit_chain_verify(tenant)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "entries": report.entries,
                "result": report.describe(),
                "insert_s": insert_seconds,
                "seconds": round(seconds, 2),
                "entries_per_s": round(report.entries / seconds),
                "max_rss_before_mb": round(before, 1),
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
    url = benchlib.db_url(f"{benchlib.DB_PREFIX}_auditchain")
    benchlib.create_database(url, drop=not args.keep)
    benchlib.migrate(url)
    out = benchlib.run_json(
        [benchlib.PYTHON, __file__, "--child", f"--rows={args.rows}"],
        env=benchlib.child_env(url),
    )
    growth = out["max_rss_after_mb"] - out["max_rss_before_mb"]
    fast = out["seconds"] < TARGET_SECONDS
    flat = growth < TARGET_GROWTH_MB
    intact = out["result"] == f"intact ({args.rows} entries)"
    print(f"chain and insert {args.rows:,} entries (COPY): {out['insert_s']} s")
    print(
        f"verify: {out['result']} in {out['seconds']} s ({out['entries_per_s']:,} entries/s; "
        f"{'PASS' if fast else 'FAIL'}: target < {TARGET_SECONDS:.0f} s)"
    )
    print(
        f"peak RSS before → after the walk: {out['max_rss_before_mb']} → "
        f"{out['max_rss_after_mb']} MB ({'PASS' if flat else 'FAIL'}: +{growth:.1f} MB; "
        f"target flat, < +{TARGET_GROWTH_MB} MB)"
    )
    if not (fast and flat and intact):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
