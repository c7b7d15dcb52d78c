# ruff: noqa: S608 -- SQL here names this module's own constant tables; values are always parameters.
"""One run of the deadline sweep against a seeded benchmark database, in a process of its own.

``run.py`` starts this once per measurement so each one gets a clean peak-memory figure
(``VmHWM``, the same high-water mark as ``ru_maxrss``)::

    DATABASE_URL=… .venv/bin/python benchmarks/sweep_bench.py --days 1

``--days`` moves "now" that far past the seed's ``t0`` (the instant the seeder left every open
request's ``next_due_at`` as a sweep running until then would have). Before sweeping it snapshots
the rows the sweep may touch, and afterwards puts them back and deletes the events and outbox
rows it added, so measurements can be repeated on the same data (``--keep`` skips that).
Prints one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyportal.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

from requests_app.services.sweep import BATCH_SIZE, sweep_deadlines  # noqa: E402

REQUESTS = "requests_app_privacyrequest"
EVENTS = "requests_app_requestevent"
OUTBOX = "outbox_outboxmessage"
SNAPSHOT = "bench_sweep_snapshot"


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _scalar(sql: str, params: list[object] | None = None) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        return int(cur.fetchone()[0])


def _explain_first_batch(now: datetime, batch_size: int) -> list[str]:
    # The sweep's own id query, as the ORM builds it (first batch: pk > 0).
    from requests_app.models import PrivacyRequest, Status

    qs = (
        PrivacyRequest.all_tenants.filter(next_due_at__lte=now, pk__gt=0)
        .exclude(status=Status.CLOSED)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [row[0] for row in cur.fetchall()]


def _grouped_update(objs: list, fields: list[str], batch_size: int | None = None) -> int:
    """What-if for ``bulk_update``: one plain UPDATE per distinct set of new values.

    Rows swept together share few distinct next_due_at values (the same deadline
    day in the same time zone), so this is a handful of ``UPDATE … WHERE id IN (…)`` instead of
    one CASE WHEN per row and field. Portable ORM, no raw SQL.
    """
    from collections import defaultdict

    from requests_app.models import PrivacyRequest

    groups: dict[tuple, list[int]] = defaultdict(list)
    for obj in objs:
        groups[tuple(getattr(obj, name) for name in fields)].append(obj.pk)
    updated = 0
    for values, pks in groups.items():
        updated += PrivacyRequest.all_tenants.filter(pk__in=pks).update(
            **dict(zip(fields, values, strict=True))
        )
    return updated


def _keyset_sweep(*, now: datetime, batch_size: int) -> object:
    """What-if for ``sweep_deadlines``: the same batches, paged by (next_due_at, id).

    The product pages by id (``pk > last_id ORDER BY pk``); when many rows are due the planner
    walks the primary key and filters (the whole table over a run), instead of reading the
    partial index. Paging in the partial index's own order keeps every batch query bounded by
    the batch. Each batch is still processed by the product's own ``_sweep_batch``.
    """
    from django.db.models import Q

    from requests_app.models import PrivacyRequest, Status
    from requests_app.services import sweep

    result = sweep.SweepResult()
    last: tuple[datetime, int] | None = None
    while True:
        due = PrivacyRequest.all_tenants.filter(next_due_at__lte=now).exclude(status=Status.CLOSED)
        if last is not None:
            due = due.filter(Q(next_due_at__gt=last[0]) | Q(next_due_at=last[0], pk__gt=last[1]))
        keys = list(due.order_by("next_due_at", "pk").values_list("next_due_at", "pk")[:batch_size])
        if not keys:
            return result
        last = keys[-1]
        sweep._sweep_batch([pk for _, pk in keys], now, result)
        result.batches += 1


VARIANTS = ("product", "grouped-update", "keyset", "keyset+grouped-update")


def _apply_variant(variant: str) -> Callable[..., Any]:
    """Install the what-if changes of ``variant``; returns the sweep function to time."""
    from requests_app.models import PrivacyRequest

    if "grouped-update" in variant:
        # The manager instance is shared (Options.managers_map), so the sweep's
        # ``PrivacyRequest.all_tenants.bulk_update(...)`` call lands here.
        PrivacyRequest.all_tenants.bulk_update = _grouped_update
    return _keyset_sweep if variant.startswith("keyset") else sweep_deadlines


def _warm_up() -> None:
    """Load what the sweep loads lazily on first use (the digest template, the Celery/Redis
    client), so the memory figure is the sweep's working set, not one-off imports."""
    from django.template.loader import get_template

    from privacyportal.celery import app

    get_template("requests_app/emails/staff_digest.txt")
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)


def _restore() -> None:
    """Put back the rows a sweep measurement touched and delete the rows it added."""
    if _scalar("SELECT count(*) FROM pg_class WHERE relname = %s", [SNAPSHOT]) == 0:
        return
    with connection.cursor() as cur:
        cur.execute(
            "SELECT value #>> '{event}', value #>> '{outbox}' FROM bench_meta WHERE key = 'sweep_marks'"
        )
        max_event, max_outbox = (int(x) for x in cur.fetchone())
        cur.execute(f"DELETE FROM {EVENTS} WHERE id > %s", [max_event])
        cur.execute(f"DELETE FROM {OUTBOX} WHERE id > %s", [max_outbox])
        cur.execute(
            f"UPDATE {REQUESTS} p SET next_due_at = s.next_due_at "
            f"FROM {SNAPSHOT} s WHERE p.id = s.id"
        )
        cur.execute(f"DROP TABLE {SNAPSHOT}")
    autocommit = connection.get_autocommit()
    connection.set_autocommit(True)
    with connection.cursor() as cur:
        for table in (REQUESTS, EVENTS, OUTBOX):
            cur.execute(f"VACUUM (ANALYZE) {table}")
    connection.set_autocommit(autocommit)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=float, default=1.0, help="sweep at t0 + DAYS")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--keep", action="store_true", help="do not restore the data afterwards")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also report Python's own peak (slower)"
    )
    parser.add_argument(
        "--explain", action="store_true", help="include EXPLAIN ANALYZE of the id query"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the sweep; top functions on stderr"
    )
    parser.add_argument(
        "--variant",
        choices=VARIANTS,
        default="product",
        help="what-if variants of the product code (see _grouped_update, _keyset_sweep)",
    )
    args = parser.parse_args()
    run_sweep = _apply_variant(args.variant)
    if os.environ.get("SWEEP_SQL_TIMES"):
        sql_times: dict[str, list[float]] = {}

        def _record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                entry = sql_times.setdefault(" ".join(sql.split()[:5])[:70], [0, 0.0])
                entry[0] += 1
                entry[1] += time.perf_counter() - began

        inner_sweep = run_sweep

        def run_sweep(**kwargs: Any) -> Any:  # type: ignore[no-redef]
            with connection.execute_wrapper(_record):
                return inner_sweep(**kwargs)

    with connection.cursor() as cur:
        cur.execute("SELECT value #>> '{}' FROM bench_meta WHERE key = 't0'")
        t0 = datetime.fromisoformat(cur.fetchone()[0])
    now = t0 + timedelta(days=args.days)

    _restore()  # what an interrupted earlier run left behind
    max_event = _scalar(f"SELECT coalesce(max(id), 0) FROM {EVENTS}")
    max_outbox = _scalar(f"SELECT coalesce(max(id), 0) FROM {OUTBOX}")
    with connection.cursor() as cur:
        # The marks first, then the snapshot: a snapshot never exists without its marks.
        cur.execute(
            "INSERT INTO bench_meta (key, value) VALUES ('sweep_marks', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [json.dumps({"event": max_event, "outbox": max_outbox})],
        )
        cur.execute(
            f"CREATE TABLE {SNAPSHOT} AS SELECT id, next_due_at FROM {REQUESTS} "
            "WHERE next_due_at <= %s AND status <> 'closed'",
            [now],
        )
    due = _scalar(f"SELECT count(*) FROM {SNAPSHOT}")
    open_rows = _scalar(f"SELECT count(*) FROM {REQUESTS} WHERE status <> 'closed'")
    table_rows = _scalar("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [REQUESTS])
    explain = _explain_first_batch(now, args.batch_size) if args.explain else []

    _warm_up()
    with connection.cursor() as cur:
        cur.execute("CHECKPOINT")  # start every measurement with no dirty-buffer backlog
    gc.collect()
    rss_before = _status_kb("VmRSS")
    hwm_before = _status_kb("VmHWM")
    if args.tracemalloc:
        tracemalloc.start()
    profiler = cProfile.Profile() if args.profile else None
    cpu_before = time.process_time()
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    result = run_sweep(now=now, batch_size=args.batch_size)
    if profiler is not None:
        profiler.disable()
    seconds = time.perf_counter() - started
    # The sweep process's own CPU; the rest of the wall time is PostgreSQL (and waiting on it).
    python_cpu = time.process_time() - cpu_before
    if os.environ.get("SWEEP_SQL_TIMES"):
        for sql, (count, spent) in sorted(sql_times.items(), key=lambda kv: -kv[1][1]):
            print(f"{spent:8.2f} s {count:6d}x  {sql}", file=sys.stderr)
    if profiler is not None:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(35)
    traced_peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
    if args.tracemalloc:
        tracemalloc.stop()
    hwm_after = _status_kb("VmHWM")

    events_added = _scalar(f"SELECT count(*) FROM {EVENTS} WHERE id > %s", [max_event])
    outbox_added = _scalar(f"SELECT count(*) FROM {OUTBOX} WHERE id > %s", [max_outbox])
    if not args.keep:
        _restore()

    print(
        json.dumps(
            {
                "days": args.days,
                "variant": args.variant,
                "now": now.isoformat(),
                "table_rows": table_rows,
                "open": open_rows,
                "due": due,
                "examined": result.examined,
                "milestones": result.milestones_recorded,
                "events_added": events_added,
                "emails": result.emails_queued,
                "outbox_added": outbox_added,
                "batches": result.batches,
                "seconds": round(seconds, 3),
                "python_cpu_s": round(python_cpu, 3),
                "rows_per_s": round(result.examined / seconds) if seconds else None,
                "rss_before_mb": round(rss_before / 1024, 1),
                "peak_rss_mb": round(max(hwm_after, hwm_before) / 1024, 1),
                "growth_mb": round(max(0, hwm_after - rss_before) / 1024, 1),
                "tracemalloc_peak_mb": round(traced_peak / 2**20, 1)
                if traced_peak is not None
                else None,
                "explain": explain,
            }
        )
    )


if __name__ == "__main__":
    main()
