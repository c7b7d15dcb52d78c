"""Where a create's CPU goes in the *served* intake and the ideal endpoint: py-spy on gunicorn.

``profile_api.py`` profiles the application in-process (cProfile, no server); this samples the
real gunicorn workers under ``wrk`` load, the way ``run.py --only ratios`` measures them, so
gunicorn's own share (HTTP parsing, the access log, keep-alive) shows too::

    PY_SPY=/tmp/pyspy/bin/py-spy .venv/bin/python benchmarks/profile_server.py [--db pp_bench]
        [--config gthread:3x2] [--seconds 10] [--apps intake,ideal]

py-spy is not a project dependency: install it anywhere (``python3 -m venv /tmp/pyspy &&
/tmp/pyspy/bin/pip install py-spy``) and name it with ``PY_SPY`` or ``--py-spy``. It samples
each worker with ``--gil`` (only the thread holding the GIL, i.e. Python's CPU; time spent
waiting for PostgreSQL releases the GIL and is not counted) and ``--nonblocking``. Prints, per
app, the milliseconds of GIL-holding time per create by phase of the request (the deepest
phase on each sampled stack) and by the package of the sampled frame. The rows it creates are
deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib
import http_load
import ratios
from benchlib import PYTHON, VAR_DIR, child_env, log

# Phases of a request, from the outside in: a sample belongs to the deepest one on its stack.
# (marker: a substring of one frame "function (file:line)", phase name)
PHASES: list[tuple[str, str]] = [
    ("gunicorn/", "gunicorn (HTTP parsing, access log, connection)"),
    ("django/core/handlers/", "Django request handling (handler, URL resolution, signals)"),
    ("django/middleware/", "middleware"),
    ("django/contrib/sessions/middleware", "middleware"),
    ("django/contrib/auth/middleware", "middleware"),
    ("django/contrib/messages/middleware", "middleware"),
    ("whitenoise/middleware", "middleware"),
    ("tenants/middleware", "middleware"),
    ("requests_app/middleware", "middleware"),
    ("rest_framework/views.py", "DRF dispatch (request, negotiation, permissions)"),
    ("perform_authentication", "API key authentication (DRF + lookup)"),
    ("initial (tenants/api.py", "API key authentication (DRF + lookup)"),
    ("is_valid (rest_framework/serializers.py", "input validation (serializer)"),
    ("parse (core/api.py", "input JSON parsing"),
    ("rest_framework/response.py", "response body: JSON rendering"),
    ("output (requests_app/api/views.py", "response body: output serializer"),
    ("to_representation (rest_framework/serializers.py", "response body: output serializer"),
    ("paginate_queryset", "list: query, pagination, model instances (ORM)"),
    ("privacy_request_create (requests_app/services/intake.py", "intake: other work"),
    ("deadlines_for", "intake: deadlines and milestones"),
    ("first_milestone_at", "intake: deadlines and milestones"),
    ("full_clean", "intake: model validation"),
    ("insert_new (core/fast_insert.py", "intake: inserts (fast_insert)"),
    ("_send_to_consumer", "intake: acknowledgement (render, Communication, outbox)"),
    ("render_to_string", "intake: acknowledgement template rendering"),
    ("__exit__ (django/db/transaction.py", "commit and after-commit (relay poke)"),
    ("run_and_clear_commit_hooks", "commit and after-commit (relay poke)"),
    ("ideal_intake.py", "ideal view: parse body, build parameters"),
    ("django/db/backends/utils.py", "SQL: Django cursor + psycopg2 (client side)"),
]


def phase_of(frames: list[str]) -> str:
    found = "other (outside any phase)"
    for frame in frames:  # root first: the last match is the deepest phase
        for marker, phase in PHASES:
            if marker in frame:
                found = phase
                break
    return found


def package_of(frame: str) -> str:
    path = frame[frame.rfind("(") + 1 : frame.rfind(":")] if "(" in frame else frame
    if "site-packages/" in path:
        parts = path.split("site-packages/", 1)[1].split("/")
        return "/".join(parts[:2]) if parts[0] in ("django", "rest_framework") else parts[0]
    if "/lib/python3" in path:
        return "stdlib: " + Path(path).name
    root = str(benchlib.ROOT) + "/"
    return path.removeprefix(root) if path.startswith(root) else path or "(native)"


def profile_app(
    name: str, server: benchlib.Server, keys: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    post = args.what == "create"
    script = ratios.wrk_script(keys, post=post, tag=f"prof{name}")
    path = ratios.API_PATH if post else ratios.LIST_PATH
    asyncio.run(
        http_load.closed_loop(
            server.port,
            lambda i: http_load.build_request(
                "POST",
                ratios.API_PATH,
                server.port,
                {
                    "Authorization": f"Bearer {keys[i % len(keys)]}",
                    "Content-Type": "application/json",
                },
                ratios.create_body(i, f"profwarm{name}"),
            ),
            concurrency=args.connections,
            seconds=2,
            max_requests=2000,
        )
    )
    workers = [
        int(pid)
        for pid in subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
    ]
    load_seconds = args.seconds + 3
    wrk = subprocess.Popen(
        [
            "wrk",
            "-t1",
            f"-c{args.connections}",
            f"-d{load_seconds:.0f}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{server.port}{path}",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)
    outputs = []
    spies = []
    for pid in workers:
        out = VAR_DIR / f"py-spy-{name}-{pid}.txt"
        outputs.append(out)
        spies.append(
            subprocess.Popen(
                [
                    args.py_spy,
                    "record",
                    "--pid",
                    str(pid),
                    "--gil",
                    "--nonblocking",
                    "--rate",
                    str(args.rate),
                    "--duration",
                    str(int(args.seconds)),
                    "--format",
                    "raw",
                    "--output",
                    str(out),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    for spy in spies:
        spy.wait(timeout=args.seconds + 60)
    stdout, _ = wrk.communicate(timeout=load_seconds + 30)
    line = next(x for x in stdout.splitlines() if x.startswith("WRK_JSON "))
    figures = json.loads(line.removeprefix("WRK_JSON "))
    rps = (figures["requests"] - figures["status"]) / (figures["duration_us"] / 1e6)
    creates = rps * args.seconds  # during the sampling window
    phases: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    samples = 0
    for out in outputs:
        if not out.exists():
            continue
        for row in out.read_text().splitlines():
            stack, _, count = row.rpartition(" ")
            if not stack:
                continue
            frames = stack.split(";")
            n = int(count)
            samples += n
            phases[phase_of(frames)] += n
            packages[package_of(frames[-1])] += n

    def per_create(n: int) -> float:
        return n / args.rate * 1000 / max(1.0, creates)

    return {
        "rps": rps,
        "samples": samples,
        "ms_per_create": per_create(samples),
        "phases": {k: per_create(v) for k, v in phases.most_common()},
        "packages": {k: per_create(v) for k, v in packages.most_common(25)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", default=benchlib.DB_PREFIX)
    parser.add_argument("--config", default="gthread:3x2")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--connections", type=int, default=12)
    parser.add_argument("--apps", default="intake,ideal")
    parser.add_argument(
        "--what",
        choices=["create", "list"],
        default="create",
        help="create: POST /api/v1/requests/; list: GET ?page_size=50 (intake only)",
    )
    parser.add_argument("--py-spy", default=os.environ.get("PY_SPY") or shutil.which("py-spy"))
    args = parser.parse_args()
    if not args.py_spy:
        raise SystemExit("py-spy not found: set PY_SPY=/path/to/py-spy (pip install py-spy)")
    url = benchlib.db_url(args.db)
    meta = benchlib.read_meta(url)
    keys = [k["key"] for k in meta.get("api_keys", [])]
    if not keys:
        raise SystemExit(f"{args.db} is not seeded; run benchmarks/run.py --only seed first")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    marks = benchlib.cleanup_marks(url)
    results: dict[str, Any] = {}
    try:
        capture_file = VAR_DIR / "ideal-capture.json"
        benchlib.run_json(
            [
                PYTHON,
                "benchmarks/ideal_intake.py",
                "capture",
                "--key",
                keys[1],
                "--out",
                str(capture_file),
            ],
            env=child_env(url),
        )
        apps = args.apps.split(",") if args.what == "create" else ["intake"]
        for name in apps:
            extra: dict[str, Any] = {}
            if name == "ideal":
                extra = {
                    "app": ratios.IDEAL_APP,
                    "ready_path": "/ideal/ready",
                    "env": child_env(
                        url,
                        DJANGO_SETTINGS_MODULE="benchmarks.ideal_settings",
                        IDEAL_CAPTURE=str(capture_file),
                    ),
                }
            log(
                f"[profile] {name}: gunicorn {args.config}, wrk and py-spy for {args.seconds:g} s …"
            )
            connections = benchlib.balanced_worker_connections(args.config, args.connections)
            with benchlib.gunicorn(
                url, args.config, name=name, worker_connections=connections, **extra
            ) as server:
                results[name] = profile_app(name, server, keys, args)
    finally:
        created = benchlib.cleanup_since(url, marks)
        benchlib.clear_bench_redis()
        log(f"[profile] deleted the {created:,} requests it created")
    for name, out in results.items():
        print(
            f"\n{name} ({args.what}): {out['rps']:.0f} requests/s under wrk; GIL-holding time "
            f"{out['ms_per_create']:.2f} ms per request ({out['samples']:,} samples)"
        )
        print("  by phase (deepest on the stack):")
        for phase, ms in out["phases"].items():
            print(f"    {ms:6.3f} ms  {phase}")
        print("  by package of the sampled frame:")
        for package, ms in out["packages"].items():
            print(f"    {ms:6.3f} ms  {package}")


if __name__ == "__main__":
    main()
