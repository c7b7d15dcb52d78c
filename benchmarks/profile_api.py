"""Where the time of ``POST /api/v1/requests/`` goes: cProfile over N requests in one process.

Runs the whole Django stack (middleware, DRF, the intake service, Postgres, the Celery publish to
Redis) in-process through the WSGI entry gunicorn serves (``privacyportal.wsgi.application``: API
key calls take the API's middleware chain), without gunicorn, so the profile shows only the
application. Against the benchmark database; the requests it creates are deleted afterwards::

    .venv/bin/python benchmarks/profile_api.py [-n 500] [--db pp_bench] [--sort tottime]

Prints queries per request, the wall time per request, and the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--db", default=benchlib.DB_PREFIX)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args()

    url = benchlib.db_url(args.db)
    meta = benchlib.read_meta(url)
    if not meta.get("api_keys"):
        raise SystemExit(f"{args.db} is not seeded; run benchmarks/run.py --only seed first")
    os.environ.update(benchlib.child_env(url))
    sys.path.insert(0, str(benchlib.ROOT))

    from django.db import connection
    from request_path import call, environ

    from privacyportal.wsgi import application

    keys = [k["key"] for k in meta["api_keys"]]

    def post(i: int) -> int:
        body = {
            "type": "delete",
            "channel": "api",
            "requester": {"name": f"P {i}", "email": f"p{i}@example.com", "state": "CA"},
        }
        raw = json.dumps(body).encode()
        env = environ("POST", "/api/v1/requests/", key=keys[i % len(keys)], body=raw)
        status, _, _ = call(application, env)
        return int(status.split(" ", 1)[0])

    marks = benchlib.cleanup_marks(url)
    try:
        for i in range(20):  # warm up
            assert post(i) == 201, post(i)
        captured: list[tuple[float, str]] = []

        def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                captured.append((time.perf_counter() - started, sql))

        for i in range(5):
            captured.clear()
            with connection.execute_wrapper(record):
                post(10_000 + i)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for i in range(args.n):
            post(20_000 + i)
        profiler.disable()
        seconds = time.perf_counter() - started
    finally:
        connection.close()
        created = benchlib.cleanup_since(url, marks)
    print(
        f"{args.n} POSTs in {seconds:.2f} s under cProfile: {seconds / args.n * 1000:.1f} ms each "
        f"(profiling adds overhead; see run.py for real latency). Deleted {created} rows afterwards."
    )
    print(f"{len(captured)} SQL statements per request (one request, after warm-up):")
    for seconds_, sql in captured:
        print(f"  {seconds_ * 1000:6.2f} ms  {' '.join(sql.split())[:150]}")
    stats = pstats.Stats(profiler)
    print("Own time (tottime) by package, per request:")
    for name, own in _by_package(stats, args.n):
        print(f"  {own:6.2f} ms  {name}")
    out = io.StringIO()
    stats.stream = out
    stats.sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())


def _by_package(stats: pstats.Stats, n: int) -> list[tuple[str, float]]:
    """Sum each function's own time by where it lives: which library or project module."""
    totals: dict[str, float] = {}
    root = str(benchlib.ROOT) + "/"
    for (filename, _, funcname), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "site-packages/" in filename:
            parts = filename.split("site-packages/", 1)[1].split("/")
            key = "/".join(parts[:3]) if parts[0] == "django" else parts[0]
        elif filename.startswith(root):
            key = filename[len(root) :]
        elif filename == "~":
            key = "C: " + funcname.split(" of ")[0].strip("<>").replace("method ", "").replace(
                "built-in ", ""
            )
            if "psycopg2" in funcname:
                key = "C: psycopg2 (waiting for PostgreSQL)"
            elif "socket" in funcname:
                key = "C: socket I/O (Redis)"
            else:
                key = "C: builtins"
        else:
            key = "stdlib: " + Path(filename).name
        totals[key] = totals.get(key, 0.0) + tottime
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    return [(name, seconds / n * 1000) for name, seconds in ranked[:25]]


if __name__ == "__main__":
    main()
