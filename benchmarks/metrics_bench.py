"""The §7102 annual metrics of a large business (issue 14): 1,000,000 requests in one
tenant-year, and ``recordkeeping.metrics.annual_metrics`` over them.

* a database ``pp_bench_metrics`` (``BENCH_DB_PREFIX``), migrated on every run, with one
  business; ``--rows`` requests received in 2025 inserted by one ``INSERT … SELECT FROM
  generate_series`` (rows built directly in PostgreSQL, not through intake): every type
  including opt-in (which is not counted), 95 % closed (complied, complied in part, denied with
  each reason, withdrawn), 5 % open, responses 0-59 days later (some in 2026), a seventh
  non-residents and a thirteenth of unknown residency; then ``ANALYZE``;
* ``annual_metrics`` for all individuals and for consumers only, ``--repeat`` times each: the
  first run and the median of the rest;
* the compliance dashboard's queries (``recordkeeping.dashboard.year_dashboard``: the metrics,
  requests per month by type with the on-time state, open requests by deadline bucket; and the
  publications of the year), the same way.

Targets: under 1 second per ``annual_metrics`` call, under 2 seconds for the whole dashboard, on
PostgreSQL.
``.venv/bin/python benchmarks/metrics_bench.py [--rows 1000000] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib

TARGET_SECONDS = 1.0
DASHBOARD_TARGET_SECONDS = 2.0

# Values for the NOT NULL columns that matter; every other NOT NULL column without a default
# gets its type's empty value ('' / false / '[]').
COLUMNS = {
    "tenant_id": "%(tenant)s",
    "reference": "'MB-' || lpad(i::text, 8, '0')",
    "request_type": (
        "(ARRAY['know','know','know','delete','delete','correct','opt_out','opt_out','limit',"
        "'opt_in'])[1 + i %% 10]"
    ),
    "channel": "'webform'",
    "received_at": "r.at",
    "received_date": "(r.at AT TIME ZONE 'America/Los_Angeles')::date",
    "is_california_consumer": "CASE WHEN i %% 13 = 0 THEN NULL ELSE i %% 7 <> 0 END",
    "language": "'en'",
    "calendar": "'US-CA'",
    "status": "CASE WHEN h < 5 THEN 'in_progress' ELSE 'closed' END",
    "outcome": (
        "CASE WHEN h < 5 THEN '' WHEN h < 75 THEN 'complied' WHEN h < 85 THEN "
        "'complied_in_part' WHEN h < 97 THEN 'denied' ELSE 'withdrawn' END"
    ),
    "denial_reason": (
        "CASE WHEN h >= 75 AND h < 97 THEN (ARRAY['unverifiable','not_a_consumer','exempt',"
        "'fraudulent','agent_without_permission','other'])[1 + i %% 6] ELSE '' END"
    ),
    "responded_at": (
        "CASE WHEN h < 5 THEN NULL ELSE r.at + ((i * 31) %% 60) * interval '1 day' "
        "+ ((i * 7) %% 24) * interval '1 hour' END"
    ),
    # The deadlines intake stores (§7021(b): D + 45; §7026(f): 15 business days, about 21 days).
    "respond_by": (
        "CASE WHEN (i %% 10) < 6 THEN (r.at AT TIME ZONE 'America/Los_Angeles')::date + 45 END"
    ),
    "comply_by": (
        "CASE WHEN (i %% 10) IN (6, 7, 8) THEN "
        "(r.at AT TIME ZONE 'America/Los_Angeles')::date + 21 END"
    ),
    "created_at": "r.at",
    "updated_at": "r.at",
}


def insert(tenant_id: int, rows: int) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'requests_app_privacyrequest' AND is_nullable = 'NO' "
            "AND column_default IS NULL AND is_identity = 'NO'"
        )
        required = cursor.fetchall()
        names, values = [], []
        empty = {"boolean": "false", "jsonb": "'[]'::jsonb"}
        for name, data_type in required:
            names.append(name)
            values.append(COLUMNS.get(name, empty.get(data_type, "''")))
        for name in COLUMNS:
            if name not in names:
                names.append(name)
                values.append(COLUMNS[name])
        sql = (
            # The column names and expressions are this file's constants.
            f"INSERT INTO requests_app_privacyrequest ({', '.join(names)}) "  # noqa: S608
            f"SELECT {', '.join(values)} FROM ("
            "  SELECT i, ((i * 2654435761) %% 1000003) %% 100 AS h, timestamptz '2025-01-01 08:00:00+00' "
            "    + ((i * 7919) %% 31535000) * interval '1 second' AS at"
            "  FROM generate_series(1::bigint, %(rows)s) AS i) AS r"
        )
        started = time.perf_counter()
        cursor.execute(sql, {"tenant": tenant_id, "rows": rows})
        seconds = time.perf_counter() - started
        cursor.execute("ANALYZE requests_app_privacyrequest")
    return seconds


def timed(call: Any, repeat: int, as_dict: Any = None) -> dict[str, Any]:
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return {
        "first_s": round(times[0], 3),
        "median_s": round(statistics.median(times[1:] or times), 3),
        "result": (as_dict or (lambda found: found.as_dict()))(result)
        if result is not None
        else None,
    }


def child(rows: int, repeat: int) -> None:
    import django

    django.setup()
    from recordkeeping.dashboard import dashboard_as_dict, year_dashboard
    from recordkeeping.metrics import annual_metrics
    from recordkeeping.publishing import published_history, published_years
    from tenants.services import tenant_create

    tenant = tenant_create(
        slug="metrics-bench",
        legal_name="Metrics Bench Inc.",
        contact_email="privacy@example.com",
        toll_free_number="+18885550100",
    )
    benchlib.log(f"inserting {rows:,} requests")
    inserted = insert(tenant.pk, rows)
    benchlib.log(f"    {inserted:.1f} s")
    out = {"rows": rows, "insert_s": round(inserted, 1)}
    for population in ("all", "consumers"):
        benchlib.log(f"annual_metrics population={population} x{repeat}")
        out[population] = timed(
            lambda p=population: annual_metrics(tenant=tenant, year=2025, population=p), repeat
        )

    def dashboard(population: str) -> Any:
        # What the dashboard page asks the database (recordkeeping.dashboard_admin._context).
        found = year_dashboard(
            tenant=tenant, year=2025, population=population, today=date(2025, 12, 15)
        )
        published_years(tenant=tenant)
        published_history(tenant=tenant, year=2025)
        return found

    for population in ("all", "consumers"):
        benchlib.log(f"year_dashboard population={population} x{repeat}")
        out[f"dashboard_{population}"] = timed(
            lambda p=population: dashboard(p), repeat, dashboard_as_dict
        )
    out["percentile_cont"] = percentile_cont_medians(tenant.pk)
    print(json.dumps(out))


def percentile_cont_medians(tenant_id: int) -> dict[str, Any]:
    """The same medians by PostgreSQL's ``percentile_cont(0.5)``, to check the histogram's."""
    from django.db import connection

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            "SELECT request_type, percentile_cont(0.5) WITHIN GROUP (ORDER BY "
            "(responded_at AT TIME ZONE 'America/Los_Angeles')::date - received_date) "
            "FROM requests_app_privacyrequest WHERE tenant_id = %s AND received_date >= "
            "'2025-01-01' AND received_date < '2026-01-01' AND outcome IN "
            "('complied', 'complied_in_part', 'denied') AND request_type <> 'opt_in' GROUP BY request_type",
            [tenant_id],
        )
        medians = {kind: round(value, 1) for kind, value in cursor.fetchall()}
    return {"seconds": round(time.perf_counter() - started, 3), "medians": medians}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.rows, args.repeat)
        return
    url = benchlib.db_url(f"{benchlib.DB_PREFIX}_metrics")
    benchlib.create_database(url, drop=True)
    benchlib.migrate(url)
    out = benchlib.run_json(
        [benchlib.PYTHON, __file__, "--child", f"--rows={args.rows}", f"--repeat={args.repeat}"],
        env=benchlib.child_env(url),
    )
    print(f"inserted {out['rows']:,} requests in {out['insert_s']} s")
    ok = True
    for population in ("all", "consumers"):
        figures = out[population]
        received = sum(row["received"] for row in figures["result"]["rows"])
        passed = figures["median_s"] < TARGET_SECONDS
        ok = ok and passed
        print(
            f"annual_metrics {population:<9} ({received:,} counted): first "
            f"{figures['first_s']} s, median {figures['median_s']} s   < {TARGET_SECONDS} s "
            f"{'PASS' if passed else 'FAIL'}"
        )
    for population in ("all", "consumers"):
        figures = out[f"dashboard_{population}"]
        result = figures["result"]
        same = result["rows"] == out[population]["result"]["rows"]
        months = sum(sum(values.values()) for values in result["requests_per_month"].values())
        passed = figures["median_s"] < DASHBOARD_TARGET_SECONDS and same
        ok = ok and passed
        total = result["on_time"][-1]
        print(
            f"dashboard      {population:<9} (per-month sum {months:,}, on time "
            f"{total['on_time_rate_percent']} % of {total['on_time'] + total['late']:,}, open "
            f"{sum(sum(b.values()) for b in result['open_requests_by_deadline']['by_type'].values()):,}"
            f"): first {figures['first_s']} s, median {figures['median_s']} s   < "
            f"{DASHBOARD_TARGET_SECONDS} s {'PASS' if passed else 'FAIL'}"
            + ("" if same else " (its §7102 table differs from annual_metrics')")
        )
    know = out["all"]["result"]["rows"][0]
    print(f"know row: {json.dumps(know)}")
    check = out["percentile_cont"]
    ours = {row["request_type"]: row["median_days"] for row in out["all"]["result"]["rows"]}
    same = all(ours[kind] == value for kind, value in check["medians"].items())
    ok = ok and same
    print(
        f"percentile_cont(0.5) query for comparison: {check['seconds']} s, medians "
        f"{'the same' if same else 'DIFFERENT: ' + json.dumps([ours, check['medians']])}"
    )
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
